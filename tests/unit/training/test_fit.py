"""Fitting end to end on small tables: every family serves through the fast row path, cold start, search logging."""

from __future__ import annotations

import logging
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from features.model import LeadModel
from leadscore.synthetic import generate_leads, synthetic_schema
from training.fit import FitResult, fit_model


def _leads(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    table, _ = generate_leads(rows, seed=seed)
    table = table.astype(object).where(table.notna(), None)
    return table, table["converted"].astype(int).to_numpy(), pd.to_datetime(table["created_at"])


@pytest.fixture(scope="module")
def small() -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    return _leads(2500, seed=3)


@pytest.fixture(scope="module")
def every_family(small) -> FitResult:  # type: ignore[no-untyped-def]
    return _fit(small, ALL)


ALL = ("lightgbm", "logistic", "naive_bayes")


def _fit(small, families: tuple[str, ...], **kwargs) -> FitResult:  # type: ignore[no-untyped-def]
    frame, y, stamps = small
    options = {"folds": 2, "max_trials": 1, "progress": False, **kwargs}
    return fit_model(frame, y, stamps, synthetic_schema(), families=families, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("families", [("lightgbm",), ("logistic",), ("naive_bayes",), ALL])
def test_every_family_scores_records_and_frames_alike_and_its_impacts_add_up(
    small, every_family, families
) -> None:  # type: ignore[no-untyped-def]
    model = every_family.model if families == ALL else _fit(small, families).model
    frame = small[0].head(300)
    scored = model.score(frame.to_dict("records"), reasons=True)
    np.testing.assert_array_equal(scored.probability, model.score_frame(frame)["probability"].to_numpy())
    assert scored.reasons == model.score(frame, reasons=True).reasons
    # the impacts, the baseline and the calibration intercept add up to the calibrated log-odds
    impacts = model.contributions(frame).to_numpy()
    _, baseline = model.scorer.explain(model.matrix(frame))
    logit = np.log(scored.probability / (1 - scored.probability))
    total = baseline * model.calibration.slope + model.calibration.intercept + impacts.sum(axis=1)
    np.testing.assert_allclose(total, logit, atol=1e-6)
    assert scored.reasons is not None and (scored.reasons[0]["positive"] or scored.reasons[0]["negative"])


def test_selection_is_recorded_for_the_report(every_family: FitResult) -> None:
    info = every_family.model.info
    assert info["family"] in {"lightgbm", "logistic", "naive_bayes"} or info["family"].startswith("blend:")
    assert info["family"] == every_family.model.family
    assert set(info["selection"]) >= {"lightgbm", "logistic", "naive_bayes", info["family"]}
    for metrics in info["selection"].values():
        assert 0.5 < metrics["cv_roc_auc"] <= 1.0 and metrics["cv_log_loss"] > 0.0
    assert (
        isinstance(info["selection_reason"], str)
        and info["family"].split(":")[-1].split("+")[0] in info["selection_reason"]
    )
    assert "cold_start" not in info


def test_thin_data_falls_back_to_naive_bayes_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    frame, y, stamps = _leads(800, seed=4)
    with caplog.at_level(logging.WARNING):
        model: LeadModel = fit_model(frame, y, stamps, synthetic_schema(), folds=2, progress=False).model
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "800 labelled leads" in warnings[0] and "naive-Bayes" in warnings[0]
    assert model.family == "naive_bayes" and model.info["cold_start"] is True
    assert set(model.info["selection"]) == {"naive_bayes"}
    assert 0.0 < model.score(frame).probability.mean() < 1.0


def test_search_logs_each_trial_as_a_child_run(mlflow_home: Path, small) -> None:  # type: ignore[no-untyped-def]
    mlflow.set_experiment("search-trials")
    with mlflow.start_run() as parent:
        fit = _fit(small, ("lightgbm", "logistic"), max_trials=2)
    trials = fit.params["lightgbm_trials"] + fit.params["logistic_trials"]
    assert trials == 4  # the budget is counted in trials, never in seconds
    children = MlflowClient().search_runs(
        [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert len(children) == trials
    families = {run.data.params["family"] for run in children}
    assert families == {"lightgbm", "logistic"}
    assert all(0.5 < run.data.metrics["cv_roc_auc"] <= 1.0 for run in children)
