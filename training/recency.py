"""Letting recent leads count more when the world moves: recency weights, chosen by time folds.

With a timestamp, each lead can weigh 0.5 ** (age / half-life), or count only when it is inside a window of the
newest days (a hard cut: what came before a change of pricing or sales team is left out), its age counted back from
the newest lead the model is fitted on. Whether either helps is an empirical question: under drift the newest leads
describe the leads to come better than old ones; in a stable world down-weighting old leads only throws data away.
So the weighting is chosen on the newest time fold (its validation leads are newer than anything its model saw, as
at scoring time): none unless a half-life or a window beats it there by more than the noise. Calibration always
leans on recent leads (at most `CALIBRATION_HALF_LIFE` of the span), since a conversion rate can move without the
ranking changing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from training.crossval import CLEAR_GAIN, NOISE_Z, Fold, fit_fold
from training.select import MIN_CONVERSIONS, MIN_LEADS

HALF_LIVES = (1 / 2, 1 / 4, 1 / 8, 1 / 16)  # fractions of the training span, tried against no weighting
WINDOWS = (1 / 2, 1 / 4, 1 / 8)  # the same, for windows of the newest leads
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


@dataclass(frozen=True)
class Weighting:
    """How much each lead counts in a fit, by its age before the newest lead of that fit (not of the whole table, so
    a cross-validation fold's model weighs its leads as the final model weighs all of them): 0.5 ** (age /
    half-life), or 1 inside the window of the newest `window_days` and 0 before it."""

    ages: np.ndarray  # days before the newest lead, per training lead
    half_life_days: float | None = None
    window_days: float | None = None

    def of(self, rows: np.ndarray) -> np.ndarray:
        """The weights of the leads at these positions when a model is fitted on them."""
        ages = self.ages[rows]
        ages = ages - ages.min()
        if self.window_days is not None:
            return (ages <= self.window_days).astype(float)
        assert self.half_life_days is not None
        return np.asarray(0.5 ** (ages / self.half_life_days))


def weighting(
    timestamps: pd.Series | None, half_life_days: float | None, window_days: float | None = None
) -> Weighting | None:
    """The weighting of these leads, or None (every lead counts the same)."""
    if timestamps is None or (half_life_days is None and window_days is None):
        return None
    return Weighting(ages_in_days(timestamps), half_life_days, window_days)


def recency_weights(
    timestamps: pd.Series | None, half_life_days: float | None, window_days: float | None = None
) -> np.ndarray | None:
    """Each lead's weight when a model is fitted on all of them, or None (every lead counts the same)."""
    weights = weighting(timestamps, half_life_days, window_days)
    return None if weights is None else weights.of(np.arange(len(weights.ages)))


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
    """The chosen half-life or window in days (both None: no weighting), what each candidate scored, and why."""

    half_life_days: float | None
    table: dict[str, float]
    reason: str
    window_days: float | None = None

    def weighting(self, timestamps: pd.Series | None) -> Weighting | None:
        return weighting(timestamps, self.half_life_days, self.window_days)

    def info(self) -> dict[str, object]:
        """What the model's info records."""
        return {
            "half_life_days": self.half_life_days,
            "window_days": self.window_days,
            "cv_roc_auc": self.table,
        }


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


def _window_fits(window: Weighting, fold: Fold, y: np.ndarray) -> bool:
    """Whether a window leaves the newest fold's model enough leads and conversions (the minimum-data rule), and
    fewer leads than all."""
    inside = window.of(fold.fit_rows) > 0
    return (
        MIN_LEADS <= inside.sum() < len(inside) and int(np.sum(y[fold.fit_rows][inside])) >= MIN_CONVERSIONS
    )


def choose_recency(
    folds: list[Fold],
    y: np.ndarray,
    kinds: list[str],
    timestamps: pd.Series | None,
    params: dict[str, object],
    seed: int,
    threads: int,
) -> Recency:
    """The half-life or window that best forecasts the newest time fold, by the logistic family's defaults (quick,
    stable).

    Only the newest fold decides: drift shows first where the leads are newest, and older folds would average it
    away. A weighting must beat none there by more than `NOISE_Z` bootstrap standard errors. A window must leave the
    newest fold's model as many leads and conversions as the minimum-data rule asks of any model.
    """
    if timestamps is None or not folds:
        return Recency(None, {}, "no timestamp: every lead counts the same")
    span = span_days(timestamps)
    if span <= 0:
        return Recency(None, {}, "all leads have the same time: every lead counts the same")
    newest = folds[-1]
    y_valid = y[newest.valid_rows]
    base = fit_fold("logistic", params, newest, y, kinds, seed, threads)[0]
    ages = ages_in_days(timestamps)
    options = {f"half-life {f * span:.0f} days": Weighting(ages, half_life_days=f * span) for f in HALF_LIVES}
    windows = {f"window {f * span:.0f} days": Weighting(ages, window_days=f * span) for f in WINDOWS}
    options |= {name: window for name, window in windows.items() if _window_fits(window, newest, y)}
    raws = {
        name: fit_fold("logistic", params, newest, y, kinds, seed, threads, w)[0]
        for name, w in options.items()
    }
    table = {
        "none": float(roc_auc_score(y_valid, base)),
        **{n: float(roc_auc_score(y_valid, r)) for n, r in raws.items()},
    }
    best = max(raws, key=lambda n: table[n])
    g, se = paired_gain(y_valid, raws[best], base, seed)
    where = f"the newest fold ({len(y_valid)} leads)"
    if g <= max(CLEAR_GAIN, NOISE_Z * se):
        return Recency(
            None,
            table,
            f"every lead counts the same: no half-life or window beat it on {where} by more than the noise "
            f"(best {best}: {g:+.4f} ± {se:.4f} ROC AUC)",
        )
    chosen = options[best]
    what = (
        f"recent leads count more (half-life {chosen.half_life_days:.0f} days of a {span:.0f}-day span)"
        if chosen.window_days is None
        else f"recent leads count more: only the newest {chosen.window_days:.0f} days of a {span:.0f}-day span"
    )
    return Recency(
        chosen.half_life_days,
        table,
        f"{what}: {g:+.4f} ± {se:.4f} ROC AUC on {where} against no weighting",
        chosen.window_days,
    )
