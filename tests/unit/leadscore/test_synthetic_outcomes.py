"""Demo sales activity: deterministic, valid transitions in time order, driven by who truly converted, owners with
different habits, leads arriving over the past weeks, a few re-sent with more engagement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from leadscore.synthetic import generate_leads
from leadscore.synthetic_outcomes import REASONS, WEEKS, demo_sales
from serving.store import TRANSITIONS

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
Sales = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    table, _ = generate_leads(3000, seed=9)
    return table.sample(frac=1.0, random_state=0)  # shuffled: demo_sales must pick by time, not by position


@pytest.fixture(scope="module")
def sales(leads: pd.DataFrame) -> Sales:
    return demo_sales(leads, newest=800, seed=1, now=NOW)


def test_same_seed_same_sales_other_seed_other_sales(leads: pd.DataFrame, sales: Sales) -> None:
    for mine, again in zip(sales, demo_sales(leads, newest=800, seed=1, now=NOW), strict=True):
        pd.testing.assert_frame_equal(mine, again)
    assert not sales[1].equals(demo_sales(leads, newest=800, seed=2, now=NOW)[1])


def test_newest_leads_are_sent_in_order_arriving_over_the_past_weeks(
    leads: pd.DataFrame, sales: Sales
) -> None:
    sent = sales[0]
    assert len(sent) == 800
    assert list(sent["lead_id"]) == list(leads.sort_values("created_at", kind="stable")["lead_id"].tail(800))
    assert "converted" not in sent.columns and "lead_status" not in sent.columns
    assert sent["owner"].notna().all()
    arrived = pd.to_datetime(sent["created_at"], utc=True)
    assert arrived.is_monotonic_increasing
    assert arrived.max() <= NOW and arrived.max() > NOW - timedelta(days=1)
    assert arrived.min() < NOW - timedelta(weeks=WEEKS - 1) and arrived.min() >= NOW - timedelta(weeks=WEEKS)
    assert arrived.dt.isocalendar().week.nunique() >= WEEKS


def test_outcomes_follow_the_allowed_transitions_the_truth_and_the_clock(
    leads: pd.DataFrame, sales: Sales
) -> None:
    sent, outcomes, _ = sales
    converted = leads.set_index("lead_id")["converted"]
    arrived = pd.to_datetime(sent.set_index("lead_id")["created_at"], utc=True)
    at = pd.to_datetime(outcomes["at"], utc=True)
    assert at.is_monotonic_increasing and at.max() <= NOW
    assert (at.to_numpy() >= arrived[outcomes["lead_id"]].to_numpy()).all()
    for lead_id, events in outcomes.groupby("lead_id", sort=False):
        status = "new"
        for outcome in events["outcome"]:
            assert outcome in TRANSITIONS[status], (lead_id, status, outcome)
            status = outcome
        assert status != "won" or converted[lead_id] == 1
        assert status != "lost" or converted[lead_id] == 0
    rejected = outcomes[outcomes["outcome"] == "rejected"]
    assert rejected["reason"].isin(REASONS).all() and rejected["reason"].nunique() >= 5
    assert outcomes.loc[outcomes["outcome"] != "rejected", "reason"].isna().all()
    assert (
        outcomes["actor"].to_numpy() == sent.set_index("lead_id")["owner"][outcomes["lead_id"]].to_numpy()
    ).all()
    worked = outcomes["lead_id"].nunique()
    assert 0.8 * 800 < worked < 0.98 * 800  # most leads were contacted, a few are still new
    finals = outcomes.groupby("lead_id")["outcome"].last().value_counts()
    assert finals["won"] > 0 and finals["lost"] > 0 and finals["rejected"] > 0 and finals["accepted"] > 0


def test_owners_differ_in_how_fast_they_make_first_contact(sales: Sales) -> None:
    sent, outcomes, _ = sales
    first = outcomes.groupby("lead_id").first()
    arrived = pd.to_datetime(sent.set_index("lead_id")["created_at"], utc=True)
    hours = (pd.to_datetime(first["at"], utc=True) - arrived[first.index]).dt.total_seconds() / 3600
    median = hours.groupby(first["actor"]).median()
    assert median["ana"] < 1.0 < median["ben"] < median["chloe"]  # within an A lead's hour, or not
    assert (hours > 24).sum() > 10 and (hours < 1).sum() > 50  # late and met first contacts


def test_a_few_open_leads_are_re_sent_with_more_engagement(sales: Sales) -> None:
    sent, outcomes, resent = sales
    assert 10 <= len(resent) <= 100
    before = sent.set_index("lead_id").loc[resent["lead_id"]]
    views = (
        pd.to_numeric(before["page_views"], errors="coerce").fillna(0).to_numpy()
    )  # a missing count is none
    assert (resent["page_views"].astype(int).to_numpy() > views).all()
    assert (resent["requested_demo"] == "1").all()
    assert (resent["created_at"].to_numpy() == before["created_at"].to_numpy()).all()  # same arrival
    finals = outcomes.groupby("lead_id")["outcome"].last()
    assert not finals.reindex(resent["lead_id"]).isin(["won", "lost", "rejected"]).any()
