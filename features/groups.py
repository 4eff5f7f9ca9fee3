"""Sub-scores of the schema's feature groups (fit, engagement), the same for the API and `leadscore score`.

For a group, the sub-score is what the lead would score if every feature outside the group were at the model's
average: probability = sigmoid(calibrated baseline + the summed impacts of the group's features), mapped to 0-100 by
the model's own score scale. Impacts are the model family's contributions (TreeSHAP for LightGBM, term minus its
training mean for the additive families) scaled by the Platt slope, so they add up, with the baseline and the
calibration intercept, to the lead's calibrated log-odds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from features.scale import sigmoid

if TYPE_CHECKING:
    from features.model import LeadModel

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


def group_index(groups: list[list[int]], width: int) -> np.ndarray:
    """(groups, longest) feature positions, shorter groups padded with `width`: the zero column `group_logits` adds."""
    longest = max(map(len, groups), default=0)
    return np.array([columns + [width] * (longest - len(columns)) for columns in groups], dtype=np.intp)


def group_logits(
    contributions: np.ndarray, base: np.ndarray, index: np.ndarray
) -> tuple[list[list[float]], np.ndarray]:
    """Per group, each lead's summed impact, and base + impact for every group (group after group).

    Impacts add left to right along each group's row of `index` (cumsum; the padding adds 0.0, and + 0.0 turns an
    all-zero -0.0 into 0.0), the same for a lead alone or in a batch: every group in one gather and one cumsum.
    """
    padded = np.concatenate((contributions, np.zeros((len(contributions), 1))), axis=1)
    sums = np.cumsum(padded[:, index], axis=2)[:, :, -1].T + 0.0  # (groups, leads)
    return sums.tolist(), (base + sums).reshape(-1)


@dataclass(frozen=True)
class GroupScores:
    """One group's sub-score per lead, as the API's `fit` and `engagement` hold them."""

    probability: np.ndarray
    score: np.ndarray
    impact: list[float]  # rounded to 4 places, as the API answers


def group_scores(model: LeadModel, impacts: np.ndarray, baseline: np.ndarray) -> dict[str, GroupScores]:
    """Every group's sub-scores (empty when the schema names no groups): `impacts` and `baseline` scaled by the
    Platt slope, as `LeadModel.score` has them."""
    groups = model.groups
    if not groups:
        return {}
    base = baseline + model.calibration.intercept
    summed, logits = group_logits(impacts, base, model.group_index)
    probabilities = sigmoid(logits)
    scores = model.scale.score(probabilities)
    n = len(impacts)
    return {
        group: GroupScores(
            probabilities[k * n : (k + 1) * n], scores[k * n : (k + 1) * n], [round(d, 4) for d in impact]
        )
        for k, (group, impact) in enumerate(zip(groups, summed, strict=True))
    }
