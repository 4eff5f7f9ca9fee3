"""`leadscore ingest`: a file of leads into the store, scored by the champion, then (optionally) their sales outcomes.

Leads go through the API's request model and scoring in chunks, each chunk one `ingest` transaction, so a lead
loaded from a file is stored exactly as `POST /v1/leads` would store it; loading the same file again updates the
leads (and adds a score-history row) instead of duplicating them. Outcomes go through `record_outcome` one by one,
so the status transitions are enforced; an outcome the lead already has is skipped, so loading the same outcomes
again is safe too.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from features.schema import check_feature_columns
from features.tables import load_table
from leadscore.loop import LoopError, as_payload, chunks, score, validate
from serving.model_store import LoadedModel
from serving.settings import Settings
from serving.store import (
    ID_LENGTH,
    BadOutcome,
    IncomingLead,
    LeadNotFound,
    LeadStore,
    OutcomeIn,
    TransitionRefused,
    ingest,
    known_ids,
    outcome_reasons,
    record_outcome,
)
from serving.store.clock import utcnow
from serving.store.outcomes import check

OUTCOME_COLUMNS = ("lead_id", "outcome", "reason", "note", "actor", "at")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestSummary:
    leads: int
    created: int
    grades: dict[str, int]


@dataclass(frozen=True)
class OutcomeRow:
    row: int  # 1-based data row in the file
    lead_id: str
    given: OutcomeIn
    at: datetime | None


def _lead_id(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _checked_leads(
    loaded: LoadedModel,
    table: pd.DataFrame,
    name: str,
    progress: bool,
    strict: bool,
    warn: Callable[[str], None],
) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    """(ids, validated leads, payloads as sent) for every row, or LoopError naming the first bad row.

    Feature columns the file lacks are scored as missing, with one `warn`ing naming them; with none of them, or
    any missing and `strict`, SchemaError.
    """
    schema = loaded.model.schema
    id_column = schema.id
    if id_column not in table.columns:
        raise LoopError(f"{name}: no column {id_column!r}, the lead id the model's schema names")
    missing = check_feature_columns(schema, table.columns, name, len(table), strict)
    if missing:
        warn(missing)
    ids: list[str] = []
    leads: list[dict[str, Any]] = []
    payloads: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    records = table.to_dict("records")
    for row, record in enumerate(tqdm(records, desc="check", unit="lead", disable=not progress), start=1):
        where = f"{name} row {row}"
        payload = as_payload(record)
        lead = validate(loaded, payload, where)
        lead_id = _lead_id(lead[id_column])
        if not lead_id:
            raise LoopError(f"{where}: {id_column}: required to store a lead")
        if len(lead_id) > ID_LENGTH:
            raise LoopError(f"{where}: {id_column}: at most {ID_LENGTH} characters")
        if lead_id in seen:
            raise LoopError(
                f"{where}: {id_column} {lead_id!r} is also on row {seen[lead_id]}; keep one row per lead"
            )
        seen[lead_id] = row
        ids.append(lead_id)
        leads.append(lead)
        payloads.append(payload)
    return ids, leads, payloads


def arrivals(table: pd.DataFrame, column: str, name: str, now: datetime | None = None) -> list[datetime]:
    """Each row's arrival time from `column` (ISO 8601, UTC if no zone), or LoopError naming the column and row."""
    if column not in table.columns:
        raise LoopError(
            f"{name}: no column {column!r} (--arrived-at names the column holding each lead's arrival)"
        )
    limit = now or utcnow()
    times: list[datetime] = []
    for row, value in enumerate(table[column].tolist(), start=1):
        where = f"{name} row {row}"
        moment = _time(value, where, column)
        if moment is None:
            raise LoopError(f"{where}: {column}: empty; every lead needs its arrival time")
        if moment > limit:
            raise LoopError(f"{where}: {column}: {value!s} is in the future; an arrival time is in the past")
        times.append(moment)
    return times


def ingest_file(
    store: LeadStore,
    loaded: LoadedModel,
    settings: Settings,
    path: Path,
    progress: bool = True,
    strict: bool = False,
    warn: Callable[[str], None] = log.warning,
    arrived_at: str | None = None,
) -> IngestSummary:
    """Check the file's columns and every row first (nothing is stored when one is bad), then score and store them
    chunk by chunk. With `arrived_at`, that column holds each lead's arrival: a new lead gets it as its creation
    time, a known lead keeps its own."""
    table = load_table(path)
    arrived = arrivals(table, arrived_at, path.name) if arrived_at else None
    ids, leads, payloads = _checked_leads(loaded, table, path.name, progress, strict, warn)
    created = 0
    grades: Counter[str] = Counter()
    with tqdm(total=len(ids), desc="ingest", unit="lead", disable=not progress) as bar:
        for part in chunks(range(len(ids))):
            scored = score(loaded, [leads[i] for i in part], settings)
            incoming = [
                IncomingLead(ids[i], payloads[i], s, arrived[i] if arrived else None)
                for i, s in zip(part, scored, strict=True)
            ]
            stored = ingest(store, incoming)
            created += sum(lead.created for lead in stored)
            grades.update(s["grade"] for s in scored)
            bar.update(len(part))
    return IngestSummary(len(ids), created, dict(sorted(grades.items())))


def _text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def read_outcomes(path: Path, reasons: list[str]) -> list[OutcomeRow]:
    """The outcome rows of a CSV (or Parquet) file, each checked as the API checks an outcome body."""
    table = load_table(path)
    unknown = [c for c in table.columns if c not in OUTCOME_COLUMNS]
    if unknown:
        raise LoopError(f"{path.name}: unknown column {unknown[0]!r}; expected {', '.join(OUTCOME_COLUMNS)}")
    for needed in ("lead_id", "outcome"):
        if needed not in table.columns:
            raise LoopError(f"{path.name}: no column {needed!r}; expected {', '.join(OUTCOME_COLUMNS)}")
    rows: list[OutcomeRow] = []
    for row, record in enumerate(table.to_dict("records"), start=1):
        where = f"{path.name} row {row}"
        lead_id = _lead_id(_text(record["lead_id"]))
        if not lead_id:
            raise LoopError(f"{where}: lead_id: required")
        given = OutcomeIn(
            (_text(record["outcome"]) or "").strip().lower(),
            *(_text(record.get(c)) for c in ("reason", "note", "actor")),
        )
        try:
            given = check(given, reasons)
        except BadOutcome as error:
            raise LoopError(f"{where}: {error}") from None
        rows.append(OutcomeRow(row, lead_id, given, _time(record.get("at"), where)))
    return rows


def _time(value: Any, where: str, column: str = "at") -> datetime | None:
    text = _text(value)
    if text is None or not text.strip():
        return None
    try:
        moment = pd.Timestamp(text.strip())
    except ValueError:
        raise LoopError(
            f"{where}: {column}: not a date or time: {text!r} (use ISO 8601, e.g. 2026-11-02T14:30:00Z)"
        ) from None
    if pd.isna(moment):
        raise LoopError(f"{where}: {column}: not a date or time: {text!r}")
    stamp: datetime = (
        moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    ).to_pydatetime()
    return stamp


def import_outcomes(
    store: LeadStore, path: Path, reasons: list[str], progress: bool = True
) -> tuple[Counter[str], int]:
    """Record a file's outcomes in file order: (new events per outcome, rows that were already recorded).

    A lead takes each outcome at most once (the transitions never loop), so a row whose lead already has that
    outcome with the same reason was recorded before (an earlier load of this file, or the API) and is skipped.
    """
    rows = read_outcomes(path, reasons)
    wanted = sorted({r.lead_id for r in rows})
    leads, events = known_ids(store, wanted), outcome_reasons(store, wanted)
    missing = next((r for r in rows if r.lead_id not in leads), None)
    if missing is not None:
        raise LoopError(
            f"{path.name} row {missing.row}: lead {missing.lead_id!r} is not in the store; "
            "ingest it first (no outcome was recorded)"
        )
    recorded: Counter[str] = Counter()
    replayed = 0
    for done, item in enumerate(tqdm(rows, desc="outcomes", unit="event", disable=not progress)):
        where = f"{path.name} row {item.row}"
        event = (item.lead_id, item.given.outcome)
        if event in events:
            if events[event] != item.given.reason:
                raise LoopError(
                    f"{where}: lead {item.lead_id!r} was already {item.given.outcome} with reason "
                    f"{events[event]!r}, not {item.given.reason!r}; a recorded outcome is never changed"
                )
            replayed += 1
            continue
        try:
            record_outcome(store, item.lead_id, item.given, reasons=reasons, now=item.at)
        except (TransitionRefused, LeadNotFound) as error:
            raise LoopError(
                f"{where}: {error} ({done} rows before it are recorded; loading the file again skips them)"
            ) from None
        recorded[item.given.outcome] += 1
    return recorded, replayed
