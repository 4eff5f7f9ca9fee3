"""GET /v1/reports/sources on both backends: JSON and CSV agree with what was stored and decided."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.lead_responses import SourceReport


@pytest.fixture
def worked(api: TestClient, lead_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """50 leads stored; the first 10 accepted, the next 10 rejected (no budget, spam alternating), 3 won."""
    batch = lead_rows[:50]
    stored = api.post("/v1/leads", json={"leads": batch}).json()["leads"]
    for i, lead in enumerate(batch[:20]):
        body = (
            {"outcome": "accepted"}
            if i < 10
            else {"outcome": "rejected", "reason": ["no budget", "spam"][i % 2]}
        )
        assert api.post(f"/v1/leads/{lead['lead_id']}/outcome", json=body).status_code == 200
    for lead in batch[:3]:
        assert api.post(f"/v1/leads/{lead['lead_id']}/outcome", json={"outcome": "won"}).status_code == 200
    return [{**row, **answer} for row, answer in zip(batch, stored, strict=True)]


def test_json_report_per_source(api: TestClient, worked: list[dict[str, Any]]) -> None:
    response = api.get("/v1/reports/sources")
    assert response.status_code == 200, response.text
    body = response.json()
    assert SourceReport.model_validate(body).by == "source"
    rows = {r["key"]: r for r in body["rows"]}
    assert set(rows) == {lead["lead_source"] for lead in worked}
    assert sum(r["leads"] for r in rows.values()) == 50
    assert sum(r["accepted"] for r in rows.values()) == 10 and sum(r["won"] for r in rows.values()) == 3
    for key, row in rows.items():
        mine = [lead for lead in worked if lead["lead_source"] == key]
        assert row["leads"] == len(mine)
        assert row["expected_conversions"] == pytest.approx(sum(lead["probability"] for lead in mine))
        assert sum(row["grades"].values()) == len(mine)
    reasons = {}
    for row in rows.values():
        for item in row["top_rejection_reasons"]:
            reasons[item["reason"]] = reasons.get(item["reason"], 0) + item["count"]
    assert reasons == {"no budget": 5, "spam": 5}
    expected = [r["expected_conversions"] for r in body["rows"]]
    assert expected == sorted(expected, reverse=True)


def test_csv_by_format_or_accept_header(api: TestClient, worked: list[dict[str, Any]]) -> None:
    json_rows = api.get("/v1/reports/sources", params={"by": "campaign"}).json()["rows"]
    for response in (
        api.get("/v1/reports/sources", params={"by": "campaign", "format": "csv"}),
        api.get("/v1/reports/sources", params={"by": "campaign"}, headers={"Accept": "text/csv"}),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [r["campaign"] for r in rows] == [r["key"] or "" for r in json_rows]
        assert [int(r["leads"]) for r in rows] == [r["leads"] for r in json_rows]


def test_the_window(api: TestClient, worked: list[dict[str, Any]]) -> None:
    assert api.get("/v1/reports/sources", params={"until": "2000-01-01T00:00:00Z"}).json()["rows"] == []
    body = api.get("/v1/reports/sources", params={"since": "2000-01-01T00:00:00"}).json()
    assert body["since"] == "2000-01-01T00:00:00+00:00" and sum(r["leads"] for r in body["rows"]) == 50


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"by": "owner"}, "query.by: Input should be 'source' or 'campaign'"),
        ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until: must be after since"),
        ({"format": "xml"}, "query.format:"),
    ],
)
def test_bad_report_queries(api: TestClient, params: dict[str, Any], detail: str) -> None:
    response = api.get("/v1/reports/sources", params=params)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)
