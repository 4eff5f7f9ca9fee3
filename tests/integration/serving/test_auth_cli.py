"""`leadscore keys` prints a key once and keeps only its hash; `leadscore serve` refuses a network without keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from live_server import wait_until_ready
from typer.testing import CliRunner

from leadscore.cli import app
from serving.keys import FileKeyStore

runner = CliRunner()


def keys(*args: str, keys_file: Path | None = None) -> tuple[int, str, str]:
    env = {"LEADSCORE_KEYS_FILE": str(keys_file)} if keys_file else {}
    result = runner.invoke(app, ["keys", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_create_prints_the_key_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    code, out, err = keys("create", "--role", "sales", "--label", "alice", keys_file=path)
    assert code == 0, err
    key = out.strip()
    assert key.startswith("lsk_") and len(key) > 40 and "\n" not in key
    assert "shown only this once" in err and key not in err
    stored = FileKeyStore(path).find(key)
    assert stored is not None and stored.role == "sales" and stored.label == "alice"
    assert key not in path.read_text()

    code, listing, _ = keys("list", keys_file=path)
    assert code == 0 and stored.id in listing and "alice" in listing and "sales" in listing
    assert key not in listing and stored.sha256 not in listing

    code, out, _ = keys("revoke", stored.id, keys_file=path)
    assert code == 0 and stored.id in out
    assert json.loads(path.read_text())["keys"] == []


def test_a_marketing_key_can_be_made_and_listed(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    code, out, err = keys("create", "--role", "marketing", "--label", "cmo", keys_file=path)
    assert code == 0, err
    stored = FileKeyStore(path).find(out.strip())
    assert stored is not None and stored.role == "marketing"
    code, listing, _ = keys("list", keys_file=path)
    assert code == 0 and f"{stored.id}  marketing  2" in listing


def test_keys_mistakes_are_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    cases = [
        (("create", "--role", "root"), path, "--role: 'root' is not one of score, sales, marketing, admin"),
        (("create", "--role", "admin"), None, "no keys file: set LEADSCORE_KEYS_FILE or pass --keys-file"),
        (("revoke", "deadbeef"), path, "no key with id 'deadbeef'"),
        (("create", "--role", "admin", "--keys-file", str(tmp_path)), None, "is a folder"),
    ]
    for args, keys_file, message in cases:
        code, _, err = keys(*args, keys_file=keys_file)
        assert code == 2, (args, err)
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    path.write_text("{oops")
    code, _, err = keys("list", keys_file=path)
    assert code == 2 and "keys.json: not valid JSON" in err and err.count("\n") == 1


@pytest.mark.usefixtures("no_server")
def test_serve_without_keys_refuses_any_host_but_loopback(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "::", "192.168.1.10"):
        result = runner.invoke(
            app, ["serve", "--host", host, "--port", "1"], env={"LEADSCORE_KEYS_FILE": None}
        )
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"error: refusing to listen on {host}: no API keys are configured")
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


@pytest.mark.usefixtures("no_server")
def test_serve_with_an_empty_keys_file_refuses_a_network(tmp_path: Path) -> None:
    env = {"LEADSCORE_KEYS_FILE": str(tmp_path / "keys.json")}
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--port", "1"], env=env)
    assert result.exit_code == 2 and "holds no key" in result.stderr and result.stderr.count("\n") == 1


def test_a_real_server_reads_the_keys_file_and_checks_keys(trained, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`leadscore serve` with LEADSCORE_KEYS_FILE: over a real socket, 401 without the key, 200 with it (on loopback:
    that keys allow other hosts is checked without opening a port, in test_auth.py)."""
    import os
    import socket
    import subprocess
    import sys

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = tmp_path / "keys.json"
    _, key = FileKeyStore(path).create("score", "server")
    env = {**os.environ, "LEADSCORE_KEYS_FILE": str(path), "LEADSCORE_WATCH_SECONDS": "0"}
    env["LEADSCORE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'leads.db'}"
    command = [
        str(Path(sys.executable).parent / "leadscore"),
        "serve",
        "--model",
        "models:/serving-leads@champion",
    ]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(server, base)
        lead = {"lead_id": "L1", "page_views": 3}
        refused = httpx.post(f"{base}/v1/score", json=lead)
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
        scored = httpx.post(f"{base}/v1/score", json=lead, headers={"Authorization": f"Bearer {key}"})
        assert scored.status_code == 200 and scored.json()["lead_id"] == "L1"
    finally:
        server.terminate()
        server.wait(timeout=20)
