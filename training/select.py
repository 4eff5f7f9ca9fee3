"""Choosing the model by cross-validation: the blend of the linear and the tree family unless one family alone is
clearly better, and the minimum-data rule.

Cross-validation differences of a few thousandths rarely carry over to next month's leads: folds disagree by about
as much, and under drift the family that wins on the past often loses on the future. So the blend (equal weights on
each family's Platt-calibrated out-of-fold log-odds) is the default, and a single family replaces it only when it
beats the blend on the folds by more than `NOISE_Z` standard errors of the fold-to-fold gain (and by `MIN_GAIN`).
Among families that do, the simpler one is kept unless the more complex one beats it the same way. With time, every
average over folds is weighted toward the newest fold (see `Fold.weight`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.crossval import NOISE_Z, Fold, calibrated_log_loss, clearly_better, fold_aucs, platt
from training.search import Candidate

MIN_LEADS, MIN_CONVERSIONS = 1000, 120  # Salesforce Einstein asks for as much before it scores leads
COLD_START_FAMILY = "naive_bayes"
BLEND_FAMILIES = ("logistic", "lightgbm")  # one linear, one tree family: they fail in different ways
SIMPLEST_FIRST = ("naive_bayes", "logistic", "lightgbm")


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


def _blend(
    candidates: dict[str, Candidate], y: np.ndarray, folds: list[Fold], rows: np.ndarray
) -> tuple[list[float], float, np.ndarray]:
    """Raw weights and offset of the equal-weight blend of calibrated log-odds, and its out-of-fold log-odds."""
    affine = [platt(candidates[n].cv.oof_raw[rows], y[rows]) for n in BLEND_FAMILIES]
    share = 1.0 / len(BLEND_FAMILIES)
    weights = [share * slope for slope, _ in affine]
    offset = float(sum(share * intercept for _, intercept in affine))
    oof = offset + sum(w * candidates[n].cv.oof_raw for n, w in zip(BLEND_FAMILIES, weights, strict=True))
    return weights, offset, np.asarray(oof)


def select(candidates: dict[str, Candidate], y: np.ndarray, folds: list[Fold]) -> Selection:
    """The blend of the linear and the tree family, unless one family alone is clearly better (see module doc)."""
    rows = np.concatenate([f.valid_rows for f in folds])
    fold_weights = [f.weight for f in folds]
    scores = {name: c.cv.fold_auc for name, c in candidates.items()}
    oofs = {name: c.cv.oof_raw for name, c in candidates.items()}
    parts = {name: ([name], [1.0], 0.0) for name in candidates}
    default = max(candidates, key=lambda n: candidates[n].cv.roc_auc)
    if all(n in candidates for n in BLEND_FAMILIES):
        weights, offset, oof = _blend(candidates, y, folds, rows)
        default = "blend:" + "+".join(BLEND_FAMILIES)
        scores[default], oofs[default] = fold_aucs(oof, y, folds), oof
        parts[default] = (list(BLEND_FAMILIES), weights, offset)
    table = {
        name: {
            "cv_roc_auc": float(np.average(aucs, weights=fold_weights)),
            "cv_roc_auc_sd": float(np.std(aucs)),
            "cv_log_loss": calibrated_log_loss(oofs[name][rows], y[rows]),
        }
        for name, aucs in scores.items()
    }
    beyond = {}
    for name in candidates:
        if name != default:
            beyond[name] = clearly_better(scores[name], scores[default], fold_weights)
    winners = [n for n in SIMPLEST_FIRST if n in beyond and beyond[n][0]]
    chosen = default
    for name in winners:  # the simplest clear winner, unless a more complex one clearly beats it too
        later = winners[winners.index(name) + 1 :]
        if not any(clearly_better(scores[m], scores[name], fold_weights)[0] for m in later):
            chosen = name
            break
    families, weights, offset = parts[chosen]
    reason = _reason(chosen, default, table, beyond, len(folds), fold_weights)
    return Selection(families, weights, offset, oofs[chosen], table, reason)


def _verdict(clear: bool, g: float) -> str:
    return "clearly better" if clear else "within noise" if g > 0 else "worse"


def _reason(
    chosen: str,
    default: str,
    table: dict[str, dict[str, float]],
    beyond: dict[str, tuple[bool, float, float]],
    folds: int,
    fold_weights: list[float],
) -> str:
    """One line: what was chosen, on what evidence, and how the others compared."""
    weighted = " weighted toward the newest" if len(set(fold_weights)) > 1 else ""
    auc = table[chosen]["cv_roc_auc"]
    others = ", ".join(
        f"{n} {table[n]['cv_roc_auc']:.4f} ({g:+.4f} ± {se:.4f}, {_verdict(clear, g)})"
        for n, (clear, g, se) in beyond.items()
        if n != chosen
    )
    if chosen == default:
        what = (
            f"the blend of {' and '.join(BLEND_FAMILIES)} (equal weights on calibrated log-odds)"
            if chosen.startswith("blend:")
            else chosen
        )
        why = (
            "no single family beat it by more than the fold-to-fold noise" if beyond else "the only candidate"
        )
        return f"{what}: CV ROC AUC {auc:.4f} over {folds} folds{weighted}; {why}" + (
            f" (vs {default}: {others})" if others else ""
        )
    _, g, se = beyond[chosen]
    rest = f"; others vs {default}: {others}" if others else ""
    return (
        f"{chosen} alone: CV ROC AUC {auc:.4f} over {folds} folds{weighted}, {g:+.4f} ± {se:.4f} over {default}, "
        f"more than {NOISE_Z:g} standard errors of the fold-to-fold gain{rest}"
    )
