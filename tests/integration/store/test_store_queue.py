"""The sales queue on both backends: open leads by score, probability then id, filters, cursor pages, display
fields, first-contact deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from store_cases import Put

from serving.store import (
    BadCursor,
    LeadStore,
    OutcomeIn,
    QueueFilters,
    queue,
    queue_item_dict,
    record_outcome,
)

SLA = {"A": 1.0, "B": 4.0, "C": 24.0, "D": None}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ids(store: LeadStore, filters: QueueFilters | None = None, **kwargs: object) -> list[str]:
    page = queue(store, filters or QueueFilters(), SLA, **kwargs)  # type: ignore[arg-type]
    return [item.lead.lead_id for item in page.items]


def test_open_leads_by_score_then_id_final_ones_left_out(lead_store: LeadStore, put: Put) -> None:
    put(("b", 50), ("a", 50), ("top", 99), ("low", 5), ("won", 98), ("gone", 97), ("working", 60))
    record_outcome(lead_store, "gone", OutcomeIn("rejected", "spam"), reasons=["spam"])
    record_outcome(lead_store, "won", OutcomeIn("accepted"), reasons=["spam"])
    record_outcome(lead_store, "won", OutcomeIn("won"), reasons=["spam"])
    record_outcome(lead_store, "working", OutcomeIn("accepted"), reasons=["spam"])
    assert ids(lead_store) == ["top", "working", "a", "b", "low"]
    assert ids(lead_store, QueueFilters(status="new")) == ["top", "a", "b", "low"]


def test_filters(lead_store: LeadStore, put: Put) -> None:
    put(("old", 95, {"owner": "ana", "lead_source": "web"}), now=T0 - timedelta(days=3))
    put(
        ("x", 95, {"owner": "ana", "lead_source": "ads"}),
        ("y", 75, {"owner": "bo", "lead_source": "web"}),
        ("z", 20, {"lead_source": "web"}),
        now=T0,
    )
    assert ids(lead_store, QueueFilters(owner="ana")) == ["old", "x"]
    assert ids(lead_store, QueueFilters(source="web")) == ["old", "y", "z"]
    assert ids(lead_store, QueueFilters(grades=["B", "D"])) == ["y", "z"]
    assert ids(lead_store, QueueFilters(created_since=T0 - timedelta(hours=1))) == ["x", "y", "z"]
    naive = (T0 - timedelta(hours=1)).replace(tzinfo=None)  # taken as UTC
    assert ids(lead_store, QueueFilters(created_since=naive, owner="ana")) == ["x"]


def test_cursor_pages_walk_every_lead_once_through_ties(lead_store: LeadStore, put: Put) -> None:
    leads = [(f"L{i:02d}", [90, 70, 70, 70, 40][i % 5]) for i in range(23)]
    put(*leads)
    expected = [lead_id for lead_id, _ in sorted(leads, key=lambda lead: (-lead[1], lead[0]))]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = queue(lead_store, QueueFilters(), SLA, limit=4, cursor=cursor)
        seen += [item.lead.lead_id for item in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected and pages == 6
    # a lead that gets worked between pages does not shift the next page
    first = queue(lead_store, QueueFilters(), SLA, limit=4)
    record_outcome(lead_store, expected[1], OutcomeIn("rejected", "spam"), reasons=["spam"])
    second = queue(lead_store, QueueFilters(), SLA, limit=4, cursor=first.next_cursor)
    assert [item.lead.lead_id for item in second.items] == expected[4:8]


def test_a_tie_on_the_score_is_broken_by_probability_through_cursor_pages(
    lead_store: LeadStore, put: Put
) -> None:
    probabilities = [0.83, 0.96, 0.9, 0.83, 0.91, 0.96, 0.88, 0.83]
    leads = [(f"T{i}", 100, {}, p) for i, p in enumerate(probabilities)] + [("top", 99, {}, 0.99), ("x", 98)]
    put(*leads)
    every = ids(lead_store, limit=50)
    assert every[:8] == ["T1", "T5", "T4", "T2", "T6", "T0", "T3", "T7"]  # 100s by probability, then id
    assert every[8:] == ["top", "x"]  # a higher probability never jumps a higher score
    seen: list[str] = []
    cursor = None
    while True:  # pages of 3 end inside runs of equal score and of equal probability
        page = queue(lead_store, QueueFilters(), SLA, limit=3, cursor=cursor)
        seen += [item.lead.lead_id for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == every


def test_display_fields_come_from_the_payload_in_the_configured_order(
    lead_store: LeadStore, put: Put
) -> None:
    put(
        ("L1", 80, {"name": "Ana Lima", "email": "ana@example.com", "phone": " ", "crm": None, "tags": ["x"]})
    )
    [item] = queue(lead_store, QueueFilters(), SLA).items
    shown = queue_item_dict(item, ["email", "name", "phone", "crm", "tags", "absent"])["display"]
    assert shown == [{"field": "email", "value": "ana@example.com"}, {"field": "name", "value": "Ana Lima"}]
    assert queue_item_dict(item)["display"] == []


@pytest.mark.parametrize("cursor", ["garbage!", "W10", "WyJhIiwgMV0", "WzcwLCJMMSJd"])
def test_a_cursor_we_did_not_hand_out_is_refused(lead_store: LeadStore, cursor: str) -> None:
    """Including a (score, lead id) cursor from before probability broke ties ("WzcwLCJMMSJd" is [70, "L1"])."""
    with pytest.raises(BadCursor, match="cursor: not a cursor from this queue"):
        queue(lead_store, QueueFilters(), SLA, cursor=cursor)


def test_first_contact_deadline_by_grade(lead_store: LeadStore, put: Put) -> None:
    put(("a", 95), ("b", 75), ("c", 45), ("d", 10), ("accepted-a", 96), now=T0)
    record_outcome(lead_store, "accepted-a", OutcomeIn("accepted"), reasons=["spam"])
    now = T0 + timedelta(hours=2)
    page = queue(lead_store, QueueFilters(), SLA, now=now)
    sla = {item.lead.lead_id: item.sla for item in page.items}
    assert (sla["a"].deadline, sla["a"].overdue, sla["a"].state) == (T0 + timedelta(hours=1), True, "overdue")
    assert (sla["b"].deadline, sla["b"].overdue, sla["b"].state) == (T0 + timedelta(hours=4), False, "due")
    assert (sla["c"].hours, sla["c"].overdue) == (24.0, False)
    assert (sla["d"].hours, sla["d"].deadline, sla["d"].overdue, sla["d"].state) == (
        None,
        None,
        False,
        "nurture",
    )
    assert (sla["accepted-a"].overdue, sla["accepted-a"].state) == (False, "met")
    later = queue(lead_store, QueueFilters(), SLA, now=T0 + timedelta(hours=25))
    assert {i.lead.lead_id for i in later.items if i.sla.overdue} == {"a", "b", "c"}
