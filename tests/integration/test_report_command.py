"""The model report end to end: every training run logs it, and `leadscore report` writes it for a registry URI."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import mlflow
import pytest
from mlflow.entities.model_registry import ModelVersion
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from leadscore.cli import app
from leadscore.synthetic import write_synthetic
from training.config import TrainConfig
from training.report import HTML_ARTIFACT, MARKDOWN_ARTIFACT, collect
from training.report_render import to_html
from training.train import TrainOutcome, train

MODEL = "report-leads"
runner = CliRunner()


@pytest.fixture(scope="module")
def trained(mlflow_home: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainOutcome:
    files = write_synthetic(tmp_path_factory.mktemp("report-data"), rows=4_000, seed=3)
    return train(
        TrainConfig(
            data=files.leads, schema_path=files.schema, model_name=MODEL, progress=False, max_trials=2
        )
    )


def _embedded_pngs(page: str) -> list[bytes]:
    return [base64.b64decode(d) for d in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def test_every_training_run_logs_the_report(trained: TrainOutcome, tmp_path: Path) -> None:
    client = MlflowClient()
    page = Path(client.download_artifacts(trained.run_id, HTML_ARTIFACT, str(tmp_path))).read_text()
    markdown = Path(client.download_artifacts(trained.run_id, MARKDOWN_ARTIFACT, str(tmp_path))).read_text()
    metrics = trained.evaluation.metrics
    assert f"<td>{metrics['roc_auc']:.4f}</td>" in page
    assert f"| ROC AUC | {metrics['roc_auc']:.4f} |" in markdown
    assert f"{MODEL} version {trained.registered.version}" in page
    assert "@champion" in page  # the first version of a model is promoted before the report is made
    # the 7 holdout plots, calibration on its newest quarter, drift, and the training scores (Monitoring)
    assert len(_embedded_pngs(page)) == 10
    assert "![calibration](../plots/calibration.png)" in markdown
    assert "![calibration on the newest leads](../plots/calibration_newest.png)" in markdown
    assert "Which leads each number comes from" in page and "Drift at training time" in page
    assert {a.path for a in client.list_artifacts(trained.run_id, "plots")} >= {"plots/calibration.png"}


def test_report_command_writes_a_self_contained_page(trained: TrainOutcome, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "champion.html"
    result = runner.invoke(app, ["report", "--model", f"models:/{MODEL}@champion", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout
    page = out.read_text()
    assert trained.run_id in page
    assert "@champion" in page
    metrics = trained.evaluation.metrics
    for value in (f"{metrics['roc_auc']:.4f}", f"{metrics['brier']:.4f}", f"{metrics['ece']:.4f}"):
        assert f"<td>{value}</td>" in page, value
    assert "chosen family:" in page
    pngs = _embedded_pngs(page)
    assert len(pngs) == 10 and all(p.startswith(b"\x89PNG") for p in pngs)
    assert not re.search(r'(src|href)="(?!data:)', page)  # opens offline, mailed as one file


def test_report_by_version_number(trained: TrainOutcome, tmp_path: Path) -> None:
    out = tmp_path / "v.html"
    version = trained.registered.version
    result = runner.invoke(app, ["report", "--model", f"models:/{MODEL}/{version}", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{MODEL} version {version}" in out.read_text()


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("lead-scoring", ["--model", "expected models:/NAME@ALIAS"]),
        (f"models:/{MODEL}@nobody", ["has no alias @nobody"]),
        (f"models:/{MODEL}/999", ["has no version 999"]),
        ("models:/no-such-model@champion", ["'no-such-model'"]),
    ],
)
def test_bad_model_uri_is_one_line_error(
    trained: TrainOutcome, tmp_path: Path, uri: str, words: list[str]
) -> None:
    out = tmp_path / "never.html"
    result = runner.invoke(app, ["report", "--model", uri, "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert all(word in lines[0] for word in words), lines[0]
    assert not out.exists()


def test_out_must_be_html(trained: TrainOutcome, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["report", "--model", f"models:/{MODEL}@champion", "--out", str(tmp_path / "r.md")]
    )
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"error: --out {tmp_path / 'r.md'}: the report is HTML; use a .html file name"
    )


@pytest.fixture(scope="module")
def bare_version(mlflow_home: Path) -> ModelVersion:
    """A registered version whose run logged one metric and a tag, and no model, tables or plots."""
    mlflow.set_experiment("report-bare")
    with mlflow.start_run() as run:
        mlflow.log_metric("holdout_roc_auc", 0.8123)
        mlflow.set_tag("family", "logistic")
    client = MlflowClient()
    client.create_registered_model("report-bare")
    return client.create_model_version(
        "report-bare", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
    )


def test_a_run_without_artifacts_is_reported_from_what_it_has(bare_version: ModelVersion) -> None:
    inputs = collect(MlflowClient(), bare_version, model=None)
    assert inputs.tables == {} and inputs.plots == {}
    page = to_html(inputs)
    assert "<td>0.8123</td>" in page
    assert "chosen family: logistic" in page  # from the run's tag when the model records none
    assert page.count("was not logged by this run") == 8  # the drift plot too


def test_a_version_that_does_not_load_is_one_line_error(bare_version: ModelVersion, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["report", "--model", "models:/report-bare/1", "--out", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "models:/report-bare/1: version 1 does not load" in lines[0], result.stderr
