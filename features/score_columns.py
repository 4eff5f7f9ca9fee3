"""A chunk of leads scored into the output columns of batch scoring: what `leadscore score` writes, in one process
(features/batch.py) or on Spark's executors (leadscore/spark_scoring.py), built here once so both write the same.

It needs the model and pyarrow alone (no tqdm, no pandas): on a Spark executor it is imported from the model's own
code (its `code_paths`, this folder), so it runs wherever the model's pip requirements are installed.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from features.model import Columns, LeadModel

# one reason in Parquet: the JSON object CSV carries, as a struct (the value as text: numbers and booleans as JSON
# spells them, categories as they are, missing as null)
REASON = pa.struct(
    [
        ("feature", pa.string()),
        ("value", pa.string()),
        ("impact", pa.float64()),
        ("unseen", pa.bool_()),
        ("label", pa.string()),
    ]
)


def _value_text(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else json.dumps(value)


def _reasons_column(lists: list[list[dict[str, Any]]], structs: bool) -> pa.Array:
    if not structs:
        return pa.array([json.dumps(reasons) for reasons in lists], pa.string())
    rows = [[{**reason, "value": _value_text(reason["value"])} for reason in reasons] for reasons in lists]
    return pa.array(rows, pa.list_(REASON))


def blank_missing_tokens(leads: pa.RecordBatch, tokens: list[str]) -> pa.RecordBatch:
    """Text cells that spell "missing" (`tokens`, what the file readers treat as empty) made null, as Arrow's CSV
    reader does for `leadscore score`; for readers that know one null spelling only (Spark's CSV reader)."""
    columns = [
        pc.if_else(pc.is_in(column, pa.array(tokens, column.type)), pa.scalar(None, column.type), column)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        else column
        for column in leads.columns
    ]
    return pa.RecordBatch.from_arrays(columns, schema=leads.schema)


def score_chunk(
    model: LeadModel, leads: pa.RecordBatch, with_reasons: bool = True, top: int = 3, structs: bool = False
) -> pa.RecordBatch:
    """One chunk's answers (`LeadModel.score` with one thread): the id column when the leads have one,
    probability, score, grade, and with reasons the lists of {feature, value, impact, unseen, label} each way and
    the schema groups' sub-scores as the API gives them (`fit_probability`, `fit_score`, `fit_impact`, then
    `engagement_*`). Reasons are JSON text (CSV), or with `structs` lists of `REASON` structs (Parquet)."""
    raw = Columns(
        {
            name: column.to_numpy(zero_copy_only=False)
            for name, column in zip(leads.schema.names, leads.columns, strict=True)
        },
        leads.num_rows,
    )
    scored = model.score(raw, reasons=with_reasons, top=top, threads=1)
    out: dict[str, pa.Array] = {}
    id_column = model.schema_dict["id"]
    if id_column in leads.schema.names:
        ids = leads.column(id_column)
        out[id_column] = ids.cast(pa.string()) if pa.types.is_large_string(ids.type) else ids
    out |= {
        "probability": pa.array(scored.probability),
        "score": pa.array(scored.score),
        "grade": pa.array(scored.grade, pa.string()),
    }
    if scored.reasons is not None:
        out["reasons_positive"] = _reasons_column([r["positive"] for r in scored.reasons], structs)
        out["reasons_negative"] = _reasons_column([r["negative"] for r in scored.reasons], structs)
    for group, sub in scored.groups.items():
        out[f"{group}_probability"] = pa.array(sub.probability)
        out[f"{group}_score"] = pa.array(sub.score)
        out[f"{group}_impact"] = pa.array(sub.impact, pa.float64())
    return pa.RecordBatch.from_pydict(out)
