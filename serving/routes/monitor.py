"""GET /v1/monitor: drift of the leads scored in a window against the served model's training leads (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from serving.auth import requires
from serving.deps import LeadStoreDep, MetricsDep, ModelDep, SettingsDep
from serving.monitor import BadWindow, NoProfile, monitor
from serving.monitor_responses import MonitorResponse
from serving.requests import InvalidRequest
from serving.responses import Problem, RequestErrors
from serving.store_http import OUTAGE

router = APIRouter(prefix="/v1/monitor", tags=["monitoring"])


@router.get(
    "",
    response_model=MonitorResponse,
    responses={
        409: {"model": Problem, "description": "The served model has no reference profile: retrain it."},
        422: {"model": RequestErrors},
        503: {"model": Problem, **OUTAGE},
    },
    dependencies=[requires("admin")],
)
def monitor_window(
    loaded: ModelDep,
    lead_store: LeadStoreDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    since: Annotated[
        datetime | None,
        Query(
            description="Leads that arrived at or after (ISO 8601; UTC if no zone; default: 7 days before until)."
        ),
    ] = None,
    until: Annotated[
        datetime | None,
        Query(description="Leads that arrived before (ISO 8601; UTC if no zone; default: now)."),
    ] = None,
) -> Any:
    """PSI per feature and for the score, missing and unseen shares, against the served model's reference profile;
    computing it also refreshes the monitoring gauges on /metrics."""
    target = loaded.target
    try:
        report = monitor(
            lead_store,
            loaded.model,
            model_name=target.name,
            model_version=loaded.version,
            since=since,
            until=until,
            settings=settings,
        )
    except BadWindow as error:
        problem = {"loc": ["query", error.field], "msg": str(error).split(": ", 1)[1], "type": "value_error"}
        raise InvalidRequest(422, str(error), [problem]) from None
    except NoProfile as error:
        name = f"{target.name} version {loaded.version}" if target.name else target.load_uri
        raise HTTPException(status_code=409, detail=f"the served model ({name}): {error}") from None
    metrics.monitor.update(report)
    return report.to_dict()
