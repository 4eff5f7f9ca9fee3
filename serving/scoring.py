"""Scoring leads for the API: plain functions over a loaded model, no web framework in sight.

Sub-scores (fit, engagement) are worked out by features/groups.py, which `leadscore score` uses too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import BAD_REQUEST

from features.groups import GROUPS, group_logits
from features.model import sigmoid
from features.reasons import top_reasons, top_reasons_many
from features.rows import score_rows

if TYPE_CHECKING:
    from serving.model_store import LoadedModel


def score_leads(
    loaded: LoadedModel,
    leads: Sequence[Mapping[str, Any]],
    *,
    top: int = 3,
    with_reasons: bool = True,
    threads: int = 1,
) -> list[dict[str, Any]]:
    """Probability, score, grade, unseen categories and (with reasons) reasons and sub-scores, in input order.

    One lead (the API's hot path) is worked in Python floats, many with numpy: numpy calls cost more than one
    lead's arithmetic. Both do the same floating-point operations in the same order, so a lead gets the same
    answer alone or in a batch (tests check).
    """
    if len(leads) <= 1:
        return [_score_one(loaded, lead, top, with_reasons) for lead in leads]
    return _score_many(loaded, leads, top, with_reasons, threads)


def _score_one(loaded: LoadedModel, lead: Mapping[str, Any], top: int, with_reasons: bool) -> dict[str, Any]:
    model, encoder = loaded.model, loaded.encoder
    matrix, cleaned = encoder.encode([lead])
    values = cleaned[0]
    slope, intercept = model.calibration.slope, model.calibration.intercept
    impacts: list[float] = []
    group_impacts: list[float] = []
    if with_reasons:
        raw, contributions, baseline = model.scorer.explain_one(matrix[0])
        impacts = [c * slope for c in contributions]  # as score_rows scales them
        base = baseline * slope + intercept
        for _, columns in loaded.groups.items():
            total = 0.0  # left to right from 0.0, as group_logits adds a batch
            for j in columns:
                total += impacts[j]
            group_impacts.append(total)
        logits = [slope * raw + intercept, *(base + impact for impact in group_impacts)]
    else:
        logits = [slope * float(model.scorer.raw(matrix, 1)[0]) + intercept]
    # sigmoid as features.model computes it: 1 / (1 + exp(-z)), with numpy's exp (one call for every logit)
    probabilities = [1.0 / (1.0 + e) for e in np.exp(np.array([-z for z in logits])).tolist()]
    scores = [model.scale.score_one(p) for p in probabilities]
    unseen = encoder.unseen(values)
    lead_id = lead.get(model.schema_dict["id"])
    item: dict[str, Any] = {
        "lead_id": None if lead_id is None else str(lead_id),
        "probability": probabilities[0],
        "score": scores[0],
        "grade": model.scale.grade_one(scores[0]),
        "reasons": top_reasons(encoder.features, impacts, values, unseen, top) if with_reasons else None,
        "fit": None,
        "engagement": None,
        "unseen": unseen,
        "model_version": loaded.version,
    }
    for k, group in enumerate(loaded.groups if with_reasons else ()):
        item[group] = {
            "probability": probabilities[k + 1],
            "score": scores[k + 1],
            "impact": round(group_impacts[k], 4),
        }
    return item


def _score_many(
    loaded: LoadedModel, leads: Sequence[Mapping[str, Any]], top: int, with_reasons: bool, threads: int
) -> list[dict[str, Any]]:
    model, encoder = loaded.model, loaded.encoder
    matrix, columns = encoder.encode_columns(leads)
    scored = score_rows(model, matrix, contributions=with_reasons, threads=threads)
    n = len(leads)
    groups = list(loaded.groups.items()) if scored.contributions is not None else []
    probabilities = [scored.probability]
    impacts: list[list[float]] = []
    if groups and scored.contributions is not None and scored.baseline is not None:
        base = scored.baseline + model.calibration.intercept
        impacts, logits = group_logits(scored.contributions, base, [columns for _, columns in groups])
        probabilities.append(sigmoid(logits))  # the groups' probabilities and every score in one call each
    every = np.concatenate(probabilities)
    all_scores = model.scale.score(every)
    grades = model.scale.grade(all_scores[:n]).tolist()
    all_scores_list, all_probabilities = all_scores.tolist(), every.tolist()
    id_column = model.schema_dict["id"]
    ids = [lead.get(id_column) for lead in leads]
    unseen = encoder.unseen_columns(matrix)
    reasons: list[Any] = [None] * n
    if with_reasons and scored.contributions is not None:
        reasons = top_reasons_many(encoder.features, scored.contributions, columns, unseen, top)
    sub: dict[str, list[dict[str, Any]] | list[None]] = {group: [None] * n for group in GROUPS}
    for k, ((group, _), impact) in enumerate(zip(groups, impacts, strict=True)):
        at = slice(n * (k + 1), n * (k + 2))
        sub[group] = [
            {"probability": p, "score": s, "impact": round(d, 4)}
            for p, s, d in zip(all_probabilities[at], all_scores_list[at], impact, strict=True)
        ]
    rows = zip(
        ids,
        all_probabilities[:n],
        all_scores_list[:n],
        grades,
        reasons,
        sub["fit"],
        sub["engagement"],
        unseen,
        strict=True,
    )
    version = loaded.version
    return [
        {
            "lead_id": None if lead_id is None else str(lead_id),
            "probability": probability,
            "score": score,
            "grade": grade,
            "reasons": lead_reasons,
            "fit": fit,
            "engagement": engagement,
            "unseen": lead_unseen,
            "model_version": version,
        }
        for lead_id, probability, score, grade, lead_reasons, fit, engagement, lead_unseen in rows
    ]


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
