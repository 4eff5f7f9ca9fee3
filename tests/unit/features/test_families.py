"""Scoring families: log-odds add up from the baseline and contributions, alone or in a batch, for every family."""

from __future__ import annotations

import pickle

import lightgbm as lgb
import numpy as np
import pytest

from features.families import AdditiveScorer, BlendScorer, LightGBMScorer, SplineTerm, TableTerm

NAN = np.nan


def additive() -> AdditiveScorer:
    """A category (3 codes), a boolean and a spline number, hand-made so each value is known."""
    terms = [
        TableTerm(table=np.array([0.5, -0.25, 1.0]), missing=-0.75),
        TableTerm(table=np.array([0.0, 0.4]), missing=0.1),
        SplineTerm(slope=0.3, knots=np.array([1.0]), hinges=np.array([-0.2]), missing=-0.5),
    ]
    return AdditiveScorer("logistic", -1.0, terms)


MATRIX = np.array(
    [
        [0.0, 1.0, 0.0],
        [2.0, 0.0, 10.0],
        [NAN, NAN, NAN],
        [7.0, 1.0, -3.0],  # code 7 was never fitted: its term is ignored
    ]
)


def test_table_and_spline_terms_give_the_fitted_values() -> None:
    scorer = additive()
    values = scorer.values(MATRIX)
    t10 = np.log1p(10.0)
    np.testing.assert_allclose(values[:, 0], [0.5, 1.0, -0.75, 0.0])
    np.testing.assert_allclose(values[:, 1], [0.4, 0.0, 0.1, 0.4])
    np.testing.assert_allclose(values[:, 2], [0.0, 0.3 * t10 - 0.2 * (t10 - 1.0), -0.5, 0.3 * -np.log1p(3.0)])


def test_binned_table_term_reads_numbers_by_bin() -> None:
    term = TableTerm(table=np.array([-1.0, 0.0, 2.0]), missing=0.5, edges=np.array([3.0, 10.0]))
    np.testing.assert_allclose(term(np.array([0.0, 3.0, 9.9, 10.0, 1e9, NAN])), [-1, 0, 0, 2, 2, 0.5])


def test_additive_contributions_are_centred_and_add_up_to_the_log_odds() -> None:
    scorer = additive().centered(MATRIX)
    contrib, baseline = scorer.explain(MATRIX)
    np.testing.assert_allclose(contrib.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(baseline + contrib.sum(axis=1), scorer.raw(MATRIX), atol=1e-12)


@pytest.mark.parametrize("kind", ["additive", "lightgbm", "blend"])
def test_a_lead_scores_the_same_alone_as_in_a_batch(kind: str) -> None:
    scorer = {"additive": additive().centered(MATRIX), "lightgbm": _lightgbm(), "blend": _blend()}[kind]
    batch = np.tile(MATRIX, (5, 1))
    raw, (contrib, baseline) = scorer.raw(batch), scorer.explain(batch)
    for i in range(len(MATRIX)):
        one = MATRIX[i : i + 1]
        assert scorer.raw(one)[0] == raw[i]
        c, b = scorer.explain(one)
        np.testing.assert_array_equal(c[0], contrib[i])
        assert b[0] == baseline[i]


def _lightgbm() -> LightGBMScorer:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (400, 3)).astype(float)
    y = (x[:, 0] + rng.random(400) > 1.5).astype(int)
    data = lgb.Dataset(x, label=y, categorical_feature=[0])
    params = {"objective": "binary", "verbosity": -1, "num_threads": 1, "min_data_in_leaf": 5}
    return LightGBMScorer(lgb.train(params, data, num_boost_round=20))


def _blend() -> BlendScorer:
    return BlendScorer([_lightgbm(), additive().centered(MATRIX)], [0.6, 0.3], offset=0.2)


def test_lightgbm_contributions_are_treeshap() -> None:
    scorer = _lightgbm()
    contrib, baseline = scorer.explain(MATRIX)
    np.testing.assert_allclose(baseline + contrib.sum(axis=1), scorer.raw(MATRIX), atol=1e-9)
    assert scorer.family == "lightgbm"


def test_blend_weights_log_odds_and_contributions_alike() -> None:
    blend = _blend()
    parts = blend.parts
    expected = 0.2 + 0.6 * parts[0].raw(MATRIX) + 0.3 * parts[1].raw(MATRIX)
    np.testing.assert_allclose(blend.raw(MATRIX), expected, atol=1e-12)
    contrib, baseline = blend.explain(MATRIX)
    np.testing.assert_allclose(baseline + contrib.sum(axis=1), expected, atol=1e-9)
    assert blend.family == "blend:lightgbm+logistic"


def test_scorers_survive_pickling() -> None:
    blend = _blend()
    again = pickle.loads(pickle.dumps(blend))
    np.testing.assert_array_equal(again.raw(MATRIX), blend.raw(MATRIX))


def test_numbers_beyond_the_training_range_score_as_its_extremes() -> None:
    term = SplineTerm(
        slope=0.3, knots=np.array([1.0]), hinges=np.array([-0.5]), missing=0.0, low=0.0, high=3.0
    )
    values = term(np.array([np.inf, 1e300, np.expm1(3.0), -np.inf, -5.0, 0.0]))
    assert np.isfinite(values).all()
    np.testing.assert_allclose(values, [values[2]] * 3 + [0.0] * 3)
