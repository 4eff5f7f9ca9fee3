"""Plain helpers for the store tests: a score as the scoring functions give it, a grade for a score."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serving.store import StoredLead


def scored(probability: float, score: int, grade: str, version: str = "1") -> dict[str, Any]:
    reasons = {
        "positive": [{"feature": "page_views", "value": 9.0, "impact": 0.4, "unseen": False}],
        "negative": [],
    }
    return {
        "probability": probability,
        "score": score,
        "grade": grade,
        "model_version": version,
        "reasons": reasons,
    }


GRADE_OF = [(90, "A"), (70, "B"), (40, "C"), (0, "D")]


def grade(score: int) -> str:
    return next(g for cut, g in GRADE_OF if score >= cut)


Put = Callable[
    ..., list[StoredLead]
]  # the `put` fixture: put(('L1', 93), ('L2', 40, {'owner': 'ana'}), now=...)
