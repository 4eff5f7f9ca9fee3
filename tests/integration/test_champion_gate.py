"""The champion gate compares on leads neither model saw, and says which leads it compared on."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from training.config import TrainConfig
from training.gate import FITTED_LEADS, lead_hashes
from training.synthetic import SyntheticFiles, write_synthetic
from training.train import TrainOutcome, train


@pytest.fixture(scope="module")
def leads(tmp_path_factory: pytest.TempPathFactory) -> tuple[SyntheticFiles, Path]:
    """6,000 synthetic leads, and a file of the oldest 4,000 of them."""
    files = write_synthetic(tmp_path_factory.mktemp("gate"), rows=6000, seed=11)
    table = pd.read_csv(files.leads, dtype=str, keep_default_na=False)
    older = files.leads.with_name("older.csv")
    table.sort_values("created_at", kind="stable").head(4000).to_csv(older, index=False)
    return files, older


def _train(data: Path, files: SyntheticFiles, name: str) -> TrainOutcome:
    return train(
        TrainConfig(
            data=data, schema_path=files.schema, model_name=name, folds=2, max_trials=1, progress=False
        )
    )


def test_every_run_records_the_leads_its_registered_model_was_fitted_on(mlflow_home: Path, leads) -> None:  # type: ignore[no-untyped-def]
    files, older = leads
    outcome = _train(older, files, "gate-record")
    path = mlflow.artifacts.download_artifacts(run_id=outcome.run_id, artifact_path=FITTED_LEADS)
    ids = pd.read_csv(older, dtype=str)["lead_id"]
    np.testing.assert_array_equal(np.load(path), lead_hashes(ids))  # every labelled lead, holdout included
    assert MlflowClient().get_run(outcome.run_id).data.params["registered_rows"] == "4000"


def test_a_newer_file_is_compared_on_the_holdout_leads_the_champion_never_saw(
    mlflow_home: Path, leads
) -> None:  # type: ignore[no-untyped-def]
    files, older = leads
    first = _train(older, files, "gate-newer")
    second = _train(files.leads, files, "gate-newer")
    assert first.registered.reason == "no champion yet"
    # the newest 1,200 leads: none was in the first file
    assert "on the 1200 holdout leads" in second.registered.reason
    assert "fitted on" not in second.registered.reason


def test_a_champion_that_saw_the_holdout_only_loses_its_place_to_a_challenger_that_still_matches_it(
    mlflow_home: Path, leads
) -> None:  # type: ignore[no-untyped-def]
    files, older = leads
    _train(files.leads, files, "gate-seen")  # the champion saw every lead, the next run's holdout included
    again = _train(older, files, "gate-seen")
    reason = again.registered.reason
    assert "of which champion v1 was fitted on" in reason and "flattered" in reason
    champion = MlflowClient().get_model_version_by_alias("gate-seen", "champion").version
    assert str(champion) == (again.registered.version if again.registered.promoted else "1")


def test_the_same_file_again_is_compared_by_the_holdout_numbers_both_runs_recorded(
    mlflow_home: Path, leads
) -> None:  # type: ignore[no-untyped-def]
    files, older = leads
    first = _train(older, files, "gate-same")
    again = _train(older, files, "gate-same")
    assert "the same holdout leads and outcomes (recorded by both runs)" in again.registered.reason
    assert (
        again.evaluation.metrics["roc_auc"] == first.evaluation.metrics["roc_auc"]
    )  # deterministic training
    assert again.registered.promoted
