"""Splitting leads for honest evaluation: the most recent leads when there is time, else a stratified sample."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, train_test_split

log = logging.getLogger(__name__)


def time_order(timestamps: pd.Series | None, n: int) -> np.ndarray:
    """Row positions from oldest to newest (leads without a time count as oldest); input order without timestamps."""
    if timestamps is None:
        return np.arange(n)
    keys = timestamps.to_numpy(dtype="datetime64[ns]")
    return np.argsort(np.where(np.isnat(keys), np.datetime64(0, "ns"), keys), kind="stable")


def holdout_split(
    y: np.ndarray, timestamps: pd.Series | None, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, str]:
    """Train and holdout row positions and the method used ('time' or 'stratified')."""
    n = len(y)
    if timestamps is not None:
        order = time_order(timestamps, n)
        cut = n - max(1, round(fraction * n))
        train, holdout = np.sort(order[:cut]), np.sort(order[cut:])
        if len(np.unique(y[holdout])) == 2 and len(np.unique(y[train])) == 2:
            return train, holdout, "time"
        log.warning(
            "the newest %.0f%% of leads hold only one outcome: holding out a stratified sample instead "
            "(the holdout no longer shows how the model does on the newest leads)",
            100 * fraction,
        )
    train, holdout = train_test_split(np.arange(n), test_size=fraction, stratify=y, random_state=seed)
    return np.sort(train), np.sort(holdout), "stratified"


def cv_folds(
    y: np.ndarray, timestamps: pd.Series | None, folds: int, seed: int
) -> tuple[list[tuple[np.ndarray, np.ndarray]], bool]:
    """Cross-validation folds over the training rows, and whether they are in time: expanding windows, else
    stratified K-fold.

    With time, fold k trains on the oldest blocks and validates on the next one, so every validation lead is
    newer than what its model saw, as at scoring time. Blocks with a single outcome cannot validate: the others are
    used (one warning line), and stratified folds when fewer than two are left.
    """
    n = len(y)
    if timestamps is not None:
        order = time_order(timestamps, n)
        blocks = np.array_split(order, folds + 1)
        splits = []
        for k in range(1, folds + 1):
            fit_rows, valid_rows = np.concatenate(blocks[:k]), blocks[k]
            if len(np.unique(y[fit_rows])) == 2 and len(np.unique(y[valid_rows])) == 2:
                splits.append((np.sort(fit_rows), np.sort(valid_rows)))
        if len(splits) == folds:
            return splits, True
        if len(splits) >= 2:
            log.warning(
                "only %d of %d time folds hold both outcomes: cross-validating on those", len(splits), folds
            )
            return splits, True
        log.warning(
            "too few conversions spread over time for %d time folds: cross-validating on stratified folds instead",
            folds,
        )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(n), y)), False
