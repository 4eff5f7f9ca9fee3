"""Reasons behind a score: the features that pushed a lead's probability up or down the most."""

from __future__ import annotations

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
