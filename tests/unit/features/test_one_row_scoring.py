"""Every family scores a row alone exactly as in a batch, and `raw_and_explain` is `raw` plus `explain`.

A row alone takes the one-row specialisations (the TreeSHAP table's bincount; splines and code tables on one row),
which must give the batch's numbers bit for bit."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from small_boosters import small_booster

from features.families import AdditiveScorer, BlendScorer, LightGBMScorer, Scorer, SplineTerm, TableTerm

NAN = np.nan


def _additive() -> AdditiveScorer:
    """Every kind of term: codes, a 0/1 flag, a clipped spline with several knots, and a binned number."""
    terms = [
        SplineTerm(slope=0.3, knots=np.array([0.5, 1.0, 2.0]), hinges=np.array([-0.2, 0.7, -0.4]), missing=-0.5,
                   low=0.0, high=2.5),
        TableTerm(table=np.array([0.0, 0.4]), missing=0.1),
        TableTerm(table=np.array([0.5, -0.25, 1.0, 0.3]), missing=-0.75),
        TableTerm(table=np.array([-1.0, 0.0, 2.0]), missing=0.5, edges=np.array([3.0, 10.0])),
    ]  # fmt: skip
    return AdditiveScorer("logistic", -1.0, terms)


def _rows(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    odd = [NAN, np.inf, -np.inf, 0.0, -0.0, 1e300, -1.0, 0.5, 2.5, 3.0, 4.0, 7.0, 1e9, -0.5, 10.0]
    x = np.column_stack(
        [rng.exponential(3, n), rng.integers(0, 2, n), rng.integers(0, 4, n), rng.exponential(5, n)]
    )
    swap = rng.random(x.shape) < 0.4
    x[swap] = rng.choice(odd, size=int(swap.sum()))
    return x


def _scorers() -> dict[str, Scorer]:
    matrix = _rows(500, seed=1)
    additive = _additive().centered(matrix)
    table_lgbm = LightGBMScorer(small_booster(3, rounds=40))
    assert table_lgbm.prepare() is not None
    big_trees = LightGBMScorer(small_booster(31, rounds=20))
    assert big_trees.prepare() is None
    return {
        "additive": additive,
        "lightgbm-table": table_lgbm,
        "lightgbm-predict": big_trees,
        "blend": BlendScorer([table_lgbm, additive], [0.55, 0.45], offset=0.1),
    }


@pytest.mark.parametrize("kind", ["additive", "lightgbm-table", "lightgbm-predict", "blend"])
def test_alone_in_a_batch_and_in_one_pass_all_agree(kind: str) -> None:
    scorer = _scorers()[kind]
    rows = _rows(300, seed=2)
    raw, (contrib, baseline) = scorer.raw(rows), scorer.explain(rows)
    r_all, c_all, b_all = scorer.raw_and_explain(rows)
    np.testing.assert_array_equal(r_all, raw)
    np.testing.assert_array_equal(c_all, contrib)
    np.testing.assert_array_equal(b_all, baseline)
    for i in range(len(rows)):
        one = rows[i : i + 1]
        assert scorer.raw(one)[0] == raw[i], rows[i]
        r, c, b = scorer.raw_and_explain(one)
        assert r[0] == raw[i] and b[0] == baseline[i], rows[i]
        np.testing.assert_array_equal(c[0], contrib[i], err_msg=str(rows[i]))
        c, b = scorer.explain(one)
        np.testing.assert_array_equal(c[0], contrib[i])


def test_scoring_caches_stay_out_of_the_pickled_model() -> None:
    scorer = _scorers()["blend"]
    assert isinstance(scorer, BlendScorer)
    rows = _rows(20, seed=3)
    assert "_shap" in scorer.parts[0].__dict__
    for i in range(len(rows)):
        scorer.raw_and_explain(rows[i : i + 1])
    again = pickle.loads(pickle.dumps(scorer))
    lightgbm, additive = again.parts
    assert "_shap" not in lightgbm.__dict__
    assert not {"_plan", "_splines", "_baseline"} & set(additive.__dict__)
    for got, want in zip(again.raw_and_explain(rows[:1]), scorer.raw_and_explain(rows[:1]), strict=True):
        np.testing.assert_array_equal(got, want)
