"""`leadscore train` on messy files: each problem handled with a warning, or one error line and nothing registered.

A model is registered only after it was loaded back from MLflow and scored its own input example as trained.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

import training.register
from features.model import Calibration, LeadModel
from features.model_files import ARTIFACT, write_model
from leadscore.cli import app
from training.register import RegistrationError, input_example, log_and_register

runner = CliRunner()
MESSY = "robust-messy"
CITIES = ["Bogotá", "Zürich", "São Paulo", "Köln"]
SCHEMA = """\
id: lead_id
label: {column: stage, positive: [Won], negative: [Lost]}
numeric: [visits, budget]
boolean: [demo, newsletter]
categorical: [city, region, cookie]
na_values: [Select]
groups: {fit: [city, region], engagement: [visits, demo, newsletter]}
"""
PLAIN_SCHEMA = "id: lead_id\nlabel: converted\nnumeric: [visits]\ncategorical: [city]\n"


def leads(rows: int, seed: int = 0) -> pd.DataFrame:
    """Leads whose conversion follows visits, demo and city; stages spelled carelessly, a few still open."""
    rng = np.random.default_rng(seed)
    visits = rng.poisson(4, rows)
    demo = rng.random(rows) < 0.3
    city = rng.choice(CITIES, rows)
    logit = -2.0 + 0.25 * visits + 1.2 * demo + 0.9 * (city == "Zürich")
    won = rng.random(rows) < 1 / (1 + np.exp(-logit))
    stage = np.where(won, rng.choice(["Won", "won ", "WON"], rows), rng.choice(["Lost", " lost"], rows))
    stage = np.where(rng.random(rows) < 0.04, rng.choice(["Open", "maybe"], rows), stage)
    return pd.DataFrame(
        {
            "lead_id": [f"L{i:05d}" for i in range(rows)],
            "visits": visits,
            "budget": "",  # never filled in
            "demo": np.where(demo, "yes", "no"),
            "newsletter": "",
            "city": city,
            "region": "Select",  # a placeholder everywhere
            "cookie": [f"{(i * 2654435761) % 2**32:08x}" for i in range(rows)],  # a different value per lead
            "stage": stage,
        }
    )


def write_messy(folder: Path, rows: int) -> tuple[Path, Path, pd.DataFrame]:
    """Windows-1252 text, 25 rows repeated exactly, and one short row (a lead with only its id and visits)."""
    table = leads(rows)
    text = pd.concat([table, table.iloc[100:125]]).to_csv(index=False, lineterminator="\r\n")
    data, schema = folder / "messy.csv", folder / "schema.yaml"
    data.write_bytes(text.encode("cp1252") + b"L99999,3\r\n")
    schema.write_text(SCHEMA, encoding="utf-8")
    return data, schema, table


def train(data: Path, schema: Path, name: str, *extra: str) -> Any:
    args = ["train", "--data", str(data), "--schema", str(schema), "--model-name", name]
    return runner.invoke(app, [*args, "--max-trials", "1", "--folds", "2", *extra])


def error_line(result: Any, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return str(lines[0])


def versions(name: str) -> list[str]:
    return [str(v.version) for v in MlflowClient().search_model_versions(f"name='{name}'")]


@pytest.fixture(scope="module")
def messy(mlflow_home: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, pd.DataFrame]:
    data, schema, table = write_messy(tmp_path_factory.mktemp("messy"), rows=1200)
    return train(data, schema, MESSY), table


def test_messy_file_trains_and_each_problem_is_named_on_the_run(messy) -> None:  # type: ignore[no-untyped-def]
    result, table = messy
    assert result.exit_code == 0, result.output
    assert f"registered {MESSY} version 1" in result.stdout
    client = MlflowClient()
    run = client.get_run(client.get_model_version(MESSY, "1").run_id)
    warnings = run.data.tags["data_warnings"]
    for expected in (
        "not UTF-8 (byte 0xf6 on line 2)",  # Köln
        "read as Windows-1252",
        "fewer fields than the header on 1 rows (line 1227 has 2 of 9)",
        "25 repeated rows (identical to an earlier row, e.g. lead 'L00100') kept once",
        "label 'stage': ",
        "'Open' (",
        "'maybe' (",
        "feature 'budget' has no usable value in any of the ",
        "feature 'newsletter' has no usable value",
        "feature 'region' has no usable value",
        "feature 'cookie' has ",
    ):
        assert expected in warnings, expected
    assert run.data.tags["ignored_features"] == "budget, newsletter, region"
    assert run.data.params["data_encoding"] == "cp1252"
    labelled = table["stage"].str.strip().str.lower().isin(["won", "lost"]).sum()
    assert run.data.params["labelled_rows"] == str(
        labelled
    )  # repeats kept once, open stages and the short row out
    assert run.data.params["rows"] == str(len(table) + 26)


def test_the_model_learned_accented_cities_pooled_the_id_like_column_and_ignores_empty_ones(messy) -> None:  # type: ignore[no-untyped-def]
    assert messy[0].exit_code == 0, messy[0].output
    pyfunc = mlflow.pyfunc.load_model(f"models:/{MESSY}@champion")
    model = pyfunc.unwrap_python_model()
    assert isinstance(model, LeadModel)
    assert model.encoder.categories_["city"] == sorted(CITIES)
    assert model.encoder.categories_["cookie"] == []  # no value repeats: all pooled as "other"
    assert model.schema.features == ["visits", "demo", "city", "cookie"]
    assert set(model.schema.drop) == {"budget", "newsletter", "region"}
    lead = {"lead_id": "N1", "visits": 6.0, "demo": "yes", "city": "Zürich", "cookie": "new-visitor"}
    filled = {**lead, "budget": 5000.0, "newsletter": "yes", "region": "North"}
    bare = pyfunc.predict(pd.DataFrame([lead]))["probability"].iloc[0]
    assert 0 < bare < 1
    assert model.score_frame(pd.DataFrame([filled]))["probability"].iloc[0] == bare  # ignored columns


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (
            b"lead_id,visits,city,converted\n1,2,Lima,0\n2,3,Lima, Peru,1\n",
            ["line 3 has 5 fields", "header has 4"],
        ),
        (
            b'lead_id,visits,city,converted\n1,2,"Lima,0\n2,3,Quito,1\n',
            ["quote opened on line 2 is never closed"],
        ),
        (bytes(range(256)) * 8, ["not a CSV text file"]),
        (b"", ["the file is empty"]),
        (b"lead_id,visits,city,converted\r\n", ["the file has no rows"]),
        (b"PK\x03\x04" + bytes(300), ["Excel .xlsx workbook"]),
        (b"lead_id,visits,city,converted\n1,2,Bogot\x81,0\n", ["neither UTF-8 nor Windows-1252", "line 2"]),
        (b"lead_id,visits,city,visits\n1,2,Lima,0\n", ["column 'visits' twice"]),
    ],
    ids=["ragged", "unclosed-quote", "binary", "empty", "header-only", "xlsx", "not-text", "column-twice"],
)
def test_malformed_file_is_one_line_and_registers_nothing(
    mlflow_home: Path, tmp_path: Path, content: bytes, words: list[str]
) -> None:
    data, schema = tmp_path / "leads.csv", tmp_path / "schema.yaml"
    data.write_bytes(content)
    schema.write_text(PLAIN_SCHEMA, encoding="utf-8")
    line = error_line(train(data, schema, "robust-malformed"))
    assert str(data) in line
    for word in words:
        assert word in line, line
    assert versions("robust-malformed") == []


@pytest.mark.parametrize(
    ("labels", "words"),
    [
        (["yes", "no"], ["'converted' must hold 0/1", "'no' (100), 'yes' (100)", "positive: [...]"]),
        (["Won", "Lost", "1", "0"], ["'Lost' (50), 'Won' (50)"]),
        (["1", "0", "maybe", "1"], ["found 'maybe' (50);"]),
    ],
    ids=["yes-no", "won-lost", "junk"],
)
def test_text_in_a_plain_label_is_one_line_naming_the_values(
    mlflow_home: Path, tmp_path: Path, labels: list[str], words: list[str]
) -> None:
    data, schema = tmp_path / "leads.csv", tmp_path / "schema.yaml"
    table = leads(200).rename(columns={"stage": "converted"})
    table.assign(converted=[labels[i % len(labels)] for i in range(200)]).to_csv(data, index=False)
    schema.write_text(PLAIN_SCHEMA, encoding="utf-8")
    line = error_line(train(data, schema, "robust-label"))
    for word in words:
        assert word in line, line
    assert versions("robust-label") == []


def test_one_lead_id_with_different_rows_is_one_line(mlflow_home: Path, tmp_path: Path) -> None:
    data, schema = tmp_path / "leads.csv", tmp_path / "schema.yaml"
    table = leads(300).rename(columns={"stage": "converted"}).assign(converted=[i % 2 for i in range(300)])
    table.loc[[7, 8, 9], "lead_id"] = "L00042"
    table.to_csv(data, index=False)
    schema.write_text(PLAIN_SCHEMA, encoding="utf-8")
    line = error_line(train(data, schema, "robust-ids"))
    assert line == (
        "error: id column 'lead_id' repeats 1 ids with different values (e.g. 'L00042', which differs in "
        "'visits'); keep one row per lead"
    )
    assert versions("robust-ids") == []


# ---- registered only after loading back ----


def test_a_corrupt_artifact_registers_nothing_and_keeps_the_champion(
    messy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    assert messy[0].exit_code == 0, messy[0].output
    log_model = mlflow.pyfunc.log_model

    def log_then_truncate(*args: Any, **kwargs: Any) -> Any:
        info = log_model(*args, **kwargs)
        location = MlflowClient().get_logged_model(info.model_id).artifact_location
        stored = Path(location.removeprefix("file://")) / "artifacts" / ARTIFACT / "model.json"
        stored.write_bytes(stored.read_bytes()[:100])
        return info

    monkeypatch.setattr(mlflow.pyfunc, "log_model", log_then_truncate)
    data, schema, _ = write_messy(tmp_path, rows=300)
    line = error_line(train(data, schema, MESSY))
    assert "the logged model does not load back (" in line
    assert "; nothing registered (run " in line
    assert versions(MESSY) == ["1"]
    assert str(MlflowClient().get_model_version_by_alias(MESSY, "champion").version) == "1"
    run_id = line.rsplit("(run ", 1)[1].rstrip(")")
    assert MlflowClient().get_run(run_id).info.status == "FAILED"


def _perturbed(change: dict[str, Any]):  # type: ignore[no-untyped-def]
    """A writer that stores the model with some attributes changed: the artifact differs from memory."""

    def write(model: LeadModel, folder: Path) -> Path:
        changed = copy.copy(model)
        changed.__dict__.update(change)
        return write_model(changed, folder)

    return write


def _raise(*args: Any, **kwargs: Any) -> Any:
    raise ValueError("scorer exploded\nsecond line of detail")


@pytest.mark.parametrize(
    ("target", "attribute", "value", "words"),
    [
        (
            training.register,
            "write_model",
            _perturbed({"calibration": Calibration(1.0, 0.5)}),
            ["differently", "by up to"],
        ),
        (
            training.register,
            "write_model",
            _perturbed({"calibration": Calibration(float("nan"))}),
            ["not in [0, 1]", "nan"],
        ),
        (LeadModel, "predict", _raise, ["cannot score its input example (scorer exploded)"]),
    ],
    ids=["differs", "nan", "raises"],
)
def test_a_model_that_scores_wrong_once_reloaded_is_not_registered(
    messy,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    target: Any,
    attribute: str,
    value: Any,
    words: list[str],
) -> None:  # type: ignore[no-untyped-def]
    assert messy[0].exit_code == 0, messy[0].output
    model = mlflow.pyfunc.load_model(f"models:/{MESSY}/1").unwrap_python_model()
    example = input_example(model, messy[1].head(5))
    name = f"robust-reload-{request.node.callspec.id}"
    monkeypatch.setattr(target, attribute, value)
    with mlflow.start_run(), pytest.raises(RegistrationError) as caught:
        log_and_register(model, example, name)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message
    assert versions(name) == []
    monkeypatch.undo()
    with mlflow.start_run():
        assert log_and_register(model, example, name) == "1"  # the same model, left alone, registers


# ---- how errors reach the terminal ----


def test_an_unexpected_failure_is_one_line_with_exit_code_1(
    mlflow_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import training.train

    monkeypatch.setattr(training.train, "train_model", _raise)
    data, schema, _ = write_messy(tmp_path, rows=300)
    line = error_line(train(data, schema, "robust-unexpected"), code=1)
    assert line == "error: unexpected ValueError: scorer exploded (run with --verbose for the traceback)"
    assert versions("robust-unexpected") == []


def test_the_installed_command_prints_one_line_and_no_traceback(mlflow_home: Path, tmp_path: Path) -> None:
    data, schema = tmp_path / "leads.csv", tmp_path / "schema.yaml"
    data.write_bytes(b'lead_id,visits,city,converted\n1,2,"Lima,0\n')
    schema.write_text(PLAIN_SCHEMA, encoding="utf-8")
    command = [
        str(Path(sys.executable).parent / "leadscore"),
        "train",
        "--data",
        str(data),
        "--schema",
        str(schema),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=os.environ.copy(), check=False
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"error: {data}: malformed CSV (the quote opened on line 2 is never closed)\n"
