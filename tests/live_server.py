"""Waiting for a real `leadscore serve` process started by a test."""

from __future__ import annotations

import subprocess
import time

import httpx


def wait_until_ready(server: subprocess.Popen[bytes], base: str, seconds: float = 60) -> None:
    """Return once `base`/readyz answers 200; fail with the server's output if it exits or is late."""
    deadline = time.monotonic() + seconds
    while True:
        assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"leadscore serve did not become ready in {seconds:.0f} s"
        time.sleep(0.2)
