"""LightGBMScorer scores through the TreeSHAP table once it is prepared: LightGBM's numbers, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from small_boosters import awkward_rows, edge_rows, small_booster

import features.families as families
from features.families import LightGBMScorer
from features.tree_shap import TreeShapTable


def _rows(scorer: LightGBMScorer, n: int) -> np.ndarray:
    return np.vstack([awkward_rows(n // 2, seed=n), edge_rows(scorer.booster, n - n // 2, seed=n)])


@pytest.mark.parametrize("n", [1, 2, 65, 257, 700])  # 65 and 257: a block of 64 or 256 and one row more
def test_batches_equal_predict_exactly(n: int) -> None:
    scorer = LightGBMScorer(small_booster(5, rounds=40))
    assert isinstance(scorer.prepare(), TreeShapTable)
    rows = _rows(scorer, n)
    raw = scorer.booster.predict(rows, raw_score=True)
    contrib = scorer.booster.predict(rows, pred_contrib=True)
    assert (scorer.raw(rows) == raw).all()
    got, baseline = scorer.explain(rows)
    assert (got == contrib[:, :-1]).all() and (baseline == contrib[:, -1]).all()
    both = scorer.raw_and_explain(rows, threads=1)
    assert (both[0] == raw).all() and (both[1] == contrib[:, :-1]).all() and (both[2] == contrib[:, -1]).all()


def test_a_prepared_table_serves_every_batch_size(monkeypatch: pytest.MonkeyPatch) -> None:
    scorer = LightGBMScorer(small_booster(3, rounds=30))
    table = scorer.prepare()
    assert isinstance(table, TreeShapTable)
    calls: list[tuple[int, bool]] = []
    score_batch = table.score_batch

    def counted(matrix: np.ndarray, contributions: bool) -> tuple[np.ndarray, np.ndarray | None]:
        calls.append((len(matrix), contributions))
        return score_batch(matrix, contributions)

    monkeypatch.setattr(table, "score_batch", counted)
    monkeypatch.setattr(scorer.booster, "predict", None)  # LightGBM's own predict is not called at all
    rows = _rows(scorer, 100)
    scorer.raw(rows[:1])
    scorer.raw_and_explain(rows[:7])
    scorer.explain(rows)
    assert calls == [(1, False), (7, True), (100, True)]


def test_small_batches_do_not_build_a_table_but_big_ones_do(monkeypatch: pytest.MonkeyPatch) -> None:
    scorer = LightGBMScorer(small_booster(3, rounds=30))
    rows = _rows(scorer, 300)
    raw = scorer.booster.predict(rows, raw_score=True)
    assert (scorer.raw(rows) == raw).all()
    assert "_shap" not in scorer.__dict__  # training's validation scores stay on LightGBM, no build
    monkeypatch.setattr(families, "BUILD_ROWS", 300)
    assert (scorer.raw(rows) == raw).all()
    assert isinstance(scorer.__dict__["_shap"], TreeShapTable)


def test_big_trees_stay_on_lightgbm() -> None:
    scorer = LightGBMScorer(small_booster(31, rounds=10))
    assert scorer.prepare() is None
    rows = _rows(scorer, 300)
    contrib = scorer.booster.predict(rows, pred_contrib=True)
    raw, got, baseline = scorer.raw_and_explain(rows)
    assert (raw == scorer.booster.predict(rows, raw_score=True)).all()
    assert (got == contrib[:, :-1]).all() and (baseline == contrib[:, -1]).all()
