"""Cleaning raw lead values: placeholders to missing, numbers and booleans from their many spellings."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from features.clean import LeadCleaner, as_signature_types, to_numeric
from features.schema import parse_schema

SCHEMA: dict[str, Any] = {
    "id": "lead_id",
    "label": "converted",
    "numeric": ["page_views", "time_on_site_sec"],
    "categorical": ["lead_source", "company_size"],
    "boolean": ["requested_demo"],
    "na_values": ["Select"],
}
FEATURES = ["page_views", "time_on_site_sec", "requested_demo", "lead_source", "company_size"]


def clean(frame: pd.DataFrame, schema: dict[str, Any] = SCHEMA) -> pd.DataFrame:
    return LeadCleaner(schema).fit(frame).transform(frame)


def to_boolean(values: pd.Series) -> pd.Series:
    """A boolean feature's column through the cleaner, as a lead batch reaches it (a frame's column as an array)."""
    cleaner = LeadCleaner(SCHEMA).fit()
    columns = cleaner.clean_columns({"requested_demo": values.to_numpy()}, len(values))
    return pd.Series(dict(zip(cleaner.schema_.features, columns, strict=True))["requested_demo"])


def leads() -> pd.DataFrame:
    """Raw rows as a CSV or a web form delivers them: text, placeholders, stray spaces."""
    return pd.DataFrame(
        {
            "lead_id": ["a", "b", "c", "d"],
            "lead_source": ["Web", " Email ", "Select", ""],
            "page_views": [" 12 ", "3.5", "Select", ""],
            "time_on_site_sec": [30, 0, np.nan, 7],
            "requested_demo": ["yes", "No", "Select", ""],
            "company_size": [7.0, "11-50", None, "  "],
            "converted": ["1", "0", "0", "1"],
        },
        index=[101, 102, 103, 104],
    )


def test_placeholders_and_empty_strings_are_missing_in_every_kind_of_column() -> None:
    out = clean(leads())
    for column in ["page_views", "requested_demo", "lead_source"]:
        assert out[column].loc[[103, 104]].isna().all(), column
    assert out["company_size"].loc[[103, 104]].isna().all()


def test_given_values_survive_cleaning_typed() -> None:
    out = clean(leads())
    assert out["page_views"].loc[[101, 102]].tolist() == [12.0, 3.5]
    assert out["time_on_site_sec"].tolist()[:2] == [30.0, 0.0]
    assert out["requested_demo"].loc[[101, 102]].tolist() == [1.0, 0.0]
    assert out["lead_source"].loc[[101, 102]].tolist() == ["Web", "Email"]
    assert out["page_views"].dtype == np.float64
    assert out["requested_demo"].dtype == np.float64


def test_numbers_given_as_text_are_parsed_and_junk_is_missing() -> None:
    values = pd.Series([" 12 ", "3.5", "-4", "1e3", "junk", "1,000", "", None], dtype=object)
    out = to_numeric(values)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.to_numpy(), [12.0, 3.5, -4.0, 1000.0, np.nan, np.nan, np.nan, np.nan])


def test_numbers_and_booleans_with_numeric_dtypes_become_floats() -> None:
    assert to_numeric(pd.Series([1, 2, 3])).tolist() == [1.0, 2.0, 3.0]
    assert to_numeric(pd.Series([True, False])).tolist() == [1.0, 0.0]
    assert to_numeric(pd.Series([1, None], dtype="Int64")).isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, 1.0),
        (False, 0.0),
        ("yes", 1.0),
        ("No", 0.0),
        ("1", 1.0),
        ("0", 0.0),
        (1, 1.0),
        (0, 0.0),
        (1.0, 1.0),
        ("TRUE", 1.0),
        ("False", 0.0),
        ("y", 1.0),
        ("n", 0.0),
        (" yes ", 1.0),
        ("1.0", 1.0),
        ("maybe", np.nan),
        (2, np.nan),
        ("2", np.nan),
    ],
)
def test_boolean_spellings_normalise(value: Any, expected: float) -> None:
    # Alone (its natural dtype) and mixed with other spellings (object dtype, as JSON delivers it).
    alone = to_boolean(pd.Series([value]))
    mixed = to_boolean(pd.Series([value, "yes", 0], dtype=object))
    for out in (alone, mixed):
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out.to_numpy()[:1], [expected])


def test_missing_booleans_stay_missing_next_to_given_ones() -> None:
    out = to_boolean(pd.Series(["yes", None, np.nan, "no"], dtype=object))
    np.testing.assert_array_equal(out.to_numpy(), [1.0, np.nan, np.nan, 0.0])


@pytest.mark.parametrize("value", [None, "", "Select"])
def test_boolean_column_with_nothing_given_is_missing_not_a_crash(value: Any) -> None:
    # One lead from a web form that left the checkbox unset, as the scoring API receives it.
    out = clean(pd.DataFrame({"requested_demo": pd.Series([value], dtype=object), "page_views": [3]}))
    assert out["requested_demo"].isna().all()
    assert to_boolean(pd.Series([value], dtype=object)).isna().all()


def test_boolean_dtypes_normalise() -> None:
    assert to_boolean(pd.Series([True, False])).tolist() == [1.0, 0.0]
    nullable = to_boolean(pd.Series([True, False, None], dtype="boolean"))
    np.testing.assert_array_equal(nullable.to_numpy(), [1.0, 0.0, np.nan])


def test_integral_floats_used_as_categories_match_their_text() -> None:
    frame = pd.DataFrame(
        {"lead_source": ["7", 7.0, 7, 7.5, " 7 "], "company_size": [10.0, 20.0, np.nan, 1.0, 2.0]}
    )
    out = clean(frame)
    assert out["lead_source"].tolist() == ["7", "7", "7", "7.5", "7"]
    assert out["company_size"].iloc[[0, 1, 3, 4]].tolist() == ["10", "20", "1", "2"]
    assert out["company_size"].isna().tolist() == [False, False, True, False, False]


def test_absent_feature_column_is_all_missing() -> None:
    frame = pd.DataFrame({"page_views": ["4"], "lead_source": ["Web"]}, index=[9])
    out = clean(frame)
    assert list(out.columns) == FEATURES
    assert out.loc[9, "page_views"] == 4.0
    assert out.loc[9, "lead_source"] == "Web"
    assert out[["time_on_site_sec", "requested_demo", "company_size"]].isna().all().all()
    assert out["time_on_site_sec"].dtype == np.float64
    assert out["requested_demo"].dtype == np.float64


def test_output_is_schema_features_in_order_with_the_input_index() -> None:
    frame = leads()
    shuffled = frame[["company_size", "converted", "lead_source", "requested_demo", "lead_id", "page_views"]]
    shuffled = shuffled.assign(time_on_site_sec=frame["time_on_site_sec"], notes="free text")
    out = clean(shuffled)
    assert list(out.columns) == FEATURES == list(parse_schema(SCHEMA).features)
    assert out.index.tolist() == [101, 102, 103, 104]
    pd.testing.assert_frame_equal(out, clean(frame))


def test_cleaner_does_not_change_its_input() -> None:
    frame = leads()
    before = frame.copy()
    clean(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_cleaner_survives_pickle_and_clone() -> None:
    frame = leads()
    fitted = LeadCleaner(SCHEMA).fit(frame)
    expected = fitted.transform(frame)
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(fitted)).transform(frame), expected)
    pd.testing.assert_frame_equal(clone(fitted).fit(frame).transform(frame), expected)
    assert fitted.get_feature_names_out().tolist() == FEATURES


def test_na_values_from_the_schema_are_what_counts_as_a_placeholder() -> None:
    frame = pd.DataFrame({"lead_source": ["Select", "Unknown"], "page_views": ["Unknown", "3"]})
    out = clean(frame, {**SCHEMA, "na_values": ["Unknown"]})
    assert out["lead_source"].tolist()[0] == "Select"
    assert out["lead_source"].isna().tolist() == [False, True]
    assert out["page_views"].isna().tolist() == [True, False]


def test_as_signature_types_types_numbers_and_keeps_the_rest_as_text() -> None:
    schema = parse_schema(SCHEMA)
    frame = pd.DataFrame(
        {
            "notes": ["x", "y"],
            "lead_source": ["Web", None],
            "page_views": [" 12 ", "junk"],
            "lead_id": [17, 18],
            "requested_demo": [True, None],
            "company_size": [7.0, np.nan],
        }
    )
    out = as_signature_types(frame, schema)
    assert list(out.columns) == ["lead_id", "page_views", "requested_demo", "lead_source", "company_size"]
    assert out["page_views"].dtype == np.float64
    np.testing.assert_array_equal(out["page_views"].to_numpy(), [12.0, np.nan])
    assert out["lead_id"].tolist() == ["17", "18"]
    assert out["lead_source"].tolist() == ["Web", None]
    assert out["requested_demo"].tolist() == ["True", None]
    assert out["company_size"].tolist() == ["7", None]


def test_nullable_missing_values_are_missing() -> None:
    frame = pd.DataFrame(
        {
            "lead_source": pd.array(["Web", None], dtype="string"),
            "company_size": pd.array([7, None], dtype="Int64"),
        }
    )
    out = clean(frame)
    assert out["lead_source"].isna().tolist() == [False, True]
    assert out["company_size"].isna().tolist() == [False, True]


def test_numeric_placeholder_is_missing_whether_given_as_text_or_number() -> None:
    schema = {**SCHEMA, "na_values": ["-1"]}
    as_text = clean(pd.DataFrame({"page_views": ["-1", "5"]}), schema)
    as_number = clean(pd.DataFrame({"page_views": [-1, 5]}), schema)
    pd.testing.assert_frame_equal(as_number, as_text)


@pytest.mark.parametrize("dtype", [object, "str"])
def test_text_columns_clean_exactly_as_each_value_would_alone(dtype: Any) -> None:
    """Text columns take a once-per-distinct-value path; it must agree with cleaning the values one by one."""
    raw = leads().drop(columns=["company_size", "time_on_site_sec"]).astype(dtype)
    raw.loc[102, "requested_demo"] = " TRUE "
    raw.loc[104, "lead_source"] = None
    schema = {**SCHEMA, "numeric": ["page_views"], "categorical": ["lead_source"]}
    whole = clean(raw, schema)
    one_by_one = pd.concat([clean(raw.loc[[i]].astype(object), schema) for i in raw.index])
    pd.testing.assert_frame_equal(whole, one_by_one, check_dtype=False)
    assert whole["requested_demo"].tolist()[:2] == [1.0, 1.0]
    assert whole["lead_source"].tolist()[:2] == ["Web", "Email"]
    assert whole["page_views"].tolist()[:2] == [12.0, 3.5]
    assert whole.iloc[2:].isna().all().all()


def test_a_cleaner_fitted_again_on_another_schema_uses_its_placeholders() -> None:
    cleaner = LeadCleaner({**SCHEMA, "na_values": []}).fit()
    raw = {"page_views": [-1, 3], "lead_source": ["-1", "web"]}
    first = cleaner.clean_columns(raw, 2)
    assert first[0].tolist() == [-1.0, 3.0] and first[3].tolist() == ["-1", "web"]

    again = cleaner.set_params(schema={**SCHEMA, "na_values": ["-1"]}).fit().clean_columns(raw, 2)
    assert np.isnan(again[0][0]) and again[3][0] is None  # -1 is a placeholder now: missing
