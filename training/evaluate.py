"""Holdout metrics for a lead-scoring model: discrimination, calibration, lift, gains and grade tables."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from features.scale import GRADES

_LOG_LOSS_EPS = 1e-15


def check_labels(y_true: ArrayLike) -> np.ndarray:
    """Return outcomes as a 1-D array of 0/1 ints, or raise a one-line ValueError naming the problem."""
    y = np.asarray(y_true)
    if y.ndim != 1:
        raise ValueError(f"y_true must be 1-D; got shape {y.shape}")
    if len(y) == 0:
        raise ValueError("y_true is empty; there are no leads to evaluate")
    if y.dtype.kind not in "biuf" or not ((y == 0) | (y == 1)).all():
        raise ValueError("y_true must hold only 0/1 labels (1 = converted)")
    return y.astype(np.int64)


def check_inputs(y_true: ArrayLike, y_prob: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Return 0/1 int labels and float probabilities, or raise a one-line ValueError naming the problem."""
    y = check_labels(y_true)
    p = np.asarray(y_prob, dtype=float)
    if p.shape != y.shape:
        raise ValueError(
            f"y_true has {len(y)} rows but y_prob has shape {p.shape}; pass one probability per lead"
        )
    if not np.isfinite(p).all() or p.min() < 0.0 or p.max() > 1.0:
        raise ValueError("y_prob must hold probabilities in [0, 1] with no NaN or infinity")
    return y, p


def _ranked(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities sorted best first; ties keep their input order so results are reproducible."""
    order = np.argsort(-p, kind="stable")
    return y[order], p[order]


def _base_rate(y: np.ndarray, what: str) -> float:
    """Overall conversion rate, refusing the all-negative case where lift has no meaning."""
    rate = float(y.mean())
    if rate == 0.0:
        raise ValueError(f"{what} is undefined: y_true has no converted leads (all labels are 0)")
    return rate


def expected_calibration_error(y_true: ArrayLike, y_prob: ArrayLike, bins: int = 10) -> float:
    """Count-weighted mean |observed rate - mean predicted| over equal-width bins; 0 means well calibrated."""
    if bins < 1:
        raise ValueError(f"bins must be at least 1; got {bins}")
    y, p = check_inputs(y_true, y_prob)
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    observed = np.bincount(index, weights=y, minlength=bins)
    predicted = np.bincount(index, weights=p, minlength=bins)
    # count * |mean_y - mean_p| == |sum_y - sum_p|, and empty bins contribute 0 to the sum.
    return float(np.abs(observed - predicted).sum() / len(y))


def lift_at(y_true: ArrayLike, y_prob: ArrayLike, fraction: float = 0.1) -> float:
    """Conversion rate among the top `fraction` of leads by probability divided by the overall rate."""
    y, p = check_inputs(y_true, y_prob)
    ranked_y, _ = _ranked(y, p)
    return _lift(ranked_y, _base_rate(y, "lift"), fraction)


def _lift(ranked_y: np.ndarray, base: float, fraction: float) -> float:
    """Lift of the top ceil(fraction * n) ranked leads (at least one)."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1]; got {fraction}")
    # Round first so that 0.07 * 100 (= 7.000000000000001 in floating point) gives 7 leads, not 8.
    k = max(1, math.ceil(round(fraction * len(ranked_y), 9)))
    return float(ranked_y[:k].mean() / base)


def gains_table(y_true: ArrayLike, y_prob: ArrayLike, bins: int = 10) -> pd.DataFrame:
    """Leads ranked by probability, cut into `bins` equal-count groups (decile 1 = best), with gains and lift.

    Group sizes differ by at most one lead; with fewer leads than bins, there is one group per lead.
    """
    y, p = check_inputs(y_true, y_prob)
    ranked_y, ranked_p = _ranked(y, p)
    return _gains(ranked_y, ranked_p, _base_rate(y, "gains"), bins)


def _gains(ranked_y: np.ndarray, ranked_p: np.ndarray, base: float, bins: int) -> pd.DataFrame:
    """The gains table from leads already ranked best first."""
    if bins < 1:
        raise ValueError(f"bins must be at least 1; got {bins}")
    n = len(ranked_y)
    bins = min(bins, n)
    group = np.arange(n, dtype=np.int64) * bins // n
    leads = np.bincount(group, minlength=bins)
    conversions = np.bincount(group, weights=ranked_y, minlength=bins)
    probability = np.bincount(group, weights=ranked_p, minlength=bins)
    cum_leads = np.cumsum(leads)
    cum_conversions = np.cumsum(conversions)
    rate = conversions / leads
    return pd.DataFrame(
        {
            "decile": np.arange(1, bins + 1),
            "leads": leads,
            "conversions": conversions.astype(np.int64),
            "conversion_rate": rate,
            "mean_probability": probability / leads,
            "cumulative_leads_pct": 100.0 * cum_leads / n,
            "cumulative_conversions_pct": 100.0 * cum_conversions / cum_conversions[-1],
            "lift": rate / base,
            "cumulative_lift": (cum_conversions / cum_leads) / base,
        }
    )


def grade_table(y_true: ArrayLike, y_prob: ArrayLike, grades: ArrayLike) -> pd.DataFrame:
    """One row per grade A-D, all four even when empty, so reports and dashboards keep a fixed shape."""
    y, p = check_inputs(y_true, y_prob)
    g = np.asarray(grades)
    if g.shape != y.shape:
        raise ValueError(f"grades has {len(g)} rows but y_true has {len(y)}; pass one grade per lead")
    codes = np.asarray(pd.Categorical(g, categories=GRADES).codes, dtype=np.int64)
    if (codes < 0).any():
        unknown = sorted({str(v) for v in g[codes < 0][:1000]})[:5]
        raise ValueError(f"grades must be one of {', '.join(GRADES)}; found {unknown}")
    size = len(GRADES)
    leads = np.bincount(codes, minlength=size)
    conversions = np.bincount(codes, weights=y, minlength=size)
    probability = np.bincount(codes, weights=p, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(leads > 0, conversions / leads, np.nan)
        mean_probability = np.where(leads > 0, probability / leads, np.nan)
    return pd.DataFrame(
        {
            "grade": list(GRADES),
            "leads": leads,
            "share_pct": 100.0 * leads / len(y),
            "conversions": conversions.astype(np.int64),
            "conversion_rate": rate,
            "mean_probability": mean_probability,
        }
    )


@dataclass(frozen=True)
class Evaluation:
    """Holdout metrics with the gains and grade tables they were computed alongside."""

    metrics: dict[str, float]
    gains: pd.DataFrame
    grades: pd.DataFrame

    def flat_metrics(self, prefix: str = "holdout_") -> dict[str, float]:
        """Metrics plus per-grade conversion rates, NaN-free and ready for mlflow.log_metrics."""
        flat = {f"{prefix}{name}": float(value) for name, value in self.metrics.items()}
        table = self.grades
        for grade, leads, rate in zip(table["grade"], table["leads"], table["conversion_rate"], strict=True):
            if leads > 0:
                flat[f"{prefix}conversion_rate_{grade}"] = float(rate)
        return flat


def evaluate(y_true: ArrayLike, y_prob: ArrayLike, grades: ArrayLike) -> Evaluation:
    """All holdout metrics; raises a one-line ValueError for a single-class holdout or mismatched lengths."""
    y, p = check_inputs(y_true, y_prob)
    positives = int(y.sum())
    if positives in (0, len(y)):
        raise ValueError(
            f"y_true has a single class (all {int(y[0])}); the holdout needs both converted and "
            "unconverted leads to compute AUC, lift and calibration"
        )
    table = grade_table(y, p, grades)
    ranked_y, ranked_p = _ranked(y, p)
    base = positives / len(y)
    clipped = np.clip(p, _LOG_LOSS_EPS, 1.0 - _LOG_LOSS_EPS)
    metrics = {
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "log_loss": float(log_loss(y, clipped, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "ece": expected_calibration_error(y, p),
        "lift_top_decile": _lift(ranked_y, base, 0.1),
        "base_rate": base,
        "n": float(len(y)),
        "positives": float(positives),
    }
    return Evaluation(metrics=metrics, gains=_gains(ranked_y, ranked_p, base, 10), grades=table)
