"""The hyperparameter search: counted in trials, defaults and the simplest setting first, the simplest kept."""

from __future__ import annotations

import numpy as np

from training.candidates import LOGISTIC_DEFAULTS
from training.crossval import CVResult
from training.search import simplest_within_noise, trials_for


def _cv(aucs: list[float]) -> CVResult:
    return CVResult(np.zeros(1), aucs, [], [1.0] * len(aucs))


def test_the_simplest_setting_the_best_is_not_clearly_better_than_is_kept() -> None:
    results = {
        0: ({"C": 0.3, "knots": 4}, _cv([0.800, 0.810, 0.790, 0.805])),
        1: ({"C": 0.3, "knots": 0}, _cv([0.799, 0.811, 0.789, 0.804])),  # within noise of the best
        2: ({"C": 3.0, "knots": 8}, _cv([0.801, 0.8105, 0.7895, 0.8055])),  # the best, by a hair
    }
    assert simplest_within_noise("logistic", results) == (2, 1)


def test_a_clearly_better_complex_setting_is_kept() -> None:
    results = {
        0: ({"C": 0.3, "knots": 0}, _cv([0.780, 0.790, 0.770, 0.785])),
        1: ({"C": 0.3, "knots": 4}, _cv([0.800, 0.810, 0.790, 0.805])),  # +0.02 on every fold
    }
    assert simplest_within_noise("logistic", results) == (1, 1)
    leaves = {
        0: (
            {"num_leaves": 31, "min_data_in_leaf": 20, "lambda_l2": 1.0, "feature_fraction": 1.0},
            _cv([0.80, 0.80]),
        ),
        1: (
            {"num_leaves": 3, "min_data_in_leaf": 100, "lambda_l2": 10.0, "feature_fraction": 0.5},
            _cv([0.80, 0.80]),
        ),
    }
    assert simplest_within_noise("lightgbm", leaves) == (0, 1)  # a tie goes to the smaller trees


def test_the_trial_budget_shrinks_on_big_tables_and_never_below_one() -> None:
    assert trials_for("lightgbm", 5_000, 40) == 40
    assert trials_for("lightgbm", 100_000, 40) == 5
    assert trials_for("lightgbm", 5_000_000, 40) == 1
    assert trials_for("logistic", 5_000, 3) == 3
    assert LOGISTIC_DEFAULTS["knots"] > 0  # so the simplest (knots 0) is a second, different first trial
