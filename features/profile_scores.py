"""The score side of the reference profile: the training leads' score bins and grades, under any calibration.

A model's score is a monotone function of its scorer's raw log-odds (calibration, then score scale), so the score
side of the profile follows from the training leads' log-odds and the calibration and scale in force. The profile
therefore keeps a calibration-free sketch of them (`LogOddsSketch`): the leads sorted by log-odds and cut into at
most SKETCH_SLICES slices of (nearly) equal size, each with its middle log-odds, its number of leads and of
conversions. `ScoreSide.under` pushes the sketch through a calibration and a scale: the shares over SCORE_BINS and,
per grade, the share, expected rate (mean calibrated probability) and observed rate that the training leads get
under them. Each slice moves as a whole, so a share is off by at most one slice (a thousandth of the leads) at each
of its edges, and exactly right when there are no more leads than slices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from features.scale import GRADES

if TYPE_CHECKING:
    from features.model import Calibration
    from features.scale import ScoreScale

SCORE_BINS = [f"{lo}-{lo + 9}" for lo in range(0, 90, 10)] + ["90-100"]
SKETCH_SLICES = 1000  # slices of the training leads' log-odds kept in the profile


@dataclass(frozen=True)
class GradeProfile:
    """One grade in the training leads: its share, mean calibrated probability and observed conversion rate."""

    share: float
    expected_rate: float | None  # None when no training lead got the grade
    observed_rate: float | None


@dataclass(frozen=True)
class LogOddsSketch:
    """The training leads' raw log-odds (before calibration) in slices by rank, lowest first (see the module doc)."""

    raw: list[float]  # per slice, the log-odds of its middle lead (the mean of the two middle ones)
    leads: list[int]  # per slice, how many leads it holds
    converted: list[int]  # per slice, how many of them converted

    @classmethod
    def of(cls, raw: np.ndarray, y: np.ndarray, slices: int = SKETCH_SLICES) -> LogOddsSketch:
        """The sketch of leads with log-odds `raw` and 0/1 labels `y`."""
        order = np.argsort(raw, kind="stable")
        ranked, labels = np.asarray(raw, dtype=np.float64)[order], np.asarray(y, dtype=np.int64)[order]
        bounds = np.rint(np.linspace(0, len(ranked), min(slices, len(ranked)) + 1)).astype(np.int64)
        start, end = bounds[:-1], bounds[1:]
        middle = (ranked[(start + end - 1) // 2] + ranked[(start + end) // 2]) / 2.0
        return cls(
            raw=middle.tolist(),
            leads=(end - start).tolist(),
            converted=np.add.reduceat(labels, start).tolist() if len(start) else [],
        )


@dataclass(frozen=True)
class ScoreSide:
    """The training leads' shares over SCORE_BINS and their grades (share, expected and observed rate)."""

    shares: list[float]
    grades: dict[str, GradeProfile]

    @classmethod
    def of(
        cls,
        raw: np.ndarray,
        leads: np.ndarray,
        converted: np.ndarray,
        calibration: Calibration,
        scale: ScoreScale,
    ) -> ScoreSide:
        """Groups of training leads (each lead on its own, or a sketch's slices) with their log-odds, number of leads
        and conversions, scored with `calibration` and `scale` as `LeadModel.score` scores.

        The observed rate stays what the training leads' outcomes were (a training-time fact): under a new
        calibration it is regrouped by the grades the leads get now, never updated with later outcomes.
        """
        probability = calibration(np.asarray(raw, dtype=np.float64))
        scores = scale.score(probability)
        grades = scale.grade(scores)
        leads, converted = np.asarray(leads, dtype=np.float64), np.asarray(converted, dtype=np.float64)
        total = float(leads.sum())
        counts = np.bincount(score_bin_codes(scores), weights=leads, minlength=len(SCORE_BINS))
        out: dict[str, GradeProfile] = {}
        for g in GRADES:
            mine = grades == g
            n = float(leads[mine].sum())
            out[g] = GradeProfile(
                share=n / total,
                expected_rate=float((leads * probability)[mine].sum() / n) if n else None,
                observed_rate=float(converted[mine].sum() / n) if n else None,
            )
        return cls(shares=(counts / total).tolist(), grades=out)

    @classmethod
    def under(cls, sketch: LogOddsSketch, calibration: Calibration, scale: ScoreScale) -> ScoreSide:
        """What the sketched training leads look like scored with `calibration` and `scale`."""
        raw, leads, converted = (np.asarray(v) for v in (sketch.raw, sketch.leads, sketch.converted))
        return cls.of(raw, leads, converted, calibration, scale)


def score_bin_codes(scores: np.ndarray) -> np.ndarray:
    """Each 0-100 score's bin in SCORE_BINS (100 joins 90-99)."""
    return np.minimum(np.asarray(scores, dtype=np.int64) // 10, len(SCORE_BINS) - 1)
