"""Scoring leads for the API: plain functions over a loaded model, no web framework in sight.

Sub-scores: for a schema group (fit, engagement), the group's score is what the lead would score if every feature
outside the group were at the model's average: probability = sigmoid(calibrated baseline + the summed impacts of the
group's features), mapped to 0-100 by the model's own score scale. Impacts are the model family's contributions
(TreeSHAP for LightGBM, term minus its training mean for the additive families) scaled by the Platt slope, so they
add up, with the baseline and the calibration intercept, to the lead's calibrated log-odds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import BAD_REQUEST

from features.model import LeadModel, sigmoid
from features.rows import score_rows, top_reasons

if TYPE_CHECKING:
    from serving.model_store import LoadedModel

GROUPS = ("fit", "engagement")


def group_columns(model: LeadModel) -> dict[str, list[int]]:
    """Feature positions of each schema group that has members (worked out once, when a model is loaded)."""
    schema = model.schema
    if schema.groups is None:
        return {}
    members = {group: getattr(schema.groups, group) for group in GROUPS}
    return {
        group: [schema.features.index(c) for c in columns] for group, columns in members.items() if columns
    }


def score_leads(
    loaded: LoadedModel,
    leads: Sequence[Mapping[str, Any]],
    *,
    top: int = 3,
    with_reasons: bool = True,
    threads: int = 1,
) -> list[dict[str, Any]]:
    """Probability, score, grade, unseen categories and (with reasons) reasons and sub-scores, in input order."""
    model, encoder = loaded.model, loaded.encoder
    matrix, cleaned = encoder.encode(leads)
    scored = score_rows(model, matrix, contributions=with_reasons, threads=threads)
    scores = model.scale.score(scored.probability)
    cuts = [(model.scale.grade_cuts[g], g) for g in ("A", "B", "C")]
    # ScoreScale.grade's rule, per lead in Python: np.select costs ~40 us even for one lead
    grades = [next((g for cut, g in cuts if score >= cut), "D") for score in scores.tolist()]
    id_column = model.schema_dict["id"]
    sub: dict[str, list[dict[str, Any]]] = {}
    if scored.contributions is not None and scored.baseline is not None:
        base = scored.baseline + model.calibration.intercept
        for group, columns in loaded.groups.items():
            impact = np.zeros(len(base))
            for j in columns:  # column by column: the same sum whether the lead came alone or in a batch
                impact += scored.contributions[:, j]
            probability = sigmoid(base + impact)
            sub[group] = [
                {"probability": p, "score": s, "impact": round(d, 4)}
                for p, s, d in zip(
                    probability.tolist(),
                    model.scale.score(probability).tolist(),
                    impact.tolist(),
                    strict=True,
                )
            ]
    rows = zip(leads, cleaned, scored.probability.tolist(), scores.tolist(), grades, strict=True)
    out = []
    for i, (lead, values, probability, score, grade) in enumerate(rows):
        lead_id = lead.get(id_column)
        unseen = encoder.unseen(values)
        item: dict[str, Any] = {
            "lead_id": None if lead_id is None else str(lead_id),
            "probability": probability,
            "score": score,
            "grade": grade,
            "reasons": None,
            "fit": None,
            "engagement": None,
            "unseen": unseen,
            "model_version": loaded.version,
        }
        if with_reasons and scored.contributions is not None:
            item["reasons"] = top_reasons(encoder.features, scored.contributions[i], values, unseen, top)
        for group, subscores in sub.items():
            item[group] = subscores[i]
        out.append(item)
    return out


def invocations(loaded: LoadedModel, body: bytes, content_type: str | None) -> tuple[int, str, str]:
    """MLflow's scoring protocol, answered by MLflow's own parser and the pyfunc: (status, body, media type).

    The same function `mlflow models serve` runs, so every input format and answer matches; errors lose only the
    server-side stack trace.
    """
    from mlflow.pyfunc import scoring_server

    if not content_type:
        return (
            415,
            "Set a Content-Type: application/json, text/csv or application/vnd.apache.parquet",
            "text/plain",
        )
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
    payload = json.loads(error.serialize_as_json())
    payload.pop("stack_trace", None)
    return json.dumps(payload)
