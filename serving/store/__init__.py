"""The lead store: leads with their score history and sales outcomes, in SQLite or PostgreSQL (SQLAlchemy 2).

Plain functions over a `LeadStore`, no web framework: the routes, the command line and the tests call the same ones.

    store = LeadStore("sqlite:///leadscore.db")      # or postgresql+psycopg://user@host/db
    store.migrate()                                   # Alembic to head (the app does this at startup)
    ingest(store, [IncomingLead(lead_id, payload, scored)])          # upsert + a score-history row each
    record_outcome(store, lead_id, OutcomeIn("rejected", reason="spam"), reasons=[...], key="retry-1")
    queue(store, QueueFilters(owner="ana"), sla_hours={"A": 1, ...}, limit=50, cursor=None)
    source_report(store, by="campaign", since=..., until=...)
    record_scores(store, scored)                      # rescore: new latest score, history row, status untouched

Every function runs in its own transaction; a database out of reach raises `StoreUnavailable` (retry later: nothing
was written). Times are UTC.
"""

from serving.store.database import LeadFields, LeadStore, StoreUnavailable
from serving.store.leads import IncomingLead, StoredLead, get_lead, ingest, record_scores, score_history
from serving.store.outcomes import (
    FINAL,
    OPEN,
    OUTCOMES,
    TRANSITIONS,
    BadOutcome,
    KeyReused,
    LeadNotFound,
    OutcomeIn,
    RecordedOutcome,
    TransitionRefused,
    outcome_events,
    record_outcome,
)
from serving.store.queue import BadCursor, QueueFilters, QueueItem, QueuePage, Sla, queue, queue_item_dict
from serving.store.report import SourceQuality, report_csv, source_report
from serving.store.tables import Lead, Outcome, Score

__all__ = [
    "FINAL",
    "OPEN",
    "OUTCOMES",
    "TRANSITIONS",
    "BadCursor",
    "BadOutcome",
    "IncomingLead",
    "KeyReused",
    "Lead",
    "LeadFields",
    "LeadNotFound",
    "LeadStore",
    "Outcome",
    "OutcomeIn",
    "QueueFilters",
    "QueueItem",
    "QueuePage",
    "RecordedOutcome",
    "Score",
    "Sla",
    "SourceQuality",
    "StoreUnavailable",
    "StoredLead",
    "TransitionRefused",
    "get_lead",
    "ingest",
    "outcome_events",
    "queue",
    "queue_item_dict",
    "record_outcome",
    "record_scores",
    "report_csv",
    "score_history",
    "source_report",
]
