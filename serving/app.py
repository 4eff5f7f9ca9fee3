"""The app factory: settings in, a FastAPI app out; the lifespan loads the model once and watches its alias."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import mlflow
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from serving import auth, limits, store_http
from serving.auth import Authorizer, check_exposure
from serving.key_source import open_key_store
from serving.keys import FileKeyStore
from serving.limits import BodyLimitMiddleware
from serving.metrics import Metrics, MetricsMiddleware
from serving.model_cache import ModelCache
from serving.model_store import ModelStore, load
from serving.requests import InvalidRequest
from serving.routes import dashboard as dashboard_routes
from serving.routes import docs, mlflow_compat, ops, score
from serving.routes import leads as lead_routes
from serving.routes import monitor as monitor_routes
from serving.routes import pages as page_routes
from serving.routes import queue as queue_routes
from serving.routes import reports as report_routes
from serving.settings import Settings
from serving.store import LeadStore, StoreKeys, StoreUnavailable, open_lead_store

log = logging.getLogger(__name__)

DESCRIPTION = (
    "Scores leads with the registered lead-scoring model: calibrated probability, 0-100 score, grade A-D, "
    "reasons and fit/engagement sub-scores. The `Lead` fields below come from the schema stored with the "
    "model being served."
)


async def watch(refresh: Callable[[], object], every: float, what: str) -> None:
    """Call `refresh` every `every` seconds in a worker thread (the model's alias, the keys in the store), so
    requests keep flowing while it reads."""
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(refresh)
        except Exception:  # refresh reports its own failures; this only keeps the watcher alive
            log.exception("%s watcher: unexpected error; will retry", what)


def create_app(
    settings: Settings | None = None, store: ModelStore | None = None, lead_store: LeadStore | None = None
) -> FastAPI:
    """A scoring app for these settings; `store` may be given to share or inject the model holder (tests).

    Raises ExposureError when `settings.host` is beyond loopback and no API key exists, KeysError for a bad keys file
    (or a file and the store both named).
    """
    settings = settings or Settings()
    lead_store = lead_store or open_lead_store(settings)
    keys = open_key_store(settings, lead_store)
    if isinstance(keys, FileKeyStore):
        keys.current()  # a malformed keys file stops the start, naming the problem
    check_exposure(settings.host, keys)
    cache = ModelCache(settings.model_cache_dir, settings.tracking_uri) if settings.model_cache_dir else None
    store = store or ModelStore(
        uri=settings.model_uri,
        max_batch=settings.max_batch,
        loader=partial(load, max_text=settings.max_text_length, cache=cache),
        cache=cache,
        registry_timeout=settings.registry_timeout,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        mlflow.set_tracking_uri(settings.tracking_uri)
        await asyncio.to_thread(store.refresh)
        if store.current is None:
            log.error("starting without a model: %s", store.last_error)
        elif store.degraded:
            log.warning("starting degraded: %s", store.degraded)
        await asyncio.to_thread(migrate_lead_store, lead_store)
        watchers = []
        if settings.watch_seconds:
            watchers.append(asyncio.create_task(watch(store.refresh, settings.watch_seconds, "model")))
        if isinstance(keys, StoreKeys):  # replicas see each other's key changes within the refresh interval
            await asyncio.to_thread(keys.refresh)
            watchers.append(asyncio.create_task(watch(keys.refresh, settings.keys_refresh_seconds, "keys")))
        try:
            yield
        finally:
            for watcher in watchers:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            lead_store.close()

    app = FastAPI(
        title="leadscore",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load from CDNs; serving.routes.docs serves both pages offline
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.authorizer = Authorizer(keys, retry_after=settings.database_retry_after)
    app.state.store = store
    app.state.lead_store = lead_store
    app.state.metrics = Metrics(store)
    routers = (
        score.router,
        mlflow_compat.router,
        ops.router,
        lead_routes.router,
        queue_routes.router,
        report_routes.router,
        dashboard_routes.router,
        monitor_routes.router,
        page_routes.router,
        docs.router,
    )
    for router in routers:
        app.include_router(router)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_exception_handler(InvalidRequest, _invalid_request)
    app.add_exception_handler(RequestValidationError, _invalid_query)
    store_http.install(app)
    app.add_exception_handler(Exception, _internal_error)
    if keys is None:
        log.warning("no LEADSCORE_KEYS_FILE: API keys are off; the service must only listen on loopback")
    elif isinstance(keys, StoreKeys):
        log.info("API keys on: in %s, read every %g s", keys.where, settings.keys_refresh_seconds)
    else:
        log.info("API keys on: %d in %s", len(keys.list_keys()), settings.keys_file)
    app.openapi = lambda: _openapi(app, store)  # type: ignore[method-assign]
    return app


def migrate_lead_store(lead_store: LeadStore) -> None:
    """Migrate the lead store to head at startup; when the database is down, start anyway (scoring needs no
    database) and let the first store call migrate once it is back."""
    try:
        lead_store.migrate()
    except StoreUnavailable as error:
        log.error("starting without the lead store: %s; store routes answer 503 until it is back", error)


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InvalidRequest)
    return JSONResponse(status_code=error.status, content={"detail": error.detail, "errors": error.errors})


async def _invalid_query(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    return JSONResponse(status_code=422, content={"detail": f"{where}: {first['msg']}", "errors": errors})


async def _internal_error(request: Request, error: Exception) -> JSONResponse:
    """Anything unforeseen: a generic 500 with an id to find the traceback in the log, nothing of the internals."""
    incident = secrets.token_hex(4)
    log.error("internal error %s on %s %s", incident, request.method, request.url.path, exc_info=error)
    detail = f"internal error {incident}: the request could not be handled; the server log has the details"
    return JSONResponse(status_code=500, content={"detail": detail})


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
    auth.document(schema, enabled=app.state.authorizer.enabled)
    limits.document(schema)
    app.state.openapi_cache = (key, schema)
    return schema
