"""The 0-100 score and the A-D grades: fixed at training time and stored with the model."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

GRADES = ("A", "B", "C", "D")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Log-odds to probability."""
    return 1.0 / (1.0 + np.exp(-z))


DEFAULT_GRADE_CUTS = {"A": 90.0, "B": 70.0, "C": 40.0}
_BY_CUTS_PASSED = np.array(["D", "C", "B", "A"])


@dataclass(frozen=True)
class ScoreScale:
    """Maps a probability to a 0-100 score: the share of reference leads (training, out-of-fold) it outranks."""

    reference: np.ndarray
    grade_cuts: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_GRADE_CUTS))

    @classmethod
    def fit(
        cls, probabilities: np.ndarray, grade_cuts: dict[str, float] | None = None, size: int = 1001
    ) -> ScoreScale:
        quantiles = np.quantile(probabilities, np.linspace(0, 1, size))
        return cls(reference=np.sort(quantiles), grade_cuts=dict(grade_cuts or DEFAULT_GRADE_CUTS))

    def score(self, probabilities: np.ndarray) -> np.ndarray:
        ref = self.reference
        below = np.searchsorted(ref, probabilities, side="left")
        at_or_below = np.searchsorted(ref, probabilities, side="right")
        share = (below + at_or_below) / (2.0 * len(ref))
        return np.rint(100.0 * share).astype(np.int64)

    def grade(self, scores: np.ndarray) -> np.ndarray:
        """The grade of each score: A from the A cut up, then B, C, and D below the C cut."""
        below = np.searchsorted(self._cuts, scores, side="right")  # cuts passed, 0-3
        return _BY_CUTS_PASSED[below]

    @cached_property
    def _cuts(self) -> np.ndarray:
        return np.array([self.grade_cuts[grade] for grade in "CBA"])

    def probability_cuts(self) -> dict[str, float]:
        """The probability at which each grade starts, for people reading thresholds in probability terms."""
        return {g: float(np.quantile(self.reference, cut / 100.0)) for g, cut in self.grade_cuts.items()}
