"""Operations: the model being served, liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import Field

from serving.auth import requires
from serving.deps import MetricsDep, StoreDep, no_model_detail
from serving.responses import Health, ModelInfo, Problem

router = APIRouter(tags=["operations"])


class ModelStatus(ModelInfo):
    """The model being served and the watcher's view of the registry, including whether it is degraded."""

    degraded: str | None = Field(
        None, description="Why the service runs degraded (the registry is unreachable), null when it is not."
    )
    served_from: str | None = Field(
        None, description="Where the served version was loaded from: 'registry', or 'cache' (the local copy)."
    )


@router.get(
    "/v1/model",
    response_model=ModelStatus,
    responses={503: {"model": Problem}},
    dependencies=[requires("score", "sales")],
)
def model_info(store: StoreDep) -> Any:
    """Name, version, alias, run, holdout metrics, grade thresholds and features of the model being served."""
    loaded = store.current
    if loaded is None:
        raise HTTPException(status_code=503, detail=no_model_detail(store))
    model, target = loaded.model, loaded.target
    schema = model.schema
    groups = schema.groups

    def group(column: str) -> str | None:
        if groups is None:
            return None
        return "fit" if column in groups.fit else "engagement" if column in groups.engagement else None

    return {
        "uri": store.uri,
        "name": target.name,
        "version": target.version,
        "alias": target.alias,
        "run_id": target.run_id or model.info.get("run_id"),
        "loaded_at": loaded.loaded_at.isoformat(),
        "id_column": schema.id,
        "features": [{"name": c, "kind": schema.kind(c), "group": group(c)} for c in schema.features],
        "na_values": schema.na_values,
        "holdout_metrics": {k: float(v) for k, v in model.info.get("holdout_metrics", {}).items()},
        "grade_score_cuts": model.scale.grade_cuts,
        "grade_probability_cuts": model.scale.probability_cuts(),
        **store.status(),
    }


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up (whether or not a model is loaded)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(store: StoreDep) -> Any:
    """Ready when a model is loaded ("degraded" with the reason when the registry is unreachable); 503 otherwise."""
    loaded = store.current
    if loaded is None:
        return JSONResponse(
            status_code=503, content=Health(status="not ready", detail=no_model_detail(store)).model_dump()
        )
    if store.degraded:
        return Health(status="degraded", model_version=loaded.version, detail=store.degraded)
    return Health(status="ready", model_version=loaded.version, detail=store.last_error)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    dependencies=[requires("admin")],
)
def metrics(metrics: MetricsDep) -> Response:
    """Prometheus text format; an admin key when keys are on (Prometheus sends it as `authorization: credentials`)."""
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
