"""The calibration's level (the intercept at which the probabilities average to the recent conversion rate), and the
recalibration of a finished model on new outcomes (`leadscore recalibrate`)."""

from __future__ import annotations

import numpy as np
import pytest
from hand_made_models import lead_model, leads

from features.model import Calibration
from training.calibrate import level, recalibrated


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def test_the_level_matches_the_conversion_rate() -> None:
    rng = np.random.default_rng(0)
    raw = rng.normal(-2.0, 1.5, 5000)
    y = (rng.random(5000) < _sigmoid(raw + 0.7)).astype(int)
    b = level(raw, y, 0.8, None)
    assert _sigmoid(0.8 * raw + b).mean() == pytest.approx(y.mean(), abs=1e-9)


def test_weights_make_the_level_follow_the_leads_that_count() -> None:
    rng = np.random.default_rng(1)
    raw = rng.normal(-2.0, 1.0, 6000)
    recent = np.arange(6000) >= 4000
    y = (rng.random(6000) < _sigmoid(raw + np.where(recent, 1.5, 0.0))).astype(
        int
    )  # the rate moved up lately
    weight = np.where(recent, 1.0, 1e-6)
    b_all, b_recent = level(raw, y, 1.0, None), level(raw, y, 1.0, weight)
    assert b_recent > b_all + 0.5
    assert _sigmoid(raw[recent] + b_recent).mean() == pytest.approx(y[recent].mean(), abs=1e-4)


def test_recalibration_refits_slope_and_intercept_and_keeps_everything_else() -> None:
    model = lead_model("lightgbm")
    raw = model.scorer.raw(model.matrix(leads(20_000, seed=3)))
    rng = np.random.default_rng(2)
    y = (rng.random(len(raw)) < _sigmoid(0.6 * raw + 0.9)).astype(int)  # outcomes of a shifted world
    new = recalibrated(model, raw, y)
    assert new.calibration.slope == pytest.approx(0.6, abs=0.08)
    assert new.calibration.intercept == pytest.approx(0.9, abs=0.15)
    assert model.calibration == Calibration(slope=0.93, intercept=-0.11)  # the source model is left as it was
    for kept in ("preprocessor", "scorer", "scale", "schema_dict"):
        assert getattr(new, kept) is getattr(model, kept)
    assert new.info == model.info and new.info is not model.info  # a copy the caller adds to
    probe = leads(50, seed=4)
    expected = _sigmoid(
        new.calibration.slope * model.scorer.raw(model.matrix(probe)) + new.calibration.intercept
    )
    np.testing.assert_allclose(new.score(probe).probability, expected, rtol=0, atol=1e-15)
    scores = new.score(probe).score  # the scale is the source's: a probability keeps its score
    np.testing.assert_array_equal(scores, model.scale.score(new.score(probe).probability))


def test_log_odds_that_rank_outcomes_backwards_are_refused() -> None:
    model = lead_model("logistic")
    raw = model.scorer.raw(model.matrix(leads(5000, seed=5)))
    y = (np.random.default_rng(6).random(len(raw)) < _sigmoid(-raw)).astype(int)
    with pytest.raises(ValueError, match="do not rank these outcomes"):
        recalibrated(model, raw, y)
