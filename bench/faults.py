"""Faults under load against a real `leadscore serve`: the database stopped and restarted, the process killed and
restarted, the MLflow registry unreachable at startup (with and without a cached model).

    .venv/bin/python bench/faults.py [--seconds 30] [--clients 8] [--only database,kill,registry]

database  A private PostgreSQL cluster (initdb + pg_ctl from /usr/lib/postgresql/*/bin, in a temporary folder, on a
          free loopback port, run as the postgres user; the shared server on 5432 is never touched) is crashed
          (`pg_ctl stop -m immediate`) a quarter into the mixed load and started again at half. Store routes must
          answer 503 with Retry-After meanwhile (scoring keeps answering 200), recover without restarting
          leadscore, and every acknowledged lead and outcome must be in the database afterwards.
kill      Write-heavy load (ingest and outcomes); the server gets SIGKILL a quarter into the run and is started again
          on the same port. Every acknowledged write must be there, and the store consistent: each lead has its
          score history and a status equal to its last outcome, the schema at the newest migration.
registry  `mlflow server` as the tracking server. leadscore starts with it up (and caches the model), then with it
          down: it must serve the cached copy and report degraded in /readyz and GET /v1/model, then recover by
          itself when the registry is back; with it down and an empty cache it must be not ready with a reason.

Each check prints PASS or FAIL; the exit code is 1 when any failed. Loopback only; every phase is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from load import (
    BIN,
    HOST,
    Bench,
    Server,
    Tally,
    count_lost,
    drive,
    free_port,
    prepare,
    report,
    temporary_database,
)

WRITES = {"ingest": 0.6, "outcome": 0.4}
CHECKS: list[tuple[str, bool, str]] = []


def check(name: str, ok: bool, detail: str = "") -> None:
    CHECKS.append((name, ok, detail))
    print(f"  [{'PASS' if ok else 'FAIL'}] {name}{f': {detail}' if detail else ''}", flush=True)


# ---------------------------------------------------------------- a private PostgreSQL cluster


@dataclass
class Cluster:
    """A throw-away PostgreSQL cluster owned by the postgres user, on its own port; stopped and removed after."""

    folder: Path
    port: int
    bin: Path

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/postgres"

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, timeout=120
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses={HOST}"
        log = str(self.folder / "postgres.log")
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-l", log, "-w", "-o", options, "start"
        )

    def crash(self) -> None:
        """Stop at once, as a crash would: no checkpoint, the next start recovers from the WAL."""
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"
        )

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._as_postgres(
                str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop"
            )


@contextlib.contextmanager
def private_cluster() -> Iterator[Cluster]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise SystemExit(
            "no initdb under /usr/lib/postgresql/*/bin: install postgresql to run the database fault"
        )
    folder = Path(tempfile.mkdtemp(prefix="leadscore-faults-pg-"))
    shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, free_port(), Path(found[-1]).parent)
    cluster._as_postgres(
        str(cluster.bin / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "postgres"
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


def using(bench: Bench, **env: str) -> Bench:
    return Bench(bench.work, bench.tracking_uri, bench.leads, bench.keys, {**bench.env, **env})


# ---------------------------------------------------------------- the faults


def database_outage(bench: Bench, seconds: float, clients: int) -> None:
    print(f"\n== database stopped and restarted under load ({seconds:.0f} s, {clients} clients)", flush=True)
    with private_cluster() as cluster, temporary_database(cluster.admin_url) as url:
        outage = using(bench, LEADSCORE_DATABASE_URL=url, LEADSCORE_DATABASE_RETRY_AFTER="1")
        server = Server(outage.env, bench.work)
        server.start()
        marks: dict[str, float] = {}
        tally = Tally()

        def crash() -> None:
            marks["down"] = tally.now()
            cluster.crash()

        def restart() -> None:
            cluster.start()
            marks["up"] = tally.now()

        events = [(seconds * 0.25, "crash PostgreSQL (pg_ctl stop -m immediate)", crash)]
        events.append((seconds * 0.5, "start PostgreSQL again", restart))
        try:
            tally = asyncio.run(
                drive(bench, server.base, seconds, clients, events, expect_outage=True, tally=tally)
            )
            alive = server.process is not None and server.process.poll() is None
        finally:
            server.stop()
        lost = count_lost(url, tally)
    report(tally, seconds, lost)
    during = [t for t in tally.versions if marks["down"] <= t[0] <= marks["up"]]
    recovered = min((t for t in tally.store_ok if t > marks["up"]), default=None)
    unavailable = sum(tally.unavailable.values())
    print(
        f"  outage {marks['down']:.1f}-{marks['up']:.1f} s: {unavailable} answers 503 "
        f"({dict(tally.unavailable)}), {len(during)} scored answers meanwhile"
    )
    check("store routes answered 503 during the outage", unavailable > 0, f"{unavailable}")
    check("every 503 carried Retry-After", tally.no_retry_after == 0, f"{tally.no_retry_after} without")
    check("scoring kept answering during the outage", len(during) > 0, f"{len(during)} answers")
    check(
        "no other error (no 500, no dropped connection)",
        tally.failed() == 0 and not tally.transport,
        str(dict(tally.errors)),
    )
    check(
        "store writes recovered without restarting leadscore",
        recovered is not None and alive,
        f"first stored write {recovered - marks['up']:.2f} s after PostgreSQL was back"
        if recovered
        else "never",
    )
    check(
        "nothing acknowledged was lost",
        lost.leads == 0 and lost.outcomes == 0,
        f"{lost.leads} leads, {lost.outcomes} outcomes",
    )


def integrity(url: str) -> list[str]:
    """What is wrong with the stored leads: missing score history, a status that is not the last outcome."""
    from sqlalchemy import create_engine, text

    from serving.store import migrate

    problems: list[str] = []
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            no_scores = connection.execute(
                text(
                    "SELECT count(*) FROM leads l WHERE NOT EXISTS (SELECT 1 FROM lead_scores s WHERE s.lead_id = l.lead_id)"
                )
            ).scalar_one()
            wrong_status = connection.execute(
                text(
                    "SELECT count(*) FROM leads l WHERE l.status <> coalesce((SELECT o.outcome FROM lead_outcomes o "
                    "WHERE o.lead_id = l.lead_id ORDER BY o.at DESC, o.id DESC LIMIT 1), 'new')"
                )
            ).scalar_one()
        if no_scores:
            problems.append(f"{no_scores} leads without a score row")
        if wrong_status:
            problems.append(f"{wrong_status} leads whose status is not their last outcome")
        if migrate.current(engine) != migrate.head():
            problems.append(f"schema at {migrate.current(engine)}, not {migrate.head()}")
    finally:
        engine.dispose()
    return problems


def killed(bench: Bench, seconds: float, clients: int) -> None:
    print(f"\n== leadscore killed (SIGKILL) and restarted under write load ({seconds:.0f} s)", flush=True)
    with temporary_database() as url:
        server = Server(using(bench, LEADSCORE_DATABASE_URL=url).env, bench.work)
        server.start()
        marks: dict[str, float] = {}
        tally = Tally()

        def kill_and_restart() -> None:
            marks["killed"] = tally.now()
            server.kill()
            server.start()
            marks["up"] = tally.now()

        events = [(seconds / 4, "SIGKILL leadscore serve, start it again", kill_and_restart)]
        try:
            tally = asyncio.run(
                drive(
                    bench, server.base, seconds, clients, events, expect_outage=True, tally=tally, mix=WRITES
                )
            )
        finally:
            server.stop()
        lost = count_lost(url, tally)
        problems = integrity(url)
    report(tally, seconds, lost)
    after = [t for t in tally.store_ok if t > marks["up"]]
    unanswered = (
        lost.stored_leads - len(tally.acked_leads),
        lost.stored_outcomes - len(tally.acked_outcomes),
    )
    print(
        f"  down {marks['killed']:.1f}-{marks['up']:.1f} s (restart included); {sum(tally.transport.values())} "
        f"requests got no answer; committed but cut off before the answer: {unanswered[0]} leads, "
        f"{unanswered[1]} outcomes (stored, not acknowledged: retrying is safe, upsert and Idempotency-Key)"
    )
    check("writes went on after the restart", len(after) > 0, f"{len(after)} acknowledged after")
    check(
        "no error answers (refused connections while down aside)",
        tally.failed() == 0,
        str(dict(tally.errors)),
    )
    check(
        "every acknowledged write is stored",
        lost.leads == 0 and lost.outcomes == 0,
        f"{lost.leads} leads, {lost.outcomes} outcomes of {len(tally.acked_leads)} + {len(tally.acked_outcomes)}",
    )
    check("the store is consistent", not problems, "; ".join(problems) or "scores, statuses, schema")


def registry_down(bench: Bench) -> None:
    print("\n== MLflow registry unreachable at startup", flush=True)
    port = free_port()
    registry = f"http://{HOST}:{port}"
    command = [str(BIN / "mlflow"), "server", "--backend-store-uri", bench.tracking_uri, "--host", HOST]
    command += ["--port", str(port), "--workers", "1"]
    log = (bench.work / "mlflow-server.log").open("ab")

    def mlflow_up() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=bench.work, env=bench.env
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{registry}/health", timeout=2).status_code == 200:
                    return process
            time.sleep(0.3)
        raise RuntimeError(f"mlflow server not up in 90 s: see {log.name}")

    def mlflow_down(process: subprocess.Popen[bytes]) -> None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    env = using(
        bench, MLFLOW_TRACKING_URI=registry, LEADSCORE_REGISTRY_TIMEOUT="3", LEADSCORE_WATCH_SECONDS="1"
    )
    headers = {"authorization": f"Bearer {bench.keys['admin']}"}
    tracking = mlflow_up()
    server = Server(env.env, bench.work)
    try:
        server.start()
        info = httpx.get(f"{server.base}/v1/model", headers=headers).json()
        check(
            "with the registry up: served from the registry, not degraded",
            info["served_from"] == "registry" and info["degraded"] is None,
            f"version {info['version']}",
        )
        server.stop()
        mlflow_down(tracking)

        began = time.monotonic()
        server.start()
        ready = httpx.get(f"{server.base}/readyz").json()
        info = httpx.get(f"{server.base}/v1/model", headers=headers).json()
        scored = httpx.post(f"{server.base}/v1/score", json=bench.leads[0], headers=headers)
        check(
            f"registry down, model cached: ready in {time.monotonic() - began:.1f} s, degraded",
            ready["status"] == "degraded",
            ready.get("detail") or "",
        )
        check(
            "GET /v1/model says degraded, served from the cache",
            info["served_from"] == "cache" and bool(info["degraded"]),
            f"version {info['version']}",
        )
        check(
            "scoring works from the cached copy",
            scored.status_code == 200,
            f"model_version {scored.json().get('model_version')}",
        )

        tracking = mlflow_up()
        back = time.monotonic()
        status = ""
        while time.monotonic() - back < 60 and status != "ready":
            status = httpx.get(f"{server.base}/readyz").json()["status"]
            time.sleep(0.3)
        info = httpx.get(f"{server.base}/v1/model", headers=headers).json()
        check(
            "registry back: ready again without a restart",
            status == "ready" and info["degraded"] is None,
            f"{time.monotonic() - back:.1f} s after it answered",
        )
        server.stop()
        mlflow_down(tracking)

        empty = Server(using(env, LEADSCORE_MODEL_CACHE_DIR=str(bench.work / "empty-cache")).env, bench.work)
        try:
            empty.start(need_model=False)
            answer = httpx.get(f"{empty.base}/readyz")
            check(
                "registry down, no cache: not ready, with the reason",
                answer.status_code == 503 and "no cached copy" in answer.json()["detail"],
                answer.json()["detail"],
            )
        finally:
            empty.stop()
    finally:
        server.stop()
        if tracking.poll() is None:
            mlflow_down(tracking)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="load length for the database fault")
    parser.add_argument("--kill-seconds", type=float, default=30.0, help="load length for the kill fault")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--rows", type=int, default=3000, help="synthetic leads to train the small model on")
    parser.add_argument("--only", default="database,kill,registry", help="comma-separated faults to run")
    args = parser.parse_args()
    chosen = set(args.only.split(","))
    with tempfile.TemporaryDirectory(prefix="leadscore-faults-") as tmp:
        with temporary_database() as url:  # only for `prepare`; each fault makes its own
            bench = prepare(Path(tmp), args.rows, url)
        if "database" in chosen:
            database_outage(bench, args.seconds, args.clients)
        if "kill" in chosen:
            killed(bench, args.kill_seconds, args.clients)
        if "registry" in chosen:
            registry_down(bench)
    failed = [name for name, ok, _ in CHECKS if not ok]
    print(
        f"\n{len(CHECKS) - len(failed)} of {len(CHECKS)} checks passed"
        + (f"; FAILED: {failed}" if failed else "")
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    main()
