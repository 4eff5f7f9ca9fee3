"""`leadscore serve` runs the API with uvicorn on the model it is given."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_leadscore_serve_answers_on_loopback(trained, mlflow_home: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "leadscore"),
        "serve",
        "--model",
        "models:/serving-leads@champion",
    ]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env={**os.environ, "LEADSCORE_WATCH_SECONDS": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "leadscore serve did not become ready in 60 s"
            time.sleep(0.2)
        scored = httpx.post(f"{base}/v1/score", json={"lead_id": "L1", "page_views": 3}).json()
        assert scored["lead_id"] == "L1" and scored["model_version"] == "1"
    finally:
        server.terminate()
        server.wait(timeout=20)
