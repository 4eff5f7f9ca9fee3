"""POST /v1/leads/{id}/outcome on both backends: transitions, 404/409/422 naming what is wrong, Idempotency-Key."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.lead_responses import OutcomeOut


@pytest.fixture
def lead_id(api: TestClient, lead_rows: list[dict[str, Any]]) -> str:
    response = api.post("/v1/leads", json=lead_rows[0])
    assert response.status_code == 200, response.text
    return str(lead_rows[0]["lead_id"])


def outcome(api: TestClient, lead_id: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(f"/v1/leads/{lead_id}/outcome", json=body, headers=headers)


def test_accept_then_win(api: TestClient, lead_id: str) -> None:
    accepted = outcome(api, lead_id, {"outcome": "accepted", "actor": "ana", "note": "called, keen"})
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert OutcomeOut.model_validate(body).lead_id == lead_id
    assert (body["from_status"], body["status"], body["actor"], body["note"]) == (
        "new",
        "accepted",
        "ana",
        "called, keen",
    )
    assert api.get("/v1/queue").json()["items"][0]["status"] == "accepted"
    won = outcome(api, lead_id, {"outcome": "won"}).json()
    assert (won["from_status"], won["status"]) == ("accepted", "won")
    assert api.get("/v1/queue").json()["count"] == 0  # final: out of the queue


def test_impossible_transition_names_both_states(api: TestClient, lead_id: str) -> None:
    outcome(api, lead_id, {"outcome": "accepted"})
    outcome(api, lead_id, {"outcome": "won"})
    response = outcome(api, lead_id, {"outcome": "rejected", "reason": "spam"})
    assert response.status_code == 409
    assert "won -> rejected is not allowed" in response.json()["detail"]


def test_unknown_lead(api: TestClient) -> None:
    response = outcome(api, "nobody", {"outcome": "accepted"})
    assert response.status_code == 404
    assert response.json()["detail"].startswith("lead 'nobody' not found")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"outcome": "rejected"}, "reason: required when rejecting; one of: bad fit, no budget"),
        ({"outcome": "rejected", "reason": "meh"}, "reason: 'meh' is not a rejection reason"),
        ({"outcome": "maybe"}, "body.outcome: Input should be 'accepted', 'rejected', 'won' or 'lost'"),
        ({"reason": "spam"}, "body.outcome: Field required"),
        ({"outcome": "accepted", "colour": "red"}, "body.colour: Extra inputs are not permitted"),
        (
            {"outcome": "accepted", "actor": "x" * 201},
            "body.actor: String should have at most 200 characters",
        ),
    ],
)
def test_malformed_outcomes_name_the_field(
    api: TestClient, lead_id: str, body: dict[str, Any], detail: str
) -> None:
    response = outcome(api, lead_id, body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail), response.json()
    assert api.get("/v1/queue").json()["items"][0]["status"] == "new"


def test_a_retry_with_the_same_key_gets_the_same_answer(api: TestClient, lead_id: str) -> None:
    body = {"outcome": "rejected", "reason": "no budget", "actor": "bo"}
    first = outcome(api, lead_id, body, key="retry-1")
    again = outcome(api, lead_id, body, key="retry-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    without_key = outcome(api, lead_id, body)  # a second rejection without the key is a real conflict
    assert without_key.status_code == 409


def test_a_key_reused_for_another_outcome_is_refused(api: TestClient, lead_id: str) -> None:
    outcome(api, lead_id, {"outcome": "accepted"}, key="k")
    response = outcome(api, lead_id, {"outcome": "won"}, key="k")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Idempotency-Key 'k' was already used for accepted")
    assert api.get("/v1/queue").json()["items"][0]["status"] == "accepted"


def test_metrics_count_outcomes_under_the_route_template(api: TestClient, lead_id: str) -> None:
    outcome(api, lead_id, {"outcome": "accepted"})
    api.get("/no/such/page")
    text = api.get("/metrics").text
    assert 'route="/v1/leads/{lead_id}/outcome",status="200"' in text
    assert f"/v1/leads/{lead_id}/outcome" not in text
    assert 'route="other",status="404"' in text
