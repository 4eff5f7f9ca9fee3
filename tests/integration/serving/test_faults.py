"""The lead store's PostgreSQL crashes and restarts while leads are written: store routes answer 503 with
Retry-After meanwhile, scoring keeps working, writes resume without restarting the app, and every acknowledged
lead is in the database afterwards. Uses a private cluster (initdb in a temporary folder, its own port), never the
shared server."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from serving.app import create_app
from serving.settings import Settings

LEAD = {"page_views": 3, "requested_demo": "no", "industry": "Retail"}


class Cluster:
    """A throw-away PostgreSQL cluster (as the postgres user when run as root) on a free loopback port."""

    def __init__(self, folder: Path, bin_dir: Path) -> None:
        self.folder, self.bin = folder, bin_dir
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])

    def run(self, tool: str, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, str(self.bin / tool), *args], check=True, capture_output=True, timeout=60)

    def pg_ctl(self, *args: str) -> None:
        self.run("pg_ctl", "-D", str(self.folder / "data"), "-w", *args)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self.pg_ctl("-l", str(self.folder / "log"), "-o", options, "start")

    def crash(self) -> None:
        self.pg_ctl("-m", "immediate", "stop")  # no checkpoint: the restart recovers from the WAL


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert found, "no initdb under /usr/lib/postgresql/*/bin: install postgresql (apt-get install postgresql)"
    folder = Path(tempfile.mkdtemp(prefix="leadscore-test-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, Path(found[-1]).parent)
    cluster.run("initdb", "-D", str(folder / "data"), "-A", "trust", "-U", "postgres", "--no-sync")
    cluster.start()
    yield cluster
    with contextlib.suppress(subprocess.CalledProcessError):
        cluster.pg_ctl("-m", "immediate", "stop")
    shutil.rmtree(folder, ignore_errors=True)


def test_postgres_crash_and_restart_under_writes(trained, cluster: Cluster) -> None:  # type: ignore[no-untyped-def]
    url = f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/postgres"
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
            cluster.crash()
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
