"""The pandas-free row path gives exactly what the fitted pandas pipeline gives, messy values included."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from features.model import LeadModel
from features.reasons import reasons, top_reasons, top_reasons_many
from features.rows import RowEncoder, parse_number, score_rows

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
    # Only the cleaning step differs: the scorer is shared, so its one-row tables (seconds to build, and dropped by
    # a deep copy) are built once for every variant.
    other = copy.copy(model)
    other.preprocessor = copy.deepcopy(model.preprocessor)
    other.preprocessor.named_steps["clean"].na_values_ = na_values
    return other


@pytest.mark.parametrize(
    "placeholders", [None, frozenset(), frozenset({"Select", "", "-1", "5", "2.5", "True", "Retail"})]
)
def test_each_messy_lead_encodes_as_a_one_row_frame_does(
    lead_model: LeadModel, raw_leads: pd.DataFrame, placeholders: frozenset[str] | None
) -> None:
    model = with_placeholders(lead_model, placeholders)
    encoder = RowEncoder(model)
    cleaner = model.preprocessor.named_steps["clean"]
    for lead in messy_leads(model, raw_leads, 100, seed=len(placeholders or ()) + 1):
        frame = pd.DataFrame([lead])
        matrix, cleaned = encoder.encode([lead])
        assert_same(matrix, model.matrix(frame))
        expected = cleaner.transform(frame).iloc[0].tolist()
        for got, want in zip(cleaned[0], expected, strict=True):
            missing = got is None or (isinstance(got, float) and math.isnan(got))
            assert (missing and pd.isna(want)) or got == want, (lead, got, want)


def test_a_csv_batch_encodes_and_scores_as_the_pandas_path(
    lead_model: LeadModel, raw_leads: pd.DataFrame
) -> None:
    records = raw_leads.to_dict("records")
    matrix, _ = RowEncoder(lead_model).encode(records)
    assert_same(matrix, lead_model.matrix(raw_leads))
    scored = score_rows(lead_model, matrix, contributions=True)
    expected = lead_model.score_frame(raw_leads)
    np.testing.assert_array_equal(scored.probability, expected["probability"].to_numpy())
    impacts, _ = lead_model.contributions(raw_leads)
    assert scored.contributions is not None
    np.testing.assert_array_equal(scored.contributions, impacts.to_numpy())


def test_reasons_match_the_batch_reasons_on_messy_leads(
    lead_model: LeadModel, raw_leads: pd.DataFrame
) -> None:
    encoder = RowEncoder(lead_model)
    leads = messy_leads(lead_model, raw_leads, 100, seed=3)
    matrix, cleaned = encoder.encode(leads)
    scored = score_rows(lead_model, matrix, contributions=True)
    assert scored.contributions is not None
    for i, lead in enumerate(leads):
        got = top_reasons(
            encoder.features, scored.contributions[i], cleaned[i], encoder.unseen(cleaned[i]), 3
        )
        flagged = {
            side: [{k: v for k, v in r.items() if k != "unseen" or v} for r in got[side]] for side in got
        }
        assert flagged == reasons(lead_model, pd.DataFrame([lead]), top=3)[0], lead


def test_unseen_lists_new_and_rare_categories_only(lead_model: LeadModel) -> None:
    encoder = RowEncoder(lead_model)
    _, cleaned = encoder.encode(
        [{"industry": "Underwater basket weaving", "country": "Select", "lead_source": ""}]
    )
    assert encoder.unseen(cleaned[0]) == ["industry"]


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12.0), ("-0", 0.0), ("1e3", 1000.0), ("  .5", 0.5), ("1_000", math.nan), ("0x10", math.nan)],
)
def test_numbers_are_read_as_pandas_reads_them(text: str, number: float) -> None:
    assert parse_number(text.strip()) == number or (math.isnan(number) and math.isnan(parse_number(text)))


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


@pytest.mark.parametrize(
    "placeholders", [None, frozenset(), frozenset({"Select", "", "-1", "5", "2.5", "True", "Retail"})]
)
def test_a_batch_encodes_column_by_column_as_lead_by_lead(
    lead_model: LeadModel, raw_leads: pd.DataFrame, placeholders: frozenset[str] | None
) -> None:
    model = with_placeholders(lead_model, placeholders)
    encoder = RowEncoder(model)
    for leads in (messy_leads(model, raw_leads, 200, seed=7), typed_leads(raw_leads, 200)):
        matrix, cleaned = encoder.encode(leads)
        by_column, columns = encoder.encode_columns(leads)
        assert_same(by_column, matrix)
        for j, column in enumerate(columns):
            assert_same_values(column, [row[j] for row in cleaned])
        assert encoder.unseen_columns(by_column) == [encoder.unseen(row) for row in cleaned]


def test_reasons_of_a_batch_are_each_leads_reasons(lead_model: LeadModel, raw_leads: pd.DataFrame) -> None:
    encoder = RowEncoder(lead_model)
    leads = messy_leads(lead_model, raw_leads, 200, seed=9)
    matrix, columns = encoder.encode_columns(leads)
    scored = score_rows(lead_model, matrix, contributions=True)
    assert scored.contributions is not None
    unseen = encoder.unseen_columns(matrix)
    together = top_reasons_many(encoder.features, scored.contributions, columns, unseen, 3)
    for i, got in enumerate(together):
        values = [column[i] for column in columns]
        assert got == top_reasons(encoder.features, scored.contributions[i], values, unseen[i], 3)
