"""Leads: ingest (upsert on the lead id, latest score on the lead, every score in its history), rescore, and reads by
id and by status."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from serving.store.clock import as_utc, utcnow
from serving.store.database import LeadFields, LeadStore
from serving.store.tables import ID_LENGTH, Lead, Score

NEW = "new"
IDS_PER_QUERY = 500  # lead ids in one IN (...) list: far below every backend's limit on bound parameters


@dataclass(frozen=True)
class IncomingLead:
    """A lead to store: its id, the payload exactly as received, and the score the champion gave it."""

    lead_id: str
    payload: Mapping[str, Any]
    scored: Mapping[
        str, Any
    ]  # probability, score, grade, model_version and optionally reasons (as score_leads gives)
    arrived_at: datetime | None = None  # when the lead arrived, if before it is stored (a historical load)


@dataclass(frozen=True)
class StoredLead:
    """What storing one lead did: whether it was new, and the status it now has (a re-sent lead keeps its status)."""

    lead_id: str
    created: bool
    status: str
    created_at: datetime


def field_value(payload: Mapping[str, Any], field: str) -> str | None:
    """A payload field as indexed text (None when absent, null or blank; cut to the column's length)."""
    value = payload.get(field)
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text[:ID_LENGTH] or None


def _indexed(payload: Mapping[str, Any], fields: LeadFields) -> dict[str, str | None]:
    return {
        "source": field_value(payload, fields.source),
        "campaign": field_value(payload, fields.campaign),
        "owner": field_value(payload, fields.owner),
    }


def _latest(scored: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    return {
        "probability": float(scored["probability"]),
        "score": int(scored["score"]),
        "grade": str(scored["grade"]),
        "model_version": str(scored["model_version"]),
        "scored_at": at,
    }


def ingest(store: LeadStore, leads: Sequence[IncomingLead], now: datetime | None = None) -> list[StoredLead]:
    """Store a batch in one transaction: new ids are inserted, known ids updated; every lead adds a score row.

    Ids must be unique within one call (the caller says which one is wrong). A lead's status and creation time
    never change here: re-sending a lead that sales already worked updates its data and score only. A new lead
    arrives at its `arrived_at` when given (a historical load), else now.
    """
    at = as_utc(now) if now else utcnow()
    ids = [lead.lead_id for lead in leads]
    if len(set(ids)) != len(ids):
        raise ValueError("lead ids must be unique within one ingest call")
    try:
        return _upsert(store, leads, ids, at)
    except IntegrityError:  # another request inserted one of these ids meanwhile: now it is known, update it
        return _upsert(store, leads, ids, at)


def _upsert(
    store: LeadStore, leads: Sequence[IncomingLead], ids: list[str], at: datetime
) -> list[StoredLead]:
    """Bulk statements (no ORM object per lead): 10,000 leads in one round of INSERTs and UPDATEs."""
    out: list[StoredLead] = []
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    with store.transaction() as session:
        query = (
            select(Lead.lead_id, Lead.status, Lead.created_at).where(Lead.lead_id.in_(ids)).with_for_update()
        )
        known = {lead_id: (status, created) for lead_id, status, created in session.execute(query)}
        for lead in leads:
            latest = _latest(lead.scored, at)
            values = {
                "lead_id": lead.lead_id,
                "payload": dict(lead.payload),
                "updated_at": at,
                "reasons": lead.scored.get("reasons"),
                **_indexed(lead.payload, store.fields),
                **latest,
            }
            scores.append({"lead_id": lead.lead_id, **latest, "reasons": lead.scored.get("reasons")})
            if lead.lead_id in known:
                status, created = known[lead.lead_id]
                updates.append(values)
                out.append(StoredLead(lead.lead_id, False, status, as_utc(created)))
            else:
                arrived = as_utc(lead.arrived_at) if lead.arrived_at else at
                inserts.append({**values, "created_at": arrived, "status": NEW, "status_at": arrived})
                out.append(StoredLead(lead.lead_id, True, NEW, arrived))
        if inserts:
            session.execute(insert(Lead), inserts)
        if updates:
            session.execute(update(Lead), updates)  # by primary key
        session.execute(insert(Score), scores)
    return out


def record_scores(store: LeadStore, scored: Sequence[Mapping[str, Any]], now: datetime | None = None) -> int:
    """Rescore known leads (by `lead_id` in each score): new latest score plus a history row; unknown ids are skipped.

    Returns how many leads were rescored; status, payload and outcomes are untouched. Reasons are replaced when the
    score carries them.
    """
    at = as_utc(now) if now else utcnow()
    by_id = {str(item["lead_id"]): item for item in scored}
    with store.transaction() as session:
        query = select(Lead.lead_id).where(Lead.lead_id.in_(list(by_id))).with_for_update()
        known = list(session.scalars(query))
        if not known:
            return 0
        latest = [{"lead_id": lead_id, **_latest(by_id[lead_id], at)} for lead_id in known]
        with_reasons = [
            dict(row, reasons=by_id[row["lead_id"]]["reasons"])
            for row in latest
            if "reasons" in by_id[row["lead_id"]]
        ]
        without = [row for row in latest if "reasons" not in by_id[row["lead_id"]]]
        for rows in (with_reasons, without):
            if rows:
                session.execute(update(Lead), rows)
        history = [dict(row, reasons=by_id[row["lead_id"]].get("reasons")) for row in latest]
        session.execute(insert(Score), history)
    return len(known)


def get_lead(store: LeadStore, lead_id: str) -> Lead | None:
    """One stored lead (detached: safe to read after the session closed), or None."""
    with store.transaction() as session:
        return session.get(Lead, lead_id)


def score_history(store: LeadStore, lead_id: str) -> list[Score]:
    """Every score a lead was given, oldest first."""
    with store.transaction() as session:
        return list(session.scalars(select(Score).where(Score.lead_id == lead_id).order_by(Score.id)))


def known_ids(store: LeadStore, lead_ids: Sequence[str]) -> set[str]:
    """Which of these lead ids are stored."""
    known: set[str] = set()
    with store.transaction() as session:
        for start in range(0, len(lead_ids), IDS_PER_QUERY):
            part = lead_ids[start : start + IDS_PER_QUERY]
            known.update(session.scalars(select(Lead.lead_id).where(Lead.lead_id.in_(part))))
    return known


@dataclass(frozen=True, slots=True)
class LeadState:
    """A stored lead as the batch commands read it: its payload as received, its status and latest grade."""

    lead_id: str
    payload: dict[str, Any]
    status: str
    status_at: datetime  # when the status was set (the arrival for a new lead)
    created_at: datetime
    grade: str


def leads_with_status(
    store: LeadStore,
    statuses: Collection[str],
    *,
    since: datetime | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[LeadState]:
    """Leads whose status is one of `statuses`, in lead-id order, read in one transaction.

    `since` keeps those whose status was set at or after it; `after` and `limit` read a page (the leads whose id
    sorts after `after`, at most `limit` of them), so a long job walks the store without holding a transaction open.
    """
    query = select(
        Lead.lead_id, Lead.payload, Lead.status, Lead.status_at, Lead.created_at, Lead.grade
    ).where(Lead.status.in_(list(statuses)))
    if since is not None:
        query = query.where(Lead.status_at >= as_utc(since))
    if after is not None:
        query = query.where(Lead.lead_id > after)
    query = query.order_by(Lead.lead_id).limit(limit)
    with store.transaction() as session:
        rows = session.execute(query).all()
    return [
        LeadState(lead_id, payload, status, as_utc(status_at), as_utc(created_at), grade)
        for lead_id, payload, status, status_at, created_at, grade in rows
    ]


def count_with_status(store: LeadStore, statuses: Collection[str]) -> int:
    """How many leads have one of `statuses`."""
    query = select(func.count()).select_from(Lead).where(Lead.status.in_(list(statuses)))
    with store.transaction() as session:
        return session.scalar(query) or 0
