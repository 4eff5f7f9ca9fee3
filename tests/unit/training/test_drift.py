"""Drift at training time: real drift is named in one line, shuffled or stationary leads raise nothing, odd data no error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.schema import LeadSchema, load_schema, parse_schema
from features.tables import load_table
from leadscore.synthetic import generate_leads, synthetic_schema
from training import drift
from training.data import LabeledLeads, validate_leads
from training.drift import check_drift

REPO = Path(__file__).resolve().parents[3]
SHOPPERS = REPO.parent / "shared" / "data" / "online_shoppers_intention" / "online_shoppers_intention.csv"
MONTHS = ["Feb", "Mar", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.fixture(scope="module")
def synthetic() -> tuple[LabeledLeads, LeadSchema]:
    """Synthetic leads whose conversion rate climbs over 18 months (concept drift), oldest first."""
    schema = synthetic_schema()
    table, _ = generate_leads(4000, seed=0, drift="strong")
    return validate_leads(table, schema), schema


@pytest.fixture(scope="module")
def shoppers() -> tuple[pd.DataFrame, LeadSchema]:
    """The UCI online shoppers sessions as read from the file (mostly in month order), with `row_id` added."""
    if not SHOPPERS.is_file():
        pytest.skip(f"real sessions not found at {SHOPPERS} (../shared is not beside the checkout)")
    raw = load_table(SHOPPERS)
    raw.insert(0, "row_id", [str(n) for n in range(1, len(raw) + 1)])
    return raw, load_schema(REPO / "tests" / "fixtures" / "online_shoppers.schema.yaml")


def reordered(leads: LabeledLeads, order: np.ndarray) -> LabeledLeads:
    """The same leads in another row order, without timestamps."""
    frame = leads.frame.iloc[order].reset_index(drop=True)
    return LabeledLeads(frame=frame, y=leads.y[order], timestamps=None, unlabeled=0)


def assert_one_line_each(report: drift.DriftReport) -> None:
    assert all("\n" not in line and line for line in [*report.warnings, *report.notes])


def test_strong_drift_warns_with_the_conversion_change(synthetic: tuple[LabeledLeads, LeadSchema]) -> None:
    leads, schema = synthetic
    report = check_drift(leads.frame, leads.y, leads.timestamps, schema)
    older, recent = report.rate_older[0], report.rate_recent[0]
    assert report.mode == "time" and report.recent_rows == 800 and report.older_rows == 3200
    assert recent > 1.5 * older and report.rate_shift
    assert report.rate_recent[1] > report.rate_older[2]  # the 95% intervals do not overlap
    assert report.looks_time_ordered is None
    [warning] = report.warnings
    newest = f"{leads.timestamps.max():%Y-%m-%d}"
    assert report.recent_dates is not None and report.recent_dates[1] == newest
    assert f"the newest 20% of leads ({report.recent_dates[0]} to {newest})" in warning
    assert f"conversion {drift._pct(older)} -> {drift._pct(recent)};" in warning
    assert f"features that moved most: {report.features['feature'][0]} (PSI " in warning
    assert_one_line_each(report)


def test_metrics_params_and_table_are_flat_and_sorted(synthetic: tuple[LabeledLeads, LeadSchema]) -> None:
    leads, schema = synthetic
    report = check_drift(leads.frame, leads.y, leads.timestamps, schema)
    metrics = report.to_metrics()
    assert {"drift_domain_auc", "drift_rate_older", "drift_rate_recent", "drift_psi_max"} <= set(metrics)
    assert all(isinstance(v, float) and np.isfinite(v) for v in metrics.values())
    assert metrics["drift_psi_max"] == pytest.approx(report.features["psi"].max())
    assert report.to_params()["drift_recent_dates"].endswith(f"to {leads.timestamps.max():%Y-%m-%d}")
    table = report.table()
    assert list(table.columns) == drift.COLUMNS and len(table) == len(schema.features)
    assert table["psi"].is_monotonic_decreasing
    assert set(table["band"]) <= {"stable", "watch", "alert"}


def test_same_inputs_give_the_same_report(synthetic: tuple[LabeledLeads, LeadSchema]) -> None:
    leads, schema = synthetic
    first, second = (check_drift(leads.frame, leads.y, leads.timestamps, schema) for _ in range(2))
    pd.testing.assert_frame_equal(first.features, second.features)
    assert (first.domain_auc, first.warnings) == (second.domain_auc, second.warnings)


def test_windows_larger_than_the_sample_are_subsampled(
    synthetic: tuple[LabeledLeads, LeadSchema], monkeypatch: pytest.MonkeyPatch
) -> None:
    leads, schema = synthetic
    monkeypatch.setattr(drift, "MAX_ROWS", 500)
    report = check_drift(leads.frame, leads.y, leads.timestamps, schema)
    assert (report.older_rows, report.recent_rows) == (3200, 800)  # rates come from every lead
    assert report.rate_shift and report.features["flagged"].any()


def test_time_ordered_rows_without_timestamps_ask_for_one(synthetic: tuple[LabeledLeads, LeadSchema]) -> None:
    leads, schema = synthetic
    report = check_drift(leads.frame, leads.y, None, schema)
    assert report.mode == "row order" and report.looks_time_ordered is True
    [warning] = report.warnings
    assert warning.startswith("the file has no timestamp but looks ordered by time")
    assert warning.endswith(
        "add the lead's creation time as `timestamp:` in the schema so training validates on the newest leads"
    )


def test_stationary_leads_flag_nothing(synthetic: tuple[LabeledLeads, LeadSchema]) -> None:
    """Creation times dealt out at random: the newest leads are a random sample of all of them."""
    leads, schema = synthetic
    shuffled = leads.timestamps.sample(frac=1.0, random_state=1).reset_index(drop=True)
    report = check_drift(leads.frame, leads.y, shuffled, schema)
    assert report.mode == "time"
    assert not report.features["flagged"].any()
    assert not report.rate_shift and report.domain_auc is not None and report.domain_auc < drift.DOMAIN_AUC
    assert report.warnings == []


@pytest.mark.parametrize("order", ["file", "month"])
def test_month_ordered_sessions_look_time_ordered(
    shoppers: tuple[pd.DataFrame, LeadSchema], order: str
) -> None:
    raw, schema = shoppers
    if order == "month":
        month = raw["Month"].map({m: i for i, m in enumerate(MONTHS)}).to_numpy()
        raw = raw.iloc[np.argsort(month, kind="stable")].reset_index(drop=True)
    leads = validate_leads(raw, schema)
    report = check_drift(leads.frame, leads.y, leads.timestamps, schema)
    assert report.mode == "row order" and report.looks_time_ordered is True
    assert report.domain_auc is not None and report.domain_auc > 0.7
    assert (
        report.rate_recent[0] > report.rate_older[0] and report.rate_shift
    )  # Nov converts far more than spring
    [warning] = report.warnings
    assert "looks ordered by time" in warning and "`timestamp:`" in warning and "TrafficType" in warning
    assert_one_line_each(report)


def test_shuffled_sessions_show_no_drift(shoppers: tuple[pd.DataFrame, LeadSchema]) -> None:
    raw, schema = shoppers
    leads = validate_leads(raw, schema)
    shuffled = reordered(leads, np.random.default_rng(0).permutation(len(leads.y)))
    report = check_drift(shuffled.frame, shuffled.y, None, schema)
    assert report.looks_time_ordered is False and report.warnings == []
    assert not report.features["flagged"].any() and not report.rate_shift
    assert report.domain_auc is not None and abs(report.domain_auc - 0.5) < 0.05


def test_rows_sorted_by_the_label_are_not_called_time_ordered(
    shoppers: tuple[pd.DataFrame, LeadSchema],
) -> None:
    raw, schema = shoppers
    leads = validate_leads(raw, schema)
    by_label = reordered(leads, np.argsort(leads.y, kind="stable"))
    report = check_drift(by_label.frame, by_label.y, None, schema)
    assert report.domain_auc is not None and report.domain_auc > 0.8  # the windows differ, but not by time
    assert report.looks_time_ordered is False and report.warnings == []
    assert any("sorted by the label" in note for note in report.notes)


SMALL = parse_schema(
    {"id": "id", "label": "y", "timestamp": "t", "numeric": ["n", "absent"], "categorical": ["c", "blank"],
     "boolean": ["b"]}
)  # fmt: skip


def small_table(rows: int) -> pd.DataFrame:
    """Constant, all-missing and absent feature columns: nothing to compare, nothing to fail on."""
    return pd.DataFrame({"id": range(rows), "n": 3.0, "c": "x", "blank": None, "b": "yes"}, index=range(rows))


@pytest.mark.parametrize("rows", [0, 1, 12, 200])
@pytest.mark.parametrize("times", ["none", "all missing", "hourly"])
def test_tiny_and_degenerate_tables_do_not_raise(rows: int, times: str) -> None:
    stamps = {
        "none": None,
        "all missing": pd.Series(pd.NaT, index=range(rows), dtype="datetime64[ns, UTC]"),
        "hourly": pd.Series(pd.date_range("2025-01-01", periods=rows, freq="h", tz="UTC")),
    }[times]
    report = check_drift(small_table(rows), np.zeros(rows, dtype=int), stamps, SMALL)
    assert report.warnings == [] and not report.features["flagged"].any()
    assert all(np.isfinite(v) for v in report.to_metrics().values())
    assert report.mode == ("time" if times == "hourly" and rows else "row order")
    too_few = any(note.startswith("too few leads to compare") for note in report.notes)
    assert too_few == (rows < 200)
    # constant features: nothing tells the windows apart
    assert report.domain_auc == (None if too_few else 0.5)
    if times == "all missing" and rows:
        assert any(note.startswith("every timestamp is missing") for note in report.notes)
    assert_one_line_each(report)


def test_recent_window_without_conversions_reports_the_drop() -> None:
    rows = 1000
    y = np.r_[np.tile([1, 0, 0], 267)[:800], np.zeros(200, dtype=int)]
    stamps = pd.Series(pd.date_range("2025-01-01", periods=rows, freq="h", tz="UTC"))
    report = check_drift(small_table(rows), y, stamps, SMALL)
    assert report.rate_recent == (0.0, 0.0, pytest.approx(0.0188, abs=1e-3))
    assert report.rate_shift
    [warning] = report.warnings
    assert "conversion 33% -> 0.0%;" in warning and "none beyond sampling noise" in warning


def test_fraction_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="recent_fraction"):
        check_drift(small_table(100), np.zeros(100, dtype=int), None, SMALL, recent_fraction=0.8)
