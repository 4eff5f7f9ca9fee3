"""The 0-100 score, the A-D grades and the calibration that turns booster log-odds into probabilities."""

from __future__ import annotations

import math

import numpy as np
import pytest

from features.model import Calibration
from features.scale import ScoreScale

GRID = np.linspace(0.0, 1.0, 10_001)


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    """Out-of-fold probabilities of a typical lead table: most leads unlikely to convert."""
    return np.random.default_rng(0).beta(2, 8, 5_000)


@pytest.fixture(scope="module")
def scale(reference: np.ndarray) -> ScoreScale:
    return ScoreScale.fit(reference)


def test_scores_are_integers_from_0_to_100(scale: ScoreScale) -> None:
    scores = scale.score(GRID)
    assert np.issubdtype(scores.dtype, np.integer)
    assert scores.min() == 0
    assert scores.max() == 100
    assert set(np.unique(scores)) <= set(range(101))


def test_scores_never_fall_as_probability_rises(scale: ScoreScale) -> None:
    assert np.all(np.diff(scale.score(GRID)) >= 0)


def test_probabilities_outside_the_reference_score_0_and_100(
    scale: ScoreScale, reference: np.ndarray
) -> None:
    assert scale.score(np.array([reference.min() / 2, 0.0])).tolist() == [0, 0]
    assert scale.score(np.array([1.0, (reference.max() + 1) / 2])).tolist() == [100, 100]


@pytest.mark.parametrize("share", [0.1, 0.25, 0.5, 0.75, 0.9])
def test_score_is_the_share_of_reference_leads_outranked(
    scale: ScoreScale, reference: np.ndarray, share: float
) -> None:
    score = scale.score(np.array([np.quantile(reference, share)]))[0]
    assert abs(score - 100 * share) <= 1


def test_a_probability_many_leads_share_scores_in_the_middle_of_the_tie() -> None:
    # Half the reference leads sit at 0.1 and half at 0.9 (many leads with identical features).
    tied = ScoreScale.fit(np.array([0.1] * 500 + [0.9] * 500))
    assert tied.score(np.array([0.05, 0.1, 0.5, 0.9, 0.95])).tolist() == [0, 25, 50, 75, 100]
    assert ScoreScale.fit(np.full(200, 0.3)).score(np.array([0.3]))[0] == 50


def test_median_probability_scores_about_50(scale: ScoreScale, reference: np.ndarray) -> None:
    assert abs(int(scale.score(np.array([np.median(reference)]))[0]) - 50) <= 1


def test_grades_follow_the_cuts_exactly_at_the_boundaries(scale: ScoreScale) -> None:
    scores = np.array([100, 90, 89, 70, 69, 40, 39, 0])
    assert scale.grade(scores).tolist() == ["A", "A", "B", "B", "C", "C", "D", "D"]


def test_custom_grade_cuts_are_used() -> None:
    custom = ScoreScale.fit(np.linspace(0, 1, 101), grade_cuts={"A": 80, "B": 50, "C": 20})
    scores = np.array([80, 79, 50, 49, 20, 19])
    assert custom.grade(scores).tolist() == ["A", "B", "B", "C", "C", "D"]
    assert custom.probability_cuts() == pytest.approx({"A": 0.8, "B": 0.5, "C": 0.2}, abs=0.01)


def test_probability_cuts_increase_and_start_their_grade(scale: ScoreScale, reference: np.ndarray) -> None:
    cuts = scale.probability_cuts()
    assert list(cuts) == ["A", "B", "C"]
    assert 0.0 < cuts["C"] < cuts["B"] < cuts["A"] < 1.0
    for grade, probability in cuts.items():
        assert scale.grade(scale.score(np.array([probability])))[0] == grade
        # Scores are rounded, so the grade really starts within one score point below the stated probability.
        one_point_lower = np.quantile(reference, (scale.grade_cuts[grade] - 1) / 100)
        assert scale.grade(scale.score(np.array([one_point_lower])))[0] != grade


def test_scale_from_fewer_leads_than_its_size_still_spans_0_to_100() -> None:
    small = ScoreScale.fit(np.array([0.05, 0.1, 0.2, 0.4, 0.8]))
    scores = small.score(np.array([0.0, 0.05, 0.2, 0.8, 1.0]))
    assert scores.tolist()[0] == 0
    assert scores.tolist()[-1] == 100
    assert abs(int(scores[2]) - 50) <= 1
    assert np.all(np.diff(scores) >= 0)


@pytest.mark.parametrize("raw", [-6.0, -1.5, 0.0, 0.3, 2.0, 9.0])
def test_identity_calibration_is_the_sigmoid(raw: float) -> None:
    assert Calibration()(np.array([raw]))[0] == pytest.approx(1 / (1 + math.exp(-raw)))
    assert Calibration(slope=1.0, intercept=0.0)(np.array([raw]))[0] == pytest.approx(
        1 / (1 + math.exp(-raw))
    )


def test_calibration_applies_slope_then_intercept() -> None:
    calibrate = Calibration(slope=0.5, intercept=-1.0)
    assert calibrate(np.array([2.0]))[0] == pytest.approx(0.5)
    assert calibrate(np.array([4.0]))[0] == pytest.approx(1 / (1 + math.exp(-1.0)))


def test_calibration_is_monotone_and_stays_within_0_and_1() -> None:
    raw = np.linspace(-30, 30, 601)
    p = Calibration(slope=0.8, intercept=0.2)(raw)
    assert np.all(np.diff(p) > 0)
    assert np.all((p > 0) & (p < 1))
