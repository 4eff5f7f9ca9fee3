"""The registered model: judged on the holdout by a fit that never saw it, then refit on every labelled lead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.synthetic import generate_leads, synthetic_schema
from training.candidates import LOGISTIC_DEFAULTS
from training.crossval import kinds_of, prepare_folds
from training.fit import build_preprocessor
from training.pipeline import Trained, train_model
from training.recency import choose_recency
from training.split import cv_folds

NEW_SOURCE = "partner webinar"  # a lead source that only the newest leads (the holdout) come from


def _leads(rows: int, seed: int, drift: str = "none") -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    table, _ = generate_leads(rows, seed=seed, drift=drift)
    table = table.astype(object).where(table.notna(), None)
    return table, table["converted"].astype(int).to_numpy(), pd.to_datetime(table["created_at"])


@pytest.fixture(scope="module")
def newest_source() -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """3,000 leads; among the newest fifth, a new source whose leads nearly all convert."""
    frame, y, stamps = _leads(3000, seed=5)
    newest = np.flatnonzero(stamps.rank(method="first") > 0.8 * len(stamps))[::3]
    frame.loc[newest, "lead_source"] = NEW_SOURCE
    y = y.copy()
    y[newest] = np.where(np.arange(len(newest)) % 10 == 0, 0, 1)
    frame["converted"] = y
    return frame, y, stamps


@pytest.fixture(scope="module")
def trained(newest_source) -> Trained:  # type: ignore[no-untyped-def]
    frame, y, stamps = newest_source
    return train_model(frame, y, stamps, synthetic_schema(), folds=2, max_trials=1, progress=False)


def test_the_holdout_is_the_newest_leads_and_the_registered_model_is_fitted_on_all(
    trained: Trained, newest_source
) -> None:  # type: ignore[no-untyped-def]
    _, y, stamps = newest_source
    assert trained.split == "time"
    assert stamps.iloc[trained.holdout_rows].min() >= stamps.iloc[trained.train_rows].max()
    info = trained.model.info
    assert info["trained_rows"] == len(y) == len(trained.train_rows) + len(trained.holdout_rows)
    assert info["holdout_rows"] == len(trained.holdout_rows)
    assert info["calibration_rows"] == len(trained.fit.oof_rows) + len(trained.holdout_rows)
    assert trained.model.family == trained.fit.model.family  # the same choice, refit


def test_leads_only_the_holdout_knew_reach_the_registered_model(trained: Trained, newest_source) -> None:  # type: ignore[no-untyped-def]
    frame, _, _ = newest_source
    new = frame[frame["lead_source"] == NEW_SOURCE]
    assert (
        NEW_SOURCE not in trained.fit.model.encoder.categories_["lead_source"]
    )  # never seen before the refit
    assert NEW_SOURCE in trained.model.encoder.categories_["lead_source"]
    before = trained.fit.model.score(new).probability.mean()
    after = trained.model.score(new).probability.mean()
    assert after > before + 0.1  # the refit learned that these leads convert


def test_the_holdout_scores_come_from_the_fit_that_never_saw_them(trained: Trained, newest_source) -> None:  # type: ignore[no-untyped-def]
    frame, _, _ = newest_source
    holdout = frame.iloc[trained.holdout_rows].reset_index(drop=True)
    np.testing.assert_array_equal(trained.holdout_probability, trained.fit.model.score(holdout).probability)
    assert not np.array_equal(trained.holdout_probability, trained.model.score(holdout).probability)


def test_same_data_and_seed_give_bit_identical_probabilities(trained: Trained, newest_source) -> None:  # type: ignore[no-untyped-def]
    frame, y, stamps = newest_source
    again = train_model(frame, y, stamps, synthetic_schema(), folds=2, max_trials=1, progress=False)
    np.testing.assert_array_equal(
        again.model.score(frame).probability, trained.model.score(frame).probability
    )


@pytest.mark.parametrize(("drift", "weighted"), [("strong", True), ("none", False)])
def test_recent_leads_count_more_only_when_that_forecasts_the_newest_leads_better(
    drift: str, weighted: bool
) -> None:
    frame, y, stamps = _leads(20_000, seed=0, drift=drift)
    schema = synthetic_schema()
    splits, in_time = cv_folds(y, stamps, 4, 0)
    assert in_time
    folds = prepare_folds(frame, splits, lambda rows: build_preprocessor(schema, rows), [1.0, 2.0, 3.0, 4.0])
    recency = choose_recency(folds, y, kinds_of(schema), stamps, LOGISTIC_DEFAULTS, 0, 1)
    assert (recency.half_life_days is not None) == weighted, recency.reason
    assert set(recency.table) == {"none", *[k for k in recency.table if k.endswith("days")]}
    assert ("recent leads count more" if weighted else "every lead counts the same") in recency.reason
    assert "\n" not in recency.reason


def test_without_a_timestamp_every_lead_counts_the_same() -> None:
    _, y, _ = _leads(2000, seed=1)
    recency = choose_recency([], y, [], None, LOGISTIC_DEFAULTS, 0, 1)
    assert recency.half_life_days is None and "no timestamp" in recency.reason


@pytest.mark.slow
def test_under_strong_drift_the_probabilities_follow_the_newest_leads() -> None:
    frame, y, stamps = _leads(20_000, seed=2, drift="strong")
    trained = train_model(frame, y, stamps, synthetic_schema(), folds=3, max_trials=1, progress=False)
    assert trained.model.info["recency"]["half_life_days"] is not None, trained.model.info["recency_reason"]
    newest = np.flatnonzero(stamps.rank(method="first") > 0.9 * len(stamps))
    assert y[newest].mean() > 1.5 * y.mean()  # the rate moved
    predicted = trained.model.score(frame.iloc[newest]).probability.mean()
    assert predicted == pytest.approx(y[newest].mean(), abs=0.03)
