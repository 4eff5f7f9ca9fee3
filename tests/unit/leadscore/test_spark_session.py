"""How `leadscore score --engine spark` builds its session: Spark's JVM quiet from its first line unless --verbose,
the user's --conf over every default. Checked by hand in a fresh process: a run shows the progress bar and its answer
(and Java's one note on the vector module), where Spark's defaults print eight start-up lines first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leadscore.spark_session import JAVA_OPTIONS, SUBMITTED, session_conf


def test_a_local_jvm_logs_only_fatal_errors_to_the_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SUBMITTED, raising=False)
    options = session_conf("local[2]", {}, verbose=False)[JAVA_OPTIONS]
    named = re.fullmatch(r"-Dlog4j2\.configurationFile=(\S+)", options)
    assert named is not None, options
    settings = Path(named.group(1)).read_text()
    lines = dict(line.split(" = ") for line in settings.splitlines() if line and not line.startswith("#"))
    assert lines["rootLogger.level"] == "warn"  # Spark's shell level: it does not announce a change of level
    assert lines["appender.console.filter.threshold.level"] == "fatal"
    assert lines["rootLogger.appenderRef.stderr.ref"] == lines["appender.console.name"]


@pytest.mark.parametrize(
    ("master", "verbose", "submitted"),
    [
        ("local[2]", True, False),  # --verbose: Spark's own log
        ("sc://spark:15002", False, False),  # a Connect server's JVM is not this command's
        ("local[*]", False, True),  # spark-submit started the JVM already
    ],
)
def test_spark_s_own_log_where_the_command_does_not_start_the_jvm_or_is_verbose(
    monkeypatch: pytest.MonkeyPatch, master: str, verbose: bool, submitted: bool
) -> None:
    monkeypatch.delenv(SUBMITTED, raising=False)
    if submitted:
        monkeypatch.setenv(SUBMITTED, "12345")
    assert JAVA_OPTIONS not in session_conf(master, {}, verbose)


def test_the_users_conf_wins() -> None:
    built = session_conf("local[2]", {JAVA_OPTIONS: "-Xss4m", "spark.ui.showConsoleProgress": "false"}, False)
    assert built[JAVA_OPTIONS] == "-Xss4m" and built["spark.ui.showConsoleProgress"] == "false"
    assert "spark.ui.showConsoleProgress" not in session_conf("sc://spark:15002", {}, False)
