"""The 0-100 score and the A-D grades: fixed at training time and stored with the model."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

GRADES = ("A", "B", "C", "D")
DEFAULT_GRADE_CUTS = {"A": 90.0, "B": 70.0, "C": 40.0}


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

    @cached_property
    def _reference_list(self) -> list[float]:
        reference: list[float] = self.reference.tolist()
        return reference

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_reference_list"}

    def score_one(self, probability: float) -> int:
        """`score` for one probability in Python (a numpy call costs more): the same comparisons and rounding."""
        ref = self._reference_list
        share = (bisect_left(ref, probability) + bisect_right(ref, probability)) / (2.0 * len(ref))
        return round(100.0 * share)  # half to even, as np.rint

    def grade(self, scores: np.ndarray) -> np.ndarray:
        cuts = self.grade_cuts
        return np.select(
            [scores >= cuts["A"], scores >= cuts["B"], scores >= cuts["C"]], ["A", "B", "C"], "D"
        )

    def grade_one(self, score: int) -> str:
        cuts = self.grade_cuts
        return next((g for g in ("A", "B", "C") if score >= cuts[g]), "D")

    def probability_cuts(self) -> dict[str, float]:
        """The probability at which each grade starts, for people reading thresholds in probability terms."""
        return {g: float(np.quantile(self.reference, cut / 100.0)) for g, cut in self.grade_cuts.items()}
