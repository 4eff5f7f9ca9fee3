"""POST /v1/leads (ingest: score with the champion, store, answer the scores), GET /v1/leads/{id} (the lead with its
score history) and POST /v1/leads/{id}/outcome."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from serving.auth import requires
from serving.deps import LeadStoreDep, ScoringDep, SettingsDep
from serving.lead_responses import LeadDetailOut, OutcomeBody, OutcomeOut, StoredBatch, StoredLeadScore
from serving.requests import InvalidRequest, RequestModels, parse_body
from serving.responses import Problem, RequestErrors
from serving.routes.score import ERRORS as SCORE_ERRORS
from serving.scoring import score_leads
from serving.store import (
    ID_LENGTH,
    IncomingLead,
    OutcomeIn,
    RecordedOutcome,
    ingest,
    lead_detail,
    record_outcome,
)
from serving.store_http import OUTAGE

router = APIRouter(prefix="/v1", tags=["leads"])

INGEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/Lead"},
                        {"$ref": "#/components/schemas/LeadBatch"},
                    ]
                }
            }
        },
    }
}


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def _has_nul(value: Any) -> bool:
    """Text with a NUL character, which PostgreSQL cannot store, anywhere in the body (keys included)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _value_error(message: str) -> InvalidRequest:
    return InvalidRequest(422, f"body: {message}", [{"loc": ["body"], "msg": message, "type": "value_error"}])


def _read(models: RequestModels, body: bytes) -> tuple[bool, list[dict[str, Any]], list[dict[str, Any]]]:
    """(batch?, validated leads, the leads exactly as sent): the payload keeps every field, known to the model or not."""
    try:
        raw = json.loads(body, parse_constant=_refuse_constant)
    except ValueError:
        raw = None
    batch = isinstance(raw, dict) and isinstance(raw.get("leads"), list)
    parsed = parse_body(models, models.batch if batch else models.lead, body)  # 400/422 naming the field
    if raw is None:  # pydantic took it, json refused a constant
        raise _value_error("NaN and Infinity are not accepted; send null for a missing value")
    if _has_nul(raw):
        raise _value_error("text with a NUL character (\\u0000) cannot be stored")
    leads = [models.as_dict(lead) for lead in (parsed.leads if batch else [parsed])]  # type: ignore[attr-defined]
    return batch, leads, [dict(lead) for lead in (raw["leads"] if batch else [raw])]


def _lead_ids(ids: list[Any], id_column: str, batch: bool) -> list[str]:
    """Every lead needs an id to be stored, unique within the request; 422 naming the first one that is not."""
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    out: list[str] = []
    for i, value in enumerate(ids):
        loc: list[str | int] = ["leads", i, id_column] if batch else [id_column]
        text = "" if value is None else str(value).strip()
        if not text:
            errors.append({"loc": loc, "msg": "required to store a lead", "type": "missing"})
        elif len(text) > ID_LENGTH:
            errors.append({"loc": loc, "msg": f"at most {ID_LENGTH} characters", "type": "too_long"})
        elif text in seen:
            msg = f"{text!r} appears earlier in this batch (leads[{seen[text]}]); send each lead once"
            errors.append({"loc": loc, "msg": msg, "type": "duplicate"})
        seen.setdefault(text, i)
        out.append(text)
    if errors:
        first = errors[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InvalidRequest(422, f"{where}: {first['msg']}{more}", errors)
    return out


@router.post(
    "/leads",
    response_model=StoredLeadScore | StoredBatch,
    responses={**SCORE_ERRORS, 503: {"model": Problem, **OUTAGE}},
    openapi_extra=INGEST_BODY,
    dependencies=[requires("score")],
)
async def ingest_leads(request: Request, lead_store: LeadStoreDep, scoring: ScoringDep) -> JSONResponse:
    """Score one lead (the body is the lead) or a batch ({"leads": [...]}) with the champion and store them.

    Idempotent on the lead id: a lead sent again is updated (never duplicated) and its new score added to its
    history. Answers only once everything is committed; on a 503 nothing was stored and the request can be retried.
    """
    loaded, settings, metrics = scoring.loaded, scoring.settings, scoring.metrics
    body = await request.body()
    models = loaded.requests
    batch, leads, payloads = _read(models, body)
    ids = _lead_ids([lead[models.columns[0]] for lead in leads], models.columns[0], batch)
    scored = await run_in_threadpool(
        score_leads,
        loaded,
        leads,
        top=settings.top_reasons,
        with_reasons=True,
        threads=settings.predict_threads,
    )
    incoming = [IncomingLead(i, p, s) for i, p, s in zip(ids, payloads, scored, strict=True)]
    stored = await run_in_threadpool(ingest, lead_store, incoming)
    metrics.observe_scores(scored)
    answers = [
        {**item, "lead_id": lead.lead_id, "created": lead.created, "status": lead.status}
        for item, lead in zip(scored, stored, strict=True)
    ]
    if not batch:
        return JSONResponse(answers[0])
    return JSONResponse({"model_version": loaded.version, "count": len(answers), "leads": answers})


@router.get(
    "/leads/{lead_id}",
    response_model=LeadDetailOut,
    responses={
        404: {"model": Problem, "description": "No lead with this id was stored; `detail` names it."},
        422: {"model": RequestErrors, "description": "A lead id longer than the store keeps."},
        503: {"model": Problem, **OUTAGE},
    },
    dependencies=[requires("sales")],
)
def get_lead_detail(
    lead_store: LeadStoreDep, lead_id: Annotated[str, Path(max_length=ID_LENGTH)]
) -> dict[str, Any]:
    """One lead: its payload, status, owner, arrival, latest score, and its score history oldest first, each scoring
    with its reasons and the features whose impact moved most since the previous one, and the trend."""
    return asdict(lead_detail(lead_store, lead_id))


def _outcome_answer(event: RecordedOutcome) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "lead_id": event.lead_id,
        "outcome": event.outcome,
        "from_status": event.from_status,
        "status": event.outcome,
        "reason": event.reason,
        "note": event.note,
        "actor": event.actor,
        "at": event.at,
    }


@router.post(
    "/leads/{lead_id}/outcome",
    response_model=OutcomeOut,
    responses={
        404: {"model": Problem, "description": "No lead with this id was stored."},
        409: {
            "model": Problem,
            "description": "The outcome cannot follow the lead's status; `detail` names both.",
        },
        422: {"model": RequestErrors, "description": "A malformed outcome; `detail` names the field."},
        503: {"model": Problem, **OUTAGE},
    },
    dependencies=[requires("sales")],
)
def lead_outcome(
    request: Request,
    response: Response,
    body: OutcomeBody,
    lead_store: LeadStoreDep,
    settings: SettingsDep,
    lead_id: Annotated[str, Path(max_length=ID_LENGTH)],
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=ID_LENGTH,
            description="Retrying with the same key returns the first answer instead of recording twice.",
        ),
    ] = None,
) -> dict[str, Any]:
    """Record what sales did with a lead: accepted, rejected (with a reason), won or lost."""
    caller = getattr(request.state, "api_key", None)
    actor = body.actor or (f"key:{caller.id}" if caller is not None else None)
    given = OutcomeIn(body.outcome, body.reason, body.note, actor)
    event = record_outcome(
        lead_store, lead_id, given, reasons=settings.rejection_reasons, key=idempotency_key
    )
    if event.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return _outcome_answer(event)
