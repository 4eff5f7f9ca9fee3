"""Sales outcomes: allowed status transitions, one event row per outcome, retries made safe by idempotency keys.

States: new -> accepted | rejected; accepted -> won | lost; rejected, won and lost are final.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from serving.store.clock import as_utc, utcnow
from serving.store.database import LeadStore
from serving.store.leads import IDS_PER_QUERY
from serving.store.tables import ID_LENGTH, Lead, Outcome

OUTCOMES = ("accepted", "rejected", "won", "lost")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("accepted", "rejected"),
    "accepted": ("won", "lost"),
    "rejected": (),
    "won": (),
    "lost": (),
}
OPEN = tuple(state for state, onward in TRANSITIONS.items() if onward)
FINAL = tuple(state for state, onward in TRANSITIONS.items() if not onward)


class LeadNotFound(LookupError):
    """No lead with this id was ever stored."""


class TransitionRefused(ValueError):
    """The outcome cannot follow the lead's current status (won then rejected, for example)."""

    def __init__(self, lead_id: str, current: str, wanted: str) -> None:
        onward = ", ".join(TRANSITIONS[current]) or "nothing (it is final)"
        super().__init__(
            f"lead {lead_id!r} is {current}: {current} -> {wanted} is not allowed (from {current}: {onward})"
        )
        self.current, self.wanted = current, wanted


class BadOutcome(ValueError):
    """An outcome that is malformed in a way only the store's configuration can tell (the reason list)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class KeyReused(ValueError):
    """An idempotency key already used for a different outcome or lead."""


@dataclass(frozen=True)
class OutcomeIn:
    """What sales says happened to a lead."""

    outcome: str
    reason: str | None = None
    note: str | None = None
    actor: str | None = None


@dataclass(frozen=True)
class RecordedOutcome:
    """One outcome event as stored; `replayed` is True when an idempotency key returned an earlier event."""

    event_id: int
    lead_id: str
    outcome: str
    from_status: str
    reason: str | None
    note: str | None
    actor: str | None
    at: datetime
    replayed: bool = False


def _recorded(row: Outcome, replayed: bool) -> RecordedOutcome:
    return RecordedOutcome(
        row.id,
        row.lead_id,
        row.outcome,
        row.from_status,
        row.reason,
        row.note,
        row.actor,
        as_utc(row.at),
        replayed,
    )


def check(given: OutcomeIn, reasons: Sequence[str]) -> OutcomeIn:
    """The outcome with blank strings as None; BadOutcome names the field that is wrong."""
    if given.outcome not in OUTCOMES:
        raise BadOutcome("outcome", f"expected one of {', '.join(OUTCOMES)}, got {given.outcome!r}")
    reason = (given.reason or "").strip() or None
    if given.outcome == "rejected":
        if reason is None:
            raise BadOutcome("reason", f"required when rejecting; one of: {', '.join(reasons)}")
        if reason not in reasons:
            raise BadOutcome("reason", f"{reason!r} is not a rejection reason; one of: {', '.join(reasons)}")
    actor = (given.actor or "").strip() or None
    if reason and len(reason) > ID_LENGTH:
        raise BadOutcome("reason", f"at most {ID_LENGTH} characters")
    if actor and len(actor) > ID_LENGTH:
        raise BadOutcome("actor", f"at most {ID_LENGTH} characters")
    return OutcomeIn(given.outcome, reason, (given.note or "").strip() or None, actor)


def _replay(store: LeadStore, lead_id: str, given: OutcomeIn, key: str) -> RecordedOutcome | None:
    with store.transaction() as session:
        row = session.scalars(select(Outcome).where(Outcome.idempotency_key == key)).one_or_none()
        if row is None:
            return None
        same = (row.lead_id, row.outcome, row.reason, row.note, row.actor) == (
            lead_id,
            given.outcome,
            given.reason,
            given.note,
            given.actor,
        )
        if not same:
            raise KeyReused(
                f"Idempotency-Key {key!r} was already used for {row.outcome} on lead {row.lead_id!r}; "
                "use a new key for a different outcome"
            )
        return _recorded(row, replayed=True)


def record_outcome(
    store: LeadStore,
    lead_id: str,
    given: OutcomeIn,
    *,
    reasons: Sequence[str],
    key: str | None = None,
    now: datetime | None = None,
) -> RecordedOutcome:
    """Record an outcome and move the lead's status, in one transaction.

    With a key, a retry (same key, same outcome) returns the first event unchanged instead of failing the transition.
    """
    given = check(given, reasons)
    if key is not None:
        earlier = _replay(store, lead_id, given, key)
        if earlier is not None:
            return earlier
    at = as_utc(now) if now else utcnow()
    try:
        return _record(store, lead_id, given, key, at)
    except (IntegrityError, TransitionRefused):
        if key is None:
            raise
        # the same key committed by a concurrent retry (another replica, another thread): answer its event
        earlier = _replay(store, lead_id, given, key)
        if earlier is None:
            raise
        return earlier


def _record(
    store: LeadStore, lead_id: str, given: OutcomeIn, key: str | None, at: datetime
) -> RecordedOutcome:
    """One transaction: check the transition, move the lead's status, add the event."""
    with store.transaction() as session:
        current = session.scalar(select(Lead.status).where(Lead.lead_id == lead_id))
        if current is None:
            raise LeadNotFound(f"lead {lead_id!r} not found; send it to POST /v1/leads first")
        if given.outcome not in TRANSITIONS[current]:
            raise TransitionRefused(lead_id, current, given.outcome)
        # only if nobody moved the lead since we read it (two reps clicking at once)
        moved = session.execute(
            update(Lead)
            .where(Lead.lead_id == lead_id, Lead.status == current)
            .values(status=given.outcome, status_at=at)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            latest = session.scalar(select(Lead.status).where(Lead.lead_id == lead_id)) or current
            raise TransitionRefused(lead_id, latest, given.outcome)
        row = Outcome(
            lead_id=lead_id,
            outcome=given.outcome,
            from_status=current,
            reason=given.reason,
            note=given.note,
            actor=given.actor,
            at=at,
            idempotency_key=key,
        )
        session.add(row)
        session.flush()
        return _recorded(row, replayed=False)


def outcome_events(store: LeadStore, lead_id: str) -> list[RecordedOutcome]:
    """A lead's outcome events, oldest first."""
    with store.transaction() as session:
        rows = session.scalars(select(Outcome).where(Outcome.lead_id == lead_id).order_by(Outcome.id))
        return [_recorded(row, replayed=False) for row in rows]


def outcome_reasons(store: LeadStore, lead_ids: Sequence[str]) -> dict[tuple[str, str], str | None]:
    """The outcomes these leads have, as (lead id, outcome) -> reason (a lead takes each outcome at most once)."""
    reasons: dict[tuple[str, str], str | None] = {}
    with store.transaction() as session:
        for start in range(0, len(lead_ids), IDS_PER_QUERY):
            part = lead_ids[start : start + IDS_PER_QUERY]
            query = select(Outcome.lead_id, Outcome.outcome, Outcome.reason).where(Outcome.lead_id.in_(part))
            reasons.update(
                ((lead_id, outcome), reason) for lead_id, outcome, reason in session.execute(query)
            )
    return reasons
