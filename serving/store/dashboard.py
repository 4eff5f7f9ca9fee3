"""The alignment dashboard's tables: lead quality per source and campaign, the weekly trend, the funnel and what
sales says about rejected leads, and the first-contact service level, all over the same filtered leads.

Every table is a list of flat rows (the same dicts feed the JSON and the CSV export), aggregated by the database.
Outcomes count for the leads' arrival cohort: a lead that arrived in week 10 and was won in week 14 is a week-10 win.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import exists, func, select

from serving.store.database import LeadStore
from serving.store.lead_filters import LeadFilters
from serving.store.monitoring import epoch_us
from serving.store.report import GRADES, TOP_REASONS, SourceQuality, source_report
from serving.store.service_level import service_level
from serving.store.tables import Lead, Outcome

WEEK_US = 7 * 86_400_000_000
MONDAY_BEFORE_EPOCH_US = 3 * 86_400_000_000  # 1970-01-01 was a Thursday; its ISO week began on 1969-12-29
ACCEPTED = ("accepted", "won", "lost")  # statuses of leads sales accepted
QUALITY = (
    "leads",
    "mean_probability",
    "expected_conversions",
    "accepted",
    "rejected",
    "acceptance_rate",
    "won",
    "lost",
    "win_rate",
    *(f"grade_{g}" for g in GRADES),
    "top_rejection_reasons",
)
SERVICE = (
    "leads",
    "contacted",
    "judged",
    "met",
    "met_rate",
    "median_hours_to_contact",
    "p90_hours_to_contact",
    "overdue_now",
)
Table = Literal[
    "sources", "campaigns", "trend", "funnel", "rejection_reasons", "service_grades", "service_owners"
]
COLUMNS: dict[Table, tuple[str, ...]] = {  # each table's columns, in order (the CSV header)
    "sources": ("source", *QUALITY),
    "campaigns": ("campaign", *QUALITY),
    "trend": ("week", "week_start", "source", "leads", "expected_conversions", "accepted", "won"),
    "funnel": ("source", "leads", "accepted", "won", "rejected", "lost", "open", "acceptance_rate", "win_rate"),
    "rejection_reasons": ("source", "reason", "count"),
    "service_grades": ("grade", "deadline_hours", *SERVICE),
    "service_owners": ("owner", *SERVICE),
}  # fmt: skip
TABLES: tuple[Table, ...] = get_args(Table)
NO_OUTCOMES = (
    "No sales outcomes recorded yet: acceptance and win rates, the funnel, rejection reasons and the service level "
    "fill in as sales accepts, rejects, wins or loses leads (POST /v1/leads/{id}/outcome or the queue page); "
    "volume, grade mix and expected conversions are there from the first lead."
)


@dataclass(frozen=True)
class Dashboard:
    filters: LeadFilters
    computed_at: datetime
    tables: dict[Table, list[dict[str, Any]]]  # one per name in TABLES
    notes: list[str]


def iso_week(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_trend(store: LeadStore, filters: LeadFilters | None = None) -> list[dict[str, Any]]:
    """Per ISO week of arrival (UTC) and source: leads, expected conversions, accepted (or further), won."""
    week = (epoch_us(Lead.created_at) + MONDAY_BEFORE_EPOCH_US) // WEEK_US
    query = (
        select(
            week,
            Lead.source,
            func.count(),
            func.sum(Lead.probability),
            func.count().filter(Lead.status.in_(ACCEPTED)),
            func.count().filter(Lead.status == "won"),
        )
        .where(*(filters or LeadFilters()).conditions())
        .group_by(week, Lead.source)
        .order_by(week, Lead.source.nulls_last())
    )
    rows = []
    with store.transaction() as session:
        for number, source, leads, expected, accepted, won in session.execute(query):
            monday = datetime(1969, 12, 29, tzinfo=UTC).date() + timedelta(weeks=int(number))
            rows.append({
                "week": iso_week(monday), "week_start": monday.isoformat(), "source": source, "leads": leads,
                "expected_conversions": float(expected or 0.0), "accepted": accepted, "won": won,
            })  # fmt: skip
    return rows


def funnel(sources: list[SourceQuality]) -> list[dict[str, Any]]:
    """new -> accepted -> won per source, from the source report's rows (open: still new or accepted)."""
    return [
        {
            "source": q.key,
            "leads": q.leads,
            "accepted": q.accepted,
            "won": q.won,
            "rejected": q.rejected,
            "lost": q.lost,
            "open": q.leads - q.rejected - q.won - q.lost,
            "acceptance_rate": q.acceptance_rate,
            "win_rate": q.win_rate,
        }
        for q in sources
    ]


def rejection_reasons(sources: list[SourceQuality]) -> list[dict[str, Any]]:
    """Every rejection reason sales gave, per source, most given first."""
    return [
        {"source": q.key, "reason": reason, "count": count}
        for q in sources
        for reason, count in q.rejection_reasons
    ]


def quality(rows: list[SourceQuality], by: str) -> list[dict[str, Any]]:
    """The source report's rows, flat: the grade mix as grade_A.. columns, the top reasons as one text."""
    flat = []
    for q in rows:
        row = q.as_dict()
        grades, reasons = row.pop("grades"), row.pop("top_rejection_reasons")
        flat.append({
            by: row.pop("key"), **row, **{f"grade_{g}": grades.get(g, 0) for g in GRADES},
            "top_rejection_reasons": "; ".join(f"{r['reason']}:{r['count']}" for r in reasons[:TOP_REASONS]),
        })  # fmt: skip
    return flat


def has_outcomes(store: LeadStore) -> bool:
    with store.transaction() as session:
        return bool(session.scalar(select(exists().where(Outcome.id.is_not(None)))))


def dashboard(
    store: LeadStore,
    sla_hours: Mapping[str, float | None],
    filters: LeadFilters | None = None,
    *,
    now: datetime | None = None,
) -> Dashboard:
    """All the dashboard's tables for the leads that pass `filters`, as of `now` (default: the current time)."""
    filters = filters or LeadFilters()
    at = now or datetime.now(UTC)
    since, until = filters.since, filters.until
    sources = source_report(store, "source", since, until, filters=filters, top_reasons=None)
    campaigns = source_report(store, "campaign", since, until, filters=filters)
    level = service_level(store, sla_hours, filters, now=at)
    tables: dict[Table, list[dict[str, Any]]] = {
        "sources": quality(sources, "source"),
        "campaigns": quality(campaigns, "campaign"),
        "trend": weekly_trend(store, filters),
        "funnel": funnel(sources),
        "rejection_reasons": rejection_reasons(sources),
        "service_grades": [row.as_dict("grade") for row in level.grades],
        "service_owners": [row.as_dict("owner") for row in level.owners],
    }
    notes = [] if has_outcomes(store) else [NO_OUTCOMES]
    if not sources:
        notes.append("No leads arrived in this window with these filters: widen the dates or drop a filter.")
    return Dashboard(filters, at, tables, notes)


def table_csv(dash: Dashboard, table: Table) -> str:
    """One table as CSV: a header of its columns, numbers as in the JSON, empty cells for null."""
    rows = dash.tables[table]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS[table], lineterminator="\n")
    writer.writeheader()
    writer.writerows([{k: "" if v is None else v for k, v in row.items()} for row in rows])
    return out.getvalue()
