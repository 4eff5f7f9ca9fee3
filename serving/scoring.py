"""Scoring leads for the API: plain functions over a loaded model, no web framework in sight.

The model's own `LeadModel.score` does the work, as it does for the pyfunc, the command line and ingest; this turns
its columns into the API's answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from features.groups import GROUPS

if TYPE_CHECKING:
    from serving.model_store import LoadedModel


def score_leads(
    loaded: LoadedModel,
    leads: Sequence[Mapping[str, Any]],
    *,
    top: int = 3,
    with_reasons: bool = True,
    threads: int | None = 1,
) -> list[dict[str, Any]]:
    """Probability, score, grade, unseen categories and (with reasons) reasons and sub-scores, in input order."""
    scored = loaded.model.score(leads, reasons=with_reasons, top=top, threads=threads)
    n = len(leads)
    sub: dict[str, list[dict[str, Any]] | list[None]] = {group: [None] * n for group in GROUPS}
    for group, found in scored.groups.items():
        sub[group] = [
            {"probability": p, "score": s, "impact": d}
            for p, s, d in zip(found.probability.tolist(), found.score.tolist(), found.impact, strict=True)
        ]
    ids = scored.ids or [None] * n
    reasons: list[Any] = scored.reasons or [None] * n
    rows = zip(
        ids,
        scored.probability.tolist(),
        scored.score.tolist(),
        scored.grade.tolist(),
        reasons,
        sub["fit"],
        sub["engagement"],
        scored.unseen,
        strict=True,
    )
    version = loaded.version
    return [
        {
            "lead_id": None if lead_id is None else str(lead_id),
            "probability": probability,
            "score": score,
            "grade": grade,
            "reasons": reasons,
            "fit": fit,
            "engagement": engagement,
            "unseen": unseen,
            "model_version": version,
        }
        for lead_id, probability, score, grade, reasons, fit, engagement, unseen in rows
    ]
