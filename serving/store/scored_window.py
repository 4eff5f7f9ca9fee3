"""The leads scored in a window, with their payloads, read in chunks: what drift monitoring counts.

A lead belongs to the window it arrived in (`created_at`: when it was first stored and scored), so a nightly rescore
does not bring last year's leads back into this week's population; its payload is the one last received. Chunks are
read by keyset (created_at, lead_id) on the indexed arrival time, each in its own short transaction, so a window of a
million leads never sits in memory or in one long transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from serving.store.clock import as_utc
from serving.store.database import LeadStore
from serving.store.tables import Lead

WINDOW_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class WindowLead:
    """A lead scored in the window: its id, arrival, payload as last received and the version that last scored it."""

    lead_id: str
    created_at: datetime
    payload: dict[str, Any]
    model_version: str


def scored_window(
    store: LeadStore, since: datetime, until: datetime, chunk: int = WINDOW_CHUNK
) -> Iterator[list[WindowLead]]:
    """Leads that arrived at or after `since` and before `until`, oldest first, `chunk` at a time."""
    since, until = as_utc(since), as_utc(until)
    after: tuple[datetime, str] | None = None
    while True:
        query = select(Lead.lead_id, Lead.created_at, Lead.payload, Lead.model_version).where(
            Lead.created_at >= since, Lead.created_at < until
        )
        if after is not None:
            at, lead_id = after
            # spelled out (not a row comparison) so every backend walks the created_at index from `at`
            query = query.where(
                Lead.created_at >= at,
                or_(Lead.created_at > at, and_(Lead.created_at == at, Lead.lead_id > lead_id)),
            )
        query = query.order_by(Lead.created_at, Lead.lead_id).limit(chunk)
        with store.transaction() as session:
            rows = session.execute(query).all()
        if not rows:
            return
        yield [WindowLead(i, as_utc(at), payload, version) for i, at, payload, version in rows]
        if len(rows) < chunk:
            return
        after = (rows[-1][1], rows[-1][0])
