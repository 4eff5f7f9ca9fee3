"""The lead store: leads with their score history and sales outcomes, in SQLite or PostgreSQL (SQLAlchemy 2).

Plain functions over a `LeadStore`, no web framework: the routes, the command line and the tests call the same ones.

    store = LeadStore("sqlite:///leadscore.db")      # or postgresql+psycopg://user@host/db
    store = open_lead_store(Settings())               # the one the service's settings name (the API, the CLI)
    store.migrate()                                   # Alembic to head (the app does this at startup)
    ingest(store, [IncomingLead(lead_id, payload, scored)])          # upsert + a score-history row each
    record_outcome(store, lead_id, OutcomeIn("rejected", reason="spam"), reasons=[...], key="retry-1")
    queue(store, QueueFilters(owner="ana"), sla_hours={"A": 1, ...}, limit=50, cursor=None)
    source_report(store, by="campaign", since=..., until=..., filters=LeadFilters(owner="ana"))
    dashboard(store, sla_hours, LeadFilters(since=..., source="webinar"))   # every dashboard table (dashboard.py)
    service_level(store, sla_hours, LeadFilters(...))  # first contact per grade and owner (service_level.py)
    lead_detail(store, lead_id)                       # payload, score history with reasons, what moved, trend
    record_scores(store, scored)                      # rescore: new latest score, history row, status untouched
    leads_with_status(store, OPEN, after=last_id, limit=500)   # a page of open leads (rescore, retrain)
    labels_for(schema).label("won")                   # the label rule: which final outcomes are positive
    lead_outcomes(store, since=..., until=...)        # pages of leads with score, status, first contact (monitor)
    for chunk in scored_window(store, since, until): ...      # leads that arrived in a window, 5,000 at a time
    add_key(store, "sales", "alice"); revoke_key(store, key_id); active_keys(store)   # API keys (hashes only)
    StoreKeys(store, refresh_seconds=5)               # the service's KeyStore over them: memory, refreshed

Every function runs in its own transaction; a database out of reach raises `StoreUnavailable` (retry later: nothing
was written). Times are UTC.
"""

from serving.store.dashboard import Dashboard, dashboard, table_csv, weekly_trend
from serving.store.database import LeadFields, LeadStore, StoreUnavailable, open_lead_store
from serving.store.keys import Imported, StoreKeys, active_keys, add_key, import_keys, revoke_key
from serving.store.labels import BadLabelMapping, Labels, labels_for
from serving.store.lead_detail import LeadDetail, Move, Scoring, lead_detail
from serving.store.lead_filters import LeadFilters
from serving.store.leads import (
    IncomingLead,
    LeadState,
    StoredLead,
    count_with_status,
    get_lead,
    ingest,
    known_ids,
    leads_with_status,
    record_scores,
    score_history,
)
from serving.store.monitoring import OutcomeChunk, lead_outcomes
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
    outcome_reasons,
    record_outcome,
)
from serving.store.queue import BadCursor, QueueFilters, QueueItem, QueuePage, Sla, queue, queue_item_dict
from serving.store.report import SourceQuality, report_csv, source_report
from serving.store.scored_window import WindowLead, scored_window
from serving.store.service_level import ServiceLevel, ServiceRow, service_level
from serving.store.tables import ID_LENGTH, Lead, Outcome, Score

__all__ = [
    "FINAL",
    "ID_LENGTH",
    "OPEN",
    "OUTCOMES",
    "TRANSITIONS",
    "BadCursor",
    "BadLabelMapping",
    "BadOutcome",
    "Dashboard",
    "Imported",
    "IncomingLead",
    "KeyReused",
    "Labels",
    "Lead",
    "LeadDetail",
    "LeadFields",
    "LeadFilters",
    "LeadNotFound",
    "LeadState",
    "LeadStore",
    "Move",
    "Outcome",
    "OutcomeChunk",
    "OutcomeIn",
    "QueueFilters",
    "QueueItem",
    "QueuePage",
    "RecordedOutcome",
    "Score",
    "Scoring",
    "ServiceLevel",
    "ServiceRow",
    "Sla",
    "SourceQuality",
    "StoreKeys",
    "StoreUnavailable",
    "StoredLead",
    "TransitionRefused",
    "WindowLead",
    "active_keys",
    "add_key",
    "count_with_status",
    "dashboard",
    "get_lead",
    "import_keys",
    "ingest",
    "known_ids",
    "labels_for",
    "lead_detail",
    "lead_outcomes",
    "leads_with_status",
    "open_lead_store",
    "outcome_events",
    "outcome_reasons",
    "queue",
    "queue_item_dict",
    "record_outcome",
    "record_scores",
    "report_csv",
    "revoke_key",
    "score_history",
    "scored_window",
    "service_level",
    "source_report",
    "table_csv",
    "weekly_trend",
]
