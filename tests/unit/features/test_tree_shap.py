"""The TreeSHAP table gives LightGBM's own raw scores and contributions, bit for bit, one row alone and in batches."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest
from small_boosters import awkward_rows, edge_rows, small_booster

from features.tree_shap import CONTRIB_BLOCK, RAW_BLOCK, build


def _assert_exact(booster: lgb.Booster, rows: np.ndarray) -> None:
    table = build(booster)
    assert table is not None, "these trees should be served from the table"
    raw = booster.predict(rows, raw_score=True)
    contrib = booster.predict(rows, pred_contrib=True)
    for i, row in enumerate(rows):  # each row alone (the one-row specialisation)
        got_raw, got = table.score_batch(row[None, :], contributions=True)
        assert got is not None
        _assert_bits_equal(got_raw, raw[i : i + 1])
        _assert_bits_equal(got, contrib[i : i + 1])
        _assert_bits_equal(table.score_batch(row[None, :], contributions=False)[0], raw[i : i + 1])
    # the same rows as batches: one block, several blocks with a one-row tail, and a two-row batch
    rows = np.vstack([rows, edge_rows(booster, 2 * RAW_BLOCK + 1 - len(rows), seed=len(rows))])
    raw = booster.predict(rows, raw_score=True)
    contrib = booster.predict(rows, pred_contrib=True)
    for part in (slice(0, 2), slice(0, CONTRIB_BLOCK + 1), slice(0, RAW_BLOCK), slice(None)):
        got_raw, got = table.score_batch(rows[part], contributions=True)
        assert got is not None
        _assert_bits_equal(got_raw, raw[part])
        _assert_bits_equal(got, contrib[part])
        _assert_bits_equal(table.score_batch(rows[part], contributions=False)[0], raw[part])
        assert table.score_batch(rows[part], contributions=False)[1] is None


def _assert_bits_equal(got: np.ndarray, want: np.ndarray) -> None:
    """Equal with ==, and the same bits (down to the sign of a zero)."""
    assert got.shape == want.shape
    assert (got == want).all(), np.abs(got - want).max()
    np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64))


@pytest.mark.parametrize("num_leaves", [2, 3, 5, 7])
def test_small_trees_match_lightgbm_exactly(num_leaves: int) -> None:
    _assert_exact(small_booster(num_leaves), awkward_rows(400, seed=num_leaves))


def test_zero_as_missing_and_nan_as_zero_rules_match() -> None:
    _assert_exact(small_booster(3, zero_as_missing=True), awkward_rows(300, seed=7))
    _assert_exact(small_booster(3, use_missing=False), awkward_rows(300, seed=8))


def test_the_best_iteration_is_the_one_scored() -> None:
    booster = small_booster(3, rounds=60)
    booster.best_iteration = 25  # as early stopping leaves it on a booster that keeps all its trees
    _assert_exact(booster, awkward_rows(200, seed=9))


def test_big_trees_are_left_to_lightgbm() -> None:
    assert build(small_booster(16, rounds=5)) is None
