"""The app factory: settings in, a FastAPI app out; the lifespan loads the model once and watches its alias."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import mlflow
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from serving.metrics import Metrics, MetricsMiddleware
from serving.model_store import ModelStore
from serving.requests import InvalidRequest
from serving.routes import mlflow_compat, ops, score
from serving.settings import Settings

log = logging.getLogger(__name__)

DESCRIPTION = (
    "Scores leads with the registered lead-scoring model: calibrated probability, 0-100 score, grade A-D, "
    "reasons and fit/engagement sub-scores. The `Lead` fields below come from the schema stored with the "
    "model being served."
)


async def watch(store: ModelStore, every: float) -> None:
    """Check the registry every `every` seconds; loading happens in a worker thread, requests keep flowing."""
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(store.refresh)
        except Exception:  # refresh reports its own failures; this only keeps the watcher alive
            log.exception("model watcher: unexpected error; will retry")


def create_app(settings: Settings | None = None, store: ModelStore | None = None) -> FastAPI:
    """A scoring app for these settings; `store` may be given to share or inject the model holder (tests)."""
    settings = settings or Settings()
    store = store or ModelStore(uri=settings.model_uri, max_batch=settings.max_batch)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        mlflow.set_tracking_uri(settings.tracking_uri)
        await asyncio.to_thread(store.refresh)
        if store.current is None:
            log.error("starting without a model: %s", store.last_error)
        watcher = (
            asyncio.create_task(watch(store, settings.watch_seconds)) if settings.watch_seconds else None
        )
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher

    app = FastAPI(
        title="leadscore",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        max_body_size=settings.max_body_bytes,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.metrics = Metrics(store)
    routers = (score.router, mlflow_compat.router, ops.router)
    for router in routers:
        app.include_router(router)
    paths = {getattr(route, "path", "") for router in routers for route in router.routes}
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics, routes=paths)
    app.add_exception_handler(InvalidRequest, _invalid_request)
    app.add_exception_handler(RequestValidationError, _invalid_query)
    app.openapi = lambda: _openapi(app, store)  # type: ignore[method-assign]
    return app


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InvalidRequest)
    return JSONResponse(status_code=error.status, content={"detail": error.detail, "errors": error.errors})


async def _invalid_query(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    return JSONResponse(status_code=422, content={"detail": f"{where}: {first['msg']}", "errors": errors})


def _openapi(app: FastAPI, store: ModelStore) -> dict[str, Any]:
    """FastAPI's schema plus `Lead` and `LeadBatch` from the model being served (rebuilt after a swap)."""
    loaded = store.current
    key = loaded.version if loaded else None
    cached: tuple[str | None, dict[str, Any]] | None = getattr(app.state, "openapi_cache", None)
    if cached and cached[0] == key:
        return cached[1]
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if loaded is None:
        waiting = "no model is loaded yet: the lead fields appear here once one is"
        components["Lead"] = {"type": "object", "description": waiting}
        components["LeadBatch"] = {"type": "object", "description": waiting}
    else:
        batch = loaded.requests.batch.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(batch.pop("$defs", {}))
        components["LeadBatch"] = batch
    app.state.openapi_cache = (key, schema)
    return schema
