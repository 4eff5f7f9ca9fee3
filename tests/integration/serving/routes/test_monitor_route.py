"""GET /v1/monitor on both backends: the leads stored through the API against the served model's training leads,
the gauges it leaves on /metrics, and its errors (4xx naming the field, 409 without a profile, never a 500)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.monitor_responses import MonitorResponse


def drawn(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """A random draw of the served model's training leads (the file is in time order: its head is its past)."""
    return random.Random(0).sample(rows, n)


def store(api: TestClient, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 500):
        response = api.post("/v1/leads", json={"leads": rows[start : start + 500]})
        assert response.status_code == 200, response.text


def shifted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Five times the email opens, and every other lead from an event."""
    return [
        {
            **row,
            "email_opens": None if row["email_opens"] is None else 5 * int(row["email_opens"]),
            **({"lead_source": "event"} if i % 2 else {}),
        }
        for i, row in enumerate(rows)
    ]


def gauges(api: TestClient) -> dict[str, float]:
    lines = api.get("/metrics").text.splitlines()
    return {
        name: float(value)
        for name, value in (line.rsplit(" ", 1) for line in lines if line.startswith("leadscore_monitor_"))
    }


def test_the_served_models_training_leads_pass(api: TestClient, lead_rows: list[dict[str, Any]]) -> None:
    store(api, drawn(lead_rows, 400))  # the serving model was trained on these very leads
    response = api.get("/v1/monitor")
    assert response.status_code == 200, response.text
    body = MonitorResponse.model_validate(response.json())
    assert body.leads == 400 and body.enough_leads and body.note is None and body.alerts == []
    assert body.model.name == "serving-leads" and body.model.version == api.get("/v1/model").json()["version"]
    assert len(body.features) == 15 and all(f.band != "alert" for f in body.features)
    assert body.score is not None and body.score_psi == body.score.psi < 0.1
    assert (body.window.until - body.window.since).days == 7

    found = gauges(api)
    assert found["leadscore_monitor_alerting"] == 0.0 and found["leadscore_monitor_leads"] == 400.0
    assert found["leadscore_monitor_score_psi"] == body.score_psi
    name = body.features[0].name
    assert found[f'leadscore_monitor_feature_psi{{feature="{name}"}}'] == body.features[0].psi


def test_drift_alerts_and_the_gauges_follow(api: TestClient, lead_rows: list[dict[str, Any]]) -> None:
    store(api, shifted(drawn(lead_rows, 400)))
    body = api.get("/v1/monitor").json()
    found = {(a["metric"], a["subject"]) for a in body["alerts"]}
    assert {("feature_psi", "email_opens"), ("feature_psi", "lead_source")} <= found
    assert found - {("feature_psi", "email_opens"), ("feature_psi", "lead_source")} <= {
        ("score_psi", "score")
    }
    metrics = gauges(api)
    assert metrics["leadscore_monitor_alerting"] == 1.0
    assert metrics['leadscore_monitor_alert{metric="feature_psi",subject="email_opens"}'] == 1.0
    assert metrics["leadscore_monitor_computed_timestamp_seconds"] > 0


def test_a_window_with_no_leads_says_so(api: TestClient, lead_rows: list[dict[str, Any]]) -> None:
    store(api, drawn(lead_rows, 50))
    body = api.get("/v1/monitor", params={"since": "2020-01-01", "until": "2020-02-01T00:00:00Z"}).json()
    assert (body["leads"], body["features"], body["score_psi"], body["alerts"]) == (0, [], None, [])
    assert body["note"] == "no leads in the window: nothing to compare"
    window = MonitorResponse.model_validate(body).window  # a date alone is midnight UTC
    assert (window.since, window.until) == (
        datetime(2020, 1, 1, tzinfo=UTC),
        datetime(2020, 2, 1, tzinfo=UTC),
    )
    few = api.get("/v1/monitor").json()
    assert few["leads"] == 50 and few["alerts"] == [] and "no drift alert" in few["note"]


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"since": "last week"}, "query.since: Input should be a valid datetime"),
        ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until: must be after since"),
    ],
)
def test_bad_windows_name_the_field(api: TestClient, params: dict[str, str], detail: str) -> None:
    response = api.get("/v1/monitor", params=params)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)


@pytest.fixture
def unprofiled(api: TestClient) -> Iterator[TestClient]:
    """The served model as if it had been trained before reference profiles existed."""
    model = api.app.state.store.current.model  # type: ignore[attr-defined]
    profile, model.profile = model.profile, None
    try:
        yield api
    finally:
        model.profile = profile


def test_a_model_without_a_profile_is_a_clear_409(unprofiled: TestClient) -> None:
    response = unprofiled.get("/v1/monitor")
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail.startswith("the served model (serving-leads version ") and "retrain it to get one" in detail


def test_live_accuracy_from_recorded_outcomes_joins_the_report_and_the_gauges(
    api: TestClient, lead_rows: list[dict[str, Any]]
) -> None:
    leads = drawn(lead_rows, 300)
    store(api, leads)
    rng = random.Random(1)
    scored = api.post("/v1/score/batch", json={"leads": leads[:150]}).json()["scores"]
    wins = 0
    for lead in scored:  # outcomes as sales records them, drawn from the served probabilities
        won = rng.random() < lead["probability"]
        wins += won
        path = f"/v1/leads/{lead['lead_id']}/outcome"
        given = (
            [{"outcome": "accepted"}, {"outcome": "won"}]
            if won
            else [{"outcome": "rejected", "reason": "spam"}]
        )
        for outcome in given:
            assert api.post(path, json=outcome).status_code == 200
    body = MonitorResponse.model_validate(api.get("/v1/monitor").json())
    assert body.performance is not None
    overall = body.performance.overall
    assert (overall.leads, overall.final, overall.open) == (300, 150, 150)
    assert overall.observed.conversions == wins and overall.sales.won == wins
    found = gauges(api)
    rate, expected = overall.observed.rate, overall.observed.expected_rate
    assert rate is not None and expected is not None
    assert found['leadscore_monitor_conversion_observed{group="overall"}'] == rate
    assert found['leadscore_monitor_conversion_expected{group="overall"}'] == expected
    assert abs(expected - sum(lead["probability"] for lead in scored) / 150) < 1e-9
