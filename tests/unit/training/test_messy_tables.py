"""Messy lead tables against the schema: repeated rows, text labels, empty and id-like features."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from features.schema import parse_schema
from training.data import DataError, usable_schema, validate_leads

CITIES = ["Bogotá", "Zürich", "São Paulo"]


# ---- repeated leads, text labels ----

SCHEMA = parse_schema(
    {
        "id": "lead_id",
        "label": "converted",
        "numeric": ["visits"],
        "categorical": ["city"],
        "na_values": ["Select"],
    }
)
N = 60


def table(n: int = N) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(n)],
            "visits": [str(i % 7) for i in range(n)],
            "city": [CITIES[i % 3] for i in range(n)],
            "converted": [str(i % 2) for i in range(n)],
        }
    )


def test_rows_repeated_exactly_are_kept_once_with_a_warning() -> None:
    frame = pd.concat([table(), table().iloc[[4, 9, 9]]], ignore_index=True)
    leads = validate_leads(frame, SCHEMA)
    assert leads.frame["lead_id"].tolist() == table()["lead_id"].tolist()
    assert len(leads.y) == N
    assert leads.warnings == ["3 repeated rows (identical to an earlier row, e.g. lead 'L4') kept once"]


def test_one_id_with_different_rows_is_refused_naming_count_example_and_column() -> None:
    frame = table()
    frame.loc[[10, 11], "lead_id"] = "L3"  # L3 now has three rows that differ in their label or visits
    frame.loc[20, "lead_id"] = "L5"
    with pytest.raises(DataError) as caught:
        validate_leads(frame, SCHEMA)
    assert str(caught.value) == (
        "id column 'lead_id' repeats 2 ids with different values (e.g. 'L3', which differs in 'visits'); "
        "keep one row per lead"
    )


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["yes", "no"], "found 'no' (30), 'yes' (30)"),
        (["Won", "Lost", "0", "1"], "found 'Lost' (15), 'Won' (15)"),
        (["1", "0", "1", "maybe"], "found 'maybe' (15)"),
        (["1", "0", "2", "-1", "x", "y", "0"], "and 1 more values"),
    ],
)
def test_text_in_a_plain_label_names_the_values_and_the_mapping(labels: list[str], expected: str) -> None:
    frame = table().assign(converted=[labels[i % len(labels)] for i in range(N)])
    with pytest.raises(DataError) as caught:
        validate_leads(frame, SCHEMA)
    message = str(caught.value)
    assert message.startswith("label column 'converted' must hold 0/1, found")
    assert expected in message
    assert "label: {column: converted, positive: [...], negative: [...]}" in message


def test_label_mapping_ignores_case_and_space_and_names_the_statuses_left_out() -> None:
    schema = parse_schema(
        SCHEMA.to_dict() | {"label": {"column": "stage", "positive": ["Won"], "negative": ["Lost"]}}
    )
    stages = ["Won", " won", "LOST", "lost ", "maybe", "Open"]
    frame = table(120).drop(columns=["converted"]).assign(stage=[stages[i % 6] for i in range(120)])
    leads = validate_leads(frame, schema)
    assert leads.y.tolist() == [1, 1, 0, 0] * 20
    assert leads.unlabeled == 40
    assert leads.warnings == [
        "label 'stage': 40 leads have a status in neither label.positive nor label.negative and are left out: "
        "'Open' (20), 'maybe' (20)"
    ]


def test_a_label_mapping_that_matches_nothing_names_what_the_column_holds() -> None:
    schema = parse_schema(
        SCHEMA.to_dict() | {"label": {"column": "stage", "positive": ["Won"], "negative": ["Lost"]}}
    )
    frame = table().drop(columns=["converted"]).assign(stage=["Closed Won", "Closed Lost"] * (N // 2))
    with pytest.raises(
        DataError, match=r"only 0 labelled leads in 'stage'.*holds 'Closed Lost' \(30\), 'Closed Won' \(30\)$"
    ):
        validate_leads(frame, schema)


# ---- features without information ----

WIDE = parse_schema(
    {
        "id": "lead_id",
        "label": "converted",
        "numeric": ["visits", "budget"],
        "boolean": ["newsletter"],
        "categorical": ["city", "region", "cookie"],
        "na_values": ["Select"],
        "groups": {"fit": ["city", "region"], "engagement": ["visits", "newsletter"]},
    }
)


def wide(n: int = 200) -> pd.DataFrame:
    return table(n).assign(
        budget=np.nan, newsletter="", region="Select", cookie=[f"c{i:05d}" for i in range(n)]
    )


def test_empty_features_are_ignored_and_id_like_ones_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        schema, notes = usable_schema(wide(), WIDE)
    assert schema.features == ["visits", "city", "cookie"]
    assert schema.drop == ["budget", "newsletter", "region"]
    assert (
        schema.groups is not None and schema.groups.fit == ["city"] and schema.groups.engagement == ["visits"]
    )
    assert len(notes) == 4
    for column in ("budget", "newsletter", "region"):
        assert f"feature {column!r} has no usable value in any of the 200 training leads" in caplog.text
    assert (
        "feature 'cookie' has 200 different values in 200 training leads, like an identifier" in caplog.text
    )
    assert "'city'" not in caplog.text


def test_a_schema_with_usable_features_only_is_kept_as_is() -> None:
    frame = wide().assign(budget="5", newsletter="yes", region="North", cookie="same")
    assert usable_schema(frame, WIDE) == (WIDE, [])


def test_no_usable_feature_at_all_is_one_line() -> None:
    frame = wide().assign(visits="", city="Select", cookie=None)
    with pytest.raises(DataError, match=r"^no feature has a usable value in the 200 training leads$"):
        usable_schema(frame, WIDE)
