"""Calibrating the registered scorer: how far to trust its log-odds (slope) and at what level (intercept).

The slope comes from leads the scorer's fit never saw (out-of-fold and holdout scores); the level from the scorer's
own leads, recent ones counting more, so the probabilities follow today's conversion rate. See `calibrated_model`;
`recalibrated` refits both later on sales outcomes (`leadscore recalibrate`).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from sklearn.pipeline import Pipeline

from features.families import Scorer
from features.model import Calibration, LeadModel
from features.scale import ScoreScale
from features.schema import LeadSchema
from training.crossval import platt
from training.recency import calibration_half_life, recency_weights


def level(raw: np.ndarray, y: np.ndarray, slope: float, weight: np.ndarray | None) -> float:
    """The intercept at which sigmoid(slope * raw + intercept) averages to the (weighted) conversion rate."""
    w = np.ones(len(y)) if weight is None else weight
    target = float(np.sum(w * y))

    def gap(b: float) -> float:
        return float(np.sum(w * (1.0 / (1.0 + np.exp(-(slope * raw + b)))))) - target

    return float(brentq(gap, -50.0, 50.0, xtol=1e-12))


def calibrated_model(
    schema: LeadSchema,
    preprocessor: Pipeline,
    scorer: Scorer,
    fitted: tuple[np.ndarray, np.ndarray, pd.Series | None],
    unseen: tuple[np.ndarray, np.ndarray, pd.Series | None],
    half_life_days: float | None,
    info: dict[str, Any],
) -> tuple[LeadModel, np.ndarray]:
    """The model with its calibration: the slope from leads its fit never saw, the level from its own leads.

    `unseen` holds log-odds of leads scored by models that never saw them (out-of-fold, holdout), with labels and
    times: a Platt fit on them gives an honest slope (how far to trust the spread of the log-odds). Their level,
    though, is that of the fold models, fitted on older leads and with other weights; under drift it differs from
    the registered scorer's. So the intercept is set on `fitted` (the scorer's own matrix, labels, times) so that
    the mean probability matches the conversion rate, recent leads counting more, as the slope's fit did.
    Returns the model and the unseen leads' Platt-calibrated probabilities (the score scale's reference).
    """
    matrix, y, timestamps = fitted
    raw_unseen, y_unseen, ts_unseen = unseen
    half_life = calibration_half_life(ts_unseen, half_life_days)
    slope, intercept = platt(raw_unseen, y_unseen, recency_weights(ts_unseen, half_life))
    weight = recency_weights(timestamps, calibration_half_life(timestamps, half_life_days))
    calibration = Calibration(slope=slope, intercept=level(scorer.raw(matrix), y, slope, weight))
    reference = Calibration(slope=slope, intercept=intercept)(raw_unseen)
    model = LeadModel(
        schema=schema,
        preprocessor=preprocessor,
        scorer=scorer,
        calibration=calibration,
        scale=ScoreScale.fit(reference),
        info=info,
    )
    return model, reference


def recalibrated(model: LeadModel, raw: np.ndarray, y: np.ndarray) -> LeadModel:
    """The model with its Platt calibration refitted on (log-odds, outcome) pairs; everything else is kept.

    Only p = sigmoid(slope * raw + intercept) changes: the preprocessor, the scorer (so the ranking of leads, and the
    reasons' direction) and the score scale are the very same objects. The scale is deliberately not refitted. It
    maps a probability to the share of training leads whose probability it exceeds, and the grades are cuts on that
    score, so each grade starts at a fixed probability (`ScoreScale.probability_cuts`): an A means "expected to
    convert at least this often". With the scale kept, a lead whose corrected probability crosses a cut changes grade
    and every grade keeps its expected conversion (a rising conversion rate gives more As, as it should). Pushing the
    reference through the new calibration instead would leave every score and grade as it was and change what the
    grades promise, behind the backs of the people who read them.

    The reference profile's score side follows the new calibration (`ReferenceProfile.under`: the training leads'
    score shares, grade shares and expected rates as the new model scores them), so monitoring compares like with
    like and shows no drift that is only the recalibration; its features, and the observed rate per grade (training
    outcomes), stay training-time facts. A profile from before the log-odds sketch keeps its stored score side.

    The copy's `info` is a copy of the model's, for the caller to add to. Raises ValueError when the refit slope is
    not positive: the log-odds then no longer rank the outcomes, and only retraining helps.
    """
    slope, intercept = platt(raw, y)
    if not slope > 0:
        raise ValueError(
            f"the model's log-odds do not rank these outcomes (refitted slope {slope:.3g}); retrain instead"
        )
    new = copy.copy(model)  # the same fitted objects, whatever else the model carries
    new.calibration = Calibration(slope=slope, intercept=intercept)
    new.info = dict(model.info)
    if model.profile is not None:
        new.profile = model.profile.under(new.calibration, new.scale)
    return new
