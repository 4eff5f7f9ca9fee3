"""Mixed load against a real `leadscore serve` on PostgreSQL: throughput, latency, errors and lost writes.

    .venv/bin/python bench/load.py [--seconds 60] [--clients 16] [--swap]

Trains a small model into a temporary MLflow (SQLite), makes a fresh database on the PostgreSQL at 127.0.0.1:5432
(user postgres, trust auth; `--database URL` uses another server; dropped afterwards), creates score and sales API
keys, starts `leadscore serve` on loopback and drives it from `--clients` concurrent asyncio + httpx clients with a
mix of scoring (POST /v1/score), ingest (POST /v1/leads), queue reads (GET /v1/queue) and outcome writes (POST
/v1/leads/{id}/outcome with an Idempotency-Key) for `--seconds`. Prints progress every few seconds, then requests
per second, p50/p99 per kind, errors (target 0) and lost writes: every acknowledged lead and outcome event is looked
up in the database directly afterwards (target 0 missing).

`--swap` also moves `@champion` while the load runs: at a quarter of the run to a new good version (registered
then), at half to a version with a corrupt artifact, at three quarters to one whose model does not fit its schema.
It reports failed requests (target 0), the versions named by responses over time, responses naming the old version
after the new one went live (target 0), and the reason `GET /v1/model` gives for each refused version while the good
one keeps serving. `bench/faults.py` reuses these pieces for the database, kill and registry faults.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import logging
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
SHARED_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MODEL = "load-bench"
MIX = {"score": 0.45, "ingest": 0.25, "queue": 0.10, "outcome": 0.20}
REASONS = ["bad fit", "no budget", "unreachable"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- setup: model, database, keys, server


@dataclass
class Bench:
    """The temporary world one run uses: MLflow, the model's leads, keys and the server's environment."""

    work: Path
    tracking_uri: str
    leads: list[dict[str, Any]]
    keys: dict[str, str]
    env: dict[str, str]


def train_model(work: Path, rows: int) -> tuple[str, list[dict[str, Any]]]:
    """A small model registered as MODEL@champion (two folds, no search); the leads it was trained on, as payloads."""
    import mlflow
    import pandas as pd

    from leadscore.synthetic import write_synthetic
    from training.config import TrainConfig
    from training.train import train

    tracking = f"sqlite:///{work / 'mlflow.db'}"
    os.environ["MLFLOW_TRACKING_URI"] = tracking
    mlflow.set_tracking_uri(tracking)
    files = write_synthetic(work / "data", rows=rows, seed=0)
    config = TrainConfig(
        data=files.leads,
        schema_path=files.schema,
        model_name=MODEL,
        folds=2,
        max_trials=1,
        progress=False,
    )
    cwd = os.getcwd()
    os.chdir(work)  # artifacts land beside the database
    try:
        train(config)
    finally:
        os.chdir(cwd)
    table = pd.read_csv(files.leads, dtype=str, keep_default_na=False)
    table = table.drop(columns=["converted", "lead_status", "created_at"])
    return tracking, [{str(k): v for k, v in row.items()} for row in table.to_dict("records")]


def make_keys(work: Path, env: dict[str, str]) -> dict[str, str]:
    keys_file = work / "keys.json"
    keys = {}
    for role in ("score", "sales", "admin"):
        done = subprocess.run(
            [str(BIN / "leadscore"), "keys", "create", "--role", role, "--keys-file", str(keys_file)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        keys[role] = done.stdout.strip()
    env["LEADSCORE_KEYS_FILE"] = str(keys_file)
    return keys


def prepare(work: Path, rows: int, database_url: str, watch_seconds: float = 1.0) -> Bench:
    print(f"training a small model on {rows} synthetic leads ...", flush=True)
    tracking, leads = train_model(work, rows)
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": tracking,
        "LEADSCORE_DATABASE_URL": database_url,
        "LEADSCORE_WATCH_SECONDS": str(watch_seconds),
        "LEADSCORE_MODEL_CACHE_DIR": str(work / "model-cache"),
        "LEADSCORE_MODEL_URI": f"models:/{MODEL}@champion",
    }
    keys = make_keys(work, env)
    return Bench(work, tracking, leads, keys, env)


@contextmanager
def temporary_database(admin_url: str = SHARED_POSTGRES) -> Iterator[str]:
    """A fresh database on the server at `admin_url`, dropped afterwards (even when the run fails)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"leadscore_load_{os.getpid()}_{secrets.token_hex(3)}"
    engine = create_engine(
        admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True, connect_args={"connect_timeout": 5}
    )
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


class Server:
    """One `leadscore serve` process on loopback; can be killed and started again on the same port."""

    def __init__(self, env: dict[str, str], work: Path, port: int | None = None) -> None:
        self.env, self.work = env, work
        self.port = port or free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, ready_timeout: float = 120.0, need_model: bool = True) -> None:
        self.starts += 1
        log = (self.work / f"server-{self.starts}.log").open("wb")
        command = [str(BIN / "leadscore"), "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"leadscore serve exited: see {log.name}")
            try:
                answer = httpx.get(f"{self.base}/readyz", timeout=2)
                if answer.status_code == 200 or (not need_model and answer.status_code == 503):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"leadscore serve not ready in {ready_timeout:.0f} s: see {log.name}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flushing; whatever was not committed is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.work.glob("server-*.log")))


# ---------------------------------------------------------------- the load


@dataclass
class Tally:
    """Everything the clients saw; acknowledged writes are what the store must hold afterwards."""

    began: float = field(default_factory=time.monotonic)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(
        default_factory=Counter
    )  # "kind status" -> count; 503s for faults separately
    unavailable: Counter[str] = field(default_factory=Counter)  # 503 with Retry-After, per kind
    no_retry_after: int = 0
    transport: Counter[str] = field(default_factory=Counter)  # connection refused/reset, per kind
    versions: list[tuple[float, float, str]] = field(default_factory=list)  # (sent, answered, model_version)
    store_ok: list[float] = field(
        default_factory=list
    )  # when store requests (ingest/queue/outcome) succeeded
    acked_leads: set[str] = field(default_factory=set)
    acked_outcomes: dict[int, tuple[str, str]] = field(default_factory=dict)  # event id -> (lead, outcome)
    error_samples: list[str] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.began

    def total(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def failed(self) -> int:
        return sum(self.errors.values())

    def sample(self, text: str) -> None:
        if len(self.error_samples) < 5:
            self.error_samples.append(text[:300])


class Client:
    """One concurrent user: a random mix of the four kinds of request; outcomes only on leads it stored."""

    def __init__(
        self,
        number: int,
        http: httpx.AsyncClient,
        bench: Bench,
        tally: Tally,
        expect_outage: bool,
        mix: dict[str, float],
    ) -> None:
        self.number, self.http, self.bench, self.tally, self.mix = number, http, bench, tally, mix
        self.rng = random.Random(number)
        self.expect_outage = expect_outage
        self.new: list[str] = []
        self.accepted: list[str] = []
        self.made = 0
        self.status: int | None = None  # of the last request; None when no answer came back

    def _lead(self) -> dict[str, Any]:
        lead = dict(self.rng.choice(self.bench.leads))
        self.made += 1
        lead["lead_id"] = f"load-{self.number}-{self.made}"
        return lead

    async def run(self, deadline: float) -> None:
        kinds, weights = list(self.mix), list(self.mix.values())
        while time.monotonic() < deadline:
            kind = self.rng.choices(kinds, weights)[0]
            if kind == "outcome" and not (self.new or self.accepted):
                kind = "ingest"
            await getattr(self, kind)()

    async def _send(
        self, kind: str, method: str, path: str, role: str, **kwargs: Any
    ) -> httpx.Response | None:
        headers = {"authorization": f"Bearer {self.bench.keys[role]}", **kwargs.pop("headers", {})}
        sent = time.monotonic()
        self.status = None
        try:
            response = await self.http.request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as error:
            self.tally.transport[kind] += 1
            if not self.expect_outage:
                self.tally.errors[f"{kind} {type(error).__name__}"] += 1
                self.tally.sample(f"{kind}: {type(error).__name__}: {error}")
            await asyncio.sleep(0.2)
            return None
        answered = time.monotonic()
        self.status = response.status_code
        self.tally.latencies[kind].append(answered - sent)
        if response.status_code == 503 and kind != "score":
            if "retry-after" not in response.headers:
                self.tally.no_retry_after += 1
            self.tally.unavailable[kind] += 1
            if not self.expect_outage:
                self.tally.errors[f"{kind} 503"] += 1
            await asyncio.sleep(0.5)
            return None
        if response.status_code != 200:
            self.tally.errors[f"{kind} {response.status_code}"] += 1
            self.tally.sample(f"{kind} {response.status_code}: {response.text}")
            return None
        if kind != "score":
            self.tally.store_ok.append(answered - self.tally.began)
        return response

    def _version(self, sent: float, response: httpx.Response) -> None:
        version = response.json().get("model_version")
        self.tally.versions.append((sent - self.tally.began, self.tally.now(), str(version)))

    async def score(self) -> None:
        sent = time.monotonic()
        response = await self._send("score", "POST", "/v1/score", "score", json=self._lead())
        if response is not None:
            self._version(sent, response)

    async def ingest(self) -> None:
        lead = self._lead()
        sent = time.monotonic()
        response = await self._send("ingest", "POST", "/v1/leads", "score", json=lead)
        if response is not None:
            self._version(sent, response)
            self.tally.acked_leads.add(lead["lead_id"])
            self.new.append(lead["lead_id"])

    async def queue(self) -> None:
        await self._send("queue", "GET", "/v1/queue", "sales", params={"limit": 20})

    async def outcome(self) -> None:
        if self.accepted and (not self.new or self.rng.random() < 0.5):
            lead_id, pool = self.accepted.pop(self.rng.randrange(len(self.accepted))), self.accepted
            body: dict[str, Any] = {"outcome": self.rng.choice(["won", "lost"])}
        else:
            lead_id, pool = self.new.pop(self.rng.randrange(len(self.new))), self.new
            body = {"outcome": "accepted"} if self.rng.random() < 0.7 else {"outcome": "rejected"}
            if body["outcome"] == "rejected":
                body["reason"] = self.rng.choice(REASONS)
        key = uuid.uuid4().hex
        response = await self._send(
            "outcome",
            "POST",
            f"/v1/leads/{lead_id}/outcome",
            "sales",
            json=body,
            headers={"Idempotency-Key": key},
        )
        if response is None:
            if self.status == 503:
                pool.append(
                    lead_id
                )  # a 503 wrote nothing: the lead keeps its status (a lost answer drops it)
            return
        event = response.json()
        self.tally.acked_outcomes[int(event["event_id"])] = (lead_id, body["outcome"])
        if body["outcome"] == "accepted":
            self.accepted.append(lead_id)


async def progress(tally: Tally, every: float, stop: asyncio.Event) -> None:
    last_total, last_time = 0, tally.now()
    while not stop.is_set():
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        now, total = tally.now(), tally.total()
        recent = Counter(v for sent, _, v in tally.versions if sent >= last_time)
        versions = " ".join(f"v{v}:{n}" for v, n in sorted(recent.items()))
        print(
            f"  t={now:5.1f}s  {total:7d} requests  {(total - last_total) / max(now - last_time, 1e-9):7.1f}/s"
            f"  errors {tally.failed()}  503 {sum(tally.unavailable.values())}"
            f"  conn {sum(tally.transport.values())}  versions {versions or '-'}",
            flush=True,
        )
        last_total, last_time = total, now


Event = tuple[float, str, Callable[[], None]]  # (second of the run, label, blocking action run in a thread)


async def drive(
    bench: Bench,
    base: str,
    seconds: float,
    clients: int,
    events: list[Event] | None = None,
    expect_outage: bool = False,
    every: float = 5.0,
    tally: Tally | None = None,
    mix: dict[str, float] = MIX,
) -> Tally:
    """Run the clients for `seconds`; `events` happen at their second of the run, in a thread, while they run."""
    tally = tally or Tally()
    tally.began = time.monotonic()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        deadline = time.monotonic() + seconds
        stop = asyncio.Event()
        reporter = asyncio.create_task(progress(tally, every, stop))

        async def happen() -> None:
            for at, label, action in sorted(events or [], key=lambda e: e[0]):
                await asyncio.sleep(max(0.0, at - tally.now()))
                print(f"  t={tally.now():5.1f}s  -> {label}", flush=True)
                await asyncio.to_thread(action)

        happenings = asyncio.create_task(happen())
        workers = [Client(k, http, bench, tally, expect_outage, mix).run(deadline) for k in range(clients)]
        await asyncio.gather(*workers)
        await happenings
        stop.set()
        await reporter
    return tally


# ---------------------------------------------------------------- afterwards: counting, reporting


@dataclass
class Lost:
    leads: int
    outcomes: int
    stored_leads: int
    stored_outcomes: int


def count_lost(database_url: str, tally: Tally) -> Lost:
    """Look every acknowledged write up in the database itself (not through the service)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            leads = {r[0] for r in connection.execute(text("SELECT lead_id FROM leads"))}
            events = {
                int(r[0]): (r[1], r[2])
                for r in connection.execute(text("SELECT id, lead_id, outcome FROM lead_outcomes"))
            }
    finally:
        engine.dispose()
    lost_leads = len(tally.acked_leads - leads)
    lost_outcomes = sum(1 for k, v in tally.acked_outcomes.items() if events.get(k) != v)
    return Lost(lost_leads, lost_outcomes, len(leads), len(events))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def report(tally: Tally, seconds: float, lost: Lost) -> None:
    total = tally.total()
    print(f"\n{'kind':8} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for kind in MIX:
        times = tally.latencies.get(kind, [])
        errors = sum(n for k, n in tally.errors.items() if k.split()[0] == kind)
        print(
            f"{kind:8} {len(times):>9} {len(times) / seconds:>8.1f} {percentile(times, 0.5):>8.1f}"
            f" {percentile(times, 0.99):>8.1f} {errors:>7}"
        )
    every = [t for v in tally.latencies.values() for t in v]
    print(
        f"{'all':8} {total:>9} {total / seconds:>8.1f} {percentile(every, 0.5):>8.1f}"
        f" {percentile(every, 0.99):>8.1f} {tally.failed():>7}"
    )
    print(f"errors: {tally.failed()} (target 0) {dict(tally.errors) if tally.errors else ''}")
    for text in tally.error_samples:
        print(f"  e.g. {text}")
    print(
        f"lost writes: {lost.leads} of {len(tally.acked_leads)} acknowledged leads, {lost.outcomes} of "
        f"{len(tally.acked_outcomes)} acknowledged outcomes (target 0); the store holds {lost.stored_leads} "
        f"leads and {lost.stored_outcomes} outcome events"
    )


# ---------------------------------------------------------------- model versions for the swap


@dataclass
class Candidates:
    """Model folders made before the load, registered as versions while it runs."""

    good: Path
    corrupt: Path
    misfit: Path


def make_candidates(bench: Bench) -> Candidates:
    """A good new version (same model, calibration shifted: every probability changes), one with a corrupt
    artifact, and one whose booster does not fit the schema it declares (it cannot score its own example)."""
    import lightgbm as lgb
    import mlflow
    import numpy as np

    from features.model import Calibration
    from features.model_files import ARTIFACT
    from training.register import save_model

    pyfunc = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    model, example = pyfunc.unwrap_python_model(), pyfunc.input_example

    def save(changed: Any, folder: Path) -> Path:
        return save_model(changed, example, folder)

    good = copy.deepcopy(model)
    good.calibration = Calibration(model.calibration.slope, model.calibration.intercept + 0.5)
    misfit = copy.deepcopy(model)
    rng = np.random.default_rng(0)
    data = lgb.Dataset(rng.random((200, 2)), label=rng.integers(0, 2, 200))
    misfit.booster = lgb.train({"objective": "binary", "verbosity": -1}, data, num_boost_round=2)
    candidates = bench.work / "candidates"
    corrupt = save(model, candidates / "corrupt")
    (corrupt / "artifacts" / ARTIFACT / "model.json").write_text('{"format": "truncated on purpose')
    return Candidates(save(good, candidates / "good"), corrupt, save(misfit, candidates / "misfit"))


def register_and_promote(folder: Path) -> str:
    """Register a model folder as the next version and point @champion at it (what `leadscore promote` does)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    version = str(client.create_model_version(MODEL, source=str(folder)).version)
    client.set_registered_model_alias(MODEL, "champion", version)
    return version


@dataclass
class SwapLog:
    old: str
    moved: dict[str, float] = field(default_factory=dict)  # version -> second the alias moved to it
    refused: dict[str, str] = field(default_factory=dict)  # version -> last_error from GET /v1/model
    served_after_refusal: dict[str, str] = field(default_factory=dict)


def swap_events(bench: Bench, base: str, seconds: float, log: SwapLog, tally: Tally) -> list[Event]:
    candidates = make_candidates(bench)
    headers = {"authorization": f"Bearer {bench.keys['admin']}"}

    def move(folder: Path) -> str:
        version = register_and_promote(folder)
        log.moved[version] = tally.now()
        return version

    def good() -> None:
        move(candidates.good)

    def broken(folder: Path) -> Callable[[], None]:
        def act() -> None:
            version = move(folder)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                info = httpx.get(f"{base}/v1/model", headers=headers, timeout=10).json()
                if info.get("last_error") and f"/{version}" in info["last_error"]:
                    log.refused[version] = info["last_error"]
                    log.served_after_refusal[version] = info["version"]
                    return
                time.sleep(0.2)
            log.refused[version] = "NOT REFUSED within 30 s"

        return act

    return [
        (seconds * 0.25, "register a new version and move @champion to it", good),
        (
            seconds * 0.50,
            "register a version with a corrupt artifact, move @champion",
            broken(candidates.corrupt),
        ),
        (
            seconds * 0.75,
            "register a version that does not fit its schema, move @champion",
            broken(candidates.misfit),
        ),
    ]


def report_swap(tally: Tally, log: SwapLog, bucket: float = 2.0) -> int:
    """Versions over time; responses naming the old version after the new one went live. Returns that count."""
    print("\nmodel versions named by responses (score and ingest), per", f"{bucket:g} s:")
    buckets: dict[int, Counter[str]] = defaultdict(Counter)
    for sent, _, version in tally.versions:
        buckets[int(sent // bucket)][version] += 1
    for k in sorted(buckets):
        marks = [f"alias -> v{v}" for v, at in log.moved.items() if k * bucket <= at < (k + 1) * bucket]
        counts = "  ".join(f"v{v}: {n}" for v, n in sorted(buckets[k].items()))
        print(f"  {k * bucket:5.0f}-{(k + 1) * bucket:<4.0f}s  {counts}  {'  '.join(marks)}")
    new = next(iter(log.moved), None)
    stale = 0
    if new is not None:
        live = min((answered for _, answered, v in tally.versions if v == new), default=None)
        if live is None:
            print(f"the new version v{new} never answered")
            return -1
        stale = sum(1 for sent, _, v in tally.versions if sent > live and v != new)
        print(
            f"new version v{new}: alias moved at {log.moved[new]:.1f}s, first answer at {live:.1f}s "
            f"({live - log.moved[new]:.1f} s later; the watcher checks every second); requests sent after that "
            f"naming another version: {stale} (target 0)"
        )
    for version, why in log.refused.items():
        print(f"refused v{version} (still serving v{log.served_after_refusal.get(version)}): {why}")
    return stale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load runs")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--rows", type=int, default=3000, help="synthetic leads to train the small model on")
    parser.add_argument(
        "--swap", action="store_true", help="move @champion (good, corrupt, misfit) under load"
    )
    parser.add_argument("--database", help="admin URL of the PostgreSQL server (default: 127.0.0.1:5432)")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="leadscore-load-") as tmp,
        temporary_database(args.database or SHARED_POSTGRES) as database_url,
    ):
        work = Path(tmp)
        bench = prepare(work, args.rows, database_url)
        server = Server(bench.env, work)
        server.start()
        print(
            f"leadscore serve on {server.base}, lead store on PostgreSQL (fresh database), {args.clients} clients"
        )
        try:
            tally, log = Tally(), SwapLog(old="1")
            events = swap_events(bench, server.base, args.seconds, log, tally) if args.swap else []
            print(f"load for {args.seconds:.0f} s: mix {MIX}", flush=True)
            tally = asyncio.run(drive(bench, server.base, args.seconds, args.clients, events, tally=tally))
        finally:
            server.stop()
        lost = count_lost(database_url, tally)
        report(tally, args.seconds, lost)
        stale = report_swap(tally, log) if args.swap else 0
        problems = tally.failed() + lost.leads + lost.outcomes + abs(stale)
        problems += sum(1 for why in log.refused.values() if why.startswith("NOT REFUSED"))
        logged = server.log_text()
        unlogged = [v for v in log.refused if f"models:/{MODEL}/{v}" not in logged]
        if args.swap:
            print(
                f"refusals named in the server log: {len(log.refused) - len(unlogged)} of {len(log.refused)}"
            )
        problems += len(unlogged)
        print("result:", "PASS" if problems == 0 else f"FAIL ({problems} problems)")
        if logged.count("Traceback"):
            print(f"note: the server log has {logged.count('Traceback')} tracebacks")
        if problems:
            shutil.copytree(work, Path(tempfile.gettempdir()) / f"leadscore-load-failed-{os.getpid()}")
            sys.exit(1)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    main()
