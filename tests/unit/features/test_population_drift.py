"""Drift against the reference profile: PSI per feature and for the score, counted chunk by chunk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hand_made_models import lead_model, leads

from features.model import LeadModel
from features.population_drift import DriftBands, DriftCounter, NoProfile, floor_for, psi_terms
from features.profile import build_profile


@pytest.fixture(scope="module")
def model() -> LeadModel:
    """A hand-made model profiled on 3,000 leads drawn like its own."""
    found = lead_model("lightgbm")
    train = leads(3000, seed=0)
    found.profile = build_profile(found, train, np.zeros(len(train)))
    return found


def counted(model: LeadModel, *chunks: pd.DataFrame | list[dict[str, object]]) -> DriftCounter:
    counter = DriftCounter(model)
    for chunk in chunks:
        counter.add(chunk)
    return counter


def test_psi_is_the_textbook_sum_with_empty_bins_floored() -> None:
    p, q = np.array([0.5, 0.3, 0.2, 0.0]), np.array([0.4, 0.3, 0.1, 0.2])
    floor = floor_for(1000, 400)
    assert floor == 0.5 / 400
    by_hand = sum((b - a) * np.log(b / a) for a, b in zip(np.maximum(p, floor), q, strict=True))
    assert psi_terms(p, q, floor).sum() == pytest.approx(by_hand)
    assert psi_terms(p, p, floor).sum() == 0.0
    assert floor_for(10**9, 10**9) == 1e-4  # never below FLOOR, however many leads


def test_leads_drawn_like_training_are_stable_whatever_the_chunks(model: LeadModel) -> None:
    now = leads(1000, seed=1)
    whole = counted(model, now).result()
    assert whole.leads == 1000 and whole.enough and whole.note is None
    assert all(f.band == "stable" for f in whole.features) and whole.score is not None
    assert whole.score.band == "stable"
    psi = [f.psi for f in whole.features]
    assert psi == sorted(psi, reverse=True)
    as_payloads = now.astype(object).where(now.notna(), None).to_dict("records")  # what the store holds
    parts = counted(model, now.iloc[:1], as_payloads[1:400], now.iloc[400:]).result()
    assert parts.features == whole.features and parts.score == whole.score


def test_a_shifted_number_and_a_new_category_mix_stand_out(model: LeadModel) -> None:
    now = leads(1000, seed=1)
    now["seconds"] = [v * 3 if isinstance(v, float) else v for v in now["seconds"]]
    now["city"] = np.random.default_rng(5).choice(
        ["Zürich", "Köln", "Lyon", "Oslo"], len(now), p=[0.1, 0.1, 0.4, 0.4]
    )
    drift = counted(model, now).result()
    by_name = {f.name: f for f in drift.features}
    assert {f.name for f in drift.features[:2]} == {"city", "seconds"}
    assert by_name["seconds"].band == by_name["city"].band == "alert"
    assert all(f.band == "stable" for f in drift.features[2:])
    top = by_name["seconds"].moved[0]  # three times longer visits crowd the top bin
    assert top.bin.startswith(">= ") and top.now > 3 * top.training
    assert by_name["seconds"].moved == sorted(by_name["seconds"].moved, key=lambda b: -b.psi)
    gone, *grew = by_name["city"].moved  # no São Paulo now, more Lyon and Oslo
    assert (gone.bin, gone.now) == ("São Paulo", 0.0) and {b.bin for b in grew} == {"Lyon", "Oslo"}
    assert by_name["city"].missing_now == 0.0 and by_name["city"].unseen_now == 0.0


def test_missing_and_unseen_shares_now_against_training(model: LeadModel) -> None:
    now = leads(1000, seed=1, unseen=True)  # 5% of cities are "Atlantis", which the model never saw
    now.loc[:299, "visits"] = None
    drift = counted(model, now).result()
    city = next(f for f in drift.features if f.name == "city")
    visits = next(f for f in drift.features if f.name == "visits")
    profile = model.profile
    assert profile is not None
    assert city.unseen_training == profile.feature("city").unseen
    assert city.unseen_now is not None and city.unseen_now > city.unseen_training + 0.03  # type: ignore[operator]
    assert visits.missing_training == profile.feature("visits").missing
    assert visits.missing_now == pytest.approx(0.3 + 0.7 * 0.1, abs=0.03) and visits.unseen_now is None


def test_shifting_what_the_score_rests_on_moves_the_score(model: LeadModel) -> None:
    now = leads(1000, seed=1).assign(demo="yes")  # the hand-made model's strongest feature
    score = counted(model, now).result().score
    assert score is not None and score.band == "alert"
    assert sum(score.now[5:]) > sum(score.training[5:]) + 0.2
    assert score.grades_now["A"] > score.grades_training["A"]
    assert sum(score.grades_now.values()) == pytest.approx(1.0)


def test_small_and_empty_windows(model: LeadModel) -> None:
    few = counted(model, leads(150, seed=1)).result(DriftBands(min_leads=200))
    assert few.leads == 150 and not few.enough
    assert few.note == "only 150 leads in the window (fewer than 200): no drift alert"
    empty = counted(model, leads(0, seed=1)).result()
    assert (empty.leads, empty.features, empty.score, empty.enough) == (0, [], None, False)
    assert empty.note == "no leads in the window: nothing to compare"


def test_a_model_without_a_profile_cannot_be_monitored() -> None:
    with pytest.raises(NoProfile, match=r"no reference profile .* retrain it to get one"):
        DriftCounter(lead_model("logistic"))


def test_bands_are_configurable() -> None:
    bands = DriftBands(watch=0.05, alert=0.5)
    assert [bands.band(x) for x in (0.01, 0.05, 0.3, 0.5, 0.51)] == [
        "stable",
        "watch",
        "watch",
        "watch",
        "alert",
    ]
    assert [DriftBands().band(x) for x in (0.09, 0.1, 0.25, 0.26)] == ["stable", "watch", "watch", "alert"]
