"""The dashboard's tables on both backends: service level per grade and owner, weekly trend, funnel, CSV, filters."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from store_cases import Put

from serving.store import LeadStore, OutcomeIn, record_outcome
from serving.store.dashboard import COLUMNS, NO_OUTCOMES, TABLES, dashboard, table_csv, weekly_trend
from serving.store.lead_filters import LeadFilters
from serving.store.service_level import service_level

REASONS = ["bad fit", "spam"]
SLA = {"A": 1.0, "B": 4.0, "C": 24.0, "D": None}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday: ISO week 2026-W10
NOW = T0 + timedelta(days=10)  # Thursday of 2026-W11
HOUR = timedelta(hours=1)


@pytest.fixture
def worked(lead_store: LeadStore, put: Put) -> LeadStore:
    """A leads: met (0.5 h), late (3 h, rejected), overdue now; B: met (2 h, then won), not due yet; D: nurture."""
    put(
        ("a1", 95, {"owner": "ana", "lead_source": "webinar"}),
        ("a2", 92, {"owner": "bo", "lead_source": "webinar"}),
        ("a3", 91, {"owner": "bo", "lead_source": "ads"}),
        ("b1", 80, {"owner": "ana", "lead_source": "ads"}),
        now=T0,
    )
    put(("d1", 20, {"owner": "bo", "lead_source": "webinar"}), now=T0 + timedelta(days=8))
    put(("b2", 75, {"owner": "ana", "lead_source": "ads"}), now=NOW - HOUR)
    steps = [
        ("a1", "accepted", None, T0 + HOUR / 2),
        ("a2", "rejected", "spam", T0 + 3 * HOUR),
        ("b1", "accepted", None, T0 + 2 * HOUR),
        ("b1", "won", None, T0 + timedelta(days=5)),
        ("d1", "accepted", None, T0 + timedelta(days=8) + 50 * HOUR),
    ]
    for lead_id, outcome, reason, at in steps:
        record_outcome(lead_store, lead_id, OutcomeIn(outcome, reason), reasons=REASONS, now=at)
    return lead_store


def test_service_level_per_grade(worked: LeadStore) -> None:
    grades = {
        r["grade"]: r for r in (row.as_dict("grade") for row in service_level(worked, SLA, now=NOW).grades)
    }
    assert list(grades) == ["A", "B", "C", "D"]
    a = grades["A"]
    assert (a["deadline_hours"], a["leads"], a["contacted"], a["judged"], a["met"], a["overdue_now"]) == (
        1.0, 3, 2, 3, 1, 1,
    )  # fmt: skip
    assert a["met_rate"] == pytest.approx(1 / 3)
    assert a["median_hours_to_contact"] == pytest.approx(1.75)  # of 0.5 h and 3 h
    assert a["p90_hours_to_contact"] == pytest.approx(2.75)
    b = grades["B"]  # b2 arrived an hour ago: not due yet, so not judged
    assert (b["leads"], b["contacted"], b["judged"], b["met"], b["met_rate"], b["overdue_now"]) == (
        2,
        1,
        1,
        1,
        1.0,
        0,
    )
    assert b["median_hours_to_contact"] == pytest.approx(2.0)
    assert grades["C"]["leads"] == 0 and grades["C"]["median_hours_to_contact"] is None
    d = grades["D"]  # nurture: contacted after 50 h, never judged
    assert (d["deadline_hours"], d["leads"], d["judged"], d["met_rate"]) == (None, 1, 0, None)
    assert d["median_hours_to_contact"] == pytest.approx(50.0)


def test_service_level_per_owner_leaves_nurture_out(worked: LeadStore) -> None:
    owners = [row.as_dict("owner") for row in service_level(worked, SLA, now=NOW).owners]
    assert [o["owner"] for o in owners] == ["ana", "bo"]
    ana, bo = owners
    assert (ana["leads"], ana["judged"], ana["met"], ana["overdue_now"]) == (3, 2, 2, 0)
    assert ana["median_hours_to_contact"] == pytest.approx(1.25)
    assert (bo["leads"], bo["contacted"], bo["judged"], bo["met"], bo["met_rate"], bo["overdue_now"]) == (
        2, 1, 2, 0, 0.0, 1,
    )  # fmt: skip
    assert bo["median_hours_to_contact"] == pytest.approx(3.0)


def test_overdue_depends_on_now(worked: LeadStore) -> None:
    early = {r.key: r for r in service_level(worked, SLA, now=T0 + HOUR / 2).grades}
    assert early["A"].overdue_now == 0 and early["A"].judged == 2  # a3's hour has not passed yet


def test_filters_narrow_every_table(worked: LeadStore) -> None:
    bo = {r.key: r for r in service_level(worked, SLA, LeadFilters(owner="bo"), now=NOW).grades}
    assert (bo["A"].leads, bo["A"].met, bo["B"].leads, bo["D"].leads) == (2, 0, 0, 1)
    grade_a = service_level(worked, SLA, LeadFilters(grade="A"), now=NOW).owners
    assert [(r.key, r.leads) for r in grade_a] == [("bo", 2), ("ana", 1)]
    later = dashboard(worked, SLA, LeadFilters(since=T0 + timedelta(days=1)), now=NOW)
    assert {r["week"] for r in later.tables["trend"]} == {"2026-W11"}
    assert sum(r["leads"] for r in later.tables["funnel"]) == 2
    ads = dashboard(worked, SLA, LeadFilters(source="ads", until=T0 + timedelta(days=1)), now=NOW)
    assert [(r["source"], r["leads"], r["won"]) for r in ads.tables["funnel"]] == [("ads", 2, 1)]
    assert ads.tables["rejection_reasons"] == []


def test_weekly_trend_by_arrival_week_and_source(worked: LeadStore, put: Put) -> None:
    put(("s1", 50, {"lead_source": "ads"}), now=T0 - timedelta(hours=9, minutes=1))  # Sunday 23:59 UTC
    rows = [
        (r["week"], r["week_start"], r["source"], r["leads"], r["accepted"], r["won"])
        for r in weekly_trend(worked)
    ]
    assert rows == [
        ("2026-W09", "2026-02-23", "ads", 1, 0, 0),
        ("2026-W10", "2026-03-02", "ads", 2, 1, 1),
        ("2026-W10", "2026-03-02", "webinar", 2, 1, 0),
        ("2026-W11", "2026-03-09", "ads", 1, 0, 0),
        ("2026-W11", "2026-03-09", "webinar", 1, 1, 0),
    ]
    expected = {(r["week"], r["source"]): r["expected_conversions"] for r in weekly_trend(worked)}
    assert expected["2026-W10", "webinar"] == pytest.approx(0.95 + 0.92)


def test_funnel_and_rejection_reasons(worked: LeadStore) -> None:
    dash = dashboard(worked, SLA, now=NOW)
    funnel = {r["source"]: r for r in dash.tables["funnel"]}
    web = funnel["webinar"]
    assert (web["leads"], web["accepted"], web["won"], web["rejected"], web["lost"], web["open"]) == (
        3,
        2,
        0,
        1,
        0,
        2,
    )
    assert (
        funnel["ads"]["leads"],
        funnel["ads"]["accepted"],
        funnel["ads"]["won"],
        funnel["ads"]["open"],
    ) == (3, 1, 1, 2)
    assert dash.tables["rejection_reasons"] == [{"source": "webinar", "reason": "spam", "count": 1}]
    assert dash.notes == []


def test_every_table_has_its_columns_and_its_csv_matches(worked: LeadStore) -> None:
    dash = dashboard(worked, SLA, now=NOW)
    assert tuple(dash.tables) == TABLES
    for table in TABLES:
        rows = dash.tables[table]
        assert rows, table
        assert all(tuple(row) == COLUMNS[table] for row in rows), table
        parsed = list(csv.DictReader(io.StringIO(table_csv(dash, table))))
        as_text = [{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]
        assert parsed == as_text, table


def test_an_empty_store_explains_what_will_appear(lead_store: LeadStore, put: Put) -> None:
    dash = dashboard(lead_store, SLA, now=NOW)
    assert dash.notes[0] == NO_OUTCOMES and "No leads arrived" in dash.notes[1]
    assert table_csv(dash, "funnel").strip() == ",".join(COLUMNS["funnel"])
    put(("x1", 95, {"lead_source": "ads"}), now=T0)
    dash = dashboard(lead_store, SLA, now=NOW)
    assert dash.notes == [NO_OUTCOMES] and dash.tables["service_grades"][0]["overdue_now"] == 1
