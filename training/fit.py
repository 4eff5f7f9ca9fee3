"""Fitting the scorer: candidate families searched and compared by cross-validation, the winner refit, calibrated."""

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
from features.model import Calibration, LeadModel
from features.scale import ScoreScale
from features.schema import LeadSchema
from training.candidates import FAMILIES, fit_lightgbm, fit_logistic, fit_naive_bayes, lightgbm_params
from training.crossval import kinds_of, platt, prepare_folds
from training.evaluate import expected_calibration_error
from training.search import Candidate, search
from training.select import COLD_START_FAMILY, Selection, cold_start_reason, select
from training.split import cv_folds

log = logging.getLogger(__name__)
# OpenMP threads spin while waiting: on small tables and busy 2-core machines one thread is several times faster.
THREADS_FROM_ROWS = 100_000
DEFAULT_BUDGET_SECONDS = 60
DEFAULT_MAX_TRIALS = 40


@dataclass
class FitResult:
    """The fitted model plus what the fit learned along the way (for logging)."""

    model: LeadModel
    oof_probability: np.ndarray
    oof_rows: np.ndarray
    oof_labels: np.ndarray
    candidates: dict[str, Candidate]
    selection: Selection
    params: dict[str, Any] = field(default_factory=dict)

    def cv_metrics(self) -> dict[str, float]:
        """Each compared family's (and the chosen blend's) cross-validated ROC AUC and log loss, for MLflow."""
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


def _refit(
    candidate: Candidate, matrix: np.ndarray, y: np.ndarray, kinds: list[str], seed: int, threads: int
) -> Scorer:
    """The family refit on all training rows with its chosen setting."""
    if candidate.family == "lightgbm":
        # all training rows are a little more than any fold saw: scale the rounds accordingly
        rounds = max(1, int(np.median(candidate.cv.rounds) * 1.1))
        candidate.params["num_boost_round"] = rounds
        params = {k: v for k, v in candidate.params.items() if k != "num_boost_round"}
        return fit_lightgbm(matrix, y, kinds, lightgbm_params(params, seed, threads), rounds)
    if candidate.family == "logistic":
        return fit_logistic(matrix, y, kinds, candidate.params, seed)
    return fit_naive_bayes(matrix, y, kinds)


def fit_model(
    frame: pd.DataFrame,
    y: np.ndarray,
    timestamps: pd.Series | None,
    schema: LeadSchema,
    *,
    folds: int = 4,
    seed: int = 0,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    max_trials: int = DEFAULT_MAX_TRIALS,
    families: tuple[str, ...] = FAMILIES,
    cold_start: bool | None = None,
    info: dict[str, Any] | None = None,
    progress: bool = True,
) -> FitResult:
    """Search each family by cross-validation, select (or blend), refit on all training rows, calibrate on OOF.

    `cold_start` (default: decided by the minimum-data rule on these rows) fits naive Bayes alone, untuned.
    `progress` logs each family's search and the choice at INFO (else DEBUG).
    """
    if cold_start is None:
        reason = cold_start_reason(y)
        if reason:
            log.warning(reason)
        cold_start = reason is not None
    if cold_start:
        families = (COLD_START_FAMILY,)
    threads = 1 if len(frame) < THREADS_FROM_ROWS else 0
    kinds = kinds_of(schema)
    splits = list(cv_folds(y, timestamps, folds, seed))
    prepared = prepare_folds(frame, splits, lambda rows: build_preprocessor(schema, rows))
    candidates = search(
        list(families),
        prepared,
        y,
        kinds,
        budget_seconds=budget_seconds,
        max_trials=max_trials,
        seed=seed,
        threads=threads,
        log_level=logging.INFO if progress else logging.DEBUG,
    )
    selection = select(candidates, y, prepared)
    log.log(logging.INFO if progress else logging.DEBUG, "chose %s: %s", selection.name, selection.reason)

    preprocessor = build_preprocessor(schema, len(frame))
    matrix = preprocessor.fit_transform(frame)
    parts = [_refit(candidates[f], matrix, y, kinds, seed, threads) for f in selection.families]
    scorer: Scorer = parts[0] if len(parts) == 1 else BlendScorer(parts, selection.weights, selection.offset)
    oof_rows = np.flatnonzero(~np.isnan(selection.oof_raw))
    slope, intercept = platt(selection.oof_raw[oof_rows], y[oof_rows])
    calibration = Calibration(slope=slope, intercept=intercept)
    oof_probability = calibration(selection.oof_raw[oof_rows])
    model_info = {
        **(info or {}),
        "family": selection.name,
        "selection": selection.table,
        "selection_reason": selection.reason,
    }
    if cold_start:
        model_info["cold_start"] = True
    model = LeadModel(
        schema=schema,
        preprocessor=preprocessor,
        scorer=scorer,
        calibration=calibration,
        scale=ScoreScale.fit(oof_probability),
        info=model_info,
    )
    params = {
        "family": selection.name,
        "cv_folds": len(splits),
        **{f"{f}_{k}": v for f in selection.families for k, v in candidates[f].params.items()},
        **{f"{f}_trials": c.trials for f, c in candidates.items()},
    }
    return FitResult(model, oof_probability, oof_rows, y[oof_rows], candidates, selection, params)
