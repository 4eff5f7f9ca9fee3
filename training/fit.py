"""Fitting the scorer: LightGBM with early stopping per fold, Platt calibration on out-of-fold predictions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from tqdm.auto import tqdm

from features.clean import LeadCleaner
from features.encode import CategoryEncoder
from features.model import Calibration, LeadModel
from features.scale import ScoreScale
from features.schema import LeadSchema
from training.split import cv_folds

# Strongly regularised, shallow trees: lead tables are small and noisy, and most effects are close to additive.
BASE_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 7,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.5,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 50.0,
    "cat_smooth": 100.0,
    "cat_l2": 10.0,
    "min_data_per_group": 50,
    "max_cat_to_onehot": 8,
    "verbosity": -1,
}
# OpenMP threads spin while waiting: on small tables and busy 2-core machines one thread is several times faster.
THREADS_FROM_ROWS = 100_000


@dataclass
class FitResult:
    """The fitted model plus what the fit learned along the way (for logging)."""

    model: LeadModel
    oof_probability: np.ndarray
    oof_rows: np.ndarray
    best_iterations: list[int]
    params: dict[str, Any] = field(default_factory=dict)


def build_preprocessor(schema: LeadSchema, rows: int) -> Pipeline:
    """Cleaning then encoding; rare categories need more rows on bigger tables before they earn their own code."""
    min_count = int(min(50, max(10, rows // 500)))
    return Pipeline(
        [
            ("clean", LeadCleaner(schema.to_dict())),
            ("encode", CategoryEncoder(schema.categorical, min_count=min_count)),
        ]
    )


def _dataset(
    matrix: np.ndarray, y: np.ndarray, schema: LeadSchema, reference: lgb.Dataset | None = None
) -> lgb.Dataset:
    categorical = [i for i, name in enumerate(schema.features) if name in schema.categorical]
    return lgb.Dataset(
        matrix,
        label=y,
        feature_name=[f"f{i}" for i in range(len(schema.features))],
        categorical_feature=categorical,
        reference=reference,
        free_raw_data=False,
    )


def _platt(raw: np.ndarray, y: np.ndarray) -> Calibration:
    fitted = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
    return Calibration(slope=float(fitted.coef_[0, 0]), intercept=float(fitted.intercept_[0]))


def fit_model(
    frame: pd.DataFrame,
    y: np.ndarray,
    timestamps: pd.Series | None,
    schema: LeadSchema,
    *,
    folds: int = 4,
    max_rounds: int = 3000,
    early_stopping: int = 150,
    seed: int = 0,
    info: dict[str, Any] | None = None,
    progress: bool = True,
) -> FitResult:
    """Cross-validate for the number of rounds and out-of-fold predictions, then refit on all training rows."""
    params = {**BASE_PARAMS, "seed": seed, "num_threads": 1 if len(frame) < THREADS_FROM_ROWS else 0}
    preprocessor = build_preprocessor(schema, len(frame))
    oof_raw = np.full(len(y), np.nan)
    best: list[int] = []
    splits = list(cv_folds(y, timestamps, folds, seed))
    for fit_rows, valid_rows in tqdm(splits, desc="cross-validation", disable=not progress, unit="fold"):
        fold_pre = build_preprocessor(schema, len(fit_rows)).fit(frame.iloc[fit_rows])
        train_set = _dataset(fold_pre.transform(frame.iloc[fit_rows]), y[fit_rows], schema)
        valid_matrix = fold_pre.transform(frame.iloc[valid_rows])
        valid_set = _dataset(valid_matrix, y[valid_rows], schema, reference=train_set)
        booster = lgb.train(
            params,
            train_set,
            num_boost_round=max_rounds,
            valid_sets=[valid_set],
            callbacks=[lgb.early_stopping(early_stopping, verbose=False)],
        )
        best.append(max(1, booster.best_iteration))
        oof_raw[valid_rows] = booster.predict(
            valid_matrix, num_iteration=booster.best_iteration, raw_score=True
        )
    oof_rows = np.flatnonzero(~np.isnan(oof_raw))
    # The final model sees all training rows, a little more than any fold did: scale its rounds accordingly.
    rounds = max(1, int(np.median(best) * 1.1))
    matrix = preprocessor.fit_transform(frame)
    booster = lgb.train(params, _dataset(matrix, y, schema), num_boost_round=rounds)
    calibration = _platt(oof_raw[oof_rows], y[oof_rows])
    oof_probability = calibration(oof_raw[oof_rows])
    model = LeadModel(
        schema=schema,
        preprocessor=preprocessor,
        booster=booster,
        calibration=calibration,
        scale=ScoreScale.fit(oof_probability),
        info=info,
    )
    return FitResult(
        model, oof_probability, oof_rows, best, {**params, "num_boost_round": rounds, "cv_folds": len(splits)}
    )
