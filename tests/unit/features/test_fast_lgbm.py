"""LightGBM's single-row C API path gives `predict`'s numbers, from any thread; the scorer keeps it out of pickles."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from small_boosters import awkward_rows, small_booster

from features.families import LightGBMScorer
from features.fast_lgbm import SingleRowPredictor
from features.tree_shap import TreeShapTable


def test_one_row_at_a_time_equals_predict_on_big_trees() -> None:
    booster = small_booster(31, rounds=40)
    rows = awkward_rows(300, seed=3)
    one = SingleRowPredictor(booster)
    raw = booster.predict(rows, raw_score=True)
    contrib = booster.predict(rows, pred_contrib=True)
    for i, row in enumerate(rows):
        assert one.raw(row) == raw[i]
        np.testing.assert_array_equal(one.contributions(row), contrib[i])
    with pytest.raises(ValueError, match="4 features"):
        one.raw(rows[0, :3])


def test_threads_sharing_one_predictor_each_get_their_own_answers() -> None:
    booster = small_booster(31, rounds=40)
    rows = awkward_rows(400, seed=4)
    one = SingleRowPredictor(booster)
    contrib = booster.predict(rows, pred_contrib=True)

    def score(part: int) -> list[np.ndarray]:
        return [one.contributions(row) for row in rows[part::4]]

    with ThreadPoolExecutor(4) as pool:
        parts = list(pool.map(score, range(4)))
    for part, answers in enumerate(parts):
        np.testing.assert_array_equal(np.array(answers), contrib[part::4])


@pytest.mark.parametrize(("num_leaves", "helper"), [(3, TreeShapTable), (31, SingleRowPredictor)])
def test_the_scorer_picks_a_one_row_path_and_pickles_without_it(num_leaves: int, helper: type) -> None:
    scorer = LightGBMScorer(small_booster(num_leaves, rounds=30))
    rows = awkward_rows(50, seed=5)
    raw, (contrib, baseline) = scorer.raw(rows), scorer.explain(rows)
    for i in range(len(rows)):
        one = rows[i : i + 1]
        assert scorer.raw(one)[0] == raw[i]
        r, c, b = scorer.raw_and_explain(one)
        assert r[0] == raw[i] and b[0] == baseline[i]
        np.testing.assert_array_equal(c[0], contrib[i])
    assert isinstance(scorer.prepare_one_row(), helper)
    again = pickle.loads(pickle.dumps(scorer))
    assert "_one_row" not in again.__dict__
    np.testing.assert_array_equal(again.explain(rows[:1])[0], contrib[:1])
