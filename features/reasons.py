"""Reasons behind a score: the features that pushed a lead's probability up or down the most."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from features.model import LeadModel


def _plain(value: Any) -> Any:
    """A JSON-friendly value: numpy scalars unwrapped, missing as None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def reasons(model: LeadModel, leads: pd.DataFrame, top: int = 3) -> list[dict[str, list[dict[str, Any]]]]:
    """Per lead, the `top` positive and `top` negative reasons: feature, the lead's value, impact on log-odds."""
    impacts, values = model.contributions(leads)
    return ranked_reasons(model, impacts, values, top)


def ranked_reasons(
    model: LeadModel, impacts: pd.DataFrame, values: pd.DataFrame, top: int = 3
) -> list[dict[str, list[dict[str, Any]]]]:
    """`reasons` from contributions already worked out (`LeadModel.contributions` or `LeadModel.explain`)."""
    unseen = model.encoder.unseen(values)
    names = np.array(impacts.columns)
    contrib = impacts.to_numpy()
    order = np.argsort(-contrib, axis=1, kind="stable")
    out = []
    for i in range(len(contrib)):
        row = contrib[i]
        ranked = order[i]
        positive = [j for j in ranked[:top] if row[j] > 0]
        negative = [j for j in ranked[::-1][:top] if row[j] < 0]

        def reason(j: int, i: int = i) -> dict[str, Any]:
            feature = str(names[j])
            item = {
                "feature": feature,
                "value": _plain(values.iat[i, j]),
                "impact": round(float(contrib[i, j]), 4),
            }
            if feature in unseen.columns and bool(unseen[feature].iat[i]):
                item["unseen"] = True
            return item

        out.append({"positive": [reason(j) for j in positive], "negative": [reason(j) for j in negative]})
    return out


def _json_value(value: Any) -> Any:
    return None if isinstance(value, float) and value != value else value


def top_reasons(
    features: Sequence[str],
    contributions: np.ndarray | list[float],
    values: Sequence[Any],
    unseen: Sequence[str],
    top: int,
) -> dict[str, list[dict[str, Any]]]:
    """One lead's `top` positive and negative reasons, ranked and rounded exactly as `features.reasons` does.

    Each reason always carries `unseen` (features.reasons adds it only when true).
    """
    impacts = contributions.tolist() if isinstance(contributions, np.ndarray) else contributions
    # np.argsort(-contributions, kind="stable") in Python: a numpy call costs more than 25 values (a reversed sort
    # keeps ties in input order too)
    ranked = sorted(range(len(impacts)), key=impacts.__getitem__, reverse=True)
    positive = [j for j in ranked[:top] if impacts[j] > 0]
    negative = [j for j in ranked[::-1][:top] if impacts[j] < 0]

    def reason(j: int) -> dict[str, Any]:
        return {
            "feature": features[j],
            "value": _json_value(values[j]),
            "impact": round(impacts[j], 4),
            "unseen": features[j] in unseen,
        }

    return {"positive": [reason(j) for j in positive], "negative": [reason(j) for j in negative]}


def top_reasons_many(
    features: Sequence[str],
    contributions: np.ndarray,
    columns: Sequence[Sequence[Any]],
    unseen: Sequence[Sequence[str]],
    top: int,
) -> list[dict[str, list[dict[str, Any]]]]:
    """`top_reasons` for every row of a batch at once: one ranking call, values read from per-feature columns."""
    order = np.argsort(-contributions, axis=1, kind="stable")  # as `sorted` ranks one row: stable
    ends = (order[:, :top], order[:, ::-1][:, :top])
    picked = [(ranks.tolist(), np.take_along_axis(contributions, ranks, axis=1).tolist()) for ranks in ends]
    (pos, pos_impacts), (neg, neg_impacts) = picked
    out = []
    for i, lead_unseen in enumerate(unseen):

        def reason(
            j: int, impact: float, i: int = i, lead_unseen: Sequence[str] = lead_unseen
        ) -> dict[str, Any]:
            return {
                "feature": features[j],
                "value": _json_value(columns[j][i]),
                "impact": round(impact, 4),
                "unseen": features[j] in lead_unseen,
            }

        out.append(
            {
                "positive": [reason(j, d) for j, d in zip(pos[i], pos_impacts[i], strict=True) if d > 0],
                "negative": [reason(j, d) for j, d in zip(neg[i], neg_impacts[i], strict=True) if d < 0],
            }
        )
    return out
