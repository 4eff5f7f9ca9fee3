"""The source report on both backends: volume, grade mix, expected conversions, sales decisions, window, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from store_cases import Put

from serving.store import LeadStore, OutcomeIn, record_outcome, report_csv, source_report

REASONS = ["bad fit", "no budget", "spam"]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def worked(lead_store: LeadStore, put: Put) -> LeadStore:
    """Webinar: 4 leads (2 accepted, 1 won of them, 1 rejected); ads: 3 leads, all rejected; 1 lead with no source."""
    put(
        ("w1", 95, {"lead_source": "webinar", "utm_campaign": "spring"}),
        ("w2", 80, {"lead_source": "webinar", "utm_campaign": "spring"}),
        ("w3", 60, {"lead_source": "webinar", "utm_campaign": "fall"}),
        ("w4", 30, {"lead_source": "webinar"}),
        ("a1", 20, {"lead_source": "ads", "utm_campaign": "fall"}),
        ("a2", 10, {"lead_source": "ads", "utm_campaign": "fall"}),
        ("a3", 10, {"lead_source": "ads", "utm_campaign": "fall"}),
        ("n1", 50),
        now=T0,
    )
    put(("late", 99, {"lead_source": "webinar"}), now=T0 + timedelta(days=10))
    steps = [
        ("w1", "accepted", None), ("w1", "won", None), ("w2", "accepted", None), ("w3", "rejected", "no budget"),
        ("a1", "rejected", "spam"), ("a2", "rejected", "spam"), ("a3", "rejected", "bad fit"),
    ]  # fmt: skip
    for lead_id, name, reason in steps:
        record_outcome(lead_store, lead_id, OutcomeIn(name, reason), reasons=REASONS)
    return lead_store


def test_per_source_quality(worked: LeadStore) -> None:
    rows = {r.key: r for r in source_report(worked, "source", since=T0, until=T0 + timedelta(days=1))}
    assert set(rows) == {"webinar", "ads", None}
    web = rows["webinar"]
    assert web.leads == 4 and web.grades == {"A": 1, "B": 1, "C": 1, "D": 1}
    assert web.expected_conversions == pytest.approx(0.95 + 0.80 + 0.60 + 0.30)
    assert web.mean_probability == pytest.approx((0.95 + 0.80 + 0.60 + 0.30) / 4)
    assert (web.accepted, web.rejected, web.won, web.lost) == (2, 1, 1, 0)
    assert web.acceptance_rate == pytest.approx(2 / 3) and web.win_rate == 1.0
    assert web.rejection_reasons == [("no budget", 1)]
    ads = rows["ads"]
    assert (ads.leads, ads.accepted, ads.rejected, ads.acceptance_rate, ads.win_rate) == (3, 0, 3, 0.0, None)
    assert ads.rejection_reasons == [("spam", 2), ("bad fit", 1)]
    assert rows[None].acceptance_rate is None and rows[None].leads == 1
    # expected conversions first: what marketing should optimise
    assert [r.key for r in source_report(worked, "source", until=T0 + timedelta(days=1))] == [
        "webinar",
        None,
        "ads",
    ]


def test_the_window_decides_which_leads_count(worked: LeadStore) -> None:
    everything = {r.key: r.leads for r in source_report(worked, "source")}
    assert everything["webinar"] == 5
    late = source_report(worked, "source", since=T0 + timedelta(days=1))
    assert [(r.key, r.leads, r.rejected) for r in late] == [("webinar", 1, 0)]
    assert source_report(worked, "source", until=T0) == []


def test_per_campaign(worked: LeadStore) -> None:
    rows = {r.key: r for r in source_report(worked, "campaign", until=T0 + timedelta(days=1))}
    assert rows["spring"].leads == 2 and rows["spring"].acceptance_rate == 1.0
    assert rows["fall"].leads == 4 and rows["fall"].rejection_reasons == [
        ("spam", 2),
        ("bad fit", 1),
        ("no budget", 1),
    ]
    assert rows[None].leads == 2


def test_csv_has_one_row_per_source(worked: LeadStore) -> None:
    text = report_csv(source_report(worked, "source", until=T0 + timedelta(days=1)), "source")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["source"] for r in rows] == ["webinar", "", "ads"]
    web = rows[0]
    assert (web["leads"], web["grade_A"], web["accepted"], web["won"]) == ("4", "1", "2", "1")
    assert float(web["expected_conversions"]) == pytest.approx(2.65)
    assert rows[2]["top_rejection_reasons"] == "spam:2; bad fit:1"
    assert rows[2]["win_rate"] == ""
