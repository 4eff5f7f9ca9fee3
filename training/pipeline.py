"""The model a training run registers: judged once on a holdout, then refit on every labelled lead.

1. Split off the holdout (the newest leads when there is a timestamp).
2. Fit on the training part (`training.fit.fit_model`) and score the holdout once: the report's honest numbers.
3. Refit the same choice on all labelled leads, training part and holdout together, and calibrate it on scores of
   leads no model saw while fitting (the training part's out-of-fold scores and the holdout's scores from step 2).
4. Profile those leads as the registered model sees them (features/profile.py): the reference monitoring compares
   scored leads with.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from features.model import LeadModel
from features.profile import build_profile
from features.schema import LeadSchema
from training.fit import DEFAULT_MAX_TRIALS, FitResult, fit_model, refit
from training.split import holdout_split

log = logging.getLogger(__name__)


@dataclass
class Trained:
    """The pre-refit fit with its holdout scores, and the registered model fitted on every labelled lead."""

    fit: FitResult
    model: LeadModel
    split: str
    train_rows: np.ndarray
    holdout_rows: np.ndarray
    holdout_scores: pd.DataFrame  # the pre-refit model's probability, score and grade per holdout lead
    calibration_probability: np.ndarray  # the final model's calibration set, calibrated (for its score scale)

    @property
    def holdout_probability(self) -> np.ndarray:
        return self.holdout_scores["probability"].to_numpy()


def _rows(series: pd.Series | None, rows: np.ndarray) -> pd.Series | None:
    return None if series is None else series.iloc[rows].reset_index(drop=True)


def train_model(
    frame: pd.DataFrame,
    y: np.ndarray,
    timestamps: pd.Series | None,
    schema: LeadSchema,
    *,
    holdout_fraction: float = 0.2,
    folds: int = 4,
    seed: int = 0,
    max_trials: int = DEFAULT_MAX_TRIALS,
    budget_seconds: float | None = None,
    cold_start: bool | None = None,
    info: dict[str, Any] | None = None,
    progress: bool = True,
) -> Trained:
    """Holdout evaluation of the choice, then the choice refit on all rows (see the module doc)."""
    level = logging.INFO if progress else logging.DEBUG
    train_rows, holdout_rows, split = holdout_split(y, timestamps, holdout_fraction, seed)
    train_frame = frame.iloc[train_rows].reset_index(drop=True)
    holdout_frame = frame.iloc[holdout_rows].reset_index(drop=True)
    fit = fit_model(
        train_frame,
        y[train_rows],
        _rows(timestamps, train_rows),
        schema,
        folds=folds,
        seed=seed,
        budget_seconds=budget_seconds,
        max_trials=max_trials,
        cold_start=cold_start,
        info=info,
        progress=progress,
    )
    log.log(
        level,
        "scoring the %d holdout leads, then refitting on all %d labelled leads",
        len(holdout_rows),
        len(y),
    )
    holdout_scores = fit.model.score_frame(holdout_frame)
    holdout_raw = fit.model.scorer.raw(fit.model.matrix(holdout_frame))
    del train_frame, holdout_frame  # copies of `frame`'s rows: the refit reads `frame` itself
    # the calibration set: leads scored by models that never saw them, in time order where there is time
    calibration_rows = np.concatenate([train_rows[fit.oof_rows], holdout_rows])
    calibration_raw = np.concatenate([fit.oof_raw, holdout_raw])
    model, calibration_probability = refit(
        fit,
        frame,
        y,
        timestamps,
        calibration_raw,
        y[calibration_rows],
        _rows(timestamps, calibration_rows),
        info={
            "trained_rows": len(y),
            "holdout_rows": len(holdout_rows),
            "calibration_rows": len(calibration_rows),
            "split": split,
        },
    )
    log.log(level, "profiling the %d leads the registered model was fitted on", len(y))
    model.profile = build_profile(model, frame, y, timestamps)
    return Trained(fit, model, split, train_rows, holdout_rows, holdout_scores, calibration_probability)
