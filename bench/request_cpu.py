"""CPU per scoring request, in-process: the app driven by direct ASGI calls (no sockets, no load generator).

    .venv/bin/python bench/request_cpu.py [--work DIR] [--requests 3000] [--rounds 5] [--profile ROUTE]

Trains and registers a model in a temporary MLflow as bench/serve.py does (or uses the one --work holds, keeping
it there for the next run), builds the app with `serving.app.create_app`, runs its lifespan, then sends the same
one-lead bodies as bench/serve.py straight to the ASGI app: `/v1/score` with and without reasons, `/invocations`
and a no-op FastAPI endpoint built in this process (it reads the body and answers a small JSON: the framework's
floor). Prints CPU microseconds per request (process time, best of --rounds) and the ratio to the no-op; then the
no-op built up layer by layer to the score route's shape (middlewares, dependencies, response model) answering a
fixed scored lead; then each step of one scored lead timed on its own (request parsing, `LeadModel.score` step by
step, the answer's dicts, FastAPI's response model, metrics); then a 1,000-lead batch, and LightGBM's contributions
from the TreeSHAP table against its own `predict(pred_contrib=True)` on the same rows. `--profile ROUTE` prints
cProfile's top functions for that route instead.
Run on an otherwise idle core for stable numbers: a neighbour only adds time, so the best round is the one kept.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import lead_bodies, train_model  # bench/ is not a package

from serving.auth import ScoreCaller  # module level: the layered endpoints' annotations resolve here
from serving.deps import ScoringDep
from serving.limits import BodyLimitMiddleware
from serving.metrics import MetricsMiddleware
from serving.responses import LeadScore

Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
ROUTES = {
    "score": ("/v1/score", ""),
    "score-no-reasons": ("/v1/score", "reasons=false"),
    "invocations": ("/invocations", ""),
    "noop": ("/noop", ""),
}


def noop_app() -> FastAPI:
    """bench/serve.py's no-op endpoint."""
    app = FastAPI()

    @app.post("/noop")
    async def noop(request: Request) -> dict[str, bool]:
        await request.body()
        return {"ok": True}

    return app


def layered_apps(app: FastAPI, answer: dict[str, Any]) -> dict[str, FastAPI]:
    """The no-op endpoint built up layer by layer to the shape of `/v1/score`, each answering `answer` without
    scoring: what the framework and leadscore's middlewares, dependencies and response model cost on their own."""

    def build(middlewares: bool, dependencies: bool, response_model: bool) -> FastAPI:
        layered = FastAPI()
        layered.state._state.update(app.state._state)  # the served model, settings, metrics, authorizer

        async def with_dependencies(
            request: Request, caller: ScoreCaller, scoring: ScoringDep, reasons: bool = True
        ) -> Any:
            await request.body()
            return answer if response_model else {"ok": True}

        async def plain(request: Request) -> Any:
            await request.body()
            return answer if response_model else {"ok": True}

        endpoint = with_dependencies if dependencies else plain
        layered.post("/x", response_model=LeadScore if response_model else None)(endpoint)
        if middlewares:
            layered.add_middleware(BodyLimitMiddleware, limit=app.state.settings.max_body_bytes)
            layered.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
        return layered

    return {
        "no-op": build(False, False, False),
        "+ middlewares (body limit, metrics)": build(True, False, False),
        "+ dependencies (key, model, reasons)": build(True, True, False),
        "+ response model LeadScore": build(True, True, True),
    }


def scope(path: str, query: str, body: bytes) -> dict[str, Any]:
    """What uvicorn hands the app for a POST with a JSON body."""
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": "POST",
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": headers,
        "state": {},
    }


async def call(app: Asgi, path: str, query: str, body: bytes) -> tuple[int, bytes]:
    sent = False
    status, parts = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(scope(path, query, body), receive, send)
    return status, b"".join(parts)


async def cpu_per_request(app: Asgi, path: str, query: str, bodies: list[bytes], n: int) -> float:
    """Microseconds of process CPU per request over `n` requests."""
    status, answer = await call(app, path, query, bodies[0])
    if status != 200:
        raise RuntimeError(f"{path}?{query} answered {status}: {answer[:300]!r}")
    start = time.process_time()
    for i in range(n):
        await call(app, path, query, bodies[i % len(bodies)])
    return 1e6 * (time.process_time() - start) / n


def best_us(fn: Callable[[], Any], n: int, rounds: int) -> float:
    """Microseconds per call of `fn`, best of `rounds` runs of `n` calls."""
    kept = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(n):
            fn()
        kept = min(kept, time.process_time() - start)
    return 1e6 * kept / n


def batch_parts(app: FastAPI, body: bytes, rounds: int) -> list[tuple[str, float]]:
    """A 1,000-lead batch with reasons: scoring, and the LightGBM contributions from the TreeSHAP table against
    LightGBM's own `predict(pred_contrib=True)` on the same rows (ms per batch, one thread)."""
    from features.families import LightGBMScorer
    from serving.requests import parse_batch
    from serving.scoring import score_leads

    loaded = app.state.store.current
    model = loaded.model
    leads = parse_batch(loaded.requests, body)
    matrix = model.matrix(leads)
    lightgbm = [p for p in getattr(model.scorer, "parts", [model.scorer]) if isinstance(p, LightGBMScorer)]
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("score_leads, reasons", lambda: score_leads(loaded, leads, top=3, with_reasons=True, threads=1)),
        ("score_leads, no reasons", lambda: score_leads(loaded, leads, top=3, with_reasons=False, threads=1)),
    ]
    table = lightgbm[0].prepare() if lightgbm else None
    if table is not None:
        booster = lightgbm[0].booster
        steps.append(("TreeSHAP table contributions", lambda: table.score_batch(matrix, True)))
        steps.append(
            ("LightGBM pred_contrib", lambda: booster.predict(matrix, pred_contrib=True, num_threads=1))
        )
    return [(label, best_us(fn, 3, rounds) / 1000) for label, fn in steps]


def parts(app: FastAPI, bodies: list[bytes], n: int, rounds: int) -> list[tuple[str, float]]:
    """The steps of one scored lead, each timed on its own (the same work the route does)."""
    from features.groups import group_scores
    from features.model import Columns
    from features.reasons import rank_reasons
    from serving.requests import parse_body
    from serving.scoring import score_leads

    loaded = app.state.store.current
    model, models = loaded.model, loaded.requests
    body = bodies[0]
    leads = [models.as_dict(parse_body(models, models.lead, body))]
    columns = Columns.of(leads, model._input_names)
    cleaned = model.cleaner.clean_columns(columns.values, columns.rows)
    matrix = model.encoder.encode_columns(cleaned)
    raw, contributions, baseline = model.scorer.raw_and_explain(matrix, 1)
    impacts = contributions * model.calibration.slope
    unseen = model.encoder.unseen_rows(matrix)
    values = [column.tolist() for column in cleaned]
    scored = score_leads(loaded, leads, top=3, with_reasons=True, threads=1)
    answer = response_model(LeadScore)

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("request: JSON parse + pydantic Lead", lambda: parse_body(models, models.lead, body)),
        ("request: as_dict", lambda: models.as_dict(parse_body(models, models.lead, body))),
        ("score: Columns.of", lambda: Columns.of(leads, model._input_names)),
        ("score: clean_columns", lambda: model.cleaner.clean_columns(columns.values, columns.rows)),
        ("score: encode_columns", lambda: model.encoder.encode_columns(cleaned)),
        ("score: scorer.raw", lambda: model.scorer.raw(matrix, 1)),
        ("score: scorer.raw_and_explain", lambda: model.scorer.raw_and_explain(matrix, 1)),
        (
            "score: calibration+scale+grade",
            lambda: model.scale.grade(model.scale.score(model.calibration(raw))),
        ),
        ("score: unseen_rows", lambda: model.encoder.unseen_rows(matrix)),
        (
            "score: rank_reasons",
            lambda: rank_reasons(model.schema.features, impacts, values, unseen, 3, model.reason_label),
        ),
        ("score: group_scores", lambda: group_scores(model, impacts, baseline * model.calibration.slope)),
        ("LeadModel.score (reasons)", lambda: model.score(leads, reasons=True, top=3, threads=1)),
        ("LeadModel.score (no reasons)", lambda: model.score(leads, top=3, threads=1)),
        ("score_leads (reasons)", lambda: score_leads(loaded, leads, top=3, with_reasons=True, threads=1)),
        ("response: LeadScore validate + dump_json", lambda: answer(scored[0])),
        ("metrics: observe_scores", lambda: app.state.metrics.observe_scores(scored)),
    ]
    return [(label, best_us(fn, n, rounds)) for label, fn in steps]


def response_model(model: Any) -> Callable[[Any], bytes]:
    """FastAPI's response path for a response model: validate, then serialise straight to JSON bytes."""
    from fastapi.routing import serialize_response
    from fastapi.utils import create_model_field

    field = create_model_field(name="Response", type_=model, mode="serialization")

    def run(content: Any) -> bytes:
        coroutine = serialize_response(field=field, response_content=content, dump_json=True)
        try:
            coroutine.send(None)
        except StopIteration as done:
            return done.value
        raise RuntimeError("serialize_response awaited")

    return run


async def measure(work: Path, store: Path, n: int, rounds: int, profile: str | None) -> None:
    from serving.app import create_app
    from serving.requests import parse_body
    from serving.scoring import score_leads
    from serving.settings import Settings

    settings = Settings(
        model_uri="models:/lead-scoring@champion",
        tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
        database_url=f"sqlite:///{store / 'store.db'}",  # a fresh store: branches may migrate it differently
        watch_seconds=0,
    )
    app = create_app(settings)
    noop = noop_app()
    ones, mlflow_ones, batches, _ = lead_bodies(work, 1000)
    bodies = {"score": ones, "score-no-reasons": ones, "invocations": mlflow_ones, "noop": ones}
    apps: dict[str, Asgi] = {"noop": noop}
    async with app.router.lifespan_context(app):
        import gc

        gc.collect()
        gc.freeze()  # as `leadscore serve` does before it serves
        encoded = {k: [b.encode() for b in v] for k, v in bodies.items()}
        if profile:
            path, query = ROUTES[profile]
            target = apps.get(profile, app)
            await cpu_per_request(target, path, query, encoded[profile], n // 10)
            profiler = cProfile.Profile()
            profiler.enable()
            await cpu_per_request(target, path, query, encoded[profile], n)
            profiler.disable()
            stats = pstats.Stats(profiler).sort_stats("tottime")
            stats.print_stats(40)
            stats.sort_stats("cumulative").print_stats(60)
            return
        best: dict[str, float] = {}
        for _ in range(rounds):
            for name, (path, query) in ROUTES.items():
                us = await cpu_per_request(apps.get(name, app), path, query, encoded[name], n)
                best[name] = min(best.get(name, float("inf")), us)
        print(f"CPU per request, in-process ASGI calls, best of {rounds} x {n} requests")
        print(f"{'route':28} {'us':>8} {'vs no-op':>9}")
        for name, us in best.items():
            print(f"{name:28} {us:8.1f} {us / best['noop']:8.2f}x")
        loaded = app.state.store.current
        lead = loaded.requests.as_dict(parse_body(loaded.requests, loaded.requests.lead, encoded["score"][0]))
        answer = score_leads(loaded, [lead], top=3, with_reasons=True, threads=1)[0]
        layers = layered_apps(app, answer)
        kept: dict[str, float] = {}
        for _ in range(rounds):
            for label, layered in layers.items():
                us = await cpu_per_request(layered, "/x", "", encoded["score"], n)
                kept[label] = min(kept.get(label, float("inf")), us)
        print(f"\nthe framework's layers, answering a fixed scored lead (best of {rounds} x {n})")
        for label, us in kept.items():
            print(f"  {label:44} {us:8.1f}")
        print(f"\nparts of one lead (us per call, best of {rounds} x {n // 2})")
        for label, us in parts(app, encoded["score"], n // 2, rounds):
            print(f"  {label:44} {us:8.1f}")
        print(f"\na 1,000-lead batch (ms, best of {rounds} x 3)")
        for label, ms in batch_parts(app, batches[0].encode(), rounds):
            print(f"  {label:44} {ms:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work", type=Path, help="a folder holding mlflow.db and data/ (trained when absent)"
    )
    parser.add_argument("--rows", type=int, default=20_000, help="synthetic leads to train on")
    parser.add_argument("--requests", type=int, default=3000, help="requests per route and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", choices=sorted(ROUTES), help="cProfile one route instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadscore-cpu-") as tmp:
        work = args.work or Path(tmp)
        if not (work / "mlflow.db").exists():
            work.mkdir(parents=True, exist_ok=True)
            print(f"training on {args.rows} synthetic leads in {work} ...", flush=True)
            train_model(work, args.rows)
        asyncio.run(measure(work, Path(tmp), args.requests, args.rounds, args.profile))


if __name__ == "__main__":
    main()
