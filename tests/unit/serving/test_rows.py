"""One lead or many, as API records or as a frame: the fitted pipeline cleans, encodes and scores them alike,
messy values included."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from features.clean import LeadCleaner, parse_number
from features.model import Columns, LeadModel

MESSY: dict[str, list[Any]] = {
    "numeric": [None, math.nan, "", "Select", " 5 ", "5.0", "5", 5, 5.5, 0.1, -1, -0.0, True, False, "abc",
                "1e3", "inf", "-inf", "nan", "1_000", "1,000", 1e20, "١٢", np.int64(7), np.float64(2.5), "  .5"],
    "boolean": [None, math.nan, "", "Select", "yes", " Yes ", "NO", "true", "FALSE", "1", "0", "1.0", "checked",
                "unchecked", "maybe", 1, 0, 1.0, 0.5, 2, True, False, np.bool_(True), "on", "t"],
    "categorical": [None, math.nan, "", "Select", " Retail ", "Retail", "retail", "never seen", 7, 7.0, 7.5,
                    True, "11-50", "United States", "Other", "(other)", "Nonprofit"],
}  # fmt: skip


def messy_leads(model: LeadModel, raw: pd.DataFrame, n: int, seed: int) -> list[dict[str, Any]]:
    """Real leads with a third of their values swapped for awkward ones, and some fields left out."""
    rng = np.random.default_rng(seed)
    schema = model.schema
    out = []
    for record in raw.sample(n, random_state=seed).to_dict("records"):
        lead: dict[str, Any] = {}
        for column, value in record.items():
            if column in schema.features and rng.random() < 0.35:
                choices = MESSY[schema.kind(column)] + list(raw[column].dropna().unique()[:5])
                value = choices[rng.integers(len(choices))]
            if rng.random() < 0.05:
                continue  # field left out
            lead[column] = value
        out.append(lead)
    return out


def assert_same(a: np.ndarray, b: np.ndarray) -> None:
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(np.nan_to_num(a, nan=-999.0), np.nan_to_num(b, nan=-999.0))


def with_placeholders(model: LeadModel, na_values: frozenset[str] | None) -> LeadModel:
    """The same model as if its schema listed other na_values (none: typed numbers skip the text rules)."""
    if na_values is None:
        return model
    # Only the cleaning step differs: the scorer is shared, so its lookup tables (seconds to build, and dropped by
    # a deep copy) are built once for every variant.
    other = copy.copy(model)
    cleaner = LeadCleaner({**model.cleaner.schema, "na_values": sorted(na_values)}).fit()
    other.__dict__["cleaner"] = cleaner  # what LeadModel.score cleans with
    return other


def cleaned(model: LeadModel, leads: Any) -> list[list[Any]]:
    """The cleaned values per feature, as Python values (reasons show these)."""
    columns = Columns.of(leads, model.schema.features)
    return [c.tolist() for c in model.cleaner.clean_columns(columns.values, columns.rows)]


def assert_same_values(got: list[Any], want: list[Any]) -> None:
    """Cleaned values: equal and of the same type, missing (None or NaN) matching missing."""
    for a, b in zip(got, want, strict=True):
        a_missing = a is None or (isinstance(a, float) and math.isnan(a))
        b_missing = b is None or (isinstance(b, float) and math.isnan(b))
        assert a_missing == b_missing and (a_missing or (a == b and type(a) is type(b))), (a, b)


def typed_leads(raw: pd.DataFrame, n: int) -> list[dict[str, Any]]:
    """Leads as an API client sends them: numbers as numbers (some -1, 5 and 2.5, which placeholders may name)."""
    rng = np.random.default_rng(5)
    out = []
    for record in raw.head(n).to_dict("records"):
        lead: dict[str, Any] = {}
        for column, value in record.items():
            try:
                lead[column] = float(value) if value not in ("", None) else None
            except (TypeError, ValueError):
                lead[column] = value
            if isinstance(lead[column], float) and rng.random() < 0.2:
                lead[column] = [-1, 5, 2.5, -1.0, None][rng.integers(5)]
        out.append(lead)
    return out


PLACEHOLDERS = [None, frozenset(), frozenset({"Select", "", "-1", "5", "2.5", "True", "Retail"})]


@pytest.mark.parametrize("placeholders", PLACEHOLDERS)
def test_each_messy_lead_cleans_as_a_one_row_frame_of_it_does(
    lead_model: LeadModel, raw_leads: pd.DataFrame, placeholders: frozenset[str] | None
) -> None:
    """A record's values keep their Python types; a frame gives each column a dtype: both clean alike."""
    model = with_placeholders(lead_model, placeholders)
    for lead in messy_leads(model, raw_leads, 100, seed=len(placeholders or ()) + 1):
        frame = pd.DataFrame([lead])
        assert_same(model.matrix([lead]), model.matrix(frame))
        for got, want in zip(cleaned(model, [lead]), cleaned(model, frame), strict=True):
            assert_same_values(got, want)


@pytest.mark.parametrize("placeholders", PLACEHOLDERS)
def test_a_batch_cleans_and_scores_each_lead_as_it_would_alone(
    lead_model: LeadModel, raw_leads: pd.DataFrame, placeholders: frozenset[str] | None
) -> None:
    """Many leads clean each distinct value once; one lead cleans its values one by one: the same answers."""
    model = with_placeholders(lead_model, placeholders)
    for leads in (messy_leads(model, raw_leads, 200, seed=7), typed_leads(raw_leads, 200)):
        together = model.score(leads, reasons=True)
        by_column = cleaned(model, leads)
        for i, lead in enumerate(leads):
            alone = model.score([lead], reasons=True)
            assert alone.probability[0] == together.probability[i], lead
            assert together.reasons is not None and alone.reasons == [together.reasons[i]]
            assert alone.unseen == [together.unseen[i]]
            assert_same_values([c[0] for c in cleaned(model, [lead])], [c[i] for c in by_column])


def test_a_csv_batch_scores_the_same_as_records_and_as_a_frame(
    lead_model: LeadModel, raw_leads: pd.DataFrame
) -> None:
    records = raw_leads.to_dict("records")
    assert_same(lead_model.matrix(records), lead_model.matrix(raw_leads))
    as_records, as_frame = lead_model.score(records, reasons=True), lead_model.score(raw_leads, reasons=True)
    np.testing.assert_array_equal(as_records.probability, as_frame.probability)
    assert as_records.reasons == as_frame.reasons
    for group, sub in as_frame.groups.items():
        np.testing.assert_array_equal(as_records.groups[group].probability, sub.probability)


def test_unseen_lists_new_and_rare_categories_only(lead_model: LeadModel) -> None:
    scored = lead_model.score(
        [{"industry": "Underwater basket weaving", "country": "Select", "lead_source": ""}], reasons=True
    )
    assert scored.unseen == [["industry"]]
    assert scored.reasons is not None
    flagged = [r["feature"] for side in scored.reasons[0].values() for r in side if r["unseen"]]
    assert flagged in ([], ["industry"])


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12.0), ("-0", 0.0), ("1e3", 1000.0), ("  .5", 0.5), ("1_000", math.nan), ("0x10", math.nan)],
)
def test_numbers_are_read_as_pandas_reads_them(text: str, number: float) -> None:
    assert parse_number(text.strip()) == number or (math.isnan(number) and math.isnan(parse_number(text)))
