"""Cross-validating one family with given hyperparameters on folds prepared once: out-of-fold log-odds and metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.pipeline import Pipeline

from features.families import Scorer
from features.schema import LeadSchema
from training.candidates import (
    fit_logistic,
    fit_naive_bayes,
    lightgbm_dataset,
    lightgbm_params,
)

MAX_ROUNDS = 3000
EARLY_STOPPING = 100
# One model is clearly better than another on the folds when its mean gain exceeds NOISE_Z standard errors of the
# fold-to-fold gain, and CLEAR_GAIN: smaller differences rarely carry over to next month's leads.
CLEAR_GAIN = 0.001
NOISE_Z = 2.0


@dataclass(frozen=True)
class Fold:
    """One fold's rows and their matrices, encoded by a preprocessor fitted on the fold's fitting rows only.

    `weight` is the fold's say in averages over folds: in time, newer folds say more (they are closer to the leads
    the model will score).
    """

    fit_rows: np.ndarray
    valid_rows: np.ndarray
    fit_matrix: np.ndarray
    valid_matrix: np.ndarray
    weight: float = 1.0


@dataclass
class CVResult:
    """Out-of-fold log-odds (NaN where a row was never validated), per-fold ROC AUC and LightGBM's best rounds."""

    oof_raw: np.ndarray
    fold_auc: list[float]
    rounds: list[int] = field(default_factory=list)
    fold_weight: list[float] = field(default_factory=list)

    @property
    def roc_auc(self) -> float:
        """Mean fold ROC AUC, weighted by the folds' say (equal without time)."""
        return float(np.average(self.fold_auc, weights=self.fold_weight or None))


def prepare_folds(
    frame: pd.DataFrame,
    splits: list[tuple[np.ndarray, np.ndarray]],
    preprocessor: Any,
    weights: list[float] | None = None,
) -> list[Fold]:
    """Each fold's matrices; `preprocessor(rows)` builds an unfitted pipeline sized for that many rows.

    Only the matrices are kept: the fold's rows of the raw frame are copied once, cleaned once, and dropped.
    """
    folds = []
    for k, (fit_rows, valid_rows) in enumerate(splits):
        pre: Pipeline = preprocessor(len(fit_rows))
        fit_matrix = pre.fit_transform(frame.iloc[fit_rows])
        folds.append(
            Fold(
                fit_rows,
                valid_rows,
                fit_matrix,
                pre.transform(frame.iloc[valid_rows]),
                1.0 if weights is None else weights[k],
            )
        )
    return folds


def kinds_of(schema: LeadSchema) -> list[str]:
    return [schema.kind(c) for c in schema.features]


def _unit_mean(weight: np.ndarray | None) -> np.ndarray | None:
    return None if weight is None else weight / weight.mean()


def fit_fold(
    family: str,
    params: dict[str, Any],
    fold: Fold,
    y: np.ndarray,
    kinds: list[str],
    seed: int,
    threads: int,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """One fold: the family fitted on the fitting rows, log-odds on the validation rows (and LightGBM's rounds).

    `weight` (one per training row, or None) weights the fitting rows; validation is unweighted.
    """
    y_fit, y_valid = y[fold.fit_rows], y[fold.valid_rows]
    fit_weight = _unit_mean(None if weight is None else weight[fold.fit_rows])
    if family == "lightgbm":
        train_set = lightgbm_dataset(fold.fit_matrix, y_fit, kinds, weight=fit_weight)
        valid_set = lightgbm_dataset(fold.valid_matrix, y_valid, kinds, reference=train_set)
        booster = lgb.train(
            lightgbm_params(params, seed, threads),
            train_set,
            num_boost_round=MAX_ROUNDS,
            valid_sets=[valid_set],
            callbacks=[lgb.early_stopping(EARLY_STOPPING, verbose=False)],
        )
        best = max(1, booster.best_iteration)
        raw = booster.predict(fold.valid_matrix, num_iteration=best, raw_score=True)
        return np.asarray(raw), best
    scorer: Scorer
    if family == "logistic":
        scorer = fit_logistic(fold.fit_matrix, y_fit, kinds, params, seed, fit_weight)
    elif family == "naive_bayes":
        scorer = fit_naive_bayes(fold.fit_matrix, y_fit, kinds, fit_weight)
    else:
        raise ValueError(f"unknown family {family!r}")
    return scorer.raw(fold.valid_matrix), 0


def cross_validate(
    family: str,
    params: dict[str, Any],
    folds: list[Fold],
    y: np.ndarray,
    kinds: list[str],
    seed: int = 0,
    threads: int = 1,
    weight: np.ndarray | None = None,
) -> CVResult:
    oof = np.full(len(y), np.nan)
    aucs, rounds = [], []
    for fold in folds:
        raw, best = fit_fold(family, params, fold, y, kinds, seed, threads, weight)
        oof[fold.valid_rows] = raw
        aucs.append(float(roc_auc_score(y[fold.valid_rows], raw)))
        rounds.append(best)
    return CVResult(oof, aucs, rounds if family == "lightgbm" else [], [f.weight for f in folds])


def platt(raw: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> tuple[float, float]:
    """Slope and intercept mapping log-odds to calibrated log-odds (nearly unregularised logistic fit).

    `weight` lets recent leads count more, so the probabilities follow the present conversion rate.
    """
    fitted = LogisticRegression(C=1e6, max_iter=1000).fit(
        raw.reshape(-1, 1), y, sample_weight=_unit_mean(weight)
    )
    return float(fitted.coef_[0, 0]), float(fitted.intercept_[0])


def calibrated_log_loss(raw: np.ndarray, y: np.ndarray) -> float:
    """Log loss of out-of-fold log-odds once Platt-calibrated on them (what the family would ship with)."""
    slope, intercept = platt(raw, y)
    return float(log_loss(y, 1.0 / (1.0 + np.exp(-(slope * raw + intercept))), labels=[0, 1]))


def fold_aucs(raw: np.ndarray, y: np.ndarray, folds: list[Fold]) -> list[float]:
    """ROC AUC on each validation fold: pooled OOF AUC would mix folds' score scales."""
    return [float(roc_auc_score(y[f.valid_rows], raw[f.valid_rows])) for f in folds]


def gain(better: list[float], worse: list[float], weights: list[float]) -> tuple[float, float]:
    """Weighted mean fold-by-fold gain of one model over another and its standard error (0 with one fold)."""
    d = np.asarray(better) - np.asarray(worse)
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    mean = float(np.sum(w * d))
    concentration = float(np.sum(w**2))
    if len(d) < 2 or concentration >= 1.0:
        return mean, 0.0
    variance = float(np.sum(w * (d - mean) ** 2)) / (1.0 - concentration)  # unbiased, weighted
    return mean, float(np.sqrt(variance * concentration))


def clearly_better(
    better: list[float], worse: list[float], weights: list[float]
) -> tuple[bool, float, float]:
    """Whether the gain is beyond the folds' noise, with the gain and its standard error."""
    mean, se = gain(better, worse, weights)
    return mean > max(CLEAR_GAIN, NOISE_Z * se), mean, se
