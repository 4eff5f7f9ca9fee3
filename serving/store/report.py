"""Lead quality per source or campaign over a window: volume, grade mix, expected conversions, what sales did.

Expected conversions (the sum of calibrated probabilities) is the number marketing should optimise, not lead count.
Acceptance rate = accepted / (accepted + rejected), counting won and lost leads as accepted; win rate = won / (won +
lost). Both are None until sales decided on at least one lead of the group.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select

from serving.store.database import LeadStore
from serving.store.lead_filters import LeadFilters
from serving.store.tables import Lead, Outcome

GRADES = ("A", "B", "C", "D")
TOP_REASONS = 3
By = Literal["source", "campaign"]


@dataclass
class SourceQuality:
    """One source's (or campaign's) leads created in the window."""

    key: str | None  # None: leads that did not say
    leads: int = 0
    grades: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GRADES, 0))
    expected_conversions: float = 0.0
    accepted: int = 0
    rejected: int = 0
    won: int = 0
    lost: int = 0
    rejection_reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def mean_probability(self) -> float | None:
        return self.expected_conversions / self.leads if self.leads else None

    @property
    def acceptance_rate(self) -> float | None:
        decided = self.accepted + self.rejected
        return self.accepted / decided if decided else None

    @property
    def win_rate(self) -> float | None:
        closed = self.won + self.lost
        return self.won / closed if closed else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "leads": self.leads,
            "grades": self.grades,
            "mean_probability": self.mean_probability,
            "expected_conversions": self.expected_conversions,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "acceptance_rate": self.acceptance_rate,
            "won": self.won,
            "lost": self.lost,
            "win_rate": self.win_rate,
            "top_rejection_reasons": [{"reason": r, "count": n} for r, n in self.rejection_reasons],
        }


def source_report(
    store: LeadStore,
    by: By = "source",
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    filters: LeadFilters | None = None,
    top_reasons: int | None = TOP_REASONS,
) -> list[SourceQuality]:
    """Per group, for leads created in [since, until) that pass `filters` (their own window ignored): most expected
    conversions first; the `top_reasons` most given rejection reasons per group (None: all of them)."""
    column = Lead.source if by == "source" else Lead.campaign
    window = replace(filters or LeadFilters(), since=since, until=until).conditions()
    by_grade = (
        select(column, Lead.grade, func.count(), func.sum(Lead.probability))
        .where(*window)
        .group_by(column, Lead.grade)
    )
    by_status = select(column, Lead.status, func.count()).where(*window).group_by(column, Lead.status)
    reasons = (
        select(column, Outcome.reason, func.count())
        .join(Outcome, Outcome.lead_id == Lead.lead_id)
        .where(Outcome.outcome == "rejected", *window)
        .group_by(column, Outcome.reason)
    )
    groups: dict[str | None, SourceQuality] = {}

    def group(key: str | None) -> SourceQuality:
        return groups.setdefault(key, SourceQuality(key))

    with store.transaction() as session:
        for key, grade, count, total in session.execute(by_grade):
            quality = group(key)
            quality.leads += count
            quality.grades[grade] = quality.grades.get(grade, 0) + count
            quality.expected_conversions += float(total or 0.0)
        for key, status, count in session.execute(by_status):
            quality = group(key)
            if status in ("accepted", "won", "lost"):
                quality.accepted += count
            if status in ("rejected", "won", "lost"):
                setattr(quality, status, getattr(quality, status) + count)
        counted: dict[str | None, Counter[str]] = defaultdict(Counter)
        for key, reason, count in session.execute(reasons):
            counted[key][reason or "(none)"] += count
    for key, counter in counted.items():
        group(key).rejection_reasons = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top_reasons]
    return sorted(groups.values(), key=lambda q: (-q.expected_conversions, q.key or ""))


CSV_COLUMNS = (
    "key", "leads", *(f"grade_{g}" for g in GRADES), "mean_probability", "expected_conversions",
    "accepted", "rejected", "acceptance_rate", "won", "lost", "win_rate", "top_rejection_reasons",
)  # fmt: skip


def report_csv(rows: list[SourceQuality], by: By) -> str:
    """The report as CSV: one row per group, the first column named after `by`, reasons as 'reason:count; ...'."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([by, *CSV_COLUMNS[1:]])
    for q in rows:
        writer.writerow([
            q.key or "", q.leads, *(q.grades.get(g, 0) for g in GRADES),
            _number(q.mean_probability), _number(q.expected_conversions), q.accepted, q.rejected,
            _number(q.acceptance_rate), q.won, q.lost, _number(q.win_rate),
            "; ".join(f"{r}:{n}" for r, n in q.rejection_reasons),
        ])  # fmt: skip
    return out.getvalue()


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
