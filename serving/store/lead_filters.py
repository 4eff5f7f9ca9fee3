"""Which leads a report or dashboard table counts: arrival in [since, until) and optional equal fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement

from serving.store.clock import as_utc
from serving.store.tables import Lead


@dataclass(frozen=True)
class LeadFilters:
    """Leads that arrived in [since, until) whose source, campaign, owner and (current) grade match; None: any."""

    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    campaign: str | None = None
    owner: str | None = None
    grade: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses on the leads table."""
        where: list[ColumnElement[bool]] = []
        if self.since is not None:
            where.append(Lead.created_at >= as_utc(self.since))
        if self.until is not None:
            where.append(Lead.created_at < as_utc(self.until))
        for column, value in (
            (Lead.source, self.source),
            (Lead.campaign, self.campaign),
            (Lead.owner, self.owner),
            (Lead.grade, self.grade),
        ):
            if value is not None:
                where.append(column == value)
        return where
