"""Choosing the model by cross-validation (the blend unless one family is clearly better), and the minimum-data rule."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from training.crossval import NOISE_Z, CVResult, Fold, gain
from training.search import Candidate
from training.select import cold_start_reason, select

BLEND = "blend:logistic+lightgbm"


@pytest.mark.parametrize(
    ("leads", "conversions", "cold"),
    [(999, 500, True), (5000, 119, True), (1000, 120, False), (20000, 3000, False)],
)
def test_minimum_data_rule(leads: int, conversions: int, cold: bool) -> None:
    y = np.zeros(leads, dtype=int)
    y[:conversions] = 1
    reason = cold_start_reason(y)
    assert (reason is not None) == cold
    if reason:
        assert f"{leads} labelled leads" in reason and "naive-Bayes" in reason and "\n" not in reason


def _folds(n: int, k: int = 4, weights: list[float] | None = None) -> list[Fold]:
    blocks = np.array_split(np.arange(n), k)
    empty = np.zeros((0, 1))
    return [
        Fold(np.setdiff1d(np.arange(n), b), b, empty, empty, 1.0 if weights is None else weights[i])
        for i, b in enumerate(blocks)
    ]


def _candidate(name: str, raw: np.ndarray, y: np.ndarray, folds: list[Fold]) -> Candidate:
    aucs = [float(roc_auc_score(y[f.valid_rows], raw[f.valid_rows])) for f in folds]
    return Candidate(name, {}, CVResult(raw, aucs, [], [f.weight for f in folds]), 1)


def _leads(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(a + b)))).astype(int)
    return a, b, y, rng


def test_the_blend_is_kept_when_no_family_beats_it_beyond_the_fold_noise() -> None:
    a, b, y, rng = _leads(6000, seed=0)
    folds = _folds(len(y))
    candidates = {
        "lightgbm": _candidate("lightgbm", a + b + 1.2 * rng.normal(size=len(y)), y, folds),
        "logistic": _candidate("logistic", a + b + 1.2 * rng.normal(size=len(y)), y, folds),
        "naive_bayes": _candidate("naive_bayes", a + rng.normal(size=len(y)), y, folds),
    }
    chosen = select(candidates, y, folds)
    assert chosen.name == BLEND and chosen.families == ["logistic", "lightgbm"]
    assert set(chosen.table) == {"lightgbm", "logistic", "naive_bayes", BLEND}
    assert chosen.reason.startswith("the blend of logistic and lightgbm")
    assert "naive_bayes" in chosen.reason and "worse" in chosen.reason
    # the blend's log-odds are the weighted sum of the families' out-of-fold log-odds
    np.testing.assert_allclose(
        chosen.oof_raw,
        chosen.offset
        + sum(w * candidates[f].cv.oof_raw for f, w in zip(chosen.families, chosen.weights, strict=True)),
    )
    for metrics in chosen.table.values():
        assert set(metrics) == {"cv_roc_auc", "cv_roc_auc_sd", "cv_log_loss"}


def test_a_family_better_on_every_fold_by_far_more_than_the_noise_is_chosen_alone() -> None:
    a, b, y, rng = _leads(8000, seed=1)
    folds = _folds(len(y))
    candidates = {
        "lightgbm": _candidate("lightgbm", a + b + 0.1 * rng.normal(size=len(y)), y, folds),
        "logistic": _candidate("logistic", a + 2.5 * rng.normal(size=len(y)), y, folds),
    }
    chosen = select(candidates, y, folds)
    assert chosen.name == "lightgbm" and chosen.weights == [1.0] and chosen.offset == 0.0
    assert (
        chosen.reason.startswith("lightgbm alone")
        and f"more than {NOISE_Z:g} standard errors" in chosen.reason
    )
    np.testing.assert_array_equal(chosen.oof_raw, candidates["lightgbm"].cv.oof_raw)


def test_the_simpler_family_wins_when_the_complex_one_is_not_clearly_better_than_it() -> None:
    a, b, y, rng = _leads(8000, seed=2)
    folds = _folds(len(y))
    strong = a + b
    candidates = {  # a weak logistic drags the blend down; naive Bayes and LightGBM both beat it, equally
        "lightgbm": _candidate("lightgbm", strong + 0.05 * rng.normal(size=len(y)), y, folds),
        "logistic": _candidate("logistic", a + 3 * rng.normal(size=len(y)), y, folds),
        "naive_bayes": _candidate("naive_bayes", strong + 0.05 * rng.normal(size=len(y)), y, folds),
    }
    chosen = select(candidates, y, folds)
    assert chosen.name == "naive_bayes"
    assert "lightgbm" in chosen.reason and "logistic" in chosen.reason


def test_gain_is_the_weighted_mean_difference_with_its_standard_error() -> None:
    mean, se = gain([0.80, 0.82, 0.81, 0.85], [0.80, 0.80, 0.80, 0.80], [1, 1, 1, 1])
    d = np.array([0.0, 0.02, 0.01, 0.05])
    assert mean == pytest.approx(d.mean())
    assert se == pytest.approx(d.std(ddof=1) / 2)
    newest_first, _ = gain([0.80, 0.82, 0.81, 0.85], [0.80, 0.80, 0.80, 0.80], [1, 2, 3, 4])
    assert newest_first == pytest.approx(np.average(d, weights=[1, 2, 3, 4]))  # the newest fold says most
    assert gain([0.9], [0.8], [1.0]) == pytest.approx((0.1, 0.0))


def test_newer_folds_count_more_in_the_table() -> None:
    a, b, y, rng = _leads(6000, seed=3)
    folds = _folds(len(y), weights=[1.0, 2.0, 3.0, 4.0])
    candidates = {
        "lightgbm": _candidate("lightgbm", a + b + rng.normal(size=len(y)), y, folds),
        "logistic": _candidate("logistic", a + b + rng.normal(size=len(y)), y, folds),
    }
    chosen = select(candidates, y, folds)
    aucs = candidates["lightgbm"].cv.fold_auc
    assert chosen.table["lightgbm"]["cv_roc_auc"] == pytest.approx(np.average(aucs, weights=[1, 2, 3, 4]))
    assert "weighted toward the newest" in chosen.reason
