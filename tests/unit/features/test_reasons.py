"""Reasons: the strongest pushes up and down per lead, in order, whatever `top` asks for."""

from __future__ import annotations

import numpy as np
import pytest

from features.reasons import rank_reasons

FEATURES = ["a", "b", "c", "d"]
IMPACTS = np.array([[0.5, -0.25, 0.0, -1.0], [-0.125, 0.75, 0.25, 0.25]])
VALUES = [[1.0, 2.0], ["x", "y"], [None, 3.0], [float("nan"), 0.0]]


@pytest.mark.parametrize(
    ("top", "first", "second"),
    [
        (1, (["a"], ["d"]), (["b"], ["a"])),
        (2, (["a"], ["d", "b"]), (["b", "c"], ["a"])),
        (9, (["a"], ["d", "b"]), (["b", "c", "d"], ["a"])),  # more than the features: every one that pushed
        (0, ([], []), ([], [])),
    ],
)
def test_the_top_pushes_each_way_in_order_ties_in_model_order(
    top: int, first: tuple[list[str], list[str]], second: tuple[list[str], list[str]]
) -> None:
    found = rank_reasons(FEATURES, IMPACTS, VALUES, [["b"], []], top)

    for lead, (positive, negative) in zip(found, (first, second), strict=True):
        assert [r["feature"] for r in lead["positive"]] == positive
        assert [r["feature"] for r in lead["negative"]] == negative
    if top >= 1:  # the value as cleaned (NaN as None), the impact, whether the value was unseen
        assert found[0]["negative"][0] == {"feature": "d", "value": None, "impact": -1.0, "unseen": False}
    if top >= 2:
        assert found[0]["negative"][1] == {"feature": "b", "value": "x", "impact": -0.25, "unseen": True}
