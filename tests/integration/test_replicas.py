"""Two `leadscore serve` replicas on one PostgreSQL store and one `mlflow server` (PostgreSQL backend, artifacts
served by it) behave as one service: a key made with `leadscore keys` works on both at once and, revoked, is refused
by both within the refresh interval; one Idempotency-Key sent to both at once records one outcome; a new @champion
is served by both without a restart; the queue and the source report read the same through either."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import mlflow
import pytest
from hand_made_models import lead_model, leads
from lead_store_fixtures import PostgresDatabases
from mlflow.tracking import MlflowClient
from postgres_server import free_port
from typer.testing import CliRunner

from leadscore.cli import app as cli
from serving.store import LeadStore, outcome_events

pytestmark = pytest.mark.slow

NAME = "replicated-leads"
BIN = Path(sys.executable).parent
WATCH = "0.5"  # seconds between alias checks
REFRESH = "0.5"  # seconds between key reads
LEADS = [
    {"lead_id": f"R{i}", "visits": i % 7, "seconds": 40.0 * i, "demo": "yes" if i % 3 else "no", "city": city}
    | {"source": source, "owner": "ana"}
    for i, (city, source) in enumerate(
        [
            ("Oslo", "ads"),
            ("Lyon", "web"),
            ("Köln", "ads"),
            ("Zürich", "web"),
            ("Oslo", "ads"),
            ("Lyon", "ads"),
        ]
        * 2
    )
]


@dataclass
class Replica:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, key: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", params=params, headers={"X-API-Key": key}, timeout=30)

    def post(self, path: str, key: str, body: Any, **headers: str) -> httpx.Response:
        return httpx.post(f"{self.base}{path}", json=body, headers={"X-API-Key": key, **headers}, timeout=30)


def until(what: str, done: Callable[[], bool], logs: list[Path], within: float = 60) -> None:
    """Wait for `done`; a failure shows the servers' logs. A deadline against a hang, not a speed claim."""
    deadline = time.monotonic() + within
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(
                f"{what}: not within {within:.0f} s\n" + "\n".join(p.read_text()[-3000:] for p in logs)
            )
        time.sleep(0.1)


def started(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent)


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Ask every process to stop, then wait for each (killed if it does not)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class Service:
    replicas: list[Replica]
    registry: MlflowClient
    model_uri: str  # the logged model the registered versions point at
    first: str  # the version @champion named at the start
    store_url: str


def mlflow_server(url: str, port: int, home: Path) -> subprocess.Popen[bytes]:
    """`mlflow server` on its own PostgreSQL database, storing and serving the artifacts (no shared folder needed)."""
    command = [
        str(BIN / "mlflow"),
        "server",
        "--backend-store-uri",
        url,
        "--artifacts-destination",
        str(home / "art"),
    ]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    env = {
        **os.environ,
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }  # no job runner process: not needed here
    return started(command, env, home / "mlflow.log")


def replica(tracking: str, store_url: str, home: Path) -> Replica:
    """`leadscore serve` with keys in the store, a small watch interval and its own model cache."""
    port = free_port()
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": tracking,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",  # started before the tracking server: fail fast, watch again
        "LEADSCORE_REGISTRY_TIMEOUT": "2",
        "LEADSCORE_DATABASE_URL": store_url,
        "LEADSCORE_KEYS": "store",
        "LEADSCORE_KEYS_FILE": "",
        "LEADSCORE_KEYS_REFRESH_SECONDS": REFRESH,
        "LEADSCORE_WATCH_SECONDS": WATCH,
        "LEADSCORE_SOURCE_FIELD": "source",
        "LEADSCORE_MODEL_CACHE_DIR": str(home / "cache"),
    }
    command = [str(BIN / "leadscore"), "serve", "--model", f"models:/{NAME}@champion", "--port", str(port)]
    return Replica(
        f"http://127.0.0.1:{port}", started(command, env, home / "server.log"), home / "server.log"
    )


def register_first(registry: MlflowClient) -> tuple[str, str]:
    """A hand-made model logged through the tracking server (its files uploaded to it), registered, @champion."""
    from training.register import input_example, log_model

    model = lead_model("logistic")
    # its own experiment: the fluent API may still hold an experiment id of another test's tracking store
    with mlflow.start_run(experiment_id=registry.create_experiment("replicas")):
        info = log_model(model, input_example(model, leads(50, seed=3)))
    version = str(mlflow.register_model(info.model_uri, NAME).version)
    registry.set_registered_model_alias(NAME, "champion", version)
    return info.model_uri, version


@pytest.fixture(scope="module")
def service(
    postgres_databases: PostgresDatabases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """Everything started at once (the replicas migrate the fresh store together and wait for the registry), then
    the first model registered; ready once both replicas serve it."""
    store_url, tracking_db = postgres_databases.create(), postgres_databases.create()
    port = free_port()
    tracking = f"http://127.0.0.1:{port}"
    home = tmp_path_factory.mktemp("replicas")
    processes: list[subprocess.Popen[bytes]] = []
    before = mlflow.get_tracking_uri()
    try:
        processes.append(mlflow_server(tracking_db, port, home))
        replicas = [replica(tracking, store_url, tmp_path_factory.mktemp(f"replica-{n}")) for n in (1, 2)]
        processes += [r.process for r in replicas]
        logs = [home / "mlflow.log", *(r.log for r in replicas)]
        until(
            "mlflow server answers",
            lambda: processes[0].poll() is None and answers(f"{tracking}/health"),
            logs,
        )
        mlflow.set_tracking_uri(tracking)  # this process too, until the module ends
        registry = MlflowClient(tracking)
        model_uri, first = register_first(registry)
        for r in replicas:
            until(
                f"{r.base} ready", lambda r=r: r.process.poll() is None and answers(f"{r.base}/readyz"), logs
            )  # type: ignore[misc]
        yield Service(replicas, registry, model_uri, first, store_url)
    finally:
        mlflow.set_tracking_uri(before)
        stop(processes)


def keys_command(store_url: str, *args: str) -> str:
    """`leadscore keys ...` against the store, as an operator runs it; its stdout."""
    env = {"LEADSCORE_KEYS": "store", "LEADSCORE_DATABASE_URL": store_url, "LEADSCORE_KEYS_FILE": None}
    result = CliRunner().invoke(cli, ["keys", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_two_replicas_behave_as_one_service(service: Service) -> None:
    replicas, registry, store_url = service.replicas, service.registry, service.store_url
    one, two = replicas
    logs = [r.log for r in replicas]

    # a key made with the command line works on both at once (neither had read it)
    admin = keys_command(store_url, "create", "--role", "admin", "--label", "replica test")
    assert [r.get("/v1/model", admin).status_code for r in replicas] == [200, 200]
    assert {r.get("/v1/model", admin).json()["version"] for r in replicas} == {service.first}

    # leads sent to one replica, outcomes raced to both with the same Idempotency-Key
    sent = one.post("/v1/leads", admin, {"leads": LEADS})
    assert sent.status_code == 200, sent.text
    with ThreadPoolExecutor(max_workers=8) as pool:
        raced = list(
            pool.map(
                lambda job: job[0].post(
                    f"/v1/leads/{job[1]}/outcome",
                    admin,
                    {"outcome": "accepted"},
                    **{"Idempotency-Key": f"k-{job[1]}"},
                ),
                [(replica, lead["lead_id"]) for lead in LEADS[:4] for replica in (one, two)],
            )
        )
    assert [r.status_code for r in raced] == [200] * 8, [r.text for r in raced]
    store = LeadStore(store_url)
    try:
        for lead, pair in zip(LEADS[:4], zip(raced[::2], raced[1::2], strict=True), strict=True):
            events = outcome_events(store, lead["lead_id"])
            assert len(events) == 1 and {r.json()["event_id"] for r in pair} == {events[0].event_id}
            assert sorted(r.headers.get("Idempotent-Replayed", "") for r in pair) == ["", "true"]
    finally:
        store.close()

    # the queue and the source report read the same through either replica
    queues = [r.get("/v1/queue", admin, limit=100).json()["items"] for r in replicas]
    assert [i["lead_id"] for i in queues[0]] == [i["lead_id"] for i in queues[1]] and len(queues[0]) == len(
        LEADS
    )
    assert [i["status"] for i in queues[0]] == [i["status"] for i in queues[1]]
    assert sum(i["status"] == "accepted" for i in queues[0]) == 4
    reports = [r.get("/v1/reports/sources", admin, by="source").json() for r in replicas]
    assert reports[0] == reports[1] and {row["key"] for row in reports[0]["rows"]} == {"ads", "web"}

    # a new @champion: both serve it without a restart
    second = str(mlflow.register_model(service.model_uri, NAME).version)  # the same files as a new version
    registry.set_registered_model_alias(NAME, "champion", second)
    until(
        f"both replicas serve version {second}",
        lambda: all(
            r.post("/v1/score", admin, LEADS[0]).json().get("model_version") == second for r in replicas
        ),
        logs,
    )
    assert [r.process.poll() for r in replicas] == [None, None]  # no restart

    # revoked with the command line: refused by both within the refresh interval
    key_id = admin.split("_")[1]
    keys_command(store_url, "revoke", key_id)
    until(
        "both replicas refuse the revoked key",
        lambda: [r.get("/v1/model", admin).status_code for r in replicas] == [401, 401],
        logs,
    )
