"""Letting recent leads count more when the world moves: recency weights, and their half-life chosen by time folds.

With a timestamp, each lead can weigh 0.5 ** (age / half-life), its age counted back from the newest lead. Whether
that helps is an empirical question: under drift (a new pricing, a new sales team) the newest leads describe the
leads to come better than old ones; in a stable world down-weighting old leads only throws data away. So the
half-life is chosen on the newest time fold (its validation leads are newer than anything its model saw, as at
scoring time): no weighting unless a half-life beats it there by more than the noise. Calibration always leans on recent leads
(at most `CALIBRATION_HALF_LIFE` of the span), since a conversion rate can move without the ranking changing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from training.crossval import CLEAR_GAIN, NOISE_Z, Fold, fit_fold

HALF_LIVES = (1 / 2, 1 / 4, 1 / 8, 1 / 16)  # fractions of the training span, tried against no weighting
CALIBRATION_HALF_LIFE = 1 / 4
DAY = np.timedelta64(1, "D")
BOOTSTRAP = 200


def ages_in_days(timestamps: pd.Series) -> np.ndarray:
    """Days before the newest lead; leads without a time count as the oldest."""
    stamps = timestamps.to_numpy(dtype="datetime64[ns]")
    known = ~np.isnat(stamps)
    if not known.any():
        return np.zeros(len(stamps))
    ages = (stamps[known].max() - stamps) / DAY
    return np.where(known, ages, ages[known].max() if known.any() else 0.0).astype(float)


def span_days(timestamps: pd.Series) -> float:
    return float(ages_in_days(timestamps).max())


def recency_weights(timestamps: pd.Series | None, half_life_days: float | None) -> np.ndarray | None:
    """0.5 ** (age / half-life) per lead, or None (every lead counts the same)."""
    if timestamps is None or half_life_days is None:
        return None
    return np.asarray(0.5 ** (ages_in_days(timestamps) / half_life_days))


def calibration_half_life(timestamps: pd.Series | None, half_life_days: float | None) -> float | None:
    """The calibration's half-life: the model's when it has one, at most a quarter of the span."""
    if timestamps is None:
        return None
    span = span_days(timestamps)
    if span <= 0:
        return None
    cap = CALIBRATION_HALF_LIFE * span
    return cap if half_life_days is None else min(half_life_days, cap)


@dataclass(frozen=True)
class Recency:
    """The chosen half-life in days (None: no weighting), what each candidate scored, and why."""

    half_life_days: float | None
    table: dict[str, float]
    reason: str


def paired_gain(y: np.ndarray, better: np.ndarray, worse: np.ndarray, seed: int) -> tuple[float, float]:
    """ROC AUC of one score minus another's on the same leads, and its bootstrap standard error."""
    observed = roc_auc_score(y, better) - roc_auc_score(y, worse)
    rng = np.random.default_rng(seed)
    gains = []
    for _ in range(BOOTSTRAP):
        rows = rng.integers(0, len(y), len(y))
        if 0 < y[rows].sum() < len(rows):
            gains.append(roc_auc_score(y[rows], better[rows]) - roc_auc_score(y[rows], worse[rows]))
    return float(observed), float(np.std(gains)) if len(gains) > 1 else 0.0


def choose_recency(
    folds: list[Fold],
    y: np.ndarray,
    kinds: list[str],
    timestamps: pd.Series | None,
    params: dict[str, object],
    seed: int,
    threads: int,
) -> Recency:
    """The half-life that best forecasts the newest time fold, by the logistic family's defaults (quick, stable).

    Only the newest fold decides: drift shows first where the leads are newest, and older folds would average it
    away. A half-life must beat no weighting there by more than `NOISE_Z` bootstrap standard errors.
    """
    if timestamps is None or not folds:
        return Recency(None, {}, "no timestamp: every lead counts the same")
    span = span_days(timestamps)
    if span <= 0:
        return Recency(None, {}, "all leads have the same time: every lead counts the same")
    newest = folds[-1]
    y_valid = y[newest.valid_rows]
    base = fit_fold("logistic", params, newest, y, kinds, seed, threads)[0]
    raws = {
        fraction * span: fit_fold(
            "logistic", params, newest, y, kinds, seed, threads, recency_weights(timestamps, fraction * span)
        )[0]
        for fraction in HALF_LIVES
    }
    table = {
        "none": float(roc_auc_score(y_valid, base)),
        **{f"{days:.0f} days": float(roc_auc_score(y_valid, raw)) for days, raw in raws.items()},
    }
    best = max(raws, key=lambda d: table[f"{d:.0f} days"])
    g, se = paired_gain(y_valid, raws[best], base, seed)
    where = f"the newest fold ({len(y_valid)} leads)"
    if g <= max(CLEAR_GAIN, NOISE_Z * se):
        return Recency(
            None,
            table,
            f"every lead counts the same: no half-life beat it on {where} by more than the noise "
            f"(best {best:.0f} days: {g:+.4f} ± {se:.4f} ROC AUC)",
        )
    return Recency(
        best,
        table,
        f"recent leads count more (half-life {best:.0f} days of a {span:.0f}-day span): "
        f"{g:+.4f} ± {se:.4f} ROC AUC on {where} against no weighting",
    )
