"""The first-contact service level per grade and per owner: contacted within the grade's deadline, how long first
contact took (median, 90th percentile), and which leads are overdue now.

First contact is the outcome that ends a lead being new (accepted or rejected): a lead has at most one, so it is an
outer join, not a subquery per lead. Counts are aggregated by the database (GROUP BY grade, owner); only the hours to
first contact of the contacted leads are streamed, since exact percentiles need them all. The grade is the lead's
current grade, as the queue judges it; a grade with no deadline (nurture) is counted but never judged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import and_, case, false, func, or_, select

from serving.store.clock import as_utc, utcnow
from serving.store.database import LeadStore
from serving.store.lead_filters import LeadFilters
from serving.store.monitoring import FIRST_CONTACT, epoch_us
from serving.store.tables import Lead, Outcome

HOUR_US = 3_600_000_000
STREAM = 10_000  # contact delays per fetch


@dataclass
class ServiceRow:
    """One grade's (or owner's) leads: `judged` are those with a deadline that were contacted or whose deadline
    passed; `met` of them were contacted in time. Leads still new and not yet due are not judged yet."""

    key: str | None  # the grade, or the owner (None: leads without one)
    deadline_hours: float | None = None  # grade rows only; None for nurture
    leads: int = 0
    contacted: int = 0
    judged: int = 0
    met: int = 0
    overdue_now: int = 0
    hours: list[float] = field(default_factory=list, repr=False)  # to first contact, of the contacted leads

    @property
    def met_rate(self) -> float | None:
        return self.met / self.judged if self.judged else None

    def as_dict(self, by: str) -> dict[str, Any]:
        values = np.array(self.hours, dtype=np.float64)
        median, p90 = (float(np.quantile(values, q)) for q in (0.5, 0.9)) if len(values) else (None, None)
        extra = {"deadline_hours": self.deadline_hours} if by == "grade" else {}
        return {
            by: self.key,
            **extra,
            "leads": self.leads,
            "contacted": self.contacted,
            "judged": self.judged,
            "met": self.met,
            "met_rate": self.met_rate,
            "median_hours_to_contact": median,
            "p90_hours_to_contact": p90,
            "overdue_now": self.overdue_now,
        }


@dataclass(frozen=True)
class ServiceLevel:
    grades: list[ServiceRow]  # every grade with a deadline setting or a lead, in grade order
    owners: list[ServiceRow]  # leads with a deadline only (nurture is not judged), most judged first


def service_level(
    store: LeadStore,
    sla_hours: Mapping[str, float | None],
    filters: LeadFilters | None = None,
    *,
    now: datetime | None = None,
) -> ServiceLevel:
    """The service level of the leads that pass `filters`, as of `now` (default: the current time)."""
    at = as_utc(now) if now else utcnow()
    where = (filters or LeadFilters()).conditions()
    deadlines = {g: h for g, h in sla_hours.items() if h is not None}
    delay = epoch_us(Outcome.at) - epoch_us(Lead.created_at)
    deadline_us = case({g: int(h * HOUR_US) for g, h in deadlines.items()}, value=Lead.grade, else_=None)
    due_passed = or_(
        false(),
        *(and_(Lead.grade == g, Lead.created_at < at - timedelta(hours=h)) for g, h in deadlines.items()),
    )
    contacted = Outcome.id.is_not(None)
    joined = Lead.__table__.outerjoin(
        Outcome.__table__, and_(Outcome.lead_id == Lead.lead_id, Outcome.outcome.in_(FIRST_CONTACT))
    )

    def counted(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    counts = (
        select(
            Lead.grade,
            Lead.owner,
            func.count(),
            counted(contacted),
            counted(or_(contacted, due_passed) & deadline_us.is_not(None)),
            counted(contacted & (delay <= deadline_us)),
            counted(~contacted & due_passed),
        )
        .select_from(joined)
        .where(*where)
        .group_by(Lead.grade, Lead.owner)
    )
    delays = select(Lead.grade, Lead.owner, delay).select_from(joined).where(contacted, *where)
    grades = {g: ServiceRow(g, h) for g, h in sorted(sla_hours.items())}
    owners: dict[str | None, ServiceRow] = defaultdict(lambda: ServiceRow(None))
    with store.transaction() as session:
        connection = session.connection()
        for grade, owner, leads, reached, judged, met, overdue in connection.execute(counts):
            rows = [grades.setdefault(grade, ServiceRow(grade, sla_hours.get(grade)))]
            if grade in deadlines:
                rows.append(owners[owner])
            for row in rows:
                row.leads += leads
                row.contacted += reached or 0
                row.judged += judged or 0
                row.met += met or 0
                row.overdue_now += overdue or 0
        result = connection.execution_options(stream_results=True, yield_per=STREAM).execute(delays)
        for grade, owner, micro in result:
            hours = micro / HOUR_US
            grades[grade].hours.append(hours)
            if grade in deadlines:
                owners[owner].hours.append(hours)
    for key, row in owners.items():
        row.key = key
    return ServiceLevel(
        list(grades.values()), sorted(owners.values(), key=lambda r: (-r.judged, r.key or ""))
    )
