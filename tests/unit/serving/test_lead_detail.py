"""The detail panel's arithmetic: which features moved a change of score, and the trend over a history."""

from __future__ import annotations

from typing import Any

import pytest

from serving.store.lead_detail import moves, trend


def reasons(**impacts: float) -> dict[str, Any]:
    items = [{"feature": f, "value": None, "label": f"{f}!", "impact": v} for f, v in impacts.items()]
    return {
        "positive": [i for i in items if i["impact"] > 0],
        "negative": [i for i in items if i["impact"] <= 0],
    }


def test_moves_count_a_missing_feature_as_zero_and_sort_by_size() -> None:
    found = moves(reasons(a=0.5, b=-0.2, c=0.1), reasons(a=0.5, b=0.3, d=-0.4))
    assert [(m.feature, m.before, m.after) for m in found] == [
        ("b", -0.2, 0.3),
        ("d", 0.0, -0.4),
        ("c", 0.1, 0.0),
    ]  # a did not move: left out
    assert [m.change for m in found] == pytest.approx([0.5, -0.4, -0.1])
    assert found[2].label == "c!"  # from the scoring that has it


def test_moves_keep_the_largest_ties_by_name() -> None:
    found = moves(reasons(), reasons(e=0.1, d=0.1, c=0.3, b=-0.3, a=0.2, z=0.05), most=4)
    assert [m.feature for m in found] == ["b", "c", "a", "d"]


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([50], "steady"),
        ([], "steady"),
        ([50, 54], "steady"),
        ([50, 30, 55], "improving"),
        ([50, 46, 45], "declining"),
        ([50, 90, 52], "steady"),  # first against latest: a spike in between does not count
    ],
)
def test_trend_compares_the_latest_score_with_the_first(scores: list[int], expected: str) -> None:
    assert trend(scores) == expected
