"""GET /v1/dashboard: every table behind the alignment dashboard as JSON, and each one as CSV (role marketing)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from serving.auth import requires
from serving.dashboard_models import DashboardQuery, DashboardResponse
from serving.deps import LeadStoreDep, SettingsDep
from serving.responses import Problem, RequestErrors
from serving.store import dashboard
from serving.store.dashboard import TABLES, Table, table_csv
from serving.store_http import OUTAGE

router = APIRouter(prefix="/v1/dashboard", tags=["dashboard"], dependencies=[requires("marketing")])
ERRORS: dict[int | str, dict[str, Any]] = {
    422: {
        "model": RequestErrors,
        "description": "An unknown parameter, a bad value or until not after since.",
    },
    503: {"model": Problem, **OUTAGE},
}


@router.get("", response_model=DashboardResponse, responses=ERRORS)
def dashboard_json(
    request: Request,
    query: Annotated[DashboardQuery, Query()],
    lead_store: LeadStoreDep,
    settings: SettingsDep,
) -> Any:
    """Quality per source and campaign, weekly trend, funnel, rejection reasons, service level per grade and owner."""
    dash = dashboard(lead_store, settings.sla_hours, query.filters())
    suffix = f"?{request.url.query}" if request.url.query else ""
    body = {
        "filters": query.model_dump(mode="json"),
        "computed_at": dash.computed_at.isoformat(),
        "sla_hours": settings.sla_hours,
        "tables": dash.tables,
        "csv": {table: f"{request.url.path}/{table}.csv{suffix}" for table in TABLES},
        "notes": dash.notes,
    }
    return body


@router.get(
    "/{table}.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **ERRORS},
)
def dashboard_csv(
    table: Annotated[Table, Path(description="Which table: " + ", ".join(TABLES) + ".")],
    query: Annotated[DashboardQuery, Query()],
    lead_store: LeadStoreDep,
    settings: SettingsDep,
) -> Response:
    """One table of GET /v1/dashboard as CSV: the same rows and numbers, empty cells for null."""
    dash = dashboard(lead_store, settings.sla_hours, query.filters())
    return Response(
        table_csv(dash, table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="leadscore-{table}.csv"'},
    )
