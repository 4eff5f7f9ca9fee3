"""A lead's detail on both backends: each scoring keeps its reasons, what moved each change, the trend, 404 naming."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from serving.store import (
    IncomingLead,
    LeadNotFound,
    LeadStore,
    OutcomeIn,
    Score,
    ingest,
    lead_detail,
    record_outcome,
    record_scores,
    score_history,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def reason(feature: str, impact: float, label: str | None = None) -> dict[str, Any]:
    return {"feature": feature, "value": 1.0, "label": label or feature, "impact": impact, "unseen": False}


def scored(score: int, *reasons: dict[str, Any]) -> dict[str, Any]:
    positive = [r for r in reasons if r["impact"] > 0]
    negative = [r for r in reasons if r["impact"] <= 0]
    return {
        "probability": score / 100,
        "score": score,
        "grade": "B",
        "model_version": "3",
        "reasons": {"positive": positive, "negative": negative},
    }


def test_each_scoring_keeps_its_reasons_and_says_what_moved(lead_store: LeadStore) -> None:
    payload = {"lead_id": "L1", "page_views": 3, "owner": "ana"}
    first = scored(40, reason("page_views", 0.2), reason("industry", -0.3, "Industry: retail"))
    ingest(lead_store, [IncomingLead("L1", payload, first)], now=T0)
    second = scored(55, reason("page_views", 0.9, "Page views: 30"), reason("webinar", 0.4))
    ingest(
        lead_store, [IncomingLead("L1", {**payload, "page_views": 30}, second)], now=T0 + timedelta(hours=1)
    )
    record_outcome(lead_store, "L1", OutcomeIn("accepted"), reasons=["spam"], now=T0 + timedelta(hours=2))
    third = {**scored(52, reason("page_views", 0.8, "Page views: 30")), "lead_id": "L1"}
    assert record_scores(lead_store, [third], now=T0 + timedelta(hours=3)) == 1

    assert [row.reasons for row in score_history(lead_store, "L1")] == [
        first["reasons"],
        second["reasons"],
        third["reasons"],
    ]
    detail = lead_detail(lead_store, "L1")
    assert (detail.lead_id, detail.status, detail.payload["page_views"]) == ("L1", "accepted", 30)
    assert detail.created_at == T0
    assert [s.score for s in detail.history] == [40, 55, 52]
    assert detail.latest == detail.history[-1]
    assert detail.history[1].scored_at == T0 + timedelta(hours=1)
    assert [s.score_change for s in detail.history] == [None, 15, -3]
    assert detail.history[0].moves is None
    moved = detail.history[1].moves
    assert moved is not None
    # page_views 0.2 -> 0.9, webinar new (0 -> 0.4), industry gone (-0.3 -> 0): largest change first
    assert [(m.feature, m.label, m.before, m.after) for m in moved] == [
        ("page_views", "Page views: 30", 0.2, 0.9),
        ("webinar", "webinar", 0.0, 0.4),
        ("industry", "Industry: retail", -0.3, 0.0),
    ]
    assert moved[0].change == pytest.approx(0.7)
    last = detail.history[2].moves
    assert last is not None
    assert [(m.feature, m.change) for m in last] == [("webinar", -0.4), ("page_views", pytest.approx(-0.1))]
    assert detail.trend == "improving"  # 40 -> 52


def test_scorings_without_reasons_are_not_explained(lead_store: LeadStore) -> None:
    """Rows stored before the history kept reasons (null) and rescores that carry none: no moves, still a history."""
    ingest(lead_store, [IncomingLead("L2", {"lead_id": "L2"}, scored(60, reason("a", 0.5)))], now=T0)
    with lead_store.transaction() as session:
        session.execute(update(Score).where(Score.lead_id == "L2").values(reasons=None))
    bare = {"lead_id": "L2", "probability": 0.58, "score": 58, "grade": "B", "model_version": "4"}
    record_scores(lead_store, [bare], now=T0 + timedelta(days=1))
    detail = lead_detail(lead_store, "L2")
    assert [(s.score, s.reasons, s.moves) for s in detail.history] == [(60, None, None), (58, None, None)]
    assert detail.latest.model_version == "4"
    assert detail.trend == "steady"


def test_unknown_lead_is_named(lead_store: LeadStore) -> None:
    with pytest.raises(LeadNotFound, match="'nobody'"):
        lead_detail(lead_store, "nobody")
