"""The lead store's PostgreSQL crashes and restarts while leads are written: store routes answer 503 with
Retry-After meanwhile, scoring keeps working, writes resume without restarting the app, and every acknowledged
lead is in the database afterwards. Uses a throwaway server of its own (tests/postgres_server.py), never the
session's."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient
from postgres_server import PostgresServer, throwaway_server
from sqlalchemy import create_engine, text

from serving.app import create_app
from serving.settings import Settings

LEAD = {"page_views": 3, "requested_demo": "no", "industry": "Retail"}


@pytest.fixture(scope="module")
def cluster(request: pytest.FixtureRequest) -> PostgresServer:
    """A server of its own (the test crashes it), never the session's."""
    return throwaway_server(request, "run `make test` (it installs the postgresql package)")


def test_postgres_crash_and_restart_under_writes(trained, cluster: PostgresServer) -> None:  # type: ignore[no-untyped-def]
    url = cluster.url
    settings = Settings(
        model_uri="models:/serving-leads@champion",
        watch_seconds=0,
        database_url=url,
        database_retry_after=3,
        database_connect_timeout=2,
        model_cache_dir=None,
    )
    acked: list[str] = []
    statuses: list[int] = []
    outage: list[tuple[int, str | None]] = []
    stop = threading.Event()
    with TestClient(create_app(settings)) as api:

        def write() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                response = api.post("/v1/leads", json={**LEAD, "lead_id": f"F-{n}"})
                statuses.append(response.status_code)
                if response.status_code == 200:
                    acked.append(f"F-{n}")
                time.sleep(0.01)

        writer = threading.Thread(target=write)
        writer.start()
        try:
            time.sleep(0.5)
            cluster.stop()  # immediate: no checkpoint, the restart recovers from the WAL
            time.sleep(0.3)
            down = api.get("/v1/queue")
            outage.append((down.status_code, down.headers.get("Retry-After")))
            scored = api.post("/v1/score", json={**LEAD, "lead_id": "S-1"})
            cluster.start()
            time.sleep(0.5)
        finally:
            stop.set()
            writer.join()
        after = api.post("/v1/leads", json={**LEAD, "lead_id": "after-restart"})
    assert outage == [(503, "3")], "the queue answered other than 503 + Retry-After while PostgreSQL was down"
    assert scored.status_code == 200, "scoring needs no database"
    assert set(statuses) == {200, 503}, f"only 200 and 503 expected during the crash, got {set(statuses)}"
    assert after.status_code == 200, "writes did not resume without a restart"
    engine = create_engine(url)
    with engine.connect() as connection:
        stored = {r[0] for r in connection.execute(text("SELECT lead_id FROM leads"))}
    engine.dispose()
    assert acked and not set(acked) - stored, f"{len(set(acked) - stored)} acknowledged leads are missing"
    assert "after-restart" in stored
