"""The monitor's read on both backends: leads created in a window, with score, status and first contact, in pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from store_cases import Put

from serving.store import LeadStore, OutcomeChunk, OutcomeIn, lead_outcomes, record_outcome

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REASONS = ["spam"]


def at(moment: datetime) -> np.datetime64:
    return np.datetime64(moment.replace(tzinfo=None), "us")


@pytest.fixture
def worked(lead_store: LeadStore, put: Put) -> LeadStore:
    """Seven leads at T0 (one ingest call, so one arrival time), two a day later, one before and one after."""
    put(("early", 50), now=T0 - timedelta(seconds=1))
    put(*[(f"t{i}", 10 * i + 5) for i in range(7)], now=T0)
    put(("d1", 95, {"lead_source": "webinar"}), ("d2", 20), now=T0 + timedelta(days=1))
    put(("late", 99), now=T0 + timedelta(days=7))
    steps = [
        ("t1", "accepted", T0 + timedelta(hours=2)),
        ("t1", "won", T0 + timedelta(days=3)),
        ("t2", "rejected", T0 + timedelta(hours=5)),
        ("t3", "accepted", T0 + timedelta(hours=1)),
        ("t3", "lost", T0 + timedelta(days=2)),
        ("d1", "accepted", T0 + timedelta(days=1, hours=1)),
    ]
    for lead_id, outcome, when in steps:
        reason = "spam" if outcome == "rejected" else None
        record_outcome(lead_store, lead_id, OutcomeIn(outcome, reason), reasons=REASONS, now=when)
    return lead_store


def read(store: LeadStore, chunk_size: int) -> list[OutcomeChunk]:
    return list(lead_outcomes(store, since=T0, until=T0 + timedelta(days=7), chunk_size=chunk_size))


def columns(chunks: list[OutcomeChunk]) -> dict[str, np.ndarray]:
    names = (
        "created_at",
        "probability",
        "score",
        "grade",
        "model_version",
        "status",
        "status_at",
        "contacted_at",
    )
    return {name: np.concatenate([getattr(c, name) for c in chunks]) for name in names}


def test_the_window_with_scores_statuses_and_first_contact(worked: LeadStore) -> None:
    (chunk,) = read(worked, 100)
    assert len(chunk) == 9  # [since, until): "early" and "late" are outside
    assert list(chunk.created_at) == [at(T0)] * 7 + [at(T0 + timedelta(days=1))] * 2
    # within one arrival time, lead-id order
    assert list(chunk.probability) == pytest.approx([0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.95, 0.20])
    assert list(chunk.score) == [5, 15, 25, 35, 45, 55, 65, 95, 20]
    assert list(chunk.grade) == ["D", "D", "D", "D", "C", "C", "C", "A", "D"]
    assert set(chunk.model_version) == {"1"}
    assert list(chunk.status) == ["new", "won", "rejected", "lost", "new", "new", "new", "accepted", "new"]
    assert chunk.status_at[1] == at(T0 + timedelta(days=3)) and chunk.status_at[0] == at(T0)
    contacted = chunk.contacted_at  # the first outcome (accepted or rejected), not the last
    assert contacted[1] == at(T0 + timedelta(hours=2)) and contacted[2] == at(T0 + timedelta(hours=5))
    assert contacted[3] == at(T0 + timedelta(hours=1)) and contacted[7] == at(T0 + timedelta(days=1, hours=1))
    assert np.isnat(contacted[[0, 4, 5, 6, 8]]).all()


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 8, 9])
def test_pages_give_the_same_leads_as_one_read_even_across_equal_arrival_times(
    worked: LeadStore, chunk_size: int
) -> None:
    whole = columns(read(worked, 100))
    chunks = read(worked, chunk_size)
    assert [len(c) for c in chunks[:-1]] == [chunk_size] * (len(chunks) - 1) and 0 < len(
        chunks[-1]
    ) <= chunk_size
    paged = columns(chunks)
    for name, values in whole.items():
        np.testing.assert_array_equal(paged[name], values, err_msg=name)


def test_an_empty_window_reads_nothing_and_a_page_size_below_one_is_refused(worked: LeadStore) -> None:
    assert list(lead_outcomes(worked, since=T0 + timedelta(days=30), until=T0 + timedelta(days=37))) == []
    with pytest.raises(ValueError, match="chunk_size"):
        next(lead_outcomes(worked, since=T0, until=T0 + timedelta(days=1), chunk_size=0))
