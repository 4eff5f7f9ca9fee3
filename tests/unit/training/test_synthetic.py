"""The synthetic lead table: deterministic, described by its schema, realistic where the pipeline needs it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.schema import load_schema
from training.synthetic import SyntheticFiles, generate_leads, synthetic_schema, write_synthetic

ROWS = 5000


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> SyntheticFiles:
    return write_synthetic(tmp_path_factory.mktemp("synthetic") / "out", rows=ROWS, seed=0)


@pytest.fixture(scope="module")
def leads(files: SyntheticFiles) -> pd.DataFrame:
    """The table as a pipeline reads it: every cell a string, the schema's placeholders read as missing."""
    return pd.read_csv(files.leads, dtype=str, na_values=synthetic_schema().na_values, keep_default_na=False)


@pytest.fixture(scope="module")
def truth(files: SyntheticFiles) -> pd.DataFrame:
    return pd.read_csv(files.truth, dtype={"lead_id": str})


def _contents(files: SyntheticFiles) -> list[bytes]:
    return [files.leads.read_bytes(), files.schema.read_bytes(), files.truth.read_bytes()]


def test_writes_the_three_files_into_a_new_directory(files: SyntheticFiles) -> None:
    assert [files.leads.name, files.schema.name, files.truth.name] == [
        "leads.csv",
        "schema.yaml",
        "truth.csv",
    ]
    assert files.leads.parent == files.schema.parent == files.truth.parent
    assert all(path.stat().st_size > 0 for path in (files.leads, files.schema, files.truth))


def test_same_seed_gives_byte_identical_files(files: SyntheticFiles, tmp_path: Path) -> None:
    again = write_synthetic(tmp_path, rows=ROWS, seed=0)
    assert _contents(again) == _contents(files)


def test_different_seed_gives_different_leads(files: SyntheticFiles, tmp_path: Path) -> None:
    other = write_synthetic(tmp_path, rows=ROWS, seed=1)
    assert other.leads.read_bytes() != files.leads.read_bytes()
    assert other.truth.read_bytes() != files.truth.read_bytes()


def test_schema_file_round_trips_and_describes_every_column(
    files: SyntheticFiles, leads: pd.DataFrame
) -> None:
    schema = load_schema(files.schema)
    assert schema == synthetic_schema()
    named = [schema.id, schema.label_column, schema.timestamp, *schema.features, *schema.drop]
    assert sorted(named) == sorted(leads.columns)
    assert schema.drop == ["lead_status"]
    assert set(schema.boolean) == {"attended_webinar", "requested_demo"}


def test_truth_file_aligns_with_leads_by_id(leads: pd.DataFrame, truth: pd.DataFrame) -> None:
    assert list(truth.columns) == ["lead_id", "true_probability"]
    assert truth["lead_id"].tolist() == leads["lead_id"].tolist()
    assert truth["true_probability"].between(0, 1, inclusive="neither").all()


def test_generate_returns_probability_indexed_like_the_table() -> None:
    table, probability = generate_leads(500, seed=3)
    assert probability.name == "true_probability"
    assert probability.index.equals(table.index)
    assert table["lead_id"].str.fullmatch(r"L\d{7}").all()


def test_ids_are_unique(leads: pd.DataFrame) -> None:
    assert leads["lead_id"].notna().all()
    assert leads["lead_id"].is_unique


def test_positive_rate_is_realistic_and_follows_the_true_probability(
    leads: pd.DataFrame, truth: pd.DataFrame
) -> None:
    converted = leads["converted"].astype(int)
    assert set(converted.unique()) == {0, 1}
    assert 0.08 <= converted.mean() <= 0.15
    assert abs(converted.mean() - truth["true_probability"].mean()) < 0.015
    top = truth["true_probability"] >= truth["true_probability"].quantile(0.9)
    assert converted[top].mean() > 3 * converted[~top].mean()


def test_weak_leads_leave_more_cells_missing(leads: pd.DataFrame, truth: pd.DataFrame) -> None:
    missing = leads[synthetic_schema().features].isna().mean(axis=1)
    quartile = pd.qcut(truth["true_probability"], 4, labels=False)
    weakest, strongest = missing[quartile == 0].mean(), missing[quartile == 3].mean()
    assert strongest > 0
    assert weakest > 3 * strongest


def test_form_fields_keep_the_select_placeholder_and_booleans_are_spelled_mixed(
    files: SyntheticFiles,
) -> None:
    raw = pd.read_csv(files.leads, dtype=str, keep_default_na=False)
    assert (raw["seniority"] == "Select").any()
    assert (raw["seniority"] == "").any()
    assert set(raw["requested_demo"]) == {"true", "false", "1", "0", "TRUE", "FALSE"}
    assert set(raw["attended_webinar"]) == {"Yes", "No"}


def test_lead_status_leaks_the_outcome(leads: pd.DataFrame) -> None:
    won = leads["lead_status"] == "Closed Won"
    converted = leads["converted"] == "1"
    assert (won == converted).mean() > 0.97


def test_leads_span_eighteen_months_ending_october_2026(leads: pd.DataFrame) -> None:
    created = pd.to_datetime(leads["created_at"], format="ISO8601")
    assert created.min() >= pd.Timestamp("2025-05-01")
    assert created.max() < pd.Timestamp("2026-11-01")
    assert created.dt.to_period("M").nunique() == 18


def test_campaigns_are_many_skewed_and_each_belongs_to_one_source(leads: pd.DataFrame) -> None:
    counts = leads["utm_campaign"].value_counts()
    assert len(counts) >= 200
    assert counts.iloc[:10].sum() > 0.25 * len(leads)
    assert (leads.groupby("utm_campaign")["lead_source"].nunique() == 1).all()


def test_source_mix_drifts_over_time(leads: pd.DataFrame) -> None:
    late = leads["created_at"] >= "2026-05-01"
    share = leads.groupby(late)["lead_source"].value_counts(normalize=True).unstack()
    assert share.loc[True, "paid search"] > share.loc[False, "paid search"] + 0.05
    assert share.loc[True, "purchased list"] < share.loc[False, "purchased list"] - 0.03


@pytest.mark.parametrize("rows", [0, 99])
def test_too_few_rows_is_rejected(rows: int, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 100"):
        write_synthetic(tmp_path / "out", rows=rows, seed=0)
    assert not (tmp_path / "out").exists()


def test_numeric_columns_parse_as_non_negative_numbers(leads: pd.DataFrame) -> None:
    for column in synthetic_schema().numeric:
        values = pd.to_numeric(leads[column])
        assert values.notna().mean() > 0.85, column
        assert (values.dropna() >= 0).all(), column
        assert np.allclose(values.dropna() % 1, 0), column
