"""`leadscore rescore` on both backends: open leads get the new champion's score and a history row; closed ones stay."""

from __future__ import annotations

from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from small_models import registered_as, train_small
from sqlalchemy import select
from typer.testing import CliRunner

from features.tables import load_table
from leadscore.cli import app
from leadscore.synthetic import SyntheticFiles, write_synthetic
from serving.store import IncomingLead, LeadStore, OutcomeIn, ingest, record_outcome, score_history
from serving.store.tables import Lead
from training.register import set_champion
from training.train import TrainOutcome

MODEL = "rescore-leads"
REASONS = ["spam", "no budget"]
runner = CliRunner()
pytestmark = pytest.mark.slow  # two trainings, then both backends


@pytest.fixture(scope="module")
def versions(small_model, tmp_path_factory: pytest.TempPathFactory) -> tuple[TrainOutcome, TrainOutcome]:  # type: ignore[no-untyped-def]
    """Two different models: version 1 trained on one synthetic draw (seed 31), version 2 on another."""
    first = registered_as(small_model[1], MODEL)
    return first, train_small(tmp_path_factory.mktemp("rescore-32"), MODEL, seed=32)[1]


@pytest.fixture(scope="module")
def new_leads(tmp_path_factory: pytest.TempPathFactory) -> SyntheticFiles:
    files = write_synthetic(tmp_path_factory.mktemp("rescore-new"), rows=300, seed=33)
    table = load_table(files.leads).drop(columns=["converted", "lead_status"])
    table.to_csv(files.leads, index=False)
    return files


def run(*args: str) -> Any:
    return runner.invoke(app, [*args, "--model", f"models:/{MODEL}@champion", "--no-progress"])


def latest(store: LeadStore) -> pd.DataFrame:
    with store.transaction() as session:
        rows = session.execute(
            select(Lead.lead_id, Lead.status, Lead.probability, Lead.model_version).order_by(Lead.lead_id)
        ).all()
    return pd.DataFrame(rows, columns=["lead_id", "status", "probability", "model_version"]).set_index(
        "lead_id"
    )


def test_open_leads_get_the_new_champions_scores(
    versions: tuple[TrainOutcome, TrainOutcome], new_leads: SyntheticFiles, lead_store: LeadStore
) -> None:
    v1, v2 = (v.registered.version for v in versions)
    set_champion(MODEL, v1)
    assert run("ingest", "--data", str(new_leads.leads), "--database", lead_store.url).exit_code == 0
    ids = latest(lead_store).index.tolist()
    record_outcome(lead_store, ids[0], OutcomeIn("accepted"), reasons=REASONS)
    record_outcome(lead_store, ids[1], OutcomeIn("rejected", reason="spam"), reasons=REASONS)
    record_outcome(lead_store, ids[2], OutcomeIn("accepted"), reasons=REASONS)
    record_outcome(lead_store, ids[2], OutcomeIn("won"), reasons=REASONS)
    before = latest(lead_store)

    set_champion(MODEL, v2)
    result = run("rescore", "--database", lead_store.url)
    assert result.exit_code == 0, result.output
    assert f"rescored 298 of 298 open leads with {MODEL} version {v2}" in result.stdout
    after = latest(lead_store)
    pd.testing.assert_series_equal(after["status"], before["status"])  # status untouched
    closed = after.loc[[ids[1], ids[2]]]
    assert (closed["model_version"] == v1).all() and len(score_history(lead_store, ids[1])) == 1
    opened = after.drop([ids[1], ids[2]])
    assert (opened["model_version"] == v2).all()
    assert [s.model_version for s in score_history(lead_store, ids[0])] == [v1, v2]
    model = mlflow.pyfunc.load_model(f"models:/{MODEL}/{v2}").unwrap_python_model()
    expected = model.score_frame(load_table(new_leads.leads)).set_index("lead_id")["probability"]
    assert np.allclose(opened["probability"], expected.loc[opened.index], rtol=0, atol=1e-12)
    assert not np.allclose(opened["probability"], before.loc[opened.index, "probability"])
    changed = int(result.stdout.split("grade changed for ")[1].split()[0].replace(",", ""))
    assert 0 < changed < 298


def test_a_payload_the_model_refuses_keeps_its_score_and_is_named(
    versions: tuple[TrainOutcome, TrainOutcome], lead_store: LeadStore
) -> None:
    scored = {"probability": 0.5, "score": 50, "grade": "C", "model_version": "old"}
    ingest(
        lead_store,
        [
            IncomingLead("good", {"lead_id": "good", "page_views": 3}, scored),
            IncomingLead("odd", {"lead_id": "odd", "page_views": "lots"}, scored),
        ],
    )
    result = run("rescore", "--database", lead_store.url)
    assert result.exit_code == 0, result.output
    assert "rescored 1 of 2 open leads" in result.stdout
    assert "kept the old score of 1 leads" in result.stdout and "lead 'odd': page_views" in result.stdout
    after = latest(lead_store)
    assert after.loc["odd", "model_version"] == "old" and after.loc["good", "model_version"] != "old"


def test_bad_database_or_model_is_one_line(
    versions: tuple[TrainOutcome, TrainOutcome], lead_store: LeadStore
) -> None:
    for args, words in (
        (["rescore", "--database", "postgresql+psycopg://postgres:pw@127.0.0.1:1/x"], ("unreachable",)),
        (["rescore", "--database", lead_store.url, "--model", "models:/nope@champion"], ("--model",)),
        (["rescore", "--database", "not a url"], ("--database",)),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(lines) == 1 and all(w in lines[0] for w in words), result.stderr
        assert "pw@" not in lines[0]
