"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, a free loopback port, trust auth.

As root (initdb refuses root) the server runs as the `postgres` system user. LEADSCORE_TEST_PG_BIN names the folder
of initdb and pg_ctl; otherwise they are looked up on PATH, then in the newest /usr/lib/postgresql/*/bin (Debian).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

BIN_ENV = "LEADSCORE_TEST_PG_BIN"
TOOLS = ("initdb", "pg_ctl")
# Speed over durability (a test cluster lives for one session). No synchronous_commit=off: a commit acknowledged
# before a `pg_ctl stop -m immediate` must survive the restart (tests/integration/serving/test_faults.py).
OPTIONS = "-c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=32MB"


class ServerUnavailable(RuntimeError):
    """The binaries are missing, or the server could not be initialised or started."""


def _has_tools(folder: Path) -> bool:
    return all((folder / tool).is_file() for tool in TOOLS)


def _version(folder: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in folder.parent.name.split(".") if part.isdigit())


def find_bin_dir() -> Path:
    """The folder holding initdb and pg_ctl: LEADSCORE_TEST_PG_BIN, else PATH, else the newest Debian install."""
    if override := os.environ.get(BIN_ENV):
        candidates, where = [Path(override)], f"{BIN_ENV}={override}"
    else:
        on_path = shutil.which("initdb")
        debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version, reverse=True)
        candidates = [*([Path(on_path).parent] if on_path else []), *debian]
        where = "PATH or /usr/lib/postgresql/*/bin"
    for folder in candidates:
        if _has_tools(folder):
            return folder
    raise ServerUnavailable(f"PostgreSQL server binaries (initdb, pg_ctl) not found in {where}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One cluster in its own temporary folder; `remove` stops it (if running) and deletes the folder."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        # Not under pytest's tmp_path: that is private to the current user, and the server may run as postgres.
        self.folder = Path(tempfile.mkdtemp(prefix="leadscore-test-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            try:
                shutil.chown(self.folder, "postgres", "postgres")
            except LookupError:
                shutil.rmtree(self.folder)
                raise ServerUnavailable(
                    "running as root needs the postgres system user (initdb refuses root)"
                ) from None

    @property
    def url(self) -> str:
        """The admin URL (user postgres, database postgres)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, tool: str, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        command = [*prefix, str(self.bin / tool), *args]
        try:
            subprocess.run(command, check=True, capture_output=True, text=True, timeout=120, cwd=self.folder)
        except subprocess.CalledProcessError as error:
            said = (error.stderr or error.stdout or "").strip().splitlines()
            detail = said[-1] if said else f"exit status {error.returncode}"
            raise ServerUnavailable(f"{tool} failed: {detail}{self._log_tail()}") from None
        except subprocess.TimeoutExpired:
            raise ServerUnavailable(f"{tool} did not finish within 120 s{self._log_tail()}") from None

    def _log_tail(self) -> str:
        """The server log's last line, which says why a start failed (pg_ctl only says to read the log)."""
        with contextlib.suppress(OSError):
            lines = self.log.read_text().strip().splitlines()
            return f"; server log: {lines[-1]}" if lines else ""
        return ""

    def init(self) -> None:
        args = ["-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"]
        self.run("initdb", *args, "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} {OPTIONS}"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop at once, without a checkpoint (a restart recovers from the WAL)."""
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(ServerUnavailable):
                self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def throwaway_server(request: pytest.FixtureRequest, hint: str) -> PostgresServer:
    """A started server, removed when `request`'s scope ends (also after a failure or Ctrl-C); a test error if not."""
    try:
        server = PostgresServer(find_bin_dir())
    except ServerUnavailable as error:
        raise pytest.fail.Exception(f"{error}: {hint}", pytrace=False) from None
    request.addfinalizer(server.remove)
    try:
        server.init()
        server.start()
    except ServerUnavailable as error:
        raise pytest.fail.Exception(f"throwaway PostgreSQL server: {error}", pytrace=False) from None
    return server
