"""`leadscore score --engine spark`: the same answers as `leadscore score` and the API, partitions kept, and bad
input refused in one line with nothing written. One Spark session (local[2]) serves the whole file."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from small_models import registered_as
from typer.testing import CliRunner

from features.batch import load_lead_model, score_file
from leadscore import spark_scoring
from leadscore.cli import app
from leadscore.synthetic import write_synthetic
from serving.app import create_app
from serving.settings import Settings
from training.train import TrainOutcome

MODEL = "spark-leads"
URI = f"models:/{MODEL}@champion"
PARITY_LEADS = 10_000  # bench/spark.py checks 100,000 and more (--parity-rows); this keeps the test short
runner = CliRunner()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The one Spark session of the test run: local[2], no UI, few shuffle partitions, small file splits (so small
    files are scored in several partitions, as big ones are), this Python on the workers."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("leadscore tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.files.maxPartitionBytes", "500000")  # a 10,000-lead file in three partitions
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("FATAL")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def champion(small_model) -> TrainOutcome:  # type: ignore[no-untyped-def]
    return registered_as(small_model[1], MODEL)


@pytest.fixture(scope="module")
def new_leads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PARITY_LEADS new leads as a CRM exports them (another draw than the model's training leads)."""
    return write_synthetic(tmp_path_factory.mktemp("spark-leads"), rows=PARITY_LEADS, seed=77).leads


def score(*args: str) -> Any:
    return runner.invoke(app, ["score", "--model", URI, "--engine", "spark", "--master", "local[2]", *args])


def error_lines(result: Any) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def by_id(table: pa.Table) -> pa.Table:
    return table.sort_by("lead_id")


def test_spark_writes_what_leadscore_score_writes(
    spark: Any, champion: TrainOutcome, new_leads: Path, tmp_path: Path
) -> None:
    for name in ("scored.parquet", "scored.csv"):
        result = score("--data", str(new_leads), "--out", str(tmp_path / "spark" / name))
        assert result.exit_code == 0, result.output
        assert f"scored {PARITY_LEADS} leads" in result.stdout
        score_file(URI, new_leads, tmp_path / "one" / name, progress=False)
    # Parquet: the same schema (reasons as lists of structs) and the same values, bit for bit
    spark_table = pq.read_table(tmp_path / "spark" / "scored.parquet")
    one_table = pq.read_table(tmp_path / "one" / "scored.parquet")
    assert spark_table.schema.remove_metadata() == one_table.schema.remove_metadata()
    assert by_id(spark_table).equals(by_id(one_table))
    # CSV: the reasons as JSON text; numbers read back to the same floats
    parts = sorted((tmp_path / "spark" / "scored.csv").glob("part-*.csv"))
    spark_csv = pd.concat([pd.read_csv(part, dtype={"lead_id": str}) for part in parts], ignore_index=True)
    one_csv = pd.read_csv(tmp_path / "one" / "scored.csv", dtype={"lead_id": str})
    pd.testing.assert_frame_equal(
        spark_csv.sort_values("lead_id", ignore_index=True), one_csv.sort_values("lead_id", ignore_index=True)
    )
    # Spark wrote part files (one per partition), nothing left beside them
    assert len(list((tmp_path / "spark" / "scored.parquet").glob("part-*.parquet"))) >= 2
    assert sorted(p.name for p in (tmp_path / "spark").iterdir()) == ["scored.csv", "scored.parquet"]


def test_the_api_gives_the_spark_answers(
    spark: Any, champion: TrainOutcome, new_leads: Path, tmp_path: Path
) -> None:
    sample = pd.read_csv(new_leads, dtype=str, keep_default_na=False, nrows=300)
    sample.to_csv(tmp_path / "sample.csv", index=False)
    assert score("--data", str(tmp_path / "sample.csv"), "--out", str(tmp_path / "scored.csv")).exit_code == 0
    parts = sorted((tmp_path / "scored.csv").glob("part-*.csv"))
    by_spark = pd.concat([pd.read_csv(p, dtype={"lead_id": str}) for p in parts]).set_index("lead_id")
    leads = [{k: v for k, v in lead.items() if v != ""} for lead in sample.to_dict("records")]
    settings = Settings(model_uri=URI, watch_seconds=0, max_batch=500)
    with TestClient(create_app(settings)) as client:
        by_api = client.post("/v1/score/batch", json={"leads": leads}).json()["scores"]
    assert len(by_api) == len(by_spark) == 300
    for api in by_api:
        row = by_spark.loc[api["lead_id"]]
        assert (api["probability"], api["score"], api["grade"]) == (
            row["probability"],
            row["score"],
            row["grade"],
        )
        for side in ("positive", "negative"):
            assert api["reasons"][side] == json.loads(row[f"reasons_{side}"])
        for group in ("fit", "engagement"):
            assert [api[group][part] for part in ("probability", "score", "impact")] == [
                row[f"{group}_{part}"] for part in ("probability", "score", "impact")
            ]


def test_a_partitioned_folder_is_scored_into_the_same_partitions(
    spark: Any, champion: TrainOutcome, new_leads: Path, tmp_path: Path
) -> None:
    leads = pd.read_csv(new_leads, dtype=str, keep_default_na=False, nrows=2000)
    leads["month"] = leads["created_at"].str[:7]
    folder = tmp_path / "leads"
    for month, part in leads.groupby("month"):
        (folder / f"month={month}").mkdir(parents=True)
        part.drop(columns="month").to_parquet(folder / f"month={month}" / "part-0.parquet", index=False)
    result = score("--data", str(folder), "--out", str(tmp_path / "scored.parquet"), "--no-reasons")
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "scored.parquet").iterdir() if p.is_dir())
    assert written == sorted(f"month={m}" for m in leads["month"].unique())
    scored = pd.read_parquet(tmp_path / "scored.parquet")
    assert list(scored.columns) == ["lead_id", "probability", "score", "grade", "month"]
    months = dict(zip(leads["lead_id"], leads["month"], strict=True))
    assert len(scored) == 2000 and all(
        months[i] == m for i, m in zip(scored["lead_id"], scored["month"], strict=True)
    )
    expected = load_lead_model(URI).score_frame(leads.drop(columns="month")).set_index("lead_id")
    got = scored.set_index("lead_id").loc[expected.index, ["probability", "score", "grade"]]
    pd.testing.assert_frame_equal(got, expected)


def test_absent_feature_columns_are_named_and_a_file_with_none_refused(
    spark: Any, champion: TrainOutcome, new_leads: Path, tmp_path: Path
) -> None:
    leads = pd.read_csv(new_leads, dtype=str, keep_default_na=False, nrows=500)
    leads.drop(columns=["email_opens", "country"]).to_csv(tmp_path / "export.csv", index=False)
    result = score("--data", str(tmp_path / "export.csv"), "--out", str(tmp_path / "scored.csv"))
    assert result.exit_code == 0, result.output
    [warning] = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warning == (
        f"warning: {tmp_path / 'export.csv'} lacks 2 of the model's 15 feature columns: 'email_opens', 'country'; "
        "all 500 leads are scored as if those were missing (--strict refuses such a file)"
    )

    leads[["lead_id", "converted"]].to_csv(tmp_path / "outcomes.csv", index=False)
    result = score("--data", str(tmp_path / "outcomes.csv"), "--out", str(tmp_path / "none.csv"))
    assert result.exit_code == 2, result.output
    [error] = error_lines(result)
    assert error.startswith(f"error: {tmp_path / 'outcomes.csv'} has none of the model's 15 feature columns")
    assert not (tmp_path / "none.csv").exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_bad_input_is_one_line_exit_2_and_leaves_the_old_answer(
    spark: Any, champion: TrainOutcome, new_leads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "scored.parquet"
    out.mkdir()
    (out / "yesterday.parquet").write_text("yesterday's answer")
    port = free_port()
    cases = {
        "no such path": (
            ["--data", str(tmp_path / "missing.csv")],
            f"data not found: {tmp_path / 'missing.csv'}",
        ),
        "unreachable master": (
            ["--data", str(new_leads), "--master", f"spark://127.0.0.1:{port}"],
            f"--master spark://127.0.0.1:{port}: cannot connect (Connection refused)",
        ),
        "bad --conf": (
            ["--data", str(new_leads), "--conf", "spark.executor.memory"],
            "--conf 'spark.executor.memory'",
        ),
    }
    for case, (args, words) in cases.items():
        result = score("--out", str(out), *args)
        assert result.exit_code == 2, (case, result.output)
        [error] = error_lines(result)
        assert error.startswith(f"error: {words}"), (case, error)
    # no Java: one line saying what to install
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    result = score("--data", str(new_leads), "--out", str(out))
    assert result.exit_code == 2, result.output
    [error] = error_lines(result)
    assert error.startswith(
        f"error: --engine spark needs Java 17 or newer (JAVA_HOME={tmp_path / 'no-java'})"
    )
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scored.parquet"]
    assert [p.name for p in out.iterdir()] == ["yesterday.parquet"]


def test_a_conf_value_spark_refuses_is_its_reason_in_one_line(new_leads: Path, tmp_path: Path) -> None:
    leadscore = str(Path(sys.executable).parent / "leadscore")
    out = str(tmp_path / "scored.parquet")
    command = [
        leadscore,
        "score",
        "--model",
        URI,
        "--data",
        str(new_leads),
        "--out",
        out,
        "--engine",
        "spark",
    ]
    done = subprocess.run(  # a process of its own, whose JVM this command starts (the tests' session is running here)
        [*command, "--master", "local[1]", "--conf", "spark.executor.memory=lots"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "error: --master local[1]: Spark did not start: Executor memory must be a positive number"
    ]
    assert list(tmp_path.iterdir()) == []


def test_a_process_with_spark_running_starts_no_second_jvm(spark: Any) -> None:
    from leadscore.spark_session import _starts_jvm

    assert spark.sparkContext is not None and not _starts_jvm("local[2]")


def test_a_failed_job_leaves_the_old_answer_and_no_partial_folder(
    spark: Any, champion: TrainOutcome, new_leads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "scored.csv"
    out.mkdir()
    (out / "part-0.csv").write_text("yesterday's answer\n")
    # the executors look for a model archive that was never shipped: every task fails
    shipped = spark_scoring._model_for

    def nowhere(spark: Any, uri: str) -> tuple[str, str]:
        return shipped(spark, uri)[0], str(tmp_path / "nowhere.zip")

    monkeypatch.setattr(spark_scoring, "_model_for", nowhere)
    result = score("--data", str(new_leads), "--out", str(out))
    assert result.exit_code == 1, result.output
    [error] = error_lines(result)
    assert error.startswith("error: the Spark job failed: ") and "nowhere.zip" in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scored.csv"]
    assert (out / "part-0.csv").read_text() == "yesterday's answer\n"
