"""POST /v1/score and /v1/score/batch: leads in, probability, score, grade, reasons and sub-scores out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from serving.auth import GUARDED, SCORE, authorize
from serving.deps import scoring_context
from serving.requests import parse_body
from serving.responses import BatchScores, LeadScore, Problem, RequestErrors
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


Reasons = Annotated[bool, Query(description="Add reasons and sub-scores (most of the cost).")]


def _body(component: str) -> dict[str, Any]:
    """The request body's schema is the loaded model's (see app.openapi), so routes read raw bytes."""
    ref = {"$ref": f"#/components/schemas/{component}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}, **GUARDED}


@router.post("/score", response_model=LeadScore, responses=ERRORS, openapi_extra=_body("Lead"))
async def score_one(request: Request, reasons: Reasons = True) -> JSONResponse:
    """Score one lead; fields the model does not know are ignored, missing fields count as missing values."""
    authorize(request, SCORE)  # inline, not a dependency: see serving/auth.py
    loaded, settings, metrics = scoring_context(request)
    lead = parse_body(loaded.requests, loaded.requests.lead, await request.body())
    # one lead takes under a millisecond: scored on the event loop, where a thread hand-off would cost more
    scored = score_leads(
        loaded,
        [loaded.requests.as_dict(lead)],
        top=settings.top_reasons,
        with_reasons=reasons,
        threads=settings.predict_threads,
    )
    metrics.observe_scores(scored)
    return JSONResponse(scored[0])


@router.post("/score/batch", response_model=BatchScores, responses=ERRORS, openapi_extra=_body("LeadBatch"))
async def score_batch(request: Request, reasons: Reasons = True) -> JSONResponse:
    """Score many leads in one request, in order."""
    authorize(request, SCORE)
    loaded, settings, metrics = scoring_context(request)
    batch = parse_body(loaded.requests, loaded.requests.batch, await request.body())
    leads = [loaded.requests.as_dict(lead) for lead in batch.leads]  # type: ignore[attr-defined]
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
    return JSONResponse({"model_version": loaded.version, "count": len(scored), "scores": scored})
