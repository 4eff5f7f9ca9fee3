"""The lead store out of reach: store routes answer 503 with Retry-After, scoring keeps working, and the same app
recovers once the database is back (no restart)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from route_cases import app_settings
from sqlalchemy import text

from serving.app import create_app

LEAD = {"lead_id": "O-1", "page_views": 4, "owner": "ana"}


def store_calls(client: TestClient) -> list[Any]:
    return [
        client.post("/v1/leads", json=LEAD),
        client.post("/v1/leads", json={"leads": [LEAD]}),
        client.post("/v1/leads/O-1/outcome", json={"outcome": "accepted"}),
        client.get("/v1/queue"),
        client.get("/v1/reports/sources"),
        client.get("/v1/dashboard"),
        client.get("/v1/dashboard/trend.csv"),
        client.get("/v1/monitor"),
    ]


def assert_outage(client: TestClient) -> None:
    for response in store_calls(client):
        assert response.status_code == 503, (response.request.url, response.text)
        assert response.headers["Retry-After"] == "7"
        assert response.json()["detail"].startswith("lead store unreachable")
    scored = client.post("/v1/score", json=LEAD)
    assert scored.status_code == 200 and scored.json()["lead_id"] == "O-1"
    assert client.get("/readyz").status_code == 200


def test_sqlite_out_of_reach_then_back(trained, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "volume"  # not there yet: an unmounted disk
    with TestClient(create_app(app_settings(f"sqlite:///{folder / 'leads.db'}"))) as client:
        assert_outage(client)
        folder.mkdir()
        stored = client.post("/v1/leads", json=LEAD)
        assert stored.status_code == 200, stored.text
        assert stored.json()["created"] is True
        assert client.get("/v1/queue").json()["items"][0]["lead_id"] == "O-1"


def test_postgresql_refusing_connections(trained, postgres_databases) -> None:  # type: ignore[no-untyped-def]
    url = "postgresql+psycopg://postgres@127.0.0.1:1/leadscore"
    with TestClient(create_app(app_settings(url, database_connect_timeout=2))) as client:
        assert_outage(client)


def test_postgresql_connections_killed_under_the_app(trained, postgres_databases) -> None:  # type: ignore[no-untyped-def]
    """A PostgreSQL restart drops the pooled connections; the next request gets a fresh one, no 503, no restart."""
    url = postgres_databases.create()
    with TestClient(create_app(app_settings(url))) as client:
        assert client.post("/v1/leads", json=LEAD).status_code == 200
        database = client.app.state.lead_store.engine.url.database  # type: ignore[attr-defined]
        with postgres_databases.engine.connect() as admin:
            killed = admin.execute(
                text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :name"),
                {"name": database},
            ).scalar_one()
        assert killed >= 1
        response = client.get("/v1/queue")
        assert response.status_code == 200 and response.json()["items"][0]["lead_id"] == "O-1"
