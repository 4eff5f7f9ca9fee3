"""POST /v1/leads on both backends: scores as /v1/score gives them, stored once per id, bad input refused whole."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.lead_responses import StoredBatch, StoredLeadScore
from serving.store import LeadStore, get_lead, score_history


def store_of(api: TestClient) -> LeadStore:
    return api.app.state.lead_store  # type: ignore[attr-defined, no-any-return]


def test_one_lead_is_scored_stored_and_answered(api: TestClient, lead_rows: list[dict[str, Any]]) -> None:
    lead = lead_rows[0]
    response = api.post("/v1/leads", json=lead)
    assert response.status_code == 200, response.text
    body = response.json()
    assert StoredLeadScore.model_validate(body).model_dump() == body
    expected = api.post("/v1/score", json=lead).json()
    assert {k: v for k, v in body.items() if k not in ("created", "status")} == expected
    assert (body["created"], body["status"]) == (True, "new")
    stored = get_lead(store_of(api), lead["lead_id"])
    assert stored is not None
    assert stored.payload == lead  # every field as sent, the owner (not a feature) included
    assert (stored.owner, stored.source, stored.campaign) == (
        lead["owner"],
        lead["lead_source"],
        lead["utm_campaign"],
    )
    assert (stored.probability, stored.score, stored.grade) == (
        body["probability"],
        body["score"],
        body["grade"],
    )


def test_the_same_lead_twice_is_one_lead_with_two_scores(
    api: TestClient, lead_rows: list[dict[str, Any]]
) -> None:
    lead = lead_rows[1]
    first = api.post("/v1/leads", json=lead).json()
    second = api.post("/v1/leads", json={**lead, "owner": "dee"}).json()
    assert (first["created"], second["created"]) == (True, False)
    stored = get_lead(store_of(api), lead["lead_id"])
    assert stored is not None and stored.owner == "dee"
    assert len(score_history(store_of(api), lead["lead_id"])) == 2
    assert api.get("/v1/queue").json()["count"] == 1


def test_a_batch_in_order(api: TestClient, lead_rows: list[dict[str, Any]]) -> None:
    batch = lead_rows[:40]
    response = api.post("/v1/leads", json={"leads": batch})
    assert response.status_code == 200, response.text
    body = response.json()
    assert StoredBatch.model_validate(body).model_dump() == body
    assert body["count"] == 40 and body["model_version"] == "1"
    assert [item["lead_id"] for item in body["leads"]] == [lead["lead_id"] for lead in batch]
    scores = api.post("/v1/score/batch", json={"leads": batch}).json()["scores"]
    assert [item["probability"] for item in body["leads"]] == [item["probability"] for item in scores]
    assert api.get("/v1/queue", params={"limit": 500}).json()["count"] == 40


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"page_views": 3}, 422, "lead_id: required to store a lead"),
        ({"lead_id": "  ", "page_views": 3}, 422, "lead_id: required to store a lead"),
        ({"lead_id": "x" * 201}, 422, "lead_id: at most 200 characters"),
        (
            {"leads": [{"lead_id": "A"}, {"lead_id": "B"}, {"lead_id": "A"}]},
            422,
            "leads[2].lead_id: 'A' appears earlier",
        ),
        ({"leads": [{"lead_id": "A"}, {"page_views": 1}]}, 422, "leads[1].lead_id: required to store a lead"),
        (
            {"leads": [{"lead_id": "A"}, {"lead_id": "B", "page_views": "lots"}]},
            422,
            "leads[1].page_views: expected a number",
        ),
        ({"leads": []}, 422, "leads:"),
        ({"lead_id": "N", "note": "a\u0000b"}, 422, "body: text with a NUL character"),
    ],
)
def test_bad_leads_are_refused_and_nothing_is_stored(
    api: TestClient, body: Any, status: int, detail: str
) -> None:
    response = api.post("/v1/leads", json=body)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(detail)
    assert api.get("/v1/queue").json()["count"] == 0


@pytest.mark.parametrize(
    ("raw", "status", "detail"),
    [
        (b'{"lead_id": "A", "page_views": ', 400, "the body is not valid JSON"),
        (b'{"lead_id": "A", "extra": NaN}', 422, "body: NaN and Infinity are not accepted"),
        (b'["A"]', 422, "body:"),
    ],
)
def test_bodies_that_are_not_leads(api: TestClient, raw: bytes, status: int, detail: str) -> None:
    response = api.post("/v1/leads", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(detail)
    assert api.get("/v1/queue").json()["count"] == 0


def test_the_store_routes_are_documented(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()
    paths = schema["paths"]
    assert {"/v1/leads", "/v1/queue", "/v1/leads/{lead_id}/outcome", "/v1/reports/sources"} <= set(paths)
    ingest_body = paths["/v1/leads"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/LeadBatch"} in ingest_body["oneOf"]
    assert "Lead" in schema["components"]["schemas"]  # the model's own fields
    assert "Retry-After" in paths["/v1/queue"]["get"]["responses"]["503"]["headers"]
