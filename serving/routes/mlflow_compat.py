"""MLflow's scoring server protocol, so a client of `mlflow models serve` can switch without changes."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from mlflow.version import VERSION
from starlette.concurrency import run_in_threadpool

from serving.deps import ModelDep, StoreDep
from serving.scoring import invocations as answer

router = APIRouter(tags=["mlflow"])

FORMATS = {
    "application/json": {
        "schema": {
            "type": "object",
            "description": "dataframe_split, dataframe_records, instances or inputs",
        },
        "example": {"dataframe_records": [{"lead_id": "L1"}]},
    },
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
}


@router.post(
    "/invocations",
    openapi_extra={"requestBody": {"required": True, "content": FORMATS}},
    responses={200: {"description": '{"predictions": [{id, probability, score, grade}, ...]}'}},
)
async def invocations(request: Request, loaded: ModelDep) -> Response:
    """Score leads sent as `mlflow models serve` takes them; answers exactly as it does."""
    body = await request.body()
    status, content, media_type = await run_in_threadpool(
        answer, loaded, body, request.headers.get("content-type")
    )
    return Response(content=content, status_code=status, media_type=media_type)


@router.get("/ping", responses={404: {"description": "No model loaded."}})
@router.get("/health", responses={404: {"description": "No model loaded."}})
async def ping(store: StoreDep) -> Response:
    """MLflow's health check: 200 with a model, 404 without."""
    return Response(content="\n", status_code=200 if store.current else 404, media_type="application/json")


@router.get("/version")
async def version() -> Response:
    """The MLflow version, as MLflow's server answers."""
    return Response(content=VERSION, status_code=200, media_type="application/json")
