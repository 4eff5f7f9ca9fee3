"""GET /v1/dashboard and its CSV export on both backends: typed JSON, CSV equal to it, filters, bad queries."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.dashboard_models import DashboardResponse
from serving.store.dashboard import NO_OUTCOMES, TABLES


@pytest.fixture
def worked(api: TestClient, lead_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """40 leads stored; the first 8 accepted, the next 8 rejected (spam, no budget), 2 won."""
    batch = lead_rows[:40]
    stored = api.post("/v1/leads", json={"leads": batch}).json()["leads"]
    for i, lead in enumerate(batch[:16]):
        body = (
            {"outcome": "accepted"}
            if i < 8
            else {"outcome": "rejected", "reason": ["spam", "no budget"][i % 2]}
        )
        assert api.post(f"/v1/leads/{lead['lead_id']}/outcome", json=body).status_code == 200
    for lead in batch[:2]:
        assert api.post(f"/v1/leads/{lead['lead_id']}/outcome", json={"outcome": "won"}).status_code == 200
    return [{**row, **answer} for row, answer in zip(batch, stored, strict=True)]


def test_one_json_object_with_every_table(api: TestClient, worked: list[dict[str, Any]]) -> None:
    response = api.get("/v1/dashboard")
    assert response.status_code == 200, response.text
    body = response.json()
    DashboardResponse.model_validate(body)
    tables = body["tables"]
    assert set(tables) == set(TABLES) and body["notes"] == []
    assert sum(r["leads"] for r in tables["funnel"]) == 40
    assert sum(r["accepted"] for r in tables["funnel"]) == 8 and sum(r["won"] for r in tables["trend"]) == 2
    assert sum(r["count"] for r in tables["rejection_reasons"]) == 8
    assert sum(r["leads"] for r in tables["service_grades"]) == 40
    assert sum(r["contacted"] for r in tables["service_grades"]) == 16
    report = api.get("/v1/reports/sources").json()["rows"]  # the same numbers as the source report
    assert [(r["source"], r["leads"], r["expected_conversions"]) for r in tables["sources"]] == [
        (r["key"], r["leads"], r["expected_conversions"]) for r in report
    ]
    assert body["csv"]["trend"] == "/v1/dashboard/trend.csv"


def test_csv_of_each_table_matches_the_json(api: TestClient, worked: list[dict[str, Any]]) -> None:
    params = {"owner": "ana"}
    body = api.get("/v1/dashboard", params=params).json()
    assert body["csv"]["funnel"] == "/v1/dashboard/funnel.csv?owner=ana"
    for table in TABLES:
        response = api.get(f"/v1/dashboard/{table}.csv", params=params)
        assert response.status_code == 200, (table, response.text)
        assert response.headers["content-type"].startswith("text/csv")
        assert f"leadscore-{table}.csv" in response.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(response.text)))
        expected = [{k: "" if v is None else str(v) for k, v in row.items()} for row in body["tables"][table]]
        assert rows == expected, table


def test_filters_change_the_numbers(api: TestClient, worked: list[dict[str, Any]]) -> None:
    source = worked[0]["lead_source"]
    mine = [lead for lead in worked if lead["lead_source"] == source]
    tables = api.get("/v1/dashboard", params={"source": source}).json()["tables"]
    assert [(r["source"], r["leads"]) for r in tables["funnel"]] == [(source, len(mine))]
    assert {r["source"] for r in tables["trend"]} == {source}
    owners = api.get("/v1/dashboard", params={"owner": "bo"}).json()["tables"]["service_owners"]
    assert {r["owner"] for r in owners} <= {"bo"}
    bo_grades = api.get("/v1/dashboard", params={"owner": "bo"}).json()["tables"]["service_grades"]
    assert sum(r["leads"] for r in bo_grades) == sum(lead["owner"] == "bo" for lead in worked)
    grade = worked[0]["grade"]
    graded = api.get("/v1/dashboard", params={"grade": grade}).json()["tables"]["service_grades"]
    assert {r["grade"] for r in graded if r["leads"]} == {grade}
    assert sum(r["leads"] for r in graded) == sum(lead["grade"] == grade for lead in worked)
    empty = api.get("/v1/dashboard", params={"until": "2000-01-01T00:00:00Z"}).json()
    assert empty["tables"]["funnel"] == [] and "No leads arrived" in empty["notes"][0]


def test_a_store_without_outcomes_says_what_will_appear(
    api: TestClient, lead_rows: list[dict[str, Any]]
) -> None:
    assert api.post("/v1/leads", json={"leads": lead_rows[:5]}).status_code == 200
    body = api.get("/v1/dashboard").json()
    assert body["notes"] == [NO_OUTCOMES]
    assert sum(r["leads"] for r in body["tables"]["sources"]) == 5


@pytest.mark.parametrize(
    ("path", "params", "detail"),
    [
        ("/v1/dashboard", {"colour": "red"}, "query.colour: Extra inputs are not permitted"),
        ("/v1/dashboard/funnel.csv", {"sorce": "ads"}, "query.sorce: Extra inputs are not permitted"),
        (
            "/v1/dashboard",
            {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
            "query.until: Value error, must be after since",
        ),
        ("/v1/dashboard", {"grade": "Z"}, "query.grade:"),
        ("/v1/dashboard", {"since": "yesterday"}, "query.since:"),
        ("/v1/dashboard/leads.csv", {}, "path.table:"),
    ],
)
def test_bad_queries_are_422_naming_the_parameter(
    api: TestClient, path: str, params: dict[str, str], detail: str
) -> None:
    response = api.get(path, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(detail), response.json()
