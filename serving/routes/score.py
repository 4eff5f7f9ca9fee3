"""POST /v1/score and /v1/score/batch: leads in, probability, score, grade, reasons and sub-scores out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams

from serving.auth import GUARDED, SCORE, authorize
from serving.deps import scoring_context
from serving.requests import parse_batch, parse_body
from serving.responses import BatchScores, JSONBytes, LeadScore, Problem, RequestErrors
from serving.scoring import score_leads

router = APIRouter(prefix="/v1", tags=["scoring"])
# Scoring builds its answers to match LeadScore exactly (the tests check them against it), so routes send them
# as JSON directly: re-validating 1,000 leads' answers would cost more than scoring them.

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": RequestErrors, "description": "The body is not JSON."},
    422: {
        "model": RequestErrors,
        "description": "A field has the wrong type, is NaN/Infinity or too long, or the batch is empty or over "
        "LEADSCORE_MAX_BATCH; `detail` names the field.",
    },
    503: {"model": Problem, "description": "No model is loaded yet; `detail` says why."},
}


REASONS = "Add reasons and sub-scores (most of the cost)."
# `reasons` is read by `wants_reasons`, not declared as a parameter: FastAPI's parameter machinery cost ~10 us a
# request on the single-lead hot path. Documented and validated as FastAPI would (same schema, same 422).
REASONS_PARAMETER = {
    "name": "reasons",
    "in": "query",
    "required": False,
    "schema": {"type": "boolean", "description": REASONS, "default": True, "title": "Reasons"},
    "description": REASONS,
}
_BOOLEAN = TypeAdapter(bool)


def wants_reasons(request: Request) -> bool:
    """The `reasons` query flag (default true), parsed as FastAPI parses a bool; a bad value is the usual 422."""
    query = request.scope.get("query_string")
    if not query:
        return True
    value = QueryParams(query).get("reasons")
    if value is None:
        return True
    try:
        return _BOOLEAN.validate_python(value)
    except ValidationError as error:
        problem = error.errors(include_url=False)[0]
        raise RequestValidationError(
            [{"type": problem["type"], "loc": ("query", "reasons"), "msg": problem["msg"], "input": value}]
        ) from None


def _body(component: str) -> dict[str, Any]:
    """The request body's schema is the loaded model's (see app.openapi), so routes read raw bytes."""
    ref = {"$ref": f"#/components/schemas/{component}"}
    body = {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}
    return {**body, "parameters": [REASONS_PARAMETER], **GUARDED}


@router.post("/score", response_model=LeadScore, responses=ERRORS, openapi_extra=_body("Lead"))
async def score_one(request: Request) -> JSONBytes:
    """Score one lead; fields the model does not know are ignored, missing fields count as missing values."""
    reasons = wants_reasons(request)  # first, as FastAPI checks parameters before the route runs
    authorize(request, SCORE)  # inline, not a dependency: see serving/auth.py
    loaded, settings, metrics = scoring_context(request)
    models = loaded.requests
    leads = [models.as_dict(parse_body(models, models.lead, await request.body()))]
    # one lead takes under a millisecond: scored on the event loop, where a thread hand-off would cost more
    scored = score_leads(
        loaded,
        leads,
        top=settings.top_reasons,
        with_reasons=reasons,
        threads=settings.predict_threads,
    )
    metrics.observe_scores(scored)
    return JSONBytes(scored[0])


@router.post("/score/batch", response_model=BatchScores, responses=ERRORS, openapi_extra=_body("LeadBatch"))
async def score_batch(request: Request) -> JSONBytes:
    """Score many leads in one request, in order."""
    reasons = wants_reasons(request)
    authorize(request, SCORE)
    loaded, settings, metrics = scoring_context(request)
    leads = parse_batch(loaded.requests, await request.body())
    # a large batch takes a while: off the event loop, so other requests (and probes) keep flowing
    scored = await run_in_threadpool(
        score_leads,
        loaded,
        leads,
        top=settings.top_reasons,
        with_reasons=reasons,
        threads=settings.predict_threads,
    )
    metrics.observe_scores(scored)
    return JSONBytes({"model_version": loaded.version, "count": len(scored), "scores": scored})
