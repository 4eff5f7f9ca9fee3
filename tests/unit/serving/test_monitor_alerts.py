"""What the monitor alerts on: features and the score above the alert band, missing and unseen shares that rose;
nothing from a small window; and the report's one JSON object."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from hand_made_models import lead_model, leads

from features.model import LeadModel
from features.population_drift import DriftBands, DriftCounter, PopulationDrift
from features.profile import build_profile
from serving.live_groups import LiveSettings
from serving.monitor import BadWindow, MonitorReport, bands_from, drift_alerts, live_settings, window
from serving.settings import Settings


@pytest.fixture(scope="module")
def model() -> LeadModel:
    found = lead_model("lightgbm")
    train = leads(3000, seed=0)
    found.profile = build_profile(found, train, np.zeros(len(train)))
    return found


def drift_of(model: LeadModel, frame: pd.DataFrame, **bands: float) -> PopulationDrift:
    counter = DriftCounter(model)
    counter.add(frame)
    return counter.result(DriftBands(**bands))  # type: ignore[arg-type]


def shifted(frame: pd.DataFrame) -> pd.DataFrame:
    """Visits three times longer and another mix of cities (the same cities, none missing or new)."""
    cities = np.random.default_rng(5).choice(
        ["Zürich", "Köln", "Lyon", "Oslo"], len(frame), p=[0.1, 0.1, 0.4, 0.4]
    )
    seconds = [v * 3 if isinstance(v, float) else v for v in frame["seconds"]]
    return frame.assign(seconds=seconds, city=cities)


def alerted(drift: PopulationDrift) -> set[tuple[str, str]]:
    return {(a.metric, a.subject) for a in drift_alerts(drift)}


def test_leads_drawn_like_training_raise_nothing(model: LeadModel) -> None:
    assert drift_alerts(drift_of(model, leads(1000, seed=1))) == []


def test_one_shifted_number_and_one_category_mix_raise_exactly_those_two(model: LeadModel) -> None:
    drift = drift_of(model, shifted(leads(1000, seed=1)))
    expected = {("feature_psi", "seconds"), ("feature_psi", "city")}
    assert drift.score is not None
    if drift.score.psi > drift.bands.alert:  # the score moves only as far as these two features carry it
        expected.add(("score_psi", "score"))
    assert alerted(drift) == expected
    alert = next(a for a in drift_alerts(drift) if a.subject == "seconds")
    assert alert.threshold == 0.25 and alert.value > 0.25
    assert str(alert) == f"seconds: PSI {alert.value:.3f} > 0.25 (alert band)"


def test_the_score_alerts_when_it_moves(model: LeadModel) -> None:
    drift = drift_of(model, leads(1000, seed=1).assign(demo="yes"))
    assert alerted(drift) == {("feature_psi", "demo"), ("score_psi", "score")}
    [score] = [a for a in drift_alerts(drift) if a.metric == "score_psi"]
    assert score.message.startswith("score: PSI ")


def test_a_small_window_raises_nothing_and_says_so(model: LeadModel) -> None:
    drift = drift_of(model, shifted(leads(150, seed=1)))
    assert max(f.psi for f in drift.features) > 0.25  # it did move, but 150 leads are too few to call it
    assert drift_alerts(drift) == [] and "no drift alert" in (drift.note or "")
    assert alerted(drift_of(model, shifted(leads(150, seed=1)), min_leads=100)) >= {
        ("feature_psi", "seconds")
    }


def test_missing_and_unseen_shares_that_rose(model: LeadModel) -> None:
    now = leads(1000, seed=1)
    now.loc[:199, "source"] = "tiktok"  # a new source the model never saw
    now.loc[:149, "seconds"] = None
    found = {(a.metric, a.subject): a for a in drift_alerts(drift_of(model, now, alert=100.0))}
    assert set(found) == {("unseen_share", "source"), ("missing_share", "seconds")}
    unseen = found["unseen_share", "source"]
    assert unseen.value == pytest.approx(0.2) and unseen.threshold == 0.1
    assert unseen.message == "source: unseen share 20.0% vs 0.0% in training, up 20.0% > 10.0%"
    assert drift_alerts(drift_of(model, now, alert=100.0, share_rise=0.25)) == []


def test_the_report_is_one_json_object(model: LeadModel) -> None:
    drift = drift_of(model, shifted(leads(1000, seed=1)))
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC)
    report = MonitorReport("leads", "3", since, until, drift, drift_alerts(drift))
    body = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert body["model"] == {"name": "leads", "version": "3"} and body["leads"] == 1000
    assert body["window"] == {"since": "2026-01-01T00:00:00+00:00", "until": "2026-01-08T00:00:00+00:00"}
    assert [f["name"] for f in body["features"]][:2] == [f.name for f in drift.features][:2]
    assert {"name", "psi", "band", "missing_now", "unseen_now", "moved"} <= set(body["features"][0])
    assert body["score_psi"] == drift.score.psi and len(body["score"]["bins"]) == 10  # type: ignore[union-attr]
    assert {a["subject"] for a in body["alerts"]} >= {"seconds", "city"} and body["performance"] is None


def test_the_window_defaults_to_the_last_days_and_must_end_after_it_starts() -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert window(Settings(), None, None, now=now) == (now - timedelta(days=7), now)
    assert window(Settings(monitor_days=1), None, datetime(2026, 3, 2), now=now) == (
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 3, 2, tzinfo=UTC),
    )
    with pytest.raises(BadWindow, match=r"^until: must be after since"):
        window(Settings(), datetime(2026, 3, 2), datetime(2026, 3, 1))
    with pytest.raises(BadWindow, match=r"^since: out of range"):  # 7 days before the first day there is
        window(Settings(), None, datetime(1, 1, 1))
    far = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-10)))  # past year 9999 in UTC
    with pytest.raises(BadWindow, match=r"^until: out of range"):
        window(Settings(), None, far)


def test_the_settings_defaults_are_the_thresholds_the_monitor_documents() -> None:
    """serving.settings keeps its own copy of the defaults, so reading settings does not load the model stack."""
    settings = Settings()
    bands, live = DriftBands(), LiveSettings()
    assert bands_from(settings) == bands
    assert live_settings(settings) == live
