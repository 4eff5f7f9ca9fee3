"""The command line: bad input ends with exit code 2 and one line naming the problem, and registers nothing."""

from __future__ import annotations

import shlex
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from leadscore.cli import app

runner = CliRunner()
SCHEMA = """\
id: lead_id
label: converted
numeric: [visits]
categorical: [source]
boolean: [demo]
"""


def _leads(rows: int = 200) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(rows)],
            "visits": [i % 17 for i in range(rows)],
            "source": ["web" if i % 3 else "event" for i in range(rows)],
            "demo": ["yes" if i % 4 == 0 else "no" for i in range(rows)],
            "converted": [int(i % 4 == 0 or i % 17 > 12) for i in range(rows)],
        }
    )


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    data, schema = tmp_path / "leads.csv", tmp_path / "schema.yaml"
    _leads().to_csv(data, index=False)
    schema.write_text(SCHEMA, encoding="utf-8")
    return data, schema


def _train(data: Path, schema: Path, model_name: str):  # type: ignore[no-untyped-def]
    args = ["train", "--data", str(data), "--schema", str(schema), "--model-name", model_name]
    return runner.invoke(app, args)


def _one_line_error(result, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def _nothing_registered(name: str) -> None:
    assert MlflowClient().search_registered_models(filter_string=f"name='{name}'") == []


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda df: df.rename(columns={"visits": "visit"}), ["'visits'", "did you mean 'visit'"]),
        (lambda df: df.drop(columns=["source"]), ["'source'", "not in the data"]),
        (lambda df: df.assign(converted=df["converted"].map({0: "no", 1: "yes"})), ["'converted'", "0/1"]),
        (lambda df: df.assign(converted=df["converted"] * 2), ["'converted'", "0/1"]),
        (lambda df: df.assign(converted=1), ["one class"]),
        (lambda df: df.assign(visits="lots"), ["'visits'", "numeric", "not numbers"]),
        (lambda df: df.head(0), ["no rows"]),
        (lambda df: df.assign(lead_id="L1"), ["'lead_id'", "repeats"]),
    ],
    ids=[
        "misspelled",
        "missing",
        "text-label",
        "label-2",
        "one-class",
        "text-numeric",
        "header-only",
        "dup-ids",
    ],
)
def test_bad_table_one_line_and_nothing_registered(mlflow_home: Path, files, mutate, words) -> None:  # type: ignore[no-untyped-def]
    data, schema = files
    mutate(pd.read_csv(data)).to_csv(data, index=False)
    name = f"bad-{abs(hash(tuple(words)))}"
    _one_line_error(_train(data, schema, name), *words)
    _nothing_registered(name)


def test_empty_file(mlflow_home: Path, files) -> None:  # type: ignore[no-untyped-def]
    data, schema = files
    data.write_bytes(b"")
    _one_line_error(_train(data, schema, "empty-file"), "empty")
    _nothing_registered("empty-file")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (SCHEMA + "colour: red\n", ["unknown key 'colour'"]),
        (
            SCHEMA.replace("categorical:", "categorial:"),
            ["unknown key 'categorial' (did you mean 'categorical'?)"],
        ),
        (SCHEMA.replace("boolean: [demo]", "boolean: [visits]"), ["named more than once", "'visits'"]),
        ("id: lead_id\nlabel: converted\n", ["no features"]),
        (SCHEMA + "groups: {fit: [country]}\n", ["groups.fit", "'country'"]),
        ("id: [unclosed\n", ["not valid YAML"]),
    ],
    ids=["unknown-key", "misspelled-key", "twice", "no-features", "bad-group", "not-yaml"],
)
def test_bad_schema_one_line(mlflow_home: Path, files, text: str, words: list[str]) -> None:  # type: ignore[no-untyped-def]
    data, schema = files
    schema.write_text(text, encoding="utf-8")
    _one_line_error(_train(data, schema, "bad-schema"), *words)
    _nothing_registered("bad-schema")


def test_missing_files_and_bad_flags(mlflow_home: Path, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data, schema = files
    _one_line_error(_train(tmp_path / "nope.csv", schema, "x"), "not found")
    _one_line_error(_train(data, tmp_path / "nope.yaml", "x"), "schema file not found")
    result = runner.invoke(
        app, ["train", "--data", str(data), "--schema", str(schema), "--holdout-fraction", "0.9"]
    )
    _one_line_error(result, "--holdout-fraction")


def test_train_then_score_round_trip(mlflow_home: Path, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data, schema = files
    result = _train(data, schema, "tiny")
    assert result.exit_code == 0, result.output
    assert "models:/tiny/1" in result.stdout and "promoted to @champion" in result.stdout
    out = tmp_path / "scored.parquet"
    result = runner.invoke(
        app, ["score", "--model", "models:/tiny@champion", "--data", str(data), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    scored = pd.read_parquet(out)
    assert list(scored.columns) == [
        "lead_id",
        "probability",
        "score",
        "grade",
        "reasons_positive",
        "reasons_negative",
    ]
    assert len(scored) == 200

    result = runner.invoke(
        app, ["score", "--model", "models:/tiny@champion", "--data", str(data), "--out", "x.xlsx"]
    )
    _one_line_error(result, ".csv or .parquet")
    result = runner.invoke(app, ["promote", "--model-name", "tiny", "--version", "9"])
    _one_line_error(result, "MLflow")


def test_champion_that_cannot_score_the_new_holdout_is_kept(mlflow_home: Path, files) -> None:  # type: ignore[no-untyped-def]
    data, schema = files
    assert _train(data, schema, "kept").exit_code == 0
    newer = pd.read_csv(data).drop(columns=["source"])  # new leads, without a column the champion needs
    newer.assign(lead_id="new-" + newer["lead_id"].astype(str)).to_csv(data, index=False)
    schema.write_text(SCHEMA.replace("categorical: [source]\n", ""), encoding="utf-8")
    result = _train(data, schema, "kept")
    assert result.exit_code == 0, result.output
    assert (
        "not promoted: champion v1 cannot score this holdout (the holdout has no column 'source')"
        in result.stdout
    )
    assert str(MlflowClient().get_model_version_by_alias("kept", "champion").version) == "1"


def test_leaky_feature_refused_then_allowed(mlflow_home: Path, files) -> None:  # type: ignore[no-untyped-def]
    data, schema = files
    leads = pd.read_csv(data)
    leads.assign(stage=leads["converted"].map({1: "Closed Won", 0: "Closed Lost"})).to_csv(data, index=False)
    schema.write_text(
        SCHEMA.replace("categorical: [source]", "categorical: [source, stage]"), encoding="utf-8"
    )
    _one_line_error(_train(data, schema, "leaky"), "'stage'", "alone predicts", "--allow-leaky")
    _nothing_registered("leaky")
    allowed = runner.invoke(
        app, ["train", "--data", str(data), "--schema", str(schema), "--model-name", "leaky", "--allow-leaky"]
    )
    assert allowed.exit_code == 0, allowed.output
    version = MlflowClient().get_model_version_by_alias("leaky", "champion")
    tags = MlflowClient().get_run(version.run_id).data.tags
    assert "'stage' alone reaches ROC AUC" in tags["leakage_warnings"]


def test_parquet_with_status_label_mapping_and_timestamp(mlflow_home: Path, tmp_path: Path) -> None:
    leads = _leads(300)
    status = leads["converted"].map({1: "Won", 0: "Lost"}).where(leads.index % 10 != 0, "Open")
    leads = leads.drop(columns=["converted"]).assign(
        status=status, created=pd.date_range("2025-01-01", periods=300, freq="D").astype(str)
    )
    data = tmp_path / "leads.parquet"
    leads.to_parquet(data, index=False)
    schema = tmp_path / "schema.yaml"
    schema.write_text(
        SCHEMA.replace("label: converted", "label: {column: status, positive: [Won], negative: [Lost]}")
        + "timestamp: created\n",
        encoding="utf-8",
    )
    result = _train(data, schema, "mapped")
    assert result.exit_code == 0, result.output
    assert "holdout (time, 54 leads)" in result.stdout  # 270 labelled leads ("Open" is not), newest 20%


def test_if_changed_leaves_an_unchanged_champion_alone(mlflow_home: Path, files) -> None:  # type: ignore[no-untyped-def]
    data, schema = files
    assert _train(data, schema, "same").exit_code == 0
    again = runner.invoke(
        app,
        ["train", "--data", str(data), "--schema", str(schema), "--model-name", "same", "--if-changed"],
    )
    assert again.exit_code == 0, again.output
    assert "unchanged: same version 1 (@champion)" in again.stdout
    versions = MlflowClient().search_model_versions("name='same'")
    assert [str(v.version) for v in versions] == ["1"]

    schema.write_text(SCHEMA + "na_values: ['?']\n", encoding="utf-8")  # another schema: trains
    changed = runner.invoke(
        app,
        ["train", "--data", str(data), "--schema", str(schema), "--model-name", "same", "--if-changed"],
    )
    assert changed.exit_code == 0, changed.output
    assert "unchanged" not in changed.stdout and "models:/same/2" in changed.stdout


def test_the_mlproject_train_entry_point_maps_onto_the_flags_and_the_logged_params(
    mlflow_home: Path, files: tuple[Path, Path]
) -> None:
    from mlflow.projects._project_spec import load_project

    data, schema = files
    project = load_project(str(Path(__file__).parents[2]))
    params = {
        "data": str(data),
        "schema": str(schema),
        "model_name": "mlproject-train",
        "holdout_fraction": 0.25,
        "folds": 2,
        "budget_seconds": 2.5,
        "max_trials": 1,
    }
    args = shlex.split(project.get_entry_point("train").compute_command(params, storage_dir=""))
    assert args[:2] == ["leadscore", "train"]
    result = runner.invoke(app, args[1:])
    assert result.exit_code == 0, result.output
    version = MlflowClient().get_model_version_by_alias("mlproject-train", "champion")
    logged = MlflowClient().get_run(version.run_id).data.params
    expected = {"holdout_fraction": "0.25", "folds": "2", "budget_seconds": "2.5", "max_trials": "1"}
    assert {k: logged[k] for k in expected} == expected
