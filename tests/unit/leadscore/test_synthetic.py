"""The synthetic lead table: deterministic, described by its schema, realistic where the pipeline needs it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.schema import load_schema
from leadscore.synthetic import EMAIL, SyntheticFiles, generate_leads, synthetic_schema, write_synthetic

ROWS = 5000
# SHA-256 of leads.csv, schema.yaml and truth.csv for ROWS leads, seed 0, computed before the drift option existed:
# the default data set must not change. If a numpy upgrade changes its random streams, recompute them on purpose.
NO_DRIFT_SHA256 = [
    "64f3887805fd1ef963c7e69db51ad7aa81d0fb7595653aa0f65d826d62424a21",
    "a1859691b1de36ef3f85db6e8ccffd391885118fae2fd4e925580427c98b5067",
    "00ff1888aef43c5dc1897ef66f2f982b2c322aa2e37a2d9447285ceef773eea6",
]


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


@pytest.fixture(scope="module")
def strong_files(tmp_path_factory: pytest.TempPathFactory) -> SyntheticFiles:
    return write_synthetic(tmp_path_factory.mktemp("strong"), rows=ROWS, seed=0, drift="strong")


@pytest.fixture(scope="module")
def strong_leads(strong_files: SyntheticFiles) -> pd.DataFrame:
    na_values = synthetic_schema().na_values
    return pd.read_csv(strong_files.leads, dtype=str, na_values=na_values, keep_default_na=False)


@pytest.fixture(scope="module")
def strong_truth(strong_files: SyntheticFiles) -> pd.DataFrame:
    return pd.read_csv(strong_files.truth, dtype={"lead_id": str})


def _contents(files: SyntheticFiles) -> list[bytes]:
    return [files.leads.read_bytes(), files.schema.read_bytes(), files.truth.read_bytes()]


def _quarter(leads: pd.DataFrame) -> pd.Series:
    """0 for a lead created in the first three months (May to July 2025) up to 5 for the last three."""
    created = pd.to_datetime(leads["created_at"], format="ISO8601")
    return ((created.dt.year - 2025) * 12 + created.dt.month - 5) // 3


def _logit_gap(truth: pd.DataFrame, a: pd.Series, b: pd.Series, when: pd.Series) -> float:
    """Mean true logit of the `a` leads minus that of the `b` leads, among the leads selected by `when`."""
    p = truth["true_probability"]
    logit = np.log(p / (1 - p))
    return float(logit[a & when].mean() - logit[b & when].mean())


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


def test_no_drift_files_are_unchanged_from_before_the_drift_option(files: SyntheticFiles) -> None:
    assert [hashlib.sha256(content).hexdigest() for content in _contents(files)] == NO_DRIFT_SHA256


def test_drift_none_is_the_default(files: SyntheticFiles, tmp_path: Path) -> None:
    explicit = write_synthetic(tmp_path, rows=ROWS, seed=0, drift="none")
    assert _contents(explicit) == _contents(files)


def test_unknown_drift_is_rejected_naming_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="drift must be one of none, strong, got 'mild'"):
        write_synthetic(tmp_path / "out", rows=ROWS, seed=0, drift="mild")
    assert not (tmp_path / "out").exists()


def test_strong_drift_same_seed_gives_byte_identical_files(
    strong_files: SyntheticFiles, tmp_path: Path
) -> None:
    again = write_synthetic(tmp_path, rows=ROWS, seed=0, drift="strong")
    assert _contents(again) == _contents(strong_files)


def test_strong_drift_keeps_the_leads_and_changes_only_the_outcome(
    leads: pd.DataFrame, strong_leads: pd.DataFrame, truth: pd.DataFrame, strong_truth: pd.DataFrame
) -> None:
    outcome = ["converted", "lead_status"]
    pd.testing.assert_frame_equal(strong_leads.drop(columns=outcome), leads.drop(columns=outcome))
    assert (strong_leads["converted"] != leads["converted"]).any()
    assert not np.allclose(strong_truth["true_probability"], truth["true_probability"])


def test_strong_drift_oracle_is_a_probability_and_the_labels_are_drawn_from_it(
    strong_leads: pd.DataFrame, strong_truth: pd.DataFrame
) -> None:
    oracle, converted = strong_truth["true_probability"], strong_leads["converted"].astype(int)
    assert strong_truth["lead_id"].tolist() == strong_leads["lead_id"].tolist()
    assert oracle.between(0, 1, inclusive="neither").all()
    assert abs(converted.mean() - oracle.mean()) < 0.015
    quarter = _quarter(strong_leads)
    for q in (0, 5):
        assert abs(converted[quarter == q].mean() - oracle[quarter == q].mean()) < 0.04, q


def test_strong_drift_multiplies_the_conversion_rate_and_no_drift_keeps_it(
    leads: pd.DataFrame, truth: pd.DataFrame, strong_leads: pd.DataFrame, strong_truth: pd.DataFrame
) -> None:
    quarter = _quarter(strong_leads)
    oracle = strong_truth["true_probability"].groupby(quarter).mean()
    labels = strong_leads["converted"].astype(int).groupby(quarter).mean()
    assert list(oracle.index) == list(range(6))
    assert oracle.is_monotonic_increasing
    assert oracle.between(0.04, 0.36).all()
    assert oracle[5] > 3 * oracle[0]
    assert labels[5] > 3 * labels[0]
    steady = truth["true_probability"].groupby(_quarter(leads)).mean()
    assert 0.8 < steady[5] / steady[0] < 1.25


def test_strong_drift_weakens_the_demo_effect_and_turns_the_free_mail_penalty_into_a_bonus(
    leads: pd.DataFrame, truth: pd.DataFrame, strong_leads: pd.DataFrame, strong_truth: pd.DataFrame
) -> None:
    # The raw gaps are confounded (demo askers are more engaged, free mail means smaller firms), so the same
    # leads without drift are the control: they share every column, only the true probability differs.
    demo = leads["requested_demo"].str.lower().isin(["true", "1"])
    free, corporate = leads["email_domain_type"] == "free", leads["email_domain_type"] == "corporate"
    early, late = _quarter(leads) == 0, _quarter(leads) == 5

    def drift_change(a: pd.Series, b: pd.Series) -> float:
        """How much more the a-versus-b logit gap grows from first to last quarter with strong drift than without."""
        strong = _logit_gap(strong_truth, a, b, late) - _logit_gap(strong_truth, a, b, early)
        steady = _logit_gap(truth, a, b, late) - _logit_gap(truth, a, b, early)
        assert abs(steady) < 0.6  # without drift the mapping stays put, up to sampling noise
        return strong - steady

    assert drift_change(demo, ~demo) < -1.0
    assert drift_change(free, corporate) > 1.0
    # Free mail's own effect next to corporate mail: its base value plus what strong drift adds to the same leads.
    base = EMAIL["free"] - EMAIL["corporate"]
    added = [
        _logit_gap(strong_truth, free, corporate, when) - _logit_gap(truth, free, corporate, when)
        for when in (early, late)
    ]
    assert base + added[0] < -0.8  # a clear penalty in the first quarter
    assert base + added[1] > 0.2  # a bonus in the last
