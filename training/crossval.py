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


@dataclass(frozen=True)
class Fold:
    """One fold's rows and their matrices, encoded by a preprocessor fitted on the fold's fitting rows only."""

    fit_rows: np.ndarray
    valid_rows: np.ndarray
    fit_matrix: np.ndarray
    valid_matrix: np.ndarray


@dataclass
class CVResult:
    """Out-of-fold log-odds (NaN where a row was never validated), per-fold ROC AUC and LightGBM's best rounds."""

    oof_raw: np.ndarray
    fold_auc: list[float]
    rounds: list[int] = field(default_factory=list)

    @property
    def roc_auc(self) -> float:
        return float(np.mean(self.fold_auc))


def prepare_folds(
    frame: pd.DataFrame, splits: list[tuple[np.ndarray, np.ndarray]], preprocessor: Any
) -> list[Fold]:
    """Each fold's matrices; `preprocessor(rows)` builds an unfitted pipeline sized for that many rows."""
    folds = []
    for fit_rows, valid_rows in splits:
        pre: Pipeline = preprocessor(len(fit_rows)).fit(frame.iloc[fit_rows])
        folds.append(
            Fold(
                fit_rows,
                valid_rows,
                pre.transform(frame.iloc[fit_rows]),
                pre.transform(frame.iloc[valid_rows]),
            )
        )
    return folds


def kinds_of(schema: LeadSchema) -> list[str]:
    return [schema.kind(c) for c in schema.features]


def fit_fold(
    family: str, params: dict[str, Any], fold: Fold, y: np.ndarray, kinds: list[str], seed: int, threads: int
) -> tuple[np.ndarray, int]:
    """One fold: the family fitted on the fitting rows, log-odds on the validation rows (and LightGBM's rounds)."""
    y_fit, y_valid = y[fold.fit_rows], y[fold.valid_rows]
    if family == "lightgbm":
        train_set = lightgbm_dataset(fold.fit_matrix, y_fit, kinds)
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
        scorer = fit_logistic(fold.fit_matrix, y_fit, kinds, params, seed)
    elif family == "naive_bayes":
        scorer = fit_naive_bayes(fold.fit_matrix, y_fit, kinds)
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
) -> CVResult:
    oof = np.full(len(y), np.nan)
    aucs, rounds = [], []
    for fold in folds:
        raw, best = fit_fold(family, params, fold, y, kinds, seed, threads)
        oof[fold.valid_rows] = raw
        aucs.append(float(roc_auc_score(y[fold.valid_rows], raw)))
        rounds.append(best)
    return CVResult(oof, aucs, rounds if family == "lightgbm" else [])


def platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and intercept mapping log-odds to calibrated log-odds (nearly unregularised logistic fit)."""
    fitted = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
    return float(fitted.coef_[0, 0]), float(fitted.intercept_[0])


def calibrated_log_loss(raw: np.ndarray, y: np.ndarray) -> float:
    """Log loss of out-of-fold log-odds once Platt-calibrated on them (what the family would ship with)."""
    slope, intercept = platt(raw, y)
    return float(log_loss(y, 1.0 / (1.0 + np.exp(-(slope * raw + intercept))), labels=[0, 1]))


def fold_auc(raw: np.ndarray, y: np.ndarray, folds: list[Fold]) -> float:
    """Mean ROC AUC over the validation folds: pooled OOF AUC would mix folds' score scales."""
    return float(np.mean([roc_auc_score(y[f.valid_rows], raw[f.valid_rows]) for f in folds]))
