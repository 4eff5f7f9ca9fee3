"""The calibration's level: the intercept at which the probabilities average to the (recent) conversion rate."""

from __future__ import annotations

import numpy as np
import pytest

from training.calibrate import level


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
