"""MLflow's scoring protocol (`POST /invocations`), so a client of `mlflow models serve` can switch without changes.

JSON records (`dataframe_records`, or `dataframe_split` without an index) whose values already have the signature's
types (numbers or null for numeric features, text or null for the rest, a text id; every lead with the same fields) are scored
straight from the parsed JSON by `LeadModel.score`, and answered as MLflow's server writes its answer. Anything
else (CSV, Parquet, `instances`, `inputs`, params, values MLflow would convert or refuse) goes through MLflow's own
parser, schema enforcement and the pyfunc, exactly as `mlflow models serve` runs them. Both give the same bytes for
the same leads (tests compare them).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import BAD_REQUEST
from pydantic_core import from_json

from features.model import Columns

if TYPE_CHECKING:
    from serving.model_store import LoadedModel

NUMBER = (int, float)


def invocations(loaded: LoadedModel, body: bytes, content_type: str | None) -> tuple[int, str, str]:
    """Answer one request as MLflow's scoring server does: (status, body, media type)."""
    if not content_type:
        return (
            415,
            "Set a Content-Type: application/json, text/csv or application/vnd.apache.parquet",
            "text/plain",
        )
    if content_type.replace(" ", "").lower() in ("application/json", "application/json;charset=utf-8"):
        columns = _plain_records(loaded, body)
        if columns is not None:
            return 200, _predictions(loaded, columns), "application/json"
    return _through_mlflow(loaded, body, content_type)


def _plain_records(loaded: LoadedModel, body: bytes) -> Columns | None:
    """The leads as columns when the body is plain, typed JSON records MLflow would take as they are; else None."""
    try:
        payload = from_json(body)
    except ValueError:
        return None
    if not isinstance(payload, dict) or len(payload) != 1:
        return None
    if "dataframe_records" in payload:
        records = payload["dataframe_records"]
        if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
            return None
        names = list(records[0])
        if any(list(r) != names for r in records):
            return None
        values = {c: [r[c] for r in records] for c in names}
    elif "dataframe_split" in payload:
        split = payload["dataframe_split"]
        if not isinstance(split, dict) or set(split) != {"columns", "data"}:
            return None
        names, rows = split["columns"], split["data"]
        if not isinstance(names, list) or not isinstance(rows, list) or not rows:
            return None
        if not all(isinstance(r, list) and len(r) == len(names) for r in rows):
            return None
        values = {c: [r[j] for r in rows] for j, c in enumerate(names)}
    else:
        return None
    kinds, id_column = loaded.signature_kinds, loaded.model.schema_dict["id"]
    if len(set(names)) != len(names) or not set(names) <= kinds.keys():
        return None
    for column, column_values in values.items():
        if kinds[column] == "double":
            if not all(v is None or (type(v) in NUMBER) for v in column_values):
                return None
        elif column == id_column:  # MLflow answers a null id as NaN, which is not JSON: its own path answers
            if not all(type(v) is str for v in column_values):
                return None
        elif not all(v is None or type(v) is str for v in column_values):
            return None
    return Columns(values, len(next(iter(values.values()))))


def _predictions(loaded: LoadedModel, columns: Columns) -> str:
    """`{"predictions": [...]}` as MLflow's server writes the pyfunc's frame (records, `json.dumps` defaults)."""
    model = loaded.model
    scored = model.score(columns, threads=1)
    fields = ["probability", "score", "grade"]
    rows = zip(scored.probability.tolist(), scored.score.tolist(), scored.grade.tolist(), strict=True)
    if scored.ids is not None:
        fields.insert(0, model.schema_dict["id"])
        rows = zip(scored.ids, *zip(*rows, strict=True), strict=True)
    return json.dumps({"predictions": [dict(zip(fields, row, strict=True)) for row in rows]})


def _through_mlflow(loaded: LoadedModel, body: bytes, content_type: str) -> tuple[int, str, str]:
    """MLflow's own `invocations`, as `mlflow models serve` runs it; errors lose only the server-side stack trace."""
    from mlflow.pyfunc import scoring_server

    schema = loaded.pyfunc.metadata.get_input_schema()
    try:
        result = scoring_server.invocations(body, content_type, loaded.pyfunc, schema)
    except MlflowException as error:
        return error.get_http_status_code(), _without_trace(error), "application/json"
    except Exception as error:  # MLflow's server answers these as bad requests too
        wrapped = MlflowException(
            f"Failed to score the input: {str(error).splitlines()[0][:300]}", error_code=BAD_REQUEST
        )
        return 400, _without_trace(wrapped), "application/json"
    return result.status, result.response, result.mimetype


def _without_trace(error: MlflowException) -> str:
    payload: dict[str, Any] = json.loads(error.serialize_as_json())
    payload.pop("stack_trace", None)
    return json.dumps(payload)
