"""Sums of a window's leads by ISO week of arrival and grade, added page by page as the store reads them.

What is kept grows with weeks and grades, not leads: per (week, grade) the counts and probability sums in FIELDS,
per week a histogram of probabilities for the expected ROC AUC, and, for leads with a final outcome only, their
probability, label and week (what observed ROC AUC and ECE need).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import numpy as np

from serving.live_statistics import LEVELS, levels
from serving.store import OPEN, Labels, OutcomeChunk

FIELDS = (
    "leads", "final", "positives", "open", "new", "accepted", "rejected", "won", "lost", "contacted",
    "contact_hours", "probability", "final_probability",
)  # fmt: skip
F = {name: i for i, name in enumerate(FIELDS)}
EPOCH = date(1970, 1, 1)  # a Thursday: its ISO week began on day -3
US_PER_HOUR = 3_600_000_000


def week_index(moments: np.ndarray) -> np.ndarray:
    """The ISO week of each UTC time, as weeks since the one containing 1970-01-01 (weeks start on Monday)."""
    days = moments.astype("datetime64[D]").astype(np.int64)
    return (days + 3) // 7


def iso_week(index: int) -> str:
    """'2026-W49' for a week index."""
    monday = EPOCH + timedelta(days=7 * int(index) - 3)
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


class Tally:
    """The window's sums so far; `add` one page of leads at a time."""

    def __init__(self, labels: Labels) -> None:
        self.final_statuses = sorted(labels.values)
        self.positive_statuses = sorted(labels.positive)
        self.cells: dict[tuple[int, str], np.ndarray] = {}
        self.expected: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # week -> (sum p, sum 1 - p) per level
        self.versions: Counter[str] = Counter()
        self._final: list[
            tuple[np.ndarray, np.ndarray, np.ndarray]
        ] = []  # (probability, label, week) per page

    def add(self, chunk: OutcomeChunk) -> None:
        if len(chunk) == 0:
            return
        status, p = chunk.status, chunk.probability
        week = week_index(chunk.created_at)
        final = np.isin(status, self.final_statuses)
        positive = np.isin(status, self.positive_statuses)
        contacted = ~np.isnat(chunk.contacted_at)
        waited = np.where(contacted, (chunk.contacted_at - chunk.created_at).astype(np.int64), 0)
        columns = {
            "leads": np.ones(len(chunk)),
            "final": final,
            "positives": positive,
            "open": np.isin(status, OPEN) & ~final,
            **{s: status == s for s in ("new", "accepted", "rejected", "won", "lost")},
            "contacted": contacted,
            "contact_hours": waited / US_PER_HOUR,
            "probability": p,
            "final_probability": np.where(final, p, 0.0),
        }
        weeks, week_of = np.unique(week, return_inverse=True)
        grades, grade_of = np.unique(chunk.grade, return_inverse=True)
        cell = week_of * len(grades) + grade_of
        size = len(weeks) * len(grades)
        sums = np.stack([np.bincount(cell, weights=columns[name], minlength=size) for name in FIELDS], axis=1)
        for k in np.flatnonzero(sums[:, F["leads"]]):
            key = (int(weeks[k // len(grades)]), str(grades[k % len(grades)]))
            self.cells[key] = self.cells.get(key, 0.0) + sums[k]

        level = week_of * LEVELS + levels(p)
        mass = np.bincount(level, weights=p, minlength=len(weeks) * LEVELS).reshape(len(weeks), LEVELS)
        rest = np.bincount(level, weights=1 - p, minlength=len(weeks) * LEVELS).reshape(len(weeks), LEVELS)
        for i, w in enumerate(weeks.tolist()):
            before = self.expected.get(w)
            self.expected[w] = (
                (mass[i], rest[i]) if before is None else (before[0] + mass[i], before[1] + rest[i])
            )

        names, counts = np.unique(chunk.model_version, return_counts=True)
        self.versions.update(dict(zip(names.tolist(), counts.tolist(), strict=True)))
        self._final.append((p[final], positive[final], week[final]))

    def final_outcomes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(probability, label, week) of every lead with a final outcome, in arrival order."""
        if not self._final:
            return np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64)
        p, y, w = (np.concatenate(parts) for parts in zip(*self._final, strict=True))
        return p, y, w
