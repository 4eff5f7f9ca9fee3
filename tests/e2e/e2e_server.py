"""A real `leadscore serve` process for the end-to-end tests: start it on a free loopback port, seed it, stop it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page
from sqlalchemy import update

from serving.store import LeadStore
from serving.store.clock import utcnow
from serving.store.tables import Lead

LEADS = 14  # seeded before every test
OWNERS = ("ana", "bo", "cy")


DISPLAY_FIELDS = [
    "name",
    "company",
    "email",
    "phone",
    "crm_url",
]  # the open server's LEADSCORE_DISPLAY_FIELDS
HOSTILE = 3  # the lead whose contact fields try to inject markup and script


def contact(i: int, lead_id: str) -> dict[str, str]:
    """Who a lead is and how to reach them, not model features; one lead's fields are hostile."""
    if i == HOSTILE:
        return {
            "name": '<img src=x onerror="window.injected=1">',
            "company": "<script>window.injected=1</script>",
            "email": 'x"onmouseover="window.injected=1"@example.com',
            "phone": "javascript:window.injected=1",
            "crm_url": "javascript:window.injected=1",
        }
    return {
        "name": f"Person {i}",
        "company": f"Company {i} Ltd",
        "email": f"person{i}@example.com",
        "phone": f"+44 20 7946 {i:04d}",
        "crm_url": f"https://crm.example.com/leads/{lead_id}",
    }


@dataclass
class Server:
    """A running `leadscore serve` and what a test needs to talk to it."""

    base: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path
    headers: dict[str, str]  # for the test's own API calls (empty when auth is off)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def queue(self, **params: Any) -> list[dict[str, Any]]:
        """Every open lead the API lists for these filters, following the cursor."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
            page = httpx.get(self.url("/v1/queue"), params=query, headers=self.headers, timeout=10)
            page.raise_for_status()
            body = page.json()
            items += body["items"]
            cursor = body["next_cursor"]
            if cursor is None:
                return items


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(home: Path, model_uri: str, env: dict[str, str], headers: dict[str, str]) -> Server:
    """Start `leadscore serve` on a free loopback port with a fresh SQLite lead store (see `wait_ready`)."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    database_url = env.get("LEADSCORE_DATABASE_URL", f"sqlite:///{home / 'leads.db'}")
    log = home / "server.log"
    environment = {
        **os.environ,
        "LEADSCORE_WATCH_SECONDS": "0",
        "LEADSCORE_DATABASE_URL": database_url,
        "LEADSCORE_KEYS_FILE": "",
        "LEADSCORE_SLA_HOURS": '{"A": 1, "B": 4, "C": 24, "D": null}',
        **env,
    }
    command = [str(Path(sys.executable).parent / "leadscore"), "serve", "--model", model_uri]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)], env=environment, stdout=out, stderr=subprocess.STDOUT, cwd=home
        )
    return Server(f"http://127.0.0.1:{port}", database_url, process, log, headers)


def wait_ready(servers: list[Server], within: float = 90) -> None:
    """Return once every server's /readyz answers 200; fail with the server's log if one exits or is late."""
    deadline = time.monotonic() + within
    waiting = list(servers)
    while waiting:
        server = waiting[0]
        if server.process.poll() is not None:
            log = server.log.read_text()
            pytest.fail(f"leadscore serve exited with {server.process.returncode}:\n{log}", pytrace=False)
        try:
            if httpx.get(server.url("/readyz"), timeout=1).status_code == 200:
                waiting.pop(0)
                continue
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(
                f"leadscore serve not ready within {within:.0f} s:\n{server.log.read_text()}", pytrace=False
            )
        time.sleep(0.2)


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def seed(server: Server, leads: list[dict[str, Any]], empty: Callable[[LeadStore], None]) -> str:
    """Empty the server's store, send the leads through POST /v1/leads, and make the best-graded lead that has a
    first-contact deadline two days old (so it is overdue); returns that lead's id."""
    store = LeadStore(server.database_url)
    try:
        empty(store)
        sent = httpx.post(server.url("/v1/leads"), json={"leads": leads}, headers=server.headers, timeout=30)
        assert sent.status_code == 200, sent.text
        late = next(item for item in server.queue() if item["sla"]["hours"] is not None)["lead_id"]
        with store.transaction() as session:
            session.execute(
                update(Lead).where(Lead.lead_id == late).values(created_at=utcnow() - timedelta(days=2))
            )
    finally:
        store.close()
    return str(late)


def rows(page: Page) -> Locator:
    """The queue page's lead rows."""
    return page.locator("#queue tbody tr")


def row(page: Page, lead_id: str) -> Locator:
    """The queue page's row of one lead."""
    return page.locator(f'#queue tbody tr[data-lead-id="{lead_id}"]')
