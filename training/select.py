"""Choosing the family (or a blend) by cross-validation on the training part, and the minimum-data rule.

Blends average the families' Platt-calibrated out-of-fold log-odds with weights on a 0.1 grid; a blend is chosen only
when it beats the best single family by `BLEND_MIN_GAIN` mean fold ROC AUC, since one family is simpler to read.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from training.crossval import Fold, calibrated_log_loss, fold_auc, platt
from training.search import Candidate

MIN_LEADS, MIN_CONVERSIONS = 1000, 120  # Salesforce Einstein asks for as much before it scores leads
COLD_START_FAMILY = "naive_bayes"
BLEND_MIN_GAIN = 0.001
GRID = 10


def cold_start_reason(y: np.ndarray) -> str | None:
    """One line saying why the data is too thin for the full search, or None when it is enough."""
    leads, conversions = len(y), int(np.sum(y == 1))
    if leads >= MIN_LEADS and conversions >= MIN_CONVERSIONS:
        return None
    return (
        f"only {leads} labelled leads and {conversions} conversions (fewer than {MIN_LEADS} leads or "
        f"{MIN_CONVERSIONS} conversions): training the naive-Bayes cold-start model; expect rough scores"
    )


@dataclass
class Selection:
    """The chosen families with their blend weights on raw log-odds, the offset, and what was compared."""

    families: list[str]
    weights: list[float]
    offset: float
    oof_raw: np.ndarray  # the chosen scorer's out-of-fold log-odds (NaN where never validated)
    table: dict[str, dict[str, float]]
    reason: str

    @property
    def name(self) -> str:
        return self.families[0] if len(self.families) == 1 else "blend:" + "+".join(self.families)


def _weight_grid(count: int) -> list[tuple[float, ...]]:
    """Weights on a 0.1 grid summing to 1, every family weighted."""
    steps = [w for w in itertools.product(range(1, GRID), repeat=count) if sum(w) == GRID]
    return [tuple(s / GRID for s in w) for w in steps]


def select(
    candidates: dict[str, Candidate], y: np.ndarray, folds: list[Fold], blend: bool = True
) -> Selection:
    """The best single family by mean fold ROC AUC, or a blend when it is clearly better.

    Each extra family must earn its place: a blend of k families is kept only when it beats the best choice with
    fewer families by `BLEND_MIN_GAIN`.
    """
    rows = np.concatenate([f.valid_rows for f in folds])
    table = {
        name: {"cv_roc_auc": c.cv.roc_auc, "cv_log_loss": calibrated_log_loss(c.cv.oof_raw[rows], y[rows])}
        for name, c in candidates.items()
    }
    ranked = sorted(candidates, key=lambda n: table[n]["cv_roc_auc"], reverse=True)
    best = ranked[0]
    best_auc = table[best]["cv_roc_auc"]
    runner = f", against {table[ranked[1]]['cv_roc_auc']:.4f} for {ranked[1]}" if len(ranked) > 1 else ""
    chosen: tuple[float, tuple[str, ...], tuple[float, ...]] = (best_auc, (best,), (1.0,))
    tried: tuple[float, tuple[str, ...]] | None = None
    if blend and len(ranked) > 1:
        affine = {n: platt(candidates[n].cv.oof_raw[rows], y[rows]) for n in ranked}
        for size in range(2, len(ranked) + 1):
            scored = [
                (fold_auc(_mix(candidates, affine, names, weights), y, folds), names, weights)
                for names in itertools.combinations(ranked, size)
                for weights in _weight_grid(size)
            ]
            top = max(scored, key=lambda b: b[0])
            tried = tried if tried is not None and tried[0] >= top[0] else (top[0], top[1])
            if top[0] >= chosen[0] + BLEND_MIN_GAIN:
                chosen = top
    auc, names, weights = chosen
    if len(names) == 1:
        if tried is not None:
            runner += f"; no blend beat it by {BLEND_MIN_GAIN} (best {tried[0]:.4f}, {'+'.join(tried[1])})"
        reason = f"{best} had the best cross-validated ROC AUC, {best_auc:.4f}{runner}"
        return Selection([best], [1.0], 0.0, candidates[best].cv.oof_raw, table, reason)
    raw_weights = [w * affine[n][0] for n, w in zip(names, weights, strict=True)]
    offset = float(sum(w * affine[n][1] for n, w in zip(names, weights, strict=True)))
    oof = offset + sum(w * candidates[n].cv.oof_raw for n, w in zip(names, raw_weights, strict=True))
    selection = Selection(list(names), raw_weights, offset, np.asarray(oof), table, "")
    table[selection.name] = {
        "cv_roc_auc": auc,
        "cv_log_loss": calibrated_log_loss(selection.oof_raw[rows], y[rows]),
    }
    mix = ", ".join(f"{n} {w:.1f}" for n, w in zip(names, weights, strict=True))
    selection.reason = f"the blend ({mix}) had the best cross-validated ROC AUC, {auc:.4f}, against {best_auc:.4f} for {best} alone"
    return selection


def _mix(
    candidates: dict[str, Candidate],
    affine: dict[str, tuple[float, float]],
    names: tuple[str, ...],
    weights: tuple[float, ...],
) -> np.ndarray:
    """Weighted average of the families' Platt-calibrated out-of-fold log-odds."""
    total = np.zeros(len(next(iter(candidates.values())).cv.oof_raw))
    for name, weight in zip(names, weights, strict=True):
        slope, intercept = affine[name]
        total = total + weight * (slope * candidates[name].cv.oof_raw + intercept)
    return total
