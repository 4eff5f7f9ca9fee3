"""Demo sales activity: deterministic, valid transitions only, driven by who truly converted, most leads still open."""

from __future__ import annotations

import pandas as pd
import pytest

from leadscore.synthetic import generate_leads
from leadscore.synthetic_outcomes import REASONS, demo_sales
from serving.store import TRANSITIONS


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    table, _ = generate_leads(3000, seed=9)
    return table.sample(frac=1.0, random_state=0)  # shuffled: demo_sales must pick by time, not by position


def test_same_seed_same_sales_other_seed_other_sales(leads: pd.DataFrame) -> None:
    sent, outcomes = demo_sales(leads, newest=800, seed=1)
    again_sent, again = demo_sales(leads, newest=800, seed=1)
    pd.testing.assert_frame_equal(sent, again_sent)
    pd.testing.assert_frame_equal(outcomes, again)
    assert not outcomes.equals(demo_sales(leads, newest=800, seed=2)[1])


def test_newest_leads_are_sent_without_post_outcome_columns(leads: pd.DataFrame) -> None:
    sent, _ = demo_sales(leads, newest=800, seed=1)
    assert len(sent) == 800
    assert sorted(sent["lead_id"]) == sorted(leads.sort_values("created_at")["lead_id"].tail(800))
    assert "converted" not in sent.columns and "lead_status" not in sent.columns
    assert sent["owner"].notna().all()


def test_outcomes_follow_the_allowed_transitions_and_the_truth(leads: pd.DataFrame) -> None:
    _, outcomes = demo_sales(leads, newest=800, seed=1)
    converted = leads.set_index("lead_id")["converted"]
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
    worked = outcomes["lead_id"].nunique()
    assert 0.2 * 800 < worked < 0.5 * 800  # most leads are still open
    finals = outcomes.groupby("lead_id")["outcome"].last().value_counts()
    assert finals["won"] > 0 and finals["lost"] > 0 and finals["rejected"] > 0 and finals["accepted"] > 0
