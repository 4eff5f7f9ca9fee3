"""Reasons behind a score: the features that pushed each lead's probability up or down the most."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Reasons = dict[str, list[dict[str, Any]]]


def _json_value(value: Any) -> Any:
    return None if isinstance(value, float) and value != value else value


def rank_reasons(
    features: Sequence[str],
    contributions: np.ndarray,
    columns: Sequence[Sequence[Any]],
    unseen: Sequence[Sequence[str]],
    top: int,
    label: Callable[[str, Any], str] | None = None,
) -> list[Reasons]:
    """Per lead, the `top` features that pushed its log-odds up and the `top` that pushed it down.

    Each reason names the feature, the lead's cleaned value (`columns`, one sequence per feature), its impact on
    the calibrated log-odds rounded to 4 places, and whether the value was a category unseen at training time.
    Ties keep model order (a stable sort). With `label` (feature, value -> text), each reason has its `label` too.
    """
    order = np.argsort(-contributions, axis=1, kind="stable")
    k = min(top, contributions.shape[1])
    # each lead's top k up, then its top k down
    ranks = np.concatenate((order[:, :k], order[:, : -k - 1 : -1]), axis=1)
    impacts = contributions[np.arange(len(ranks))[:, None], ranks].tolist()
    picked = ranks.tolist()
    found = []
    for i, lead_unseen in enumerate(unseen):

        def reason(
            j: int, impact: float, i: int = i, lead_unseen: Sequence[str] = lead_unseen
        ) -> dict[str, Any]:
            value = _json_value(columns[j][i])
            out: dict[str, Any] = {
                "feature": features[j],
                "value": value,
                "impact": round(impact, 4),
                "unseen": features[j] in lead_unseen,
            }
            if label is not None:
                out["label"] = label(features[j], value)
            return out

        ranked, pushes = picked[i], impacts[i]
        found.append(
            {
                "positive": [reason(j, d) for j, d in zip(ranked[:k], pushes[:k], strict=True) if d > 0],
                "negative": [reason(j, d) for j, d in zip(ranked[k:], pushes[k:], strict=True) if d < 0],
            }
        )
    return found
