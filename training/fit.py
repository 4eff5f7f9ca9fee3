"""Fitting the scorer: recency weighting and families chosen on cross-validation folds, the choice refit, calibrated.

`fit_model` fits on the rows it is given (the training part) so that a holdout can judge it honestly; `refit` then
fits the same choice on every labelled lead (training part and holdout together), which is what gets registered:
under drift the newest leads, the holdout, are the most valuable ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from features.clean import LeadCleaner
from features.encode import CategoryEncoder
from features.families import BlendScorer, Scorer
from features.model import LeadModel
from features.schema import LeadSchema
from training.calibrate import calibrated_model
from training.candidates import (
    FAMILIES,
    LOGISTIC_DEFAULTS,
    fit_lightgbm,
    fit_logistic,
    fit_naive_bayes,
    lightgbm_params,
)
from training.crossval import kinds_of, prepare_folds
from training.evaluate import expected_calibration_error
from training.recency import Recency, choose_recency, recency_weights
from training.search import Candidate, search
from training.select import COLD_START_FAMILY, Selection, cold_start_reason, select
from training.split import cv_folds

log = logging.getLogger(__name__)
# OpenMP threads spin while waiting: on a busy 2-core machine two threads were 2-5x slower than one even on 200k
# leads (and machines are shared). LightGBM's trees do not depend on the thread count (lightgbm_params).
THREADS_FROM_ROWS = 1_000_000
DEFAULT_MAX_TRIALS = 40
REFIT_ROUNDS = 1.1  # the refit sees more leads than any fold did: a few more boosting rounds


@dataclass
class FitResult:
    """The model fitted on the given rows plus what the fit learned along the way (for logging and `refit`)."""

    model: LeadModel
    oof_probability: np.ndarray
    oof_rows: np.ndarray
    oof_labels: np.ndarray
    candidates: dict[str, Candidate]
    selection: Selection
    recency: Recency
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    folds: int = 4

    @property
    def oof_raw(self) -> np.ndarray:
        """The chosen scorer's out-of-fold log-odds on `oof_rows` (for calibrating a refit)."""
        return self.selection.oof_raw[self.oof_rows]

    def cv_metrics(self) -> dict[str, float]:
        """Each compared family's (and the blend's) cross-validated ROC AUC and log loss, for MLflow."""
        y = self.oof_labels
        return {
            **{
                f"cv_{metric}_{name.replace(':', '_').replace('+', '_')}": value
                for name, metrics in self.selection.table.items()
                for metric, value in ((k.removeprefix("cv_"), v) for k, v in metrics.items())
            },
            "cv_ece": expected_calibration_error(y, self.oof_probability),
        }


def build_preprocessor(schema: LeadSchema, rows: int) -> Pipeline:
    """Cleaning then encoding; rare categories need more rows on bigger tables before they earn their own code."""
    min_count = int(min(50, max(10, rows // 500)))
    return Pipeline(
        [
            ("clean", LeadCleaner(schema.to_dict())),
            ("encode", CategoryEncoder(schema.categorical, min_count=min_count)),
        ]
    )


def _threads(rows: int) -> int:
    return 1 if rows < THREADS_FROM_ROWS else 0


def _fit_family(
    candidate: Candidate,
    matrix: np.ndarray,
    y: np.ndarray,
    kinds: list[str],
    seed: int,
    weight: np.ndarray | None,
) -> Scorer:
    """One family fitted on all these rows with its chosen setting."""
    unit = None if weight is None else weight / weight.mean()
    if candidate.family == "lightgbm":
        rounds = int(candidate.params["num_boost_round"])
        params = {k: v for k, v in candidate.params.items() if k != "num_boost_round"}
        return fit_lightgbm(matrix, y, kinds, lightgbm_params(params, seed, _threads(len(y))), rounds, unit)
    if candidate.family == "logistic":
        return fit_logistic(matrix, y, kinds, candidate.params, seed, unit)
    return fit_naive_bayes(matrix, y, kinds, unit)


def _scorer(
    selection: Selection,
    candidates: dict[str, Candidate],
    matrix: np.ndarray,
    y: np.ndarray,
    kinds: list[str],
    seed: int,
    weight: np.ndarray | None,
) -> Scorer:
    """The chosen family, or the blend of the chosen families, fitted on these rows."""
    parts = [_fit_family(candidates[f], matrix, y, kinds, seed, weight) for f in selection.families]
    if len(parts) == 1:
        return parts[0]
    return BlendScorer(parts, selection.weights, selection.offset)


def fit_model(
    frame: pd.DataFrame,
    y: np.ndarray,
    timestamps: pd.Series | None,
    schema: LeadSchema,
    *,
    folds: int = 4,
    seed: int = 0,
    budget_seconds: float | None = None,
    max_trials: int = DEFAULT_MAX_TRIALS,
    families: tuple[str, ...] = FAMILIES,
    cold_start: bool | None = None,
    info: dict[str, Any] | None = None,
    progress: bool = True,
) -> FitResult:
    """Choose recency weighting and family by cross-validation, fit the choice on these rows, calibrate on OOF.

    `cold_start` (default: decided by the minimum-data rule on these rows) fits naive Bayes alone, untuned.
    `progress` logs each step at INFO (else DEBUG). Same data, schema and seed give the same model (no wall clock
    is involved unless `budget_seconds` caps the search).
    """
    level = logging.INFO if progress else logging.DEBUG
    if cold_start is None:
        reason = cold_start_reason(y)
        if reason:
            log.warning(reason)
        cold_start = reason is not None
    if cold_start:
        families = (COLD_START_FAMILY,)
    threads = _threads(len(frame))
    kinds = kinds_of(schema)
    splits, in_time = cv_folds(y, timestamps, folds, seed)
    fold_weights = [float(k + 1) for k in range(len(splits))] if in_time else None
    prepared = prepare_folds(frame, splits, lambda rows: build_preprocessor(schema, rows), fold_weights)
    recency = (
        Recency(None, {}, "cold start: every lead counts the same")
        if cold_start
        else choose_recency(
            prepared, y, kinds, timestamps if in_time else None, LOGISTIC_DEFAULTS, seed, threads
        )
    )
    log.log(level, "recency: %s", recency.reason)
    weight = recency_weights(timestamps, recency.half_life_days)
    candidates = search(
        list(families),
        prepared,
        y,
        kinds,
        budget_seconds=budget_seconds,
        max_trials=max_trials,
        seed=seed,
        threads=threads,
        weight=weight,
        log_level=level,
    )
    for candidate in candidates.values():
        if candidate.family == "lightgbm":
            candidate.params["num_boost_round"] = max(1, int(np.median(candidate.cv.rounds) * REFIT_ROUNDS))
    selection = select(candidates, y, prepared)
    log.log(level, "chose %s: %s", selection.name, selection.reason)

    preprocessor = build_preprocessor(schema, len(frame))
    matrix = preprocessor.fit_transform(frame)
    scorer = _scorer(selection, candidates, matrix, y, kinds, seed, weight)
    oof_rows = np.flatnonzero(~np.isnan(selection.oof_raw))
    oof_ts = None if timestamps is None else timestamps.iloc[oof_rows].reset_index(drop=True)
    model_info = {
        **(info or {}),
        "family": selection.name,
        "selection": selection.table,
        "selection_reason": selection.reason,
        "recency": {"half_life_days": recency.half_life_days, "cv_roc_auc": recency.table},
        "recency_reason": recency.reason,
    }
    if cold_start:
        model_info["cold_start"] = True
    model, oof_probability = calibrated_model(
        schema,
        preprocessor,
        scorer,
        (matrix, y, timestamps),
        (selection.oof_raw[oof_rows], y[oof_rows], oof_ts),
        recency.half_life_days,
        model_info,
    )
    params = {
        "family": selection.name,
        "cv_folds": len(splits),
        "half_life_days": "none" if recency.half_life_days is None else f"{recency.half_life_days:.1f}",
        **{f"{f}_{k}": v for f in selection.families for k, v in candidates[f].params.items()},
        **{f"{f}_trials": c.trials for f, c in candidates.items()},
    }
    return FitResult(
        model, oof_probability, oof_rows, y[oof_rows], candidates, selection, recency, params, seed, folds
    )


def refit(
    fit: FitResult,
    frame: pd.DataFrame,
    y: np.ndarray,
    timestamps: pd.Series | None,
    calibration_raw: np.ndarray,
    calibration_y: np.ndarray,
    calibration_timestamps: pd.Series | None,
    info: dict[str, Any] | None = None,
) -> tuple[LeadModel, np.ndarray]:
    """The same choice (families, settings, blend weights, recency) fitted on `frame`, every labelled lead.

    Calibration is fitted on `calibration_raw`: log-odds of leads scored by models that never saw them (the
    training part's out-of-fold scores and the holdout's scores from `fit.model`), recent ones counting more.
    Returns the model and the calibrated probabilities of those leads.
    """
    schema = fit.model.schema
    kinds = kinds_of(schema)
    recency = fit.recency
    if timestamps is not None and not fit.model.info.get("cold_start"):
        # The recipe, not its outcome, is what the holdout judged: the newest leads are where drift shows, so the
        # half-life is chosen again on time folds over every labelled lead.
        splits, in_time = cv_folds(y, timestamps, fit.folds, fit.seed)
        weights = [float(k + 1) for k in range(len(splits))]
        prepared = prepare_folds(frame, splits, lambda rows: build_preprocessor(schema, rows), weights)
        stamps = timestamps if in_time else None
        recency = choose_recency(prepared, y, kinds, stamps, LOGISTIC_DEFAULTS, fit.seed, _threads(len(y)))
        del prepared
    preprocessor = build_preprocessor(schema, len(frame))
    matrix = preprocessor.fit_transform(frame)
    weight = recency_weights(timestamps, recency.half_life_days)
    scorer = _scorer(fit.selection, fit.candidates, matrix, y, kinds, fit.seed, weight)
    model_info = {
        **fit.model.info,
        "recency": {"half_life_days": recency.half_life_days, "cv_roc_auc": recency.table},
        "recency_reason": recency.reason,
        **(info or {}),
    }
    return calibrated_model(
        schema,
        preprocessor,
        scorer,
        (matrix, y, timestamps),
        (calibration_raw, calibration_y, calibration_timestamps),
        recency.half_life_days,
        model_info,
    )
