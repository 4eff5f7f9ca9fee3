"""How the lead store's errors answer over HTTP: 503 + Retry-After for an outage, 404, 409 and 422 naming the field."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from serving.store import BadCursor, BadOutcome, KeyReused, LeadNotFound, StoreUnavailable, TransitionRefused

OUTAGE = {
    "description": "The lead store is unreachable; retry after `Retry-After` seconds (nothing was written).",
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
}


def _problem(status: int, detail: str, loc: list[str] | None = None, kind: str = "") -> JSONResponse:
    content: dict[str, Any] = {"detail": detail}
    if loc is not None:
        content["errors"] = [{"loc": loc, "msg": detail.split(": ", 1)[-1], "type": kind}]
    return JSONResponse(status_code=status, content=content)


async def _unavailable(request: Request, error: Exception) -> JSONResponse:
    retry = str(request.app.state.settings.database_retry_after)
    detail = f"{error}; scoring (/v1/score) still works, retry this in {retry}s"
    return JSONResponse(status_code=503, content={"detail": detail}, headers={"Retry-After": retry})


async def _not_found(request: Request, error: Exception) -> JSONResponse:
    return _problem(404, str(error))


async def _conflict(request: Request, error: Exception) -> JSONResponse:
    return _problem(409, str(error))


async def _bad_outcome(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, BadOutcome)
    return _problem(422, str(error), ["body", error.field], "invalid_outcome")


async def _key_reused(request: Request, error: Exception) -> JSONResponse:
    return _problem(422, str(error), ["header", "Idempotency-Key"], "key_reused")


async def _bad_cursor(request: Request, error: Exception) -> JSONResponse:
    return _problem(422, str(error), ["query", "cursor"], "bad_cursor")


def install(app: FastAPI) -> None:
    """Register the store's error answers on the app."""
    app.add_exception_handler(StoreUnavailable, _unavailable)
    app.add_exception_handler(LeadNotFound, _not_found)
    app.add_exception_handler(TransitionRefused, _conflict)
    app.add_exception_handler(BadOutcome, _bad_outcome)
    app.add_exception_handler(KeyReused, _key_reused)
    app.add_exception_handler(BadCursor, _bad_cursor)
