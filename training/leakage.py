"""The leakage guard: a feature that alone predicts the outcome almost perfectly was most likely filled in after it."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from features.clean import LeadCleaner
from features.schema import LeadSchema
from training.data import DataError

log = logging.getLogger(__name__)

REFUSE_AUC = 0.97  # no honest pre-contact signal separates converted from not this well on its own
WARN_AUC = 0.90
NUMERIC_BINS = 20
SMOOTHING = 10.0


def _as_groups(values: pd.Series, numeric: bool) -> pd.Series:
    """Values as group keys: numbers in quantile bins, missing as a group of its own."""
    keys: pd.Series = values.astype("string")
    if numeric:
        bins = np.ceil(values.rank(method="average", pct=True) * NUMERIC_BINS)
        keys = pd.Series(bins, index=values.index).astype("Int64").astype("string")
    return keys.fillna("(missing)")


def single_feature_auc(frame: pd.DataFrame, y: np.ndarray, schema: LeadSchema, seed: int = 0) -> pd.Series:
    """Each feature's ROC AUC alone: out-of-fold smoothed conversion rate of its value (so ids score 0.5, not 1)."""
    typed = LeadCleaner(schema.to_dict()).fit(frame).transform(frame)
    folds = list(StratifiedKFold(n_splits=2, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    out = {}
    for column in schema.features:
        keys = _as_groups(typed[column], schema.kind(column) == "numeric").to_numpy()
        predicted = np.empty(len(y))
        for fit_rows, score_rows in folds:
            prior = y[fit_rows].mean()
            stats = (
                pd.DataFrame({"k": keys[fit_rows], "y": y[fit_rows]}).groupby("k")["y"].agg(["sum", "count"])
            )
            rate = (stats["sum"] + SMOOTHING * prior) / (stats["count"] + SMOOTHING)
            predicted[score_rows] = pd.Series(keys[score_rows]).map(rate).fillna(prior).to_numpy()
        auc = float(roc_auc_score(y, predicted))
        out[column] = max(auc, 1.0 - auc)
    return pd.Series(out, name="single_feature_auc").sort_values(ascending=False)


def check_leakage(power: pd.Series, allow_leaky: bool) -> list[str]:
    """Refuse (or, when allowed, warn about) features that alone nearly decide the label; warn about strong ones."""
    leaky = power[power >= REFUSE_AUC]
    if len(leaky) and not allow_leaky:
        name, auc = leaky.index[0], leaky.iloc[0]
        raise DataError(
            f"feature {name!r} alone predicts the label with ROC AUC {auc:.3f}: it is probably filled in after "
            "the outcome; move it to `drop` in the schema, or pass --allow-leaky"
        )
    warnings = [
        f"feature {name!r} alone reaches ROC AUC {auc:.3f}; check it is known before sales contact"
        for name, auc in power[power >= WARN_AUC].items()
    ]
    for warning in warnings:
        log.warning(warning)
    return warnings
