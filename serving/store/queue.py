"""The sales queue: open leads by score, filters, opaque cursor pagination and each lead's first-contact deadline."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from serving.store.clock import as_utc, utcnow
from serving.store.database import LeadStore
from serving.store.outcomes import OPEN
from serving.store.tables import Lead


class BadCursor(ValueError):
    """A cursor this store did not hand out."""


@dataclass(frozen=True)
class QueueFilters:
    """Which open leads to list; None means any."""

    owner: str | None = None
    grades: Sequence[str] | None = None
    source: str | None = None
    created_since: datetime | None = None
    status: str | None = None  # "new" or "accepted"; both by default


@dataclass(frozen=True)
class Sla:
    """The first-contact service level: due `hours` after the lead arrived; met once sales accepted it."""

    hours: float | None  # None: no deadline (nurture)
    deadline: datetime | None
    overdue: bool
    state: str  # "due", "overdue", "met" (accepted) or "nurture"


@dataclass(frozen=True)
class QueueItem:
    lead: Lead
    sla: Sla


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    next_cursor: str | None  # None on the last page


def encode_cursor(score: int, probability: float, lead_id: str) -> str:
    raw = json.dumps(
        [score, probability, lead_id], separators=(",", ":")
    ).encode()  # floats round-trip exactly
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, float, str]:
    """The (score, probability, lead id) a page ended at; BadCursor for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        score, probability, lead_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as error:
        raise BadCursor("cursor: not a cursor from this queue; start again without one") from error
    valid = isinstance(score, int) and isinstance(probability, int | float) and isinstance(lead_id, str)
    if not valid or isinstance(probability, bool):
        raise BadCursor("cursor: not a cursor from this queue; start again without one")
    return score, float(probability), lead_id


def sla_for(lead: Lead, hours_by_grade: Mapping[str, float | None], now: datetime) -> Sla:
    """The lead's first-contact deadline by its current grade, and whether it has passed without contact."""
    hours = hours_by_grade.get(lead.grade)
    if hours is None:
        return Sla(None, None, False, "nurture")
    deadline = as_utc(lead.created_at) + timedelta(hours=hours)
    if lead.status != "new":
        return Sla(hours, deadline, False, "met")
    overdue = now > deadline
    return Sla(hours, deadline, overdue, "overdue" if overdue else "due")


def queue(
    store: LeadStore,
    filters: QueueFilters,
    sla_hours: Mapping[str, float | None],
    *,
    limit: int = 50,
    cursor: str | None = None,
    now: datetime | None = None,
) -> QueuePage:
    """One page of open leads, highest score first, then highest probability (a tie on the 0-100 score is broken by
    what the model said), then lead id; after the cursor if one is given (index `ix_leads_queue`)."""
    at = as_utc(now) if now else utcnow()
    statuses = [filters.status] if filters.status else list(OPEN)
    query = select(Lead).where(Lead.status.in_(statuses))
    if filters.owner is not None:
        query = query.where(Lead.owner == filters.owner)
    if filters.grades:
        query = query.where(Lead.grade.in_(list(filters.grades)))
    if filters.source is not None:
        query = query.where(Lead.source == filters.source)
    if filters.created_since is not None:
        query = query.where(Lead.created_at >= as_utc(filters.created_since))
    if cursor:
        score, probability, lead_id = decode_cursor(cursor)
        query = query.where(
            or_(
                Lead.score < score,
                and_(Lead.score == score, Lead.probability < probability),
                and_(Lead.score == score, Lead.probability == probability, Lead.lead_id > lead_id),
            )
        )
    query = query.order_by(Lead.score.desc(), Lead.probability.desc(), Lead.lead_id).limit(limit + 1)
    with store.transaction() as session:
        rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = encode_cursor(last.score, last.probability, last.lead_id) if more and last else None
    return QueuePage([QueueItem(row, sla_for(row, sla_hours, at)) for row in rows], next_cursor)


def display_values(payload: Mapping[str, Any], fields: Sequence[str]) -> list[dict[str, str]]:
    """The lead's payload fields that identify and reach it (name, company, e-mail, ...), in the configured order;
    fields the lead lacks or left empty are left out."""
    shown = []
    for field in fields:
        value = payload.get(field)
        if value is not None and not isinstance(value, dict | list) and str(value).strip():
            shown.append({"field": field, "value": str(value).strip()})
    return shown


def queue_item_dict(item: QueueItem, display_fields: Sequence[str] = ()) -> dict[str, Any]:
    """A queue entry as plain JSON-ready values (what GET /v1/queue answers), with the `display_fields` shown."""
    lead, sla = item.lead, item.sla
    return {
        "lead_id": lead.lead_id,
        "status": lead.status,
        "probability": lead.probability,
        "score": lead.score,
        "grade": lead.grade,
        "reasons": lead.reasons,
        "model_version": lead.model_version,
        "source": lead.source,
        "campaign": lead.campaign,
        "owner": lead.owner,
        "display": display_values(lead.payload, display_fields),
        "created_at": as_utc(lead.created_at).isoformat(),
        "scored_at": as_utc(lead.scored_at).isoformat(),
        "sla": {
            "hours": sla.hours,
            "deadline": sla.deadline.isoformat() if sla.deadline else None,
            "overdue": sla.overdue,
            "state": sla.state,
        },
    }
