"""GET /v1/reports/sources: lead quality per source or campaign over a window, as JSON or CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from serving.auth import requires
from serving.deps import LeadStoreDep
from serving.lead_responses import SourceReport
from serving.requests import InvalidRequest
from serving.responses import Problem, RequestErrors
from serving.store import report_csv, source_report
from serving.store.clock import as_utc
from serving.store_http import OUTAGE

router = APIRouter(prefix="/v1/reports", tags=["reports"])


def wants_csv(request: Request, format: str | None) -> bool:
    """`format=csv` or `format=json` decides; otherwise an Accept header that prefers text/csv."""
    if format is not None:
        return format == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


@router.get(
    "/sources",
    response_model=SourceReport,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        422: {"model": RequestErrors},
        503: {"model": Problem, **OUTAGE},
    },
    dependencies=[requires("marketing")],
)
def sources(
    request: Request,
    lead_store: LeadStoreDep,
    by: Annotated[
        Literal["source", "campaign"], Query(description="Group by source or by campaign.")
    ] = "source",
    since: Annotated[
        datetime | None, Query(description="Leads created at or after (ISO 8601; UTC if no zone).")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="Leads created before (ISO 8601; UTC if no zone).")
    ] = None,
    format: Annotated[
        Literal["json", "csv"] | None, Query(description="csv, or send Accept: text/csv.")
    ] = None,
) -> Any:
    """Per group: leads, grade mix, mean probability, expected conversions, acceptance and win rate, rejection reasons."""
    since = as_utc(since) if since else None
    until = as_utc(until) if until else None
    if since and until and until <= since:
        problem = {"loc": ["query", "until"], "msg": "must be after since", "type": "value_error"}
        raise InvalidRequest(422, "until: must be after since", [problem])
    rows = source_report(lead_store, by=by, since=since, until=until)
    if wants_csv(request, format):
        name = f"leadscore-{by}s.csv"
        return Response(
            report_csv(rows, by),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    body = {
        "by": by,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "rows": [row.as_dict() for row in rows],
    }
    return JSONResponse(body)
