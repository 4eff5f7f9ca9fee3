"""The leads scored in a window, in chunks, on both backends: every lead once, in arrival order, the window's bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store_cases import Put

from serving.store import LeadStore, record_scores, scored_window

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_chunks_hold_every_lead_of_the_window_once_in_arrival_order(lead_store: LeadStore, put: Put) -> None:
    put(*[(f"a{i:02d}", 50, {"visits": i}) for i in range(7)], now=T0)  # one ingest: one arrival time for all
    put(*[(f"b{i:02d}", 60) for i in range(5)], now=T0 + timedelta(hours=1))
    put(("z-before", 10), now=T0 - timedelta(seconds=1))
    put(("z-at-until", 10), now=T0 + timedelta(days=1))
    chunks = list(scored_window(lead_store, T0, T0 + timedelta(days=1), chunk=3))
    assert [len(c) for c in chunks] == [3, 3, 3, 3]  # 12 leads; ties on the arrival time split across chunks
    ids = [lead.lead_id for chunk in chunks for lead in chunk]
    assert ids == [f"a{i:02d}" for i in range(7)] + [f"b{i:02d}" for i in range(5)]
    first = chunks[0][0]
    assert first.payload == {"lead_id": "a00", "visits": 0} and first.model_version == "1"
    assert first.created_at == T0 and first.created_at.tzinfo is not None


def test_a_rescore_keeps_a_lead_in_the_window_it_arrived_in(lead_store: LeadStore, put: Put) -> None:
    put(("old", 40), now=T0 - timedelta(days=30))
    put(("new", 40), now=T0)
    score = {"lead_id": "old", "probability": 0.9, "score": 90, "grade": "A", "model_version": "2"}
    record_scores(lead_store, [score], now=T0)
    [chunk] = scored_window(lead_store, T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert [lead.lead_id for lead in chunk] == ["new"]


def test_an_empty_window_yields_nothing_and_naive_times_are_utc(lead_store: LeadStore, put: Put) -> None:
    put(("x", 40), now=T0)
    assert list(scored_window(lead_store, T0 + timedelta(hours=1), T0 + timedelta(hours=2))) == []
    naive = T0.replace(tzinfo=None)
    assert [
        lead.lead_id
        for chunk in scored_window(lead_store, naive, naive + timedelta(seconds=1))
        for lead in chunk
    ] == ["x"]
