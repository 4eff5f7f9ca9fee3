"""The champion gate compares on leads neither model saw, and says which leads it compared on."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from leadscore.synthetic import SyntheticFiles, write_synthetic
from training.config import TrainConfig
from training.gate import FITTED_LEADS, lead_hashes
from training.register import set_champion
from training.train import TrainOutcome, train

MODEL = "gate-leads"
pytestmark = pytest.mark.slow  # four trainings


@pytest.fixture(scope="module")
def leads(tmp_path_factory: pytest.TempPathFactory) -> tuple[SyntheticFiles, Path]:
    """6,000 synthetic leads, and a file of the oldest 4,000 of them."""
    files = write_synthetic(tmp_path_factory.mktemp("gate"), rows=6000, seed=11)
    table = pd.read_csv(files.leads, dtype=str, keep_default_na=False)
    older = files.leads.with_name("older.csv")
    table.sort_values("created_at", kind="stable").head(4000).to_csv(older, index=False)
    return files, older


def _train(data: Path, files: SyntheticFiles) -> TrainOutcome:
    return train(
        TrainConfig(
            data=data, schema_path=files.schema, model_name=MODEL, folds=2, max_trials=1, progress=False
        )
    )


@pytest.fixture(scope="module")
def runs(mlflow_home: Path, leads) -> dict[str, TrainOutcome]:  # type: ignore[no-untyped-def]
    """One model's history, each run a case of the gate (four trainings serve the four tests):
    first, the older file with no champion yet; same, the older file again; newer, the whole file against a
    champion fitted on the older one; seen, the older file against a champion (set by hand) fitted on every lead."""
    files, older = leads
    out = {"first": _train(older, files)}
    out["same"] = _train(older, files)
    out["newer"] = _train(files.leads, files)
    set_champion(MODEL, out["newer"].registered.version)
    out["seen"] = _train(older, files)
    return out


def test_every_run_records_the_leads_its_registered_model_was_fitted_on(runs, leads) -> None:  # type: ignore[no-untyped-def]
    _, older = leads
    outcome = runs["first"]
    path = mlflow.artifacts.download_artifacts(run_id=outcome.run_id, artifact_path=FITTED_LEADS)
    ids = pd.read_csv(older, dtype=str)["lead_id"]
    np.testing.assert_array_equal(np.load(path), lead_hashes(ids))  # every labelled lead, holdout included
    assert MlflowClient().get_run(outcome.run_id).data.params["registered_rows"] == "4000"


def test_a_newer_file_is_compared_on_the_holdout_leads_the_champion_never_saw(runs) -> None:  # type: ignore[no-untyped-def]
    first, champion, second = runs["first"], runs["same"], runs["newer"]
    assert first.registered.reason == "no champion yet"
    assert champion.registered.promoted  # fitted on the older file
    # the newest 1,200 leads: none was in the older file
    assert "on the 1200 holdout leads" in second.registered.reason
    assert "fitted on" not in second.registered.reason


def test_a_champion_that_saw_the_holdout_only_loses_its_place_to_a_challenger_that_still_matches_it(
    runs,
) -> None:  # type: ignore[no-untyped-def]
    champion, again = runs["newer"], runs["seen"]  # the champion saw every lead, this run's holdout included
    reason = again.registered.reason
    assert (
        f"of which champion v{champion.registered.version} was fitted on" in reason and "flattered" in reason
    )
    now = MlflowClient().get_model_version_by_alias(MODEL, "champion").version
    assert str(now) == (
        again.registered.version if again.registered.promoted else champion.registered.version
    )


def test_the_same_file_again_is_compared_by_the_holdout_numbers_both_runs_recorded(runs) -> None:  # type: ignore[no-untyped-def]
    first, again = runs["first"], runs["same"]
    assert "the same holdout leads and outcomes (recorded by both runs)" in again.registered.reason
    assert (
        again.evaluation.metrics["roc_auc"] == first.evaluation.metrics["roc_auc"]
    )  # deterministic training
    assert again.registered.promoted
