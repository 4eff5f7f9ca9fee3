"""The Spark session `leadscore score --engine spark` runs on: Java and the master checked first (one line when
either is missing), PySpark imported only here and only then, so the command line and the service run without it.
A JVM this process starts is started by leadscore/spark_jvm.py (its standard error passed on, its failure one line)."""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.resources import files
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from features.tables import DataError
from leadscore.spark_jvm import start_jvm

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
SUBMITTED = "PYSPARK_GATEWAY_PORT"  # set when spark-submit started the JVM and runs this process
# Spark's defaults for what this job is, each overridable by --conf: the console progress bar on; Arrow batches of
# 50,000 leads, as `leadscore score` chunks them (each batch pays the model's fixed cost per call once)
DEFAULT_CONF = {
    "spark.ui.showConsoleProgress": "true",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "50000",
}
# a JVM the command starts logs fatal errors only, from its first line (before setLogLevel can act); a --conf with
# its own driver Java options replaces this
JAVA_OPTIONS, QUIET_LOG = "spark.driver.extraJavaOptions", "spark-log4j2.properties"
APP_NAME = "leadscore score"
MASTER_PORTS = {"spark": 7077, "sc": 15002}  # the standalone master's and Spark Connect's default ports
CONNECT_SECONDS = 5.0
# PySpark 4.3 warns once that it does not fully support pandas 3 (pyspark.testing.utils, imported by its schema and
# UDF code, mapInArrow's too): this path hands Spark and the model Arrow batches only, so no pandas conversion of
# Spark's is on it, and the warning is silenced for the session's lifetime (docs/spark.md, Pandas)
PANDAS_WARNING = "PySpark does not yet fully support pandas"


class SparkSetupError(DataError):
    """Spark cannot run the job as asked (no Java, no PySpark, an unreachable master); one line saying what to do."""


def check_java() -> None:
    """SparkSetupError unless a `java` runs: PySpark starts its JVM with $JAVA_HOME/bin/java, else the PATH's."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    try:
        ok = java is not None and subprocess.run([java, "-version"], capture_output=True).returncode == 0
    except OSError:
        ok = False
    if not ok:
        where = f"JAVA_HOME={home}" if home else "no java on PATH"
        raise SparkSetupError(
            f"--engine spark needs Java 17 or newer ({where}); install it (Debian: apt-get install "
            "openjdk-17-jre-headless, or make install) or set JAVA_HOME"
        )


def check_master(master: str) -> None:
    """SparkSetupError when a standalone master (spark://) or a Spark Connect server (sc://) does not answer on its
    port; Spark itself would retry for minutes. Other masters (local, yarn, k8s) are Spark's to check."""
    parsed = urlparse(master)
    if parsed.scheme not in MASTER_PORTS:
        return
    for host_port in (parsed.netloc or "").split(","):  # a standalone master may list its standbys
        host, _, port = host_port.partition(":")
        try:
            with socket.create_connection(
                (host, int(port or MASTER_PORTS[parsed.scheme])), timeout=CONNECT_SECONDS
            ):
                return
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    raise SparkSetupError(
        f"--master {master}: cannot connect ({reason}); is the cluster up and the URL right?"
    )


def parse_conf(pairs: list[str]) -> dict[str, str]:
    """--conf k=v options as a mapping; SparkSetupError naming one without '='."""
    conf: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SparkSetupError(f"--conf {pair!r}: use key=value, e.g. spark.executor.memory=4g")
        conf[key.strip()] = value
    return conf


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@contextmanager
def spark_session(master: str, conf: Mapping[str, str]) -> Iterator[SparkSession]:
    """A Spark session on `master` with `DEFAULT_CONF` and `conf`, stopped at the end when this made it (one already
    running in the process, a notebook's or a test's, is used as it is and left running)."""
    check_java()
    check_master(master)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=re.escape(PANDAS_WARNING), category=FutureWarning)
        yield from _session(master, conf)


def session_conf(master: str, conf: Mapping[str, str], verbose: bool) -> dict[str, str]:
    """What the session is built with: `DEFAULT_CONF` as `master` takes it, then the --conf pairs over it."""
    defaults = dict(DEFAULT_CONF)
    if master.startswith("sc://"):  # a Connect client sets the server's runtime SQL settings only
        defaults.pop("spark.ui.showConsoleProgress")
    elif not verbose and SUBMITTED not in os.environ:  # a JVM this process starts: quiet from its first line
        defaults[JAVA_OPTIONS] = f"-Dlog4j2.configurationFile={files('leadscore').joinpath(QUIET_LOG)}"
    return {**defaults, **conf}


def _starts_jvm(master: str) -> bool:
    """Whether this command starts Spark's JVM: not for Spark Connect, not under spark-submit (it started one), not
    when the process already has a SparkContext (a notebook's, without a session)."""
    from pyspark import SparkContext

    running = SparkContext._active_spark_context is not None
    return not (master.startswith("sc://") or SUBMITTED in os.environ or running)


def _session(master: str, conf: Mapping[str, str]) -> Iterator[SparkSession]:
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise SparkSetupError(
            f"--engine spark needs PySpark ({error}); install it: pip install 'leadscore[spark]'"
        ) from error
    existing = SparkSession.getActiveSession()
    if existing is not None:
        yield existing
        return
    builder = SparkSession.builder.appName(APP_NAME)
    if master.startswith("sc://"):
        builder = builder.remote(master)
    elif not (SUBMITTED in os.environ and master == DEFAULT_MASTER):  # spark-submit's --master stands
        builder = builder.master(master)
    # the workers run this very Python (and its packages), not the PATH's python3
    if master.startswith("local") and SUBMITTED not in os.environ:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    verbose = logging.getLogger("leadscore").isEnabledFor(logging.DEBUG)
    settings = session_conf(master, conf, verbose)
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        if _starts_jvm(master):
            start_jvm({**settings, "spark.master": master, "spark.app.name": APP_NAME})
        spark = builder.getOrCreate()
    except Exception as error:  # a master URL Spark cannot parse, a --conf value it refuses, ...
        raise SparkSetupError(f"--master {master}: Spark did not start: {first_line(error)}") from error
    if not master.startswith("sc://"):
        # the progress bar and our one error line, not the JVM's log (a failed task's is logged whole); --verbose
        # keeps its warnings
        spark.sparkContext.setLogLevel("WARN" if verbose else "FATAL")
    try:
        yield spark
    finally:
        spark.stop()


def has_jvm(spark: SparkSession) -> bool:
    """Whether the session is a classic one with a JVM in this process (a Spark Connect client has none)."""
    try:
        return spark.sparkContext._jvm is not None
    except Exception:  # Spark Connect: no SparkContext on the client
        return False
