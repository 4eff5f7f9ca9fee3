"""The report's Monitoring section from a profile and a monitor result's JSON: what it shows, what it leaves out."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from features.population_drift import BinShift, DriftBands, FeatureDrift, PopulationDrift, ScoreDrift
from features.profile import SCORE_BINS, FeatureProfile, GradeProfile, ReferenceProfile
from serving.live_groups import LiveSettings, make_group
from serving.live_performance import LivePerformance
from serving.live_tally import FIELDS
from serving.monitor import MonitorReport
from training.report import ReportInputs
from training.report_monitoring import monitoring_plots
from training.report_render import to_html, to_markdown

SINCE, UNTIL = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 8, tzinfo=UTC)
PROFILE = ReferenceProfile(
    leads=41_200,
    first="2025-01-02T00:00:00+00:00",
    last="2026-05-30T00:00:00+00:00",
    features=[
        FeatureProfile("page_views", "numeric", [2.0, 5.0, 11.0], [], [0.3, 0.3, 0.2, 0.15, 0.05]),
        FeatureProfile(
            "lead_source", "categorical", [], ["web", "referral"], [0.6, 0.3, 0.0, 0.1], unseen=0.02
        ),
    ],
    score_shares=[0.1] * len(SCORE_BINS),
    grades={
        "A": GradeProfile(0.1, 0.45, 0.47),
        "B": GradeProfile(0.2, 0.2, 0.19),
        "C": GradeProfile(0.3, 0.1, 0.09),
        "D": GradeProfile(0.4, 0.03, 0.02),
    },
)


def inputs(**fields: Any) -> ReportInputs:
    plain = ReportInputs(
        name="lead-scoring",
        version="3",
        aliases=["champion"],
        run_id="abc",
        params={},
        metrics={},
        tags={},
        grade_cuts={"A": 90.0, "B": 70.0, "C": 40.0},
        **fields,
    )
    return replace(plain, plots=monitoring_plots(plain))  # as `collect` draws them


def drift(leads: int) -> PopulationDrift:
    bands = DriftBands()
    if leads == 0:
        return PopulationDrift(0, PROFILE.leads, False, bands, [], None)
    moved = [BinShift(">= 11", 0.05, 0.3, 0.4)]
    features = [
        FeatureDrift("page_views", "numeric", 0.46, "alert", 0.05, 0.05, None, None, moved),
        FeatureDrift("lead_source", "categorical", 0.03, "stable", 0.0, 0.0, 0.02, 0.03, []),
    ]
    grades = {"A": 0.1, "B": 0.2, "C": 0.3, "D": 0.4}
    score = ScoreDrift(0.05, "stable", PROFILE.score_shares, PROFILE.score_shares, grades, grades)
    return PopulationDrift(leads, PROFILE.leads, leads >= bands.min_leads, bands, features, score)


def open_leads(n: int) -> dict[str, Any]:
    """Live performance of `n` leads that sales has not decided yet (no final outcome)."""
    vector = np.zeros(len(FIELDS))
    for name, value in (("leads", n), ("open", n), ("new", n), ("probability", 0.2 * n)):
        vector[FIELDS.index(name)] = value
    settings = LiveSettings()
    group = make_group("overall", vector, settings)
    week = make_group("2026-W23", vector, settings)
    return LivePerformance(SINCE, UNTIL, "won = 1", group, [], [week], {"3": n}, settings).to_dict()


def result(leads: int, performance: dict[str, Any] | None) -> dict[str, Any]:
    found = drift(leads)
    alerts = []
    if found.enough:
        from serving.monitor import drift_alerts

        alerts = drift_alerts(found)
    return MonitorReport("lead-scoring", "3", SINCE, UNTIL, found, alerts, performance).to_dict()


def now_part(page: str) -> str:
    return page[page.index("<h3>Now:") :]


def test_a_model_without_a_profile_says_it_cannot_be_monitored() -> None:
    report = inputs()
    page = to_html(report)
    section = page[page.index("<h2>Monitoring</h2>") :]
    assert "no reference profile" in section and "retrain it" in section
    assert "<img" not in section and report.plots == {}


def test_the_reference_bands_and_commands_are_shown_without_a_store() -> None:
    report = inputs(profile=PROFILE)
    page, markdown = to_html(report), to_markdown(report)
    assert set(report.plots) == {"reference_scores.png"}
    assert "41,200 leads this version was fitted on, 2025-01-02 to 2026-05-30" in page
    assert "| lead_source | categorical | 2 categories + other | 10.0% | 2.0% |" in markdown
    assert "| page_views | numeric | 4 bins | 5.0% |  |" in markdown
    assert "| A | 90 | 10.0% | 45.0% | 47.0% |" in markdown
    assert "| LEADSCORE_MONITOR_PSI_ALERT | 0.25 | PSI above which drift alerts. |" in markdown
    assert "The defaults." in markdown  # a training run knows no settings in force
    assert "leadscore monitor --model models:/lead-scoring/3 --database URL" in markdown
    assert "As the champion it is also what plain `leadscore monitor` watches." in markdown
    assert "<h3>Now:" not in page


def test_an_empty_window_is_one_line_and_no_plot() -> None:
    report = inputs(profile=PROFILE, monitoring=result(0, open_leads(0)))
    now = now_part(to_html(report))
    assert re.findall(r"<(p|ul|table|figure)\b", now) == ["p"]
    assert "No leads arrived in the lead store from 2026-06-01 00:00 UTC to 2026-06-08 00:00 UTC" in now
    assert set(report.plots) == {"reference_scores.png"}


def test_drift_is_plotted_and_open_leads_are_counted_but_not_judged() -> None:
    report = inputs(profile=PROFILE, monitoring=result(500, open_leads(40)))
    now = now_part(to_html(report))
    assert set(report.plots) == {"reference_scores.png", "monitor_psi.png", "monitor_scores.png"}
    assert "<p>Alerts (1):</p>\n<ul><li>page_views: PSI 0.460 &gt; 0.25 (alert band)</li></ul>" in now
    assert "40 final" not in now and "0 final, 40 still open; no final outcome yet" in now
    assert now.count("<img") == 2


@pytest.mark.parametrize("leads", [50, 500])
def test_without_live_performance_the_drift_still_shows(leads: int) -> None:
    report = inputs(profile=PROFILE, monitoring=result(leads, None))
    now = now_part(to_html(report))
    assert "monitor_conversion.png" not in report.plots and "Sales outcomes" not in now
    assert ("no drift alert" in now) == (leads < 200)  # a small window is measured but never alerts
