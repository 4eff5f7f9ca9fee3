"""A lead store filled fast for bench/monitor.py: synthetic leads scored by the model, and sales outcomes.

Leads are drawn by `leadscore.synthetic.generate_leads` (one call, so the newest leads are the generator's newest:
their campaigns are the latest), stored with the payload a client would send (missing cells left out, the
post-outcome columns dropped, an owner added), arriving one after another, in the generator's order, over `days`
days before `end`; each is scored (with reasons) by `LeadModel.score` as ingest scores it. Some of them are worked by
sales: older leads more often; a first contact (accepted or rejected) some hours after arrival, then won or lost
about two weeks later (or still open when that falls after `end`), following the lead's true outcome.

Writing a million leads through `ingest` would take hours here, so the rows go in with PostgreSQL's COPY into the
store's own tables (created by its migrations: `LeadStore.migrate`), exactly as ingest and `record_outcome` would
leave them: the indexed source, campaign and owner, a score-history row per lead, each lead's status and status time
those of its last outcome. A benchmark's shortcut; product code reaches the tables through serving/store only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from psycopg.types.json import Jsonb

from features.model import LeadModel
from leadscore.synthetic import generate_leads
from leadscore.synthetic_outcomes import BASE_WEIGHTS, POST_OUTCOME, REASONS, REPS
from serving.store import Lead, LeadStore, Outcome, Score
from serving.store.leads import field_value

# where the stored leads end (exclusive): where the synthetic leads end too
END = datetime(2026, 11, 1, tzinfo=UTC)
CHUNK = 20_000  # leads scored and written at a time
HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
LEAD_COLUMNS = ["lead_id", "payload", "source", "campaign", "owner", "created_at", "updated_at", "status",
                "status_at", "probability", "score", "grade", "model_version", "reasons", "scored_at"]  # fmt: skip
SCORE_COLUMNS = ["lead_id", "probability", "score", "grade", "model_version", "scored_at"]


@dataclass(frozen=True)
class Filled:
    leads: int
    worked: int  # leads with at least one outcome
    events: int
    final: int  # leads whose status is final (rejected, won, lost)
    seconds: dict[str, float]  # per step: generate, score (with reasons), copy, vacuum


@dataclass(frozen=True)
class Sales:
    """What sales did, per lead (arrays in lead order; times in microseconds since 1970, -1 where none)."""

    status: np.ndarray
    status_at: np.ndarray
    contact: np.ndarray  # first contact, accepted or rejected
    closed: np.ndarray  # won or lost


def _us(times: np.ndarray) -> list[str]:
    """Microseconds since 1970 as UTC timestamps that PostgreSQL reads."""
    return [f"{t}+00:00" for t in np.datetime_as_string(times.astype("datetime64[us]"), unit="us")]


def arrivals(n: int, days: float, end: datetime, rng: np.random.Generator) -> np.ndarray:
    """n arrival times (microseconds, ascending), uniform over the `days` days before `end`."""
    end_us = int(end.timestamp() * 1_000_000)
    span = int(days * DAY_US)
    return np.sort(end_us - span + (rng.random(n) * span).astype(np.int64))


def sales(
    arrived: np.ndarray, converted: np.ndarray, worked: int, end: datetime, rng: np.random.Generator
) -> Sales:
    """`worked` leads picked (weighted towards older ones) and what happened to them before `end`."""
    n = len(arrived)
    end_us = int(end.timestamp() * 1_000_000)
    age = (end_us - arrived) / max(end_us - int(arrived.min()), 1)
    hours = rng.lognormal(np.log(8.0), 1.3, n)  # first contact: median 8 hours, from minutes to weeks
    contact = arrived + (hours * HOUR_US).astype(np.int64)
    weight = np.where(contact < end_us, 0.25 + age, 0.0)
    keys = np.log(rng.random(n)) / np.maximum(weight, 1e-12)  # weighted sampling without replacement
    keys[weight == 0] = -np.inf
    picked = np.zeros(n, dtype=bool)
    picked[np.argpartition(-keys, min(worked, n - 1))[:worked]] = True
    picked &= weight > 0
    rejected = picked & ~converted & (rng.random(n) < 0.55)
    close = contact + (rng.exponential(14.0, n) * DAY_US).astype(np.int64)
    closes = picked & ~rejected & (close < end_us) & (rng.random(n) < np.where(converted, 0.85, 0.8))
    status = np.full(n, "new", dtype=object)
    status[picked] = "accepted"
    status[rejected] = "rejected"
    status[closes] = np.where(converted[closes], "won", "lost")
    status_at = np.where(closes, close, np.where(picked, contact, arrived))
    return Sales(status, status_at, np.where(picked, contact, -1), np.where(closes, close, -1))


def payloads(table: pd.DataFrame, owners: np.ndarray, arrived: list[str]) -> list[dict[str, Any]]:
    """Each lead as the JSON a client sends: missing cells left out, created_at its arrival, with its owner."""
    sent = table.drop(columns=[c for c in POST_OUTCOME if c in table.columns]).assign(owner=owners)
    sent["created_at"] = arrived
    names = list(sent.columns)
    columns = [sent[c].astype(object).where(sent[c].notna(), None).tolist() for c in names]
    return [
        {k: v for k, v in zip(names, row, strict=True) if v is not None} for row in zip(*columns, strict=True)
    ]


def _copy(connection: Any, table: Any, names: Sequence[str], rows: Any) -> None:
    """Rows into one of the store's tables with COPY (psycopg adapts each value)."""
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table.__tablename__} ({', '.join(names)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def fill(
    store: LeadStore,
    model: LeadModel,
    version: str,
    *,
    leads: int,
    worked: int,
    days: float,
    seed: int,
    end: datetime = END,
    progress: Callable[[str], object] = print,
) -> Filled:
    """Store `leads` scored leads, `worked` of them with outcomes; the store must be PostgreSQL and empty."""
    store.migrate()
    if set(LEAD_COLUMNS) != {c.name for c in Lead.__table__.columns}:
        raise SystemExit("bench/monitor_store.py: the leads table's columns changed; update LEAD_COLUMNS")
    seconds = dict.fromkeys(("generate", "score", "copy", "vacuum"), 0.0)
    clock = time.perf_counter()
    table, _ = generate_leads(leads, seed)
    rng = np.random.default_rng(seed + 1)
    arrived = arrivals(leads, days, end, rng)
    done = sales(arrived, table["converted"].to_numpy() == 1, worked, end, rng)
    owners = np.array(REPS)[rng.integers(0, len(REPS), leads)]
    stamps = np.array(_us(arrived), dtype=object)
    status_at = np.array(_us(done.status_at), dtype=object)
    seconds["generate"] = time.perf_counter() - clock
    fields = store.fields
    with store.engine.connect() as connection:
        raw: Any = connection.connection.driver_connection  # psycopg's own, for COPY
        for start in range(0, leads, CHUNK):
            part = slice(start, min(start + CHUNK, leads))
            clock = time.perf_counter()
            sent = payloads(table.iloc[part], owners[part], list(stamps[part]))
            scored = model.score(sent, reasons=True)
            assert scored.reasons is not None
            seconds["score"] += time.perf_counter() - clock
            clock = time.perf_counter()
            latest = zip(
                scored.probability.tolist(), scored.score.tolist(), scored.grade.tolist(), strict=True
            )
            rows = [
                (lead["lead_id"], Jsonb(lead), field_value(lead, fields.source), field_value(lead, fields.campaign),
                 field_value(lead, fields.owner), at, at, status, moved, p, s, g, version, Jsonb(reasons), at)
                for lead, at, status, moved, (p, s, g), reasons in zip(
                    sent, stamps[part], done.status[part], status_at[part], latest, scored.reasons, strict=True
                )
            ]  # fmt: skip
            _copy(raw, Lead, LEAD_COLUMNS, rows)
            history = [(r[0], r[9], r[10], r[11], version, r[5]) for r in rows]
            _copy(raw, Score, SCORE_COLUMNS, history)
            raw.commit()
            seconds["copy"] += time.perf_counter() - clock
            if part.stop % (5 * CHUNK) == 0 or part.stop == leads:
                progress(f"stored {part.stop:,} of {leads:,} leads ({sum(seconds.values()):.0f} s)")
        clock = time.perf_counter()
        events = _events(table["lead_id"].to_numpy(), owners, done, rng)
        _copy(raw, Outcome, ["lead_id", "outcome", "from_status", "reason", "actor", "at"], events)
        raw.commit()
        seconds["copy"] += time.perf_counter() - clock
    clock = time.perf_counter()
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")  # as autovacuum would leave a table that has settled
    seconds["vacuum"] = time.perf_counter() - clock
    final = int(np.isin(done.status, ["rejected", "won", "lost"]).sum())
    return Filled(leads, int((done.contact >= 0).sum()), len(events), final, seconds)


def _events(
    ids: np.ndarray, owners: np.ndarray, done: Sales, rng: np.random.Generator
) -> list[tuple[Any, ...]]:
    """The outcome events, first contacts then closings: (lead_id, outcome, from_status, reason, actor, at)."""
    contacted = np.flatnonzero(done.contact >= 0)
    first = np.where(done.status[contacted] == "rejected", "rejected", "accepted")
    reasons = np.array(REASONS, dtype=object)[rng.choice(len(REASONS), len(contacted), p=BASE_WEIGHTS)]
    reasons[first != "rejected"] = None
    closed = np.flatnonzero(done.closed >= 0)
    return [
        *zip(ids[contacted], first, ["new"] * len(contacted), reasons, owners[contacted],
             _us(done.contact[contacted]), strict=True),
        *zip(ids[closed], done.status[closed], ["accepted"] * len(closed), [None] * len(closed),
             owners[closed], _us(done.closed[closed]), strict=True),
    ]  # fmt: skip
