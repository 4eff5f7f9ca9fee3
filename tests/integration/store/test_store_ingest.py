"""Ingest on both backends: upsert on the lead id, a score-history row per scoring, one transaction per batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from store_cases import Put, scored

from serving.store import (
    IncomingLead,
    LeadFields,
    LeadStore,
    OutcomeIn,
    get_lead,
    ingest,
    record_outcome,
    record_scores,
    score_history,
)
from serving.store.tables import Lead, Score

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def count(store: LeadStore, table: type[Lead] | type[Score]) -> int:
    with store.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_new_lead_is_stored_with_payload_indexed_fields_and_score(lead_store: LeadStore) -> None:
    payload = {
        "lead_id": "L1",
        "lead_source": "Webinar",
        "utm_campaign": "spring",
        "owner": "ana",
        "page_views": 9,
    }
    [stored] = ingest(lead_store, [IncomingLead("L1", payload, scored(0.61, 93, "A"))], now=T0)
    assert (stored.lead_id, stored.created, stored.status, stored.created_at) == ("L1", True, "new", T0)
    lead = get_lead(lead_store, "L1")
    assert lead is not None
    assert lead.payload == payload
    assert (lead.source, lead.campaign, lead.owner) == ("Webinar", "spring", "ana")
    assert (lead.probability, lead.score, lead.grade, lead.model_version) == (0.61, 93, "A", "1")
    assert lead.reasons is not None and lead.reasons["positive"][0]["feature"] == "page_views"
    assert [(s.score, s.model_version) for s in score_history(lead_store, "L1")] == [(93, "1")]


def test_sending_a_lead_again_updates_it_and_adds_to_its_history(lead_store: LeadStore) -> None:
    ingest(lead_store, [IncomingLead("L1", {"owner": "ana"}, scored(0.2, 40, "C"))], now=T0)
    later = T0 + timedelta(hours=2)
    [again] = ingest(lead_store, [IncomingLead("L1", {"owner": "bo"}, scored(0.7, 95, "A", "2"))], now=later)
    assert (again.created, again.created_at) == (False, T0)  # arrival time is the first one
    assert count(lead_store, Lead) == 1
    lead = get_lead(lead_store, "L1")
    assert lead is not None and (lead.owner, lead.score, lead.model_version) == ("bo", 95, "2")
    history = score_history(lead_store, "L1")
    assert [(s.score, s.model_version) for s in history] == [(40, "1"), (95, "2")]


def test_resending_a_worked_lead_keeps_its_status(lead_store: LeadStore, put: Put) -> None:
    put(("L1", 80))
    record_outcome(lead_store, "L1", OutcomeIn("accepted"), reasons=["spam"])
    [again] = put(("L1", 85))
    assert again.status == "accepted"


def test_fields_come_from_the_configured_payload_keys(database_url: str) -> None:
    store = LeadStore(database_url, LeadFields(source="channel", campaign="promo", owner="rep"))
    store.migrate()
    payload = {"channel": " Partner ", "promo": 2026, "rep": "", "lead_source": "ignored"}
    ingest(store, [IncomingLead("cfg-1", payload, scored(0.5, 60, "C"))])
    lead = get_lead(store, "cfg-1")
    assert lead is not None and (lead.source, lead.campaign, lead.owner) == ("Partner", "2026", None)
    with store.transaction() as session:
        session.delete(session.get(Lead, "cfg-1"))
    store.close()


def test_a_batch_is_one_transaction(lead_store: LeadStore) -> None:
    """A lead that fails midway leaves nothing of the batch behind."""
    broken = {"probability": 0.5, "score": 50, "grade": "C"}  # no model_version
    batch = [IncomingLead("ok-1", {}, scored(0.5, 50, "C")), IncomingLead("bad", {}, broken)]
    with pytest.raises(KeyError, match="model_version"):
        ingest(lead_store, batch)
    assert count(lead_store, Lead) == 0 and count(lead_store, Score) == 0


def test_ids_repeated_within_one_call_are_refused(lead_store: LeadStore) -> None:
    twice = [IncomingLead("L1", {}, scored(0.5, 50, "C")), IncomingLead("L1", {}, scored(0.5, 50, "C"))]
    with pytest.raises(ValueError, match="unique"):
        ingest(lead_store, twice)
    assert count(lead_store, Lead) == 0


def test_rescore_adds_history_and_leaves_status_and_payload(lead_store: LeadStore, put: Put) -> None:
    put(("L1", 50, {"owner": "ana"}), ("L2", 30))
    record_outcome(lead_store, "L2", OutcomeIn("rejected", "spam"), reasons=["spam"])
    rescored = [
        {"lead_id": "L1", **scored(0.9, 97, "A", "2")},
        {"lead_id": "L2", **scored(0.1, 10, "D", "2")},
        {"lead_id": "never-stored", **scored(0.1, 10, "D", "2")},
    ]
    assert record_scores(lead_store, rescored) == 2
    one, two = get_lead(lead_store, "L1"), get_lead(lead_store, "L2")
    assert one is not None and (one.score, one.grade, one.model_version, one.owner) == (97, "A", "2", "ana")
    assert two is not None and (two.status, two.score) == ("rejected", 10)
    assert [s.model_version for s in score_history(lead_store, "L1")] == ["1", "2"]
    assert count(lead_store, Lead) == 2


def test_the_same_new_lead_sent_twice_at_once_is_stored_once(lead_store: LeadStore) -> None:
    """Two requests racing to insert one new id: the loser updates instead; one lead, both scores kept."""
    import threading

    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def send(score: int) -> None:
        start.wait()
        try:
            ingest(lead_store, [IncomingLead("race", {}, scored(score / 100, score, "C"))])
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=send, args=(40 + i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count(lead_store, Lead) == 1
    assert sorted(s.score for s in score_history(lead_store, "race")) == [40, 41, 42, 43]
