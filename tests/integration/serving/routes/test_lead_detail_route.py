"""GET /v1/leads/{id} on both backends: a lead re-sent with more engagement has two scorings, each with its reasons,
the change explained by the features whose impact moved, and a trend; an unknown id is a 404 naming it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sample_leads import ENGAGED

from serving.lead_responses import LeadDetailOut
from serving.store.lead_detail import trend


def test_a_re_sent_lead_shows_both_scorings_and_what_moved(
    api: TestClient, lead_rows: list[dict[str, Any]]
) -> None:
    lead = lead_rows[1]
    first = api.post("/v1/leads", json=lead).json()
    second = api.post("/v1/leads", json={**lead, **ENGAGED}).json()
    response = api.get(f"/v1/leads/{lead['lead_id']}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert LeadDetailOut.model_validate(body).model_dump(mode="json") == body
    assert body["payload"] == {**lead, **ENGAGED}
    assert (body["status"], body["owner"]) == ("new", lead["owner"])
    history = body["history"]
    assert [h["score"] for h in history] == [first["score"], second["score"]]
    assert [h["reasons"] for h in history] == [first["reasons"], second["reasons"]]
    assert body["latest"] == history[-1]
    assert history[0]["moves"] is None and history[0]["score_change"] is None
    assert history[1]["score_change"] == second["score"] - first["score"]
    moves = history[1]["moves"]
    assert moves, "more engagement moves some feature's impact"
    assert [abs(m["change"]) for m in moves] == sorted((abs(m["change"]) for m in moves), reverse=True)
    assert all(m["change"] == m["after"] - m["before"] for m in moves)
    assert body["trend"] == trend([first["score"], second["score"]])


def test_unknown_lead_is_404_naming_it(api: TestClient) -> None:
    response = api.get("/v1/leads/nobody-here")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("lead 'nobody-here' not found")
