"""`leadscore serve` runs the API with uvicorn on the model it is given."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from live_server import wait_until_ready


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
        wait_until_ready(server, base)
        scored = httpx.post(f"{base}/v1/score", json={"lead_id": "L1", "page_views": 3}).json()
        assert scored["lead_id"] == "L1" and scored["model_version"] == "1"
    finally:
        server.terminate()
        server.wait(timeout=20)
