"""Reads the batch commands use, on both backends: leads by status (whole or page by page), known ids, outcome reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store_cases import Put, scored

from serving.settings import Settings
from serving.store import (
    OPEN,
    IncomingLead,
    LeadStore,
    OutcomeIn,
    count_with_status,
    get_lead,
    ingest,
    known_ids,
    leads_with_status,
    open_lead_store,
    outcome_reasons,
    record_outcome,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REASONS = ["spam", "no budget"]


def test_leads_by_status_in_id_order_whole_or_by_page(lead_store: LeadStore, put: Put) -> None:
    put(*((f"L{i:02d}", 50 + i, {"page_views": i}) for i in range(12)), now=T0)
    record_outcome(lead_store, "L03", OutcomeIn("rejected", reason="spam"), reasons=REASONS, now=T0)
    record_outcome(lead_store, "L07", OutcomeIn("accepted"), reasons=REASONS, now=T0)
    opened = [f"L{i:02d}" for i in range(12) if i != 3]

    assert count_with_status(lead_store, OPEN) == 11
    whole = leads_with_status(lead_store, OPEN)
    assert [lead.lead_id for lead in whole] == opened
    l07 = whole[opened.index("L07")]
    assert (l07.status, l07.grade, l07.payload) == ("accepted", "C", {"lead_id": "L07", "page_views": 7})
    assert l07.created_at == T0 and l07.created_at.tzinfo is not None  # UTC-aware on SQLite too

    pages: list[list[str]] = []
    after = None
    while page := leads_with_status(lead_store, OPEN, after=after, limit=4):
        pages.append([lead.lead_id for lead in page])
        after = page[-1].lead_id
    assert pages == [opened[:4], opened[4:8], opened[8:]]


def test_since_keeps_the_statuses_set_at_or_after_it(lead_store: LeadStore, put: Put) -> None:
    put(("A", 90), ("B", 40), ("C", 20), now=T0)
    later = T0 + timedelta(days=3)
    record_outcome(lead_store, "A", OutcomeIn("rejected", reason="spam"), reasons=REASONS, now=T0)
    record_outcome(lead_store, "B", OutcomeIn("rejected", reason="spam"), reasons=REASONS, now=later)
    finals = ["rejected", "won", "lost"]
    assert [lead.lead_id for lead in leads_with_status(lead_store, finals)] == ["A", "B"]
    [b] = leads_with_status(lead_store, finals, since=later)
    assert (b.lead_id, b.status_at) == ("B", later)
    assert count_with_status(lead_store, finals) == 2


def test_known_ids_and_outcome_reasons_for_many_leads(lead_store: LeadStore, put: Put) -> None:
    ids = [f"L{i:04d}" for i in range(1200)]  # more than one IN list's worth
    put(*((lead_id, 50) for lead_id in ids), now=T0)
    record_outcome(lead_store, "L1100", OutcomeIn("rejected", reason="no budget"), reasons=REASONS)
    record_outcome(lead_store, "L0002", OutcomeIn("accepted"), reasons=REASONS)
    record_outcome(lead_store, "L0002", OutcomeIn("won"), reasons=REASONS)
    asked = [*ids, "nope"]
    assert known_ids(lead_store, asked) == set(ids)
    assert outcome_reasons(lead_store, asked) == {
        ("L1100", "rejected"): "no budget",
        ("L0002", "accepted"): None,
        ("L0002", "won"): None,
    }


def test_the_service_settings_open_the_store_they_name(lead_store: LeadStore) -> None:
    settings = Settings(database_url=lead_store.url, source_field="crm_source", database_connect_timeout=2)
    store = open_lead_store(settings)
    try:
        ingest(store, [IncomingLead("L1", {"crm_source": "Webinar"}, scored(0.9, 90, "A"))], now=T0)
        lead = get_lead(lead_store, "L1")  # the database the settings name, with their payload fields
        assert lead is not None and lead.source == "Webinar"
    finally:
        store.close()
