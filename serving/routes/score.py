"""POST /v1/score and /v1/score/batch: leads in, probability, score, grade, reasons and sub-scores out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from serving.auth import ScoreCaller
from serving.deps import ScoringDep
from serving.requests import parse_batch, parse_body
from serving.responses import BatchScores, JSONBytes, LeadScore, Problem, RequestErrors
from serving.scoring import score_leads

router = APIRouter(prefix="/v1", tags=["scoring"])

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
    """The request body's schema is the loaded model's (see app.openapi), so routes read and check raw bytes."""
    ref = {"$ref": f"#/components/schemas/{component}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


# The one exception to FastAPI's own mechanisms here: a batch's answer is sent as JSON bytes (`JSONBytes`), not
# validated against the declared response model. Scoring builds it to match BatchScores exactly (tests check every
# field); validating 1,000 leads' answers with reasons took 67 ms against 3.6 ms for the bytes alone and 89 ms for
# the scoring (docs/benchmarks.md). One lead's answer goes through LeadScore as FastAPI does it (14 us).


@router.post("/score", responses=ERRORS, openapi_extra=_body("Lead"))
async def score_one(
    request: Request, caller: ScoreCaller, scoring: ScoringDep, reasons: Reasons = True
) -> LeadScore:
    """Score one lead; fields the model does not know are ignored, missing fields count as missing values."""
    loaded, settings, metrics = scoring.loaded, scoring.settings, scoring.metrics
    models = loaded.requests
    leads = [models.as_dict(parse_body(models, models.lead, await request.body()))]
    # one lead takes well under a millisecond: scored on the event loop, where a thread hand-off would cost more
    scored = score_leads(
        loaded, leads, top=settings.top_reasons, with_reasons=reasons, threads=settings.predict_threads
    )
    metrics.observe_scores(scored)
    return scored[0]  # type: ignore[return-value]  # FastAPI validates it against LeadScore


@router.post("/score/batch", response_model=BatchScores, responses=ERRORS, openapi_extra=_body("LeadBatch"))
async def score_batch(
    request: Request, caller: ScoreCaller, scoring: ScoringDep, reasons: Reasons = True
) -> JSONBytes:
    """Score many leads in one request, in order."""
    loaded, settings, metrics = scoring.loaded, scoring.settings, scoring.metrics
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
