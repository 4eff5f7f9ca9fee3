"""The family fitters: Odoo's naive-Bayes frequencies exactly, the logistic terms reproduce the fitted regression."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from training.candidates import _above_point_mass, _design_block, fit_logistic, fit_naive_bayes

NAN = np.nan


def test_naive_bayes_is_odoo_frequencies_with_smoothing_and_unseen_values_ignored() -> None:
    # one category column (codes 0, 1; missing), won: [0, 0, 1], lost: [1, 1, NaN]
    matrix = np.array([[0.0], [0.0], [1.0], [1.0], [1.0], [NAN]])
    y = np.array([1, 1, 1, 0, 0, 0])
    scorer = fit_naive_bayes(matrix, y, ["categorical"])
    llr = scorer.values(np.array([[0.0], [1.0], [NAN], [5.0]]))[:, 0]
    assert llr[0] == pytest.approx(np.log(2.1 / 3) - np.log(0.1 / 3))
    assert llr[1] == pytest.approx(np.log(1.1 / 3) - np.log(2.1 / 3))
    assert llr[2] == pytest.approx(np.log(0.1 / 3) - np.log(1.1 / 3))
    assert llr[3] == 0.0  # a code never seen in training
    assert scorer.intercept == pytest.approx(0.0)  # three won, three lost


def test_naive_bayes_bins_numbers_in_deciles() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=2000)
    y = (x + rng.normal(size=2000) > 0).astype(int)
    scorer = fit_naive_bayes(x.reshape(-1, 1), y, ["numeric"])
    term = scorer.terms[0]
    assert term.edges is not None and len(term.edges) == 9  # type: ignore[union-attr]
    values = scorer.values(np.array([[-3.0], [0.0], [3.0]]))[:, 0]
    assert values[0] < values[1] < values[2]


def test_logistic_terms_equal_the_regression_they_came_from() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    code = rng.integers(0, 4, n).astype(float)
    code[rng.random(n) < 0.1] = NAN
    flag = rng.integers(0, 2, n).astype(float)
    visits = rng.exponential(5, n)
    visits[rng.random(n) < 0.2] = NAN
    matrix = np.column_stack([code, flag, visits])
    logit = 0.5 * (code == 2) - 0.7 * flag + 0.4 * np.log1p(np.nan_to_num(visits))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    kinds = ["categorical", "boolean", "numeric"]
    params = {"C": 0.5, "knots": 3}
    scorer = fit_logistic(matrix, y, kinds, params)

    design = np.column_stack([_design_block(matrix[:, j], k, 3)[0] for j, k in enumerate(kinds)])
    mean, std = design.mean(axis=0), design.std(axis=0)
    std[std == 0] = 1.0
    reference = LogisticRegression(C=0.5, max_iter=2000).fit((design - mean) / std, y)
    expected = reference.decision_function((design - mean) / std)
    np.testing.assert_allclose(scorer.raw(matrix), expected, atol=1e-6)
    contrib, baseline = scorer.explain(matrix)
    np.testing.assert_allclose(baseline + contrib.sum(axis=1), expected, atol=1e-6)
    assert np.corrcoef(contrib[:, 2], np.nan_to_num(visits, nan=np.nanmedian(visits)))[0, 1] > 0.5


def test_logistic_spline_jumps_above_a_pile_of_zeros() -> None:
    # zero seconds on site converts well (another channel), a few seconds badly, long visits well again
    rng = np.random.default_rng(2)
    n = 4000
    seconds = np.where(rng.random(n) < 0.3, 0.0, 1.0 + np.floor(rng.exponential(300.0, n)))
    logit = np.where(seconds == 0, 1.0, -1.5 + 0.5 * np.log1p(seconds))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    seconds[rng.random(n) < 0.05] = NAN
    scorer = fit_logistic(seconds.reshape(-1, 1), y, ["numeric"], {"C": 1.0, "knots": 4})
    zero, one, long = scorer.values(np.array([[0.0], [1.0], [2000.0]]))[:, 0]
    assert (
        zero - one > 1.5
    )  # the true jump is 2.15; one penalised slope through zero and a second barely moves
    assert long > one

    design = _design_block(seconds, "numeric", 4)[0]
    mean, std = design.mean(axis=0), design.std(axis=0)
    reference = LogisticRegression(C=1.0, max_iter=2000).fit((design - mean) / std, y)
    expected = reference.decision_function((design - mean) / std)
    np.testing.assert_allclose(scorer.raw(seconds.reshape(-1, 1)), expected, atol=1e-6)


def test_pile_at_the_minimum_is_found_only_when_heavy() -> None:
    rng = np.random.default_rng(3)
    counts = np.floor(rng.exponential(3.0, 1000)) + 1.0
    assert _above_point_mass(np.log1p(counts)) == pytest.approx(np.log1p(2.0))  # many leads at the minimum 1
    assert _above_point_mass(rng.normal(size=1000)) is None
    counts[:600] = 0.0
    assert _above_point_mass(np.log1p(counts)) == pytest.approx(np.log1p(counts[counts > 0].min()))
