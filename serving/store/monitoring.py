"""What the monitor reads to judge the live score: the leads created in a window, with their latest score, their
status and when sales first contacted them, streamed in pages so a million leads never sit in memory at once.

Pages are read with keyset pagination on (created_at, lead_id), one short transaction each, and no payloads are
selected. Each page comes as columns (numpy arrays), which is what the monitor's sums and metrics work on; times come
from the database as microseconds since 1970 (UTC), since making a million datetime objects only to turn them into
numbers took a third of the read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, and_, func, or_, select
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

from serving.store.clock import as_utc
from serving.store.database import LeadStore
from serving.store.outcomes import TRANSITIONS
from serving.store.tables import Lead, Outcome

CHUNK = 10_000  # leads per page (one transaction each)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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


class epoch_us(FunctionElement[int]):  # lower case, as SQLAlchemy names its SQL functions
    """A stored time as whole microseconds since 1970-01-01 UTC, computed by the database."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_us)
def _epoch_elsewhere(element: epoch_us, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"the monitor reads times on PostgreSQL and SQLite only, not {compiler.dialect.name}")


@compiles(epoch_us, "postgresql")
def _epoch_postgresql(element: epoch_us, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) * 1000000 AS BIGINT)"


@compiles(epoch_us, "sqlite")
def _epoch_sqlite(element: epoch_us, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores a time as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC here): whole seconds, then the microseconds
    moment = compiler.process(element.clauses, **kw)
    return f"(CAST(strftime('%s', {moment}) AS INTEGER) * 1000000 + CAST(substr({moment}, 21, 6) AS INTEGER))"


def _times(values: tuple[Any, ...]) -> np.ndarray:
    """Microseconds since 1970 as UTC datetime64 (None becomes NaT); float64 holds them exactly until 2255."""
    micro = np.array(values, dtype=np.float64)
    missing = np.isnan(micro)
    times = np.where(missing, 0, micro).astype(np.int64).view("datetime64[us]")
    times[missing] = np.datetime64("NaT")
    return times


def _chunk(rows: Sequence[Any]) -> OutcomeChunk:
    _, created, probability, score, grade, version, status, status_at, contacted = zip(*rows, strict=True)
    return OutcomeChunk(
        created_at=_times(created),
        probability=np.array(probability, dtype=np.float64),
        score=np.array(score, dtype=np.int64),
        grade=np.array(grade, dtype=str),
        model_version=np.array(version, dtype=str),
        status=np.array(status, dtype=str),
        status_at=_times(status_at),
        contacted_at=_times(contacted),
    )


def lead_outcomes(
    store: LeadStore, *, since: datetime, until: datetime, chunk_size: int = CHUNK
) -> Iterator[OutcomeChunk]:
    """The leads created in [since, until), oldest first, `chunk_size` at a time (no page is empty)."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1; got {chunk_size}")
    first_contact = (
        select(func.min(epoch_us(Outcome.at)))
        .where(Outcome.lead_id == Lead.lead_id, Outcome.outcome.in_(FIRST_CONTACT))
        .correlate(Lead)
        .scalar_subquery()
    )
    columns = select(
        Lead.lead_id,
        epoch_us(Lead.created_at),
        Lead.probability,
        Lead.score,
        Lead.grade,
        Lead.model_version,
        Lead.status,
        epoch_us(Lead.status_at),
        first_contact,
    ).where(Lead.created_at < as_utc(until))
    last: tuple[datetime, str] | None = None  # (created_at, lead_id) of the previous page's last lead
    while True:
        if last is None:
            query = columns.where(Lead.created_at >= as_utc(since))
        else:  # the bound on created_at alone lets the database walk its index from where the last page ended
            query = columns.where(
                Lead.created_at >= last[0],
                or_(Lead.created_at > last[0], and_(Lead.created_at == last[0], Lead.lead_id > last[1])),
            )
        with store.transaction() as session:  # Core rows straight from the connection: no ORM bookkeeping
            rows = (
                session.connection()
                .execute(query.order_by(Lead.created_at, Lead.lead_id).limit(chunk_size))
                .all()
            )
        if not rows:
            return
        yield _chunk(rows)
        if len(rows) < chunk_size:
            return
        last = (EPOCH + timedelta(microseconds=rows[-1][1]), rows[-1][0])
