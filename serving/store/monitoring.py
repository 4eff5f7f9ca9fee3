"""What the monitor reads to judge the live score: the leads created in a window, with their latest score, their
status and when sales first contacted them, streamed in pages so a million leads never sit in memory at once.

Pages are read with keyset pagination on (created_at, lead_id), one short transaction each, and no payloads are
selected. Each page comes as columns (numpy arrays), which is what the monitor's sums and metrics work on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import and_, func, or_, select

from serving.store.clock import as_utc
from serving.store.database import LeadStore
from serving.store.outcomes import TRANSITIONS
from serving.store.tables import Lead, Outcome

CHUNK = 10_000  # leads per page (one transaction each)
FIRST_CONTACT = TRANSITIONS["new"]  # accepted or rejected: the outcome that ends a lead being new


@dataclass(frozen=True)
class OutcomeChunk:
    """One page of leads in arrival order, column by column (arrays of equal length; times UTC, without zone)."""

    created_at: np.ndarray  # datetime64[us]
    probability: np.ndarray  # float64: the latest stored score's calibrated probability
    score: np.ndarray  # int64
    grade: np.ndarray  # str
    model_version: np.ndarray  # str
    status: np.ndarray  # str: new, accepted, rejected, won, lost
    status_at: np.ndarray  # datetime64[us]
    contacted_at: np.ndarray  # datetime64[us]: the first outcome (accepted or rejected); NaT while still new

    def __len__(self) -> int:
        return len(self.probability)


def _times(values: list[Any]) -> np.ndarray:
    """Stored times as UTC datetime64 (SQLite hands them back without a zone); None becomes NaT."""
    plain = [None if v is None else as_utc(v).replace(tzinfo=None) for v in values]
    return np.array(plain, dtype="datetime64[us]")


def _chunk(rows: list[Any]) -> OutcomeChunk:
    _, created, probability, score, grade, version, status, status_at, contacted = zip(*rows, strict=True)
    return OutcomeChunk(
        created_at=_times(list(created)),
        probability=np.array(probability, dtype=np.float64),
        score=np.array(score, dtype=np.int64),
        grade=np.array(grade, dtype=str),
        model_version=np.array(version, dtype=str),
        status=np.array(status, dtype=str),
        status_at=_times(list(status_at)),
        contacted_at=_times(list(contacted)),
    )


def lead_outcomes(
    store: LeadStore, *, since: datetime, until: datetime, chunk_size: int = CHUNK
) -> Iterator[OutcomeChunk]:
    """The leads created in [since, until), oldest first, `chunk_size` at a time (no page is empty)."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1; got {chunk_size}")
    first_contact = (
        select(func.min(Outcome.at))
        .where(Outcome.lead_id == Lead.lead_id, Outcome.outcome.in_(FIRST_CONTACT))
        .correlate(Lead)
        .scalar_subquery()
    )
    columns = select(
        Lead.lead_id,
        Lead.created_at,
        Lead.probability,
        Lead.score,
        Lead.grade,
        Lead.model_version,
        Lead.status,
        Lead.status_at,
        first_contact,
    ).where(Lead.created_at < as_utc(until))
    last: tuple[Any, str] | None = None  # (created_at, lead_id) of the previous page's last lead, as stored
    while True:
        if last is None:
            query = columns.where(Lead.created_at >= as_utc(since))
        else:  # the bound on created_at alone lets the database walk its index from where the last page ended
            query = columns.where(
                Lead.created_at >= last[0],
                or_(Lead.created_at > last[0], and_(Lead.created_at == last[0], Lead.lead_id > last[1])),
            )
        with store.transaction() as session:
            rows = list(session.execute(query.order_by(Lead.created_at, Lead.lead_id).limit(chunk_size)))
        if not rows:
            return
        yield _chunk(rows)
        if len(rows) < chunk_size:
            return
        last = (rows[-1].created_at, rows[-1].lead_id)
