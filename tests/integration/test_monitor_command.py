"""`leadscore monitor` on both backends: the leads ingested this week against the champion's training leads.

Exit code 0 without alerts, 1 with (one line each), 2 on bad input (one `error:` line); --json is one object; --log
adds a run to the model's monitoring experiment.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from small_models import registered_as
from typer.testing import CliRunner

from leadscore.cli import app
from leadscore.synthetic import SyntheticFiles
from serving.store import LeadStore
from training.train import TrainOutcome

MODEL = "monitor-leads"
runner = CliRunner()


@pytest.fixture(scope="module")
def champion(small_model) -> tuple[SyntheticFiles, TrainOutcome]:  # type: ignore[no-untyped-def]
    files, trained = small_model
    return files, registered_as(trained, MODEL)


@pytest.fixture(scope="module")
def training_rows(champion: tuple[SyntheticFiles, TrainOutcome]) -> pd.DataFrame:
    """The champion's own training leads, as text (the file it was trained on)."""
    return pd.read_csv(champion[0].leads, dtype=str, keep_default_na=False)


def drawn_like_training(rows: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    return rows.sample(n, random_state=seed).reset_index(drop=True)


def shifted(rows: pd.DataFrame) -> pd.DataFrame:
    """Four times the page views, and most leads from referrals (their campaigns as they were)."""
    out = rows.copy()
    views = pd.to_numeric(out["page_views"], errors="coerce") * 4
    out["page_views"] = views.map(lambda v: "" if np.isnan(v) else str(int(v)))
    referral = np.random.default_rng(3).random(len(out)) < 0.6
    out.loc[referral, "lead_source"] = "referral"
    return out


def stored(store: LeadStore, rows: pd.DataFrame, folder: Path) -> None:
    """The leads ingested now through `leadscore ingest`, scored by the champion."""
    path = folder / "leads.csv"
    rows.to_csv(path, index=False)
    args = ["ingest", "--data", str(path), "--database", store.url, "--model", f"models:/{MODEL}@champion"]
    result = runner.invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 0, result.output


def monitor(store: LeadStore | str, *args: str) -> Any:
    url = store if isinstance(store, str) else store.url
    command = ["monitor", "--database", url, "--model", f"models:/{MODEL}@champion", "--no-progress"]
    return runner.invoke(app, [*command, *args])


def one_line_error(result: Any, *words: str) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_leads_drawn_like_training_pass(
    champion: tuple[SyntheticFiles, TrainOutcome],
    training_rows: pd.DataFrame,
    lead_store: LeadStore,
    tmp_path: Path,
) -> None:
    stored(lead_store, drawn_like_training(training_rows, 600, seed=1), tmp_path)
    result = monitor(lead_store)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    version = champion[1].registered.version
    assert (
        lines[0].startswith(f"{MODEL} version {version}: 600 leads arrived ")
        and "training had 3,000" in lines[0]
    )
    assert lines[1].split() == ["feature", "PSI", "band", "missing", "unseen", "moved", "most"]
    assert not any(line.startswith("alert:") for line in lines) and lines[-1] == "0 alerts"
    assert any(line.startswith("score ") and line.split()[-1] == "stable" for line in lines)

    body = json.loads(monitor(lead_store, "--json").stdout)
    assert {"features", "score_psi", "alerts", "window", "model", "leads"} <= set(body)
    assert body["model"] == {"name": MODEL, "version": version} and body["leads"] == 600
    assert body["alerts"] == [] and body["score_psi"] < 0.1
    assert len(body["features"]) == 15 and all(f["psi"] < 0.25 for f in body["features"])
    psi = [f["psi"] for f in body["features"]]
    assert psi == sorted(psi, reverse=True)


def test_a_shifted_number_and_source_mix_alert(
    champion: tuple[SyntheticFiles, TrainOutcome],
    training_rows: pd.DataFrame,
    lead_store: LeadStore,
    tmp_path: Path,
) -> None:
    stored(lead_store, shifted(drawn_like_training(training_rows, 600, seed=2)), tmp_path)
    result = monitor(lead_store)
    assert result.exit_code == 1, result.output
    alerts = [line for line in result.stdout.splitlines() if line.startswith("alert:")]
    body = json.loads(monitor(lead_store, "--json").stdout)
    expected = {("feature_psi", "page_views"), ("feature_psi", "lead_source")}
    if body["score_psi"] > 0.25:
        expected.add(("score_psi", "score"))
    assert {(a["metric"], a["subject"]) for a in body["alerts"]} == expected
    assert alerts == [f"alert: {a['message']}" for a in body["alerts"]]
    page_views = next(f for f in body["features"] if f["name"] == "page_views")
    assert f"alert: page_views: PSI {page_views['psi']:.3f} > 0.25 (alert band)" in alerts
    source = next(f for f in body["features"] if f["name"] == "lead_source")
    assert source["moved"][0]["bin"] == "referral" and source["moved"][0]["now"] > 0.6

    page = tmp_path / "monitor.html"
    assert monitor(lead_store, "--html", str(page)).exit_code == 1
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and "<title>Score monitor" in text
    embedded = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text, re.S)
    assert embedded is not None  # the page's own report, which it draws instead of calling the API
    data = json.loads(embedded.group(1))
    assert data["alerts"] == body["alerts"] and data["features"] == body["features"]
    assert (
        "src=" not in text and "href=" not in text
    )  # self-contained: nothing to fetch (the browser test opens it)
    one_line_error(
        monitor(lead_store, "--html", str(tmp_path / "no" / "such" / "x.html")), "--html: cannot write"
    )


def test_a_small_or_empty_window_raises_nothing(
    champion: tuple[SyntheticFiles, TrainOutcome],
    training_rows: pd.DataFrame,
    lead_store: LeadStore,
    tmp_path: Path,
) -> None:
    empty = monitor(lead_store)
    assert empty.exit_code == 0, empty.output
    assert "no leads in the window: nothing to compare" in empty.stdout
    body = json.loads(monitor(lead_store, "--json").stdout)
    assert (body["leads"], body["features"], body["score_psi"], body["alerts"]) == (0, [], None, [])

    stored(lead_store, shifted(drawn_like_training(training_rows, 120, seed=3)), tmp_path)
    small = monitor(lead_store)
    assert small.exit_code == 0, small.output
    assert "only 120 leads in the window (fewer than 200): no drift alert" in small.stdout
    past = monitor(lead_store, "--since", "2020-01-01", "--until", "2020-02-01", "--json")
    assert json.loads(past.stdout)["leads"] == 0


def test_bad_input_is_one_line(champion: tuple[SyntheticFiles, TrainOutcome], lead_store: LeadStore) -> None:
    one_line_error(monitor(lead_store, "--since", "last week"), "--since: not a date: 'last week'")
    one_line_error(
        monitor(lead_store, "--since", "2026-02-01", "--until", "2026-01-01"), "--until: must be after"
    )
    nothing = runner.invoke(
        app, ["monitor", "--database", lead_store.url, "--model", "models:/no-such@champion"]
    )
    one_line_error(nothing, "--model", "models:/no-such@champion")
    line = one_line_error(monitor("postgresql+psycopg://postgres:pw@127.0.0.1:1/x"), "unreachable")
    assert "pw" not in line


def test_a_model_trained_before_profiles_is_refused(
    champion: tuple[SyntheticFiles, TrainOutcome], lead_store: LeadStore
) -> None:
    from training.register import CHAMPION, input_example, log_and_register

    model = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion").unwrap_python_model()
    model.profile = None
    leads = pd.read_csv(champion[0].leads).head(5)
    with mlflow.start_run():
        version = log_and_register(model, input_example(model, leads), "unprofiled-leads")
    MlflowClient().set_registered_model_alias("unprofiled-leads", CHAMPION, version)
    result = runner.invoke(
        app, ["monitor", "--database", lead_store.url, "--model", "models:/unprofiled-leads@champion"]
    )
    one_line_error(result, f"unprofiled-leads version {version}", "no reference profile", "retrain it")


def test_each_logged_run_adds_to_the_models_monitoring_history(
    champion: tuple[SyntheticFiles, TrainOutcome],
    training_rows: pd.DataFrame,
    lead_store: LeadStore,
    tmp_path: Path,
) -> None:
    stored(lead_store, shifted(drawn_like_training(training_rows, 300, seed=4)), tmp_path)
    result = monitor(lead_store, "--log", "--json")
    assert result.exit_code == 1, result.output
    body = json.loads(result.stdout)
    run_id = next(
        line for line in result.stderr.splitlines() if line.startswith("logged to MLflow run ")
    ).split()[-1]
    run = MlflowClient().get_run(run_id)
    assert MlflowClient().get_experiment(run.info.experiment_id).name == f"{MODEL}-monitoring"
    assert run.data.tags["model_name"] == MODEL
    assert run.data.tags["model_version"] == champion[1].registered.version
    assert run.data.metrics["score_psi"] == body["score_psi"] and run.data.metrics["leads"] == 300
    assert run.data.metrics["psi/page_views"] == next(
        f["psi"] for f in body["features"] if f["name"] == "page_views"
    )
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/monitor.json") == body
