"""Choosing a family or a blend by cross-validation, and the minimum-data rule."""

from __future__ import annotations

import numpy as np
import pytest

from training.crossval import CVResult, Fold
from training.search import Candidate
from training.select import cold_start_reason, select


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


def _folds(n: int, k: int = 4) -> list[Fold]:
    blocks = np.array_split(np.arange(n), k)
    empty = np.zeros((0, 1))
    return [Fold(np.setdiff1d(np.arange(n), b), b, empty, empty) for b in blocks]


def _candidate(name: str, raw: np.ndarray, y: np.ndarray, folds: list[Fold]) -> Candidate:
    from sklearn.metrics import roc_auc_score

    aucs = [float(roc_auc_score(y[f.valid_rows], raw[f.valid_rows])) for f in folds]
    return Candidate(name, {}, CVResult(raw, aucs), 1)


def test_complementary_families_are_blended_and_the_weak_one_left_out() -> None:
    rng = np.random.default_rng(0)
    n = 8000
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(a + b)))).astype(int)
    folds = _folds(n)
    candidates = {
        "lightgbm": _candidate("lightgbm", a + 0.3 * rng.normal(size=n), y, folds),
        "logistic": _candidate("logistic", b + 0.3 * rng.normal(size=n), y, folds),
        "naive_bayes": _candidate("naive_bayes", rng.normal(size=n), y, folds),
    }
    chosen = select(candidates, y, folds)
    assert chosen.name in ("blend:lightgbm+logistic", "blend:logistic+lightgbm")
    assert set(chosen.table) >= {"lightgbm", "logistic", "naive_bayes", chosen.name}
    assert chosen.table[chosen.name]["cv_roc_auc"] > max(c.cv.roc_auc for c in candidates.values())
    assert "blend" in chosen.reason
    np.testing.assert_allclose(
        chosen.oof_raw,
        chosen.offset
        + sum(w * candidates[f].cv.oof_raw for f, w in zip(chosen.families, chosen.weights, strict=True)),
    )


def test_one_clearly_best_family_is_chosen_alone() -> None:
    rng = np.random.default_rng(1)
    n = 8000
    a = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * a))).astype(int)
    folds = _folds(n)
    candidates = {
        "lightgbm": _candidate("lightgbm", a, y, folds),
        "logistic": _candidate("logistic", a + 2 * rng.normal(size=n), y, folds),
    }
    chosen = select(candidates, y, folds)
    assert chosen.name == "lightgbm" and chosen.weights == [1.0]
    assert chosen.reason.startswith("lightgbm had the best cross-validated ROC AUC")
    for metrics in chosen.table.values():
        assert set(metrics) == {"cv_roc_auc", "cv_log_loss"}
