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
    n = len(leads)
    groups = list(loaded.groups.items()) if scored.contributions is not None else []
    probabilities = [scored.probability]
    impacts: list[list[float]] = []
    if groups and scored.contributions is not None and scored.baseline is not None:
        base = scored.baseline + model.calibration.intercept
        impacts, logits = _group_logits(scored.contributions, base, [columns for _, columns in groups])
        # the groups' probabilities and every score in one numpy call each: they cost ~10 us apiece per call
        probabilities.append(sigmoid(logits))
    every = np.concatenate(probabilities)
    all_scores = model.scale.score(every).tolist()
    all_probabilities = every.tolist()
    scores = all_scores[:n]
    cuts = [(model.scale.grade_cuts[g], g) for g in ("A", "B", "C")]
    # ScoreScale.grade's rule, per lead in Python: np.select costs ~40 us even for one lead
    grades = [next((g for cut, g in cuts if score >= cut), "D") for score in scores]
    id_column = model.schema_dict["id"]
    sub: dict[str, list[dict[str, Any]]] = {}
    for k, ((group, _), impact) in enumerate(zip(groups, impacts, strict=True)):
        at = slice(n * (k + 1), n * (k + 2))
        sub[group] = [
            {"probability": p, "score": s, "impact": round(d, 4)}
            for p, s, d in zip(all_probabilities[at], all_scores[at], impact, strict=True)
        ]
    rows = zip(leads, cleaned, all_probabilities[:n], scores, grades, strict=True)
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


def _group_logits(
    contributions: np.ndarray, base: np.ndarray, groups: list[list[int]]
) -> tuple[list[list[float]], np.ndarray]:
    """Per group, each lead's summed impact, and base + impact for every group (group after group).

    Impacts add left to right from 0.0, so a lead gets the same sum alone or in a batch: one lead in Python floats
    (a numpy call costs more than its few additions), many with cumsum (which adds sequentially; + 0.0 turns an
    all-zero -0.0 into the 0.0 the Python sum gives).
    """
    if len(contributions) == 1:
        row, start = contributions[0].tolist(), float(base[0])
        impacts = []
        for columns in groups:
            total = 0.0
            for j in columns:
                total += row[j]
            impacts.append([total])
        return impacts, np.array([start + impact[0] for impact in impacts])
    sums = [np.cumsum(contributions[:, columns], axis=1)[:, -1] + 0.0 for columns in groups]
    return [impact.tolist() for impact in sums], np.concatenate([base + impact for impact in sums])


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
