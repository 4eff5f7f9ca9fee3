"""A real `leadscore serve` under concurrent scoring and ingest moves to a new @champion with no failed request,
every answer naming the version that scored it, and only the new one once it went live."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from live_server import wait_until_ready
from mlflow.tracking import MlflowClient

NAME = "swap-under-load"
LEAD = {"page_views": 7, "requested_demo": "yes", "industry": "Software", "country": "Canada"}
Answer = tuple[float, float, int, str | None]  # sent, answered, status, model_version


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def hammer(
    base: str, seconds: float, clients: int, swap_at: float, swap: Callable[[], None]
) -> list[Answer]:
    """`clients` concurrent clients alternate POST /v1/score and POST /v1/leads; `swap` runs at `swap_at`."""
    answers: list[Answer] = []
    began = time.monotonic()

    async def client(number: int, http: httpx.AsyncClient) -> None:
        sent_count = 0
        while time.monotonic() - began < seconds:
            sent_count += 1
            lead = {**LEAD, "lead_id": f"S{number}-{sent_count}"}
            path = "/v1/leads" if sent_count % 2 else "/v1/score"
            sent = time.monotonic() - began
            response = await http.post(path, json=lead)
            version = response.json().get("model_version") if response.status_code == 200 else None
            answers.append((sent, time.monotonic() - began, response.status_code, version))

    async def mover() -> None:
        await asyncio.sleep(swap_at)
        await asyncio.to_thread(swap)

    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        await asyncio.gather(mover(), *(client(k, http) for k in range(clients)))
    return answers


def test_moving_champion_under_load_fails_no_request(trained, mlflow_home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = MlflowClient()
    source = client.get_model_version("serving-leads", trained.registered.version).source
    client.create_registered_model(NAME)
    old = str(client.create_model_version(NAME, source=source).version)
    client.set_registered_model_alias(NAME, "champion", old)
    new: list[str] = []

    def swap() -> None:
        new.append(str(client.create_model_version(NAME, source=source).version))
        client.set_registered_model_alias(NAME, "champion", new[0])

    port = free_port()
    env = {
        **os.environ,
        "LEADSCORE_WATCH_SECONDS": "0.2",
        "LEADSCORE_MODEL_CACHE_DIR": str(tmp_path / "cache"),
        "LEADSCORE_DATABASE_URL": f"sqlite:///{tmp_path / 'leads.db'}",
    }
    command = [str(Path(sys.executable).parent / "leadscore"), "serve", "--model", f"models:/{NAME}@champion"]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(server, base)
        load = hammer(base, seconds=4.0, clients=4, swap_at=1.0, swap=swap)
        with ThreadPoolExecutor(
            1
        ) as own_loop:  # its own thread: an earlier test may leave a loop running here
            answers = own_loop.submit(asyncio.run, load).result()
    finally:
        server.terminate()
        server.wait(timeout=20)

    failed = [a for a in answers if a[2] != 200]
    assert not failed, f"{len(failed)} of {len(answers)} requests failed during the swap: {failed[:3]}"
    assert {a[3] for a in answers} == {old, new[0]}, "every answer names the old or the new version"
    live = min(answered for _, answered, _, version in answers if version == new[0])
    stale = [a for a in answers if a[0] > live and a[3] != new[0]]
    assert not stale, f"{len(stale)} requests sent after v{new[0]} went live were answered by v{old}"
    assert sum(1 for a in answers if a[3] == new[0]) > 10 and sum(1 for a in answers if a[3] == old) > 10
