"""MLflow's scoring server protocol, so a client of `mlflow models serve` can switch without changes."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from mlflow.version import VERSION
from starlette.concurrency import run_in_threadpool

from serving.auth import requires
from serving.deps import ModelDep, StoreDep
from serving.invocations import invocations as answer
from serving.responses import Problem

router = APIRouter(tags=["mlflow"])
INLINE_BYTES = 8192

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
MLFLOW_ERROR = {
    "schema": {
        "type": "object",
        "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}},
        "required": ["error_code", "message"],
    }
}


@router.post(
    "/invocations",
    openapi_extra={"requestBody": {"required": True, "content": FORMATS}},
    responses={
        200: {"description": '{"predictions": [{id, probability, score, grade}, ...]}'},
        400: {
            "description": "MLflow's answer to input it cannot score",
            "content": {"application/json": MLFLOW_ERROR},
        },
        415: {
            "description": "No or an unknown Content-Type.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        503: {"model": Problem, "description": "No model is loaded yet; `detail` says why."},
    },
    dependencies=[requires("score")],
)
async def invocations(request: Request, loaded: ModelDep) -> Response:
    """Score leads sent as `mlflow models serve` takes them; answers exactly as it does."""
    body = await request.body()
    content_type = request.headers.get("content-type")
    if (
        len(body) <= INLINE_BYTES
    ):  # a lead or a few: on the event loop, where a thread hand-off would cost more
        status, content, media_type = answer(loaded, body, content_type)
    else:
        status, content, media_type = await run_in_threadpool(answer, loaded, body, content_type)
    return Response(content=content, status_code=status, media_type=media_type)


# MLflow's server labels these bodies application/json though "\n" and "3.17.0" are not JSON; clients of it expect
# exactly that, so the schema declares no body (response_class=Response) rather than a false one.
@router.get("/ping", response_class=Response, responses={404: {"description": "No model loaded."}})
@router.get("/health", response_class=Response, responses={404: {"description": "No model loaded."}})
async def ping(store: StoreDep) -> Response:
    """MLflow's health check: 200 with a model, 404 without."""
    return Response(content="\n", status_code=200 if store.current else 404, media_type="application/json")


@router.get("/version", response_class=Response)
async def version() -> Response:
    """The MLflow version, as MLflow's server answers."""
    return Response(content=VERSION, status_code=200, media_type="application/json")
