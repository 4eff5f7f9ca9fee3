"""The statistics of live performance against known values: Wilson intervals, ROC AUC and ECE (also as the training
report computes them), the bootstrap, and the ROC AUC a calibrated model expects of itself."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.metrics import roc_auc_score

from serving.live_statistics import LEVELS, Outcomes, bootstrap, levels, ranked_auc, wilson, z_value
from training.evaluate import expected_calibration_error


@pytest.mark.parametrize(
    ("k", "n", "confidence", "low", "high"),
    [
        (5, 10, 0.95, 0.236593, 0.763407),  # the textbook values
        (0, 10, 0.95, 0.0, 0.277533),
        (10, 10, 0.95, 0.722467, 1.0),
        (1, 50, 0.95, 0.003539, 0.104954),
        (81, 500, 0.99, 0.124030, 0.208823),
    ],
)
def test_wilson_matches_the_known_intervals(
    k: int, n: int, confidence: float, low: float, high: float
) -> None:
    assert wilson(k, n, confidence) == pytest.approx((low, high), abs=1e-6)
    reference = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    assert wilson(k, n, confidence) == pytest.approx((reference.low, reference.high), abs=1e-12)


def test_wilson_refuses_what_has_no_interval() -> None:
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    for k, n in ((0, 0), (3, 2), (-1, 5)):
        with pytest.raises(ValueError):
            wilson(k, n)
    with pytest.raises(ValueError, match="confidence"):
        wilson(1, 2, 1.0)


def sample(n: int, seed: int, shift: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = np.round(rng.beta(2, 8, n), 2)  # rounded: ties, as stored scores have
    return p, (rng.random(n) < np.minimum(p * shift, 1.0)).astype(int)


def test_roc_auc_and_ece_match_sklearn_and_the_training_report_also_reweighted() -> None:
    p, y = sample(3000, seed=1)
    data = Outcomes(p, y, bins=10)
    assert data.roc_auc(np.ones(len(y))) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert data.ece(np.ones(len(y))) == pytest.approx(expected_calibration_error(y, p, bins=10), abs=1e-12)
    drawn = np.random.default_rng(2).integers(0, len(y), len(y))  # a resample, as bootstrap weights
    weight = np.bincount(drawn, minlength=len(y)).astype(float)
    assert data.roc_auc(weight) == pytest.approx(roc_auc_score(y[drawn], p[drawn]), abs=1e-12)
    assert data.ece(weight) == pytest.approx(expected_calibration_error(y[drawn], p[drawn]), abs=1e-12)
    assert Outcomes(p, np.zeros(len(p))).roc_auc(np.ones(len(p))) is None  # one class: no AUC
    smooth = np.random.default_rng(3).beta(2, 8, 3000)  # unrounded: pairs closer than 1e-4 count as ties
    assert Outcomes(smooth, y).roc_auc(np.ones(len(y))) == pytest.approx(roc_auc_score(y, smooth), abs=1e-4)


def test_the_bootstrap_interval_of_a_rate_is_the_normal_one_and_is_reproducible() -> None:
    y = np.r_[np.ones(80), np.zeros(320)]  # 400 leads, 20 %: normal interval 0.2 +- 1.96 * 0.02

    def rate(weight: np.ndarray) -> float:
        return float(weight @ y / weight.sum())

    estimate = bootstrap({"rate": rate}, 400, resamples=2000, rng=np.random.default_rng(0))["rate"]
    assert estimate is not None and estimate.value == 0.2
    assert (estimate.low, estimate.high) == pytest.approx((0.2 - 0.0392, 0.2 + 0.0392), abs=0.004)
    again = bootstrap({"rate": rate}, 400, resamples=2000, rng=np.random.default_rng(0))
    assert again == {"rate": estimate}
    undefined = bootstrap(
        {"none": lambda w: None, "rate": rate}, 400, resamples=10, rng=np.random.default_rng(0)
    )
    assert undefined["none"] is None and undefined["rate"] is not None


def test_the_ece_interval_rarely_alarms_on_a_calibrated_model_and_finds_a_shifted_one() -> None:
    """100 leads: the ECE of a calibrated model is biased up, which the basic interval allows for."""

    def lower_bound(seed: int, shift: float) -> float:
        p, y = sample(100, seed, shift)
        data = Outcomes(p, y)
        estimate = bootstrap({"ece": data.ece}, len(y), resamples=200, rng=np.random.default_rng(seed))["ece"]
        assert estimate is not None and estimate.low <= estimate.value <= estimate.high
        return estimate.low

    calibrated = [lower_bound(seed, 1.0) for seed in range(40)]
    shifted = [lower_bound(seed, 2.0) for seed in range(40)]
    assert sum(low > 0.05 for low in calibrated) <= 4
    assert sum(low > 0.05 for low in shifted) >= 32


def brute_expected_auc(p: np.ndarray) -> float:
    wins = np.where(p[:, None] > p[None, :], 1.0, np.where(p[:, None] == p[None, :], 0.5, 0.0))
    return float((p[:, None] * (1 - p[None, :]) * wins).sum() / (p.sum() * (1 - p).sum()))


def expected_auc(p: np.ndarray) -> float | None:
    """As the live tally computes it: sums of p and 1 - p per probability level."""
    level = levels(p)
    return ranked_auc(np.bincount(level, p, LEVELS), np.bincount(level, 1 - p, LEVELS))


def test_the_expected_roc_auc_is_what_outcomes_drawn_from_the_probabilities_give_on_average() -> None:
    p, _ = sample(600, seed=3)
    assert expected_auc(p) == pytest.approx(brute_expected_auc(p), abs=1e-9)  # rounded p: one level each
    smooth = np.random.default_rng(4).beta(2, 8, 600)
    assert expected_auc(smooth) == pytest.approx(brute_expected_auc(smooth), abs=1e-3)
    rng = np.random.default_rng(5)
    draws = [roc_auc_score(y, smooth) for y in (rng.random((400, 600)) < smooth).astype(int)]
    assert np.mean(draws) == pytest.approx(expected_auc(smooth), abs=0.005)
    assert expected_auc(np.r_[np.zeros(5), np.ones(5)]) == 1.0  # certain outcomes: a perfect ranking
    assert expected_auc(np.full(10, 0.3)) == 0.5  # one probability for all: no ranking
    assert expected_auc(np.zeros(0)) is None
