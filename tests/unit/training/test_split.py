"""Honest evaluation splits: the newest leads when times are known, else stratified samples; never a row twice."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from training.split import cv_folds, holdout_split, time_order

N = 1_000


@pytest.fixture(scope="module")
def y() -> np.ndarray:
    """About 20% converted, as in a typical lead table."""
    return (np.random.default_rng(1).random(N) < 0.2).astype(int)


@pytest.fixture(scope="module")
def timestamps() -> pd.Series:
    """One lead an hour, stored out of time order (as validate_leads returns them: UTC-aware)."""
    hours = np.random.default_rng(2).permutation(N)
    return pd.Series(pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(hours, unit="h"))


def assert_partition(parts: list[np.ndarray], n: int = N) -> None:
    joined = np.concatenate(parts)
    assert len(joined) == len(np.unique(joined)) == n
    assert set(joined.tolist()) == set(range(n))


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.25])
def test_time_holdout_is_exactly_the_most_recent_leads(
    y: np.ndarray, timestamps: pd.Series, fraction: float
) -> None:
    train, holdout, method = holdout_split(y, timestamps, fraction, seed=0)
    assert method == "time"
    assert len(holdout) == round(fraction * N)
    assert_partition([train, holdout])
    assert timestamps.iloc[holdout].min() >= timestamps.iloc[train].max()
    newest = np.argsort(timestamps.to_numpy())[-len(holdout) :]
    assert set(holdout.tolist()) == set(newest.tolist())


def test_time_holdout_does_not_depend_on_the_seed(y: np.ndarray, timestamps: pd.Series) -> None:
    first = holdout_split(y, timestamps, 0.2, seed=0)
    second = holdout_split(y, timestamps, 0.2, seed=99)
    np.testing.assert_array_equal(first[1], second[1])


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.25])
def test_without_timestamps_the_holdout_is_stratified(y: np.ndarray, fraction: float) -> None:
    train, holdout, method = holdout_split(y, None, fraction, seed=0)
    assert method == "stratified"
    assert abs(len(holdout) - fraction * N) <= 1
    assert_partition([train, holdout])
    assert abs(y[holdout].mean() - y.mean()) < 0.01
    assert abs(y[train].mean() - y.mean()) < 0.01


def test_stratified_holdout_is_deterministic_by_seed(y: np.ndarray) -> None:
    first = holdout_split(y, None, 0.2, seed=7)
    again = holdout_split(y, None, 0.2, seed=7)
    other = holdout_split(y, None, 0.2, seed=8)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert set(first[1].tolist()) != set(other[1].tolist())


def test_time_holdout_with_one_class_falls_back_to_stratified(y: np.ndarray, timestamps: pd.Series) -> None:
    # The newest leads have no outcome yet, so none converted: a time holdout could not be evaluated.
    recent = np.argsort(timestamps.to_numpy())[-200:]
    labels = y.copy()
    labels[recent] = 0
    train, holdout, method = holdout_split(labels, timestamps, 0.2, seed=0)
    assert method == "stratified"
    assert_partition([train, holdout])
    assert set(labels[holdout].tolist()) == {0, 1}


def test_time_folds_validate_on_newer_leads_than_they_fit(y: np.ndarray, timestamps: pd.Series) -> None:
    folds, in_time = cv_folds(y, timestamps, folds=4, seed=0)
    assert in_time
    assert len(folds) == 4
    for fit_rows, valid_rows in folds:
        assert len(np.intersect1d(fit_rows, valid_rows)) == 0
        assert timestamps.iloc[valid_rows].min() > timestamps.iloc[fit_rows].max()
    valid_blocks = [valid for _, valid in folds]
    joined = np.concatenate(valid_blocks)
    assert len(joined) == len(np.unique(joined))
    # Expanding window: each fold fits on everything the previous fold fitted and validated on.
    for (fit_a, valid_a), (fit_b, _) in itertools.pairwise(folds):
        assert set(fit_b.tolist()) == set(fit_a.tolist()) | set(valid_a.tolist())


def test_stratified_folds_cover_every_row_once(y: np.ndarray) -> None:
    folds, in_time = cv_folds(y, None, folds=5, seed=0)
    assert not in_time
    assert len(folds) == 5
    assert_partition([valid for _, valid in folds])
    for fit_rows, valid_rows in folds:
        assert_partition([fit_rows, valid_rows])
        assert abs(y[valid_rows].mean() - y.mean()) < 0.02


def test_stratified_folds_are_deterministic_by_seed(y: np.ndarray) -> None:
    def valid_sets(seed: int) -> list[list[int]]:
        return [sorted(valid.tolist()) for _, valid in cv_folds(y, None, folds=5, seed=seed)[0]]

    assert valid_sets(3) == valid_sets(3)
    assert valid_sets(3) != valid_sets(4)


def test_time_order_goes_oldest_to_newest_with_unknown_times_first() -> None:
    stamps = pd.Series(
        pd.to_datetime(
            ["2024-05-01 12:00+02:00", None, "2024-05-01 11:00+00:00", "2024-04-01 00:00+00:00"], utc=True
        )
    )
    assert time_order(stamps, 4).tolist() == [1, 3, 0, 2]
    assert time_order(None, 4).tolist() == [0, 1, 2, 3]
