"""The store's label rule: which final outcomes are positive, from the schema's label mapping or by default."""

from __future__ import annotations

import pytest

from features.schema import LeadSchema, parse_schema
from serving.store import BadLabelMapping, labels_for


def schema(label: object) -> LeadSchema:
    return parse_schema({"id": "lead_id", "label": label, "numeric": ["page_views"]})


def test_a_plain_label_column_counts_won_as_positive_and_leaves_open_leads_out() -> None:
    labels = labels_for(schema("converted"))
    assert [labels.label(s) for s in ("won", "lost", "rejected", "accepted", "new")] == [1, 0, 0, None, None]
    assert labels.describe() == "won = 1; lost+rejected = 0"


def test_a_mapping_is_matched_to_the_outcomes_ignoring_case_and_keeps_its_values() -> None:
    labels = labels_for(
        schema({"column": "stage", "positive": ["Accepted", "Won"], "negative": [" rejected", "Churned"]})
    )
    assert labels.values == {"accepted": "Accepted", "won": "Won", "rejected": " rejected"}
    assert [labels.label(s) for s in ("accepted", "won", "rejected", "lost", "new")] == [1, 1, 0, None, None]


@pytest.mark.parametrize(
    "mapping",
    [
        {"column": "stage", "positive": ["SQL"], "negative": ["Lost"]},  # no outcome on the positive side
        {"column": "stage", "positive": ["won"], "negative": ["Churned"]},  # none on the negative side
    ],
)
def test_a_mapping_without_outcomes_on_both_sides_is_one_line_naming_the_column(
    mapping: dict[str, object],
) -> None:
    with pytest.raises(BadLabelMapping, match="label mapping on 'stage' must name store outcomes") as raised:
        labels_for(schema(mapping))
    assert isinstance(raised.value, ValueError) and "\n" not in str(raised.value)
