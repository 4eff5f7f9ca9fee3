"""The reference profile: the training leads' bins as the model sees them, stored in the model folder exactly."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hand_made_models import lead_model, leads

from features.encode import OTHER
from features.model import Calibration, LeadModel
from features.model_files import MANIFEST, ModelFilesError, read_model, write_model
from features.profile import MISSING, SCORE_BINS, TOP_CATEGORIES, ReferenceProfile, build_profile
from features.profile_scores import SKETCH_SLICES, LogOddsSketch


@pytest.fixture(scope="module")
def profiled() -> tuple[LeadModel, pd.DataFrame, np.ndarray]:
    """A hand-made model with the profile of 3,000 leads drawn like its own, 30% converted at random."""
    model = lead_model("lightgbm")
    train = leads(3000, seed=0)
    y = (np.random.default_rng(1).random(len(train)) < 0.3).astype(int)
    stamps = pd.Series(pd.date_range("2025-01-01", periods=len(train), freq="h", tz="UTC"))
    model.profile = build_profile(model, train, y, stamps)
    return model, train, y


def test_every_feature_has_bins_that_cover_all_leads(
    profiled: tuple[LeadModel, pd.DataFrame, np.ndarray],
) -> None:
    model, train, _ = profiled
    profile = model.profile
    assert profile is not None and profile.leads == 3000
    assert [f.name for f in profile.features] == model.schema.features
    for feature in profile.features:
        assert sum(feature.shares) == pytest.approx(1.0)
        assert len(feature.labels) == len(feature.shares) and feature.labels[-1] == MISSING
    seconds = profile.feature("seconds")  # exponential: ten quantile bins of about a tenth each
    assert len(seconds.edges) == 9 and all(0.09 < s < 0.11 for s in seconds.shares[:-1])
    cleaned = model.cleaner.transform(train)
    assert seconds.missing == pytest.approx(cleaned["seconds"].isna().mean())  # "-1" is a placeholder
    visits = profile.feature("visits")  # few distinct counts: duplicate edges collapse
    assert visits.edges == sorted(set(visits.edges)) and len(visits.edges) < 9
    assert profile.feature("demo").labels == ["no", "yes", MISSING]


def test_categories_with_other_missing_and_unseen(
    profiled: tuple[LeadModel, pd.DataFrame, np.ndarray],
) -> None:
    model, train, _ = profiled
    city = model.profile.feature("city")  # type: ignore[union-attr]
    cleaned = model.cleaner.transform(train)["city"]
    assert city.categories[0] == "Zürich" and "Select" not in city.categories  # the placeholder is missing
    assert city.labels[-2:] == [OTHER, MISSING] and city.missing == pytest.approx(cleaned.isna().mean())
    # the encoder (fitted on 600 leads, keeping categories of 10 or more) never kept the 1% "rare town": unseen
    assert "rare town" in city.categories and "rare town" not in model.encoder.categories_["city"]
    assert city.unseen == pytest.approx(float((cleaned == "rare town").mean())) and city.unseen > 0.005

    many = train.assign(city=[f"town {i % 45}" for i in range(len(train))])
    wide = build_profile(model, many, np.zeros(len(many))).feature("city")
    assert len(wide.categories) == TOP_CATEGORIES
    assert wide.shares[TOP_CATEGORIES] == pytest.approx(15 / 45, abs=0.01)  # the other 15 towns, pooled
    assert wide.unseen == 1.0  # none of them is a city the model knows


def test_scores_and_grades_are_the_models_own(profiled: tuple[LeadModel, pd.DataFrame, np.ndarray]) -> None:
    model, train, y = profiled
    profile = model.profile
    assert profile is not None
    scored = model.score_frame(train)
    assert profile.score_bins == SCORE_BINS and len(profile.score_shares) == 10
    expected = np.bincount(np.minimum(scored["score"] // 10, 9), minlength=10) / len(train)
    assert profile.score_shares == pytest.approx(expected.tolist())
    for grade, found in profile.grades.items():
        mine = (scored["grade"] == grade).to_numpy()
        assert found.share == pytest.approx(mine.mean())
        assert found.expected_rate == pytest.approx(scored["probability"][mine].mean())
        assert found.observed_rate == pytest.approx(y[mine].mean())
    assert (profile.first, profile.last) == ("2025-01-01T00:00:00+00:00", "2025-05-05T23:00:00+00:00")


@pytest.fixture(scope="module")
def many() -> tuple[LeadModel, pd.DataFrame, np.ndarray]:
    """A hand-made model and 20,000 leads drawn like its own, converting as its probabilities say: 20 per slice."""
    model = lead_model("lightgbm")
    train = leads(20_000, seed=2)
    y = (np.random.default_rng(3).random(len(train)) < model.score(train).probability).astype(int)
    return model, train, y


def with_intercept(model: LeadModel, shift: float) -> LeadModel:
    """The model with its calibration's level moved by `shift` (what a recalibration on higher odds does)."""
    moved = copy.copy(model)
    moved.calibration = Calibration(model.calibration.slope, model.calibration.intercept + shift)
    return moved


def assert_score_sides_agree(derived: ReferenceProfile, exact: ReferenceProfile) -> None:
    """Shares within two slices (one per edge); rates within what two slices of leads can move them."""
    slice_share = 1 / SKETCH_SLICES
    assert derived.score_shares == pytest.approx(exact.score_shares, abs=2 * slice_share)
    for g, found in derived.grades.items():
        want = exact.grades[g]
        assert found.share == pytest.approx(want.share, abs=2 * slice_share)
        bound = 2 * slice_share / want.share
        assert found.expected_rate == pytest.approx(want.expected_rate, abs=bound)
        assert found.observed_rate == pytest.approx(want.observed_rate, abs=bound)


def test_the_log_odds_sketch_keeps_every_lead_and_conversion(
    many: tuple[LeadModel, pd.DataFrame, np.ndarray],
) -> None:
    model, train, y = many
    sketch = build_profile(model, train, y).log_odds
    assert sketch is not None and len(sketch.raw) == SKETCH_SLICES
    assert set(sketch.leads) == {20} and sum(sketch.converted) == y.sum()
    raw = model.scorer.raw(model.matrix(train))
    assert sketch.raw == sorted(sketch.raw) and (sketch.raw[0], sketch.raw[-1]) != (raw.min(), raw.max())
    assert raw.min() <= sketch.raw[0] and sketch.raw[-1] <= raw.max()  # middles of the end slices
    few = LogOddsSketch.of(raw[:7], y[:7])  # no more leads than slices: each lead a slice of its own
    assert few.raw == sorted(raw[:7].tolist()) and few.leads == [1] * 7


def test_the_score_side_derived_from_the_sketch_is_the_stored_one(
    many: tuple[LeadModel, pd.DataFrame, np.ndarray], profiled: tuple[LeadModel, pd.DataFrame, np.ndarray]
) -> None:
    model, train, y = many
    stored = build_profile(model, train, y)
    derived = stored.under(model.calibration, model.scale)
    assert derived.score_shares != stored.score_shares  # derived, not copied
    assert_score_sides_agree(derived, stored)
    assert derived.features == stored.features and derived.log_odds == stored.log_odds
    small = build_profile(model, train.head(SKETCH_SLICES), y[:SKETCH_SLICES])  # one lead per slice: exact
    again = small.under(model.calibration, model.scale)
    assert again.score_shares == pytest.approx(small.score_shares, abs=1e-12)
    for g, found in again.grades.items():
        want = small.grades[g]
        assert (found.share, found.expected_rate, found.observed_rate) == pytest.approx(
            (want.share, want.expected_rate, want.observed_rate), abs=1e-12
        )


def test_under_a_new_calibration_the_score_side_is_the_one_that_model_gives(
    many: tuple[LeadModel, pd.DataFrame, np.ndarray],
) -> None:
    """The level moved up: the training leads score higher and more of them are As; the sketch says so without
    scoring them again, and their outcomes (the observed rates) are regrouped by their new grades."""
    model, train, y = many
    stored = build_profile(model, train, y)
    higher = with_intercept(model, 1.0)
    derived = stored.under(higher.calibration, higher.scale)
    exact = build_profile(higher, train, y)  # the training leads scored by the moved model, one by one
    assert_score_sides_agree(derived, exact)
    assert derived.grades["A"].share > stored.grades["A"].share + 0.05
    assert derived.grades["A"].observed_rate < stored.grades["A"].observed_rate  # weaker leads joined the As
    assert derived.features == stored.features and derived.leads == stored.leads


def test_the_profile_reads_back_exactly_from_the_model_folder_and_from_json(
    profiled: tuple[LeadModel, pd.DataFrame, np.ndarray], tmp_path: Path
) -> None:
    model = profiled[0]
    again = read_model(write_model(model, tmp_path / "model"))
    assert again.profile == model.profile
    text = json.dumps(model.profile.to_dict())  # type: ignore[union-attr]
    assert ReferenceProfile.from_dict(json.loads(text)) == model.profile
    for mine, theirs in zip(again.profile.features, model.profile.features, strict=True):  # type: ignore[union-attr]
        assert [x.hex() for x in mine.edges + mine.shares] == [x.hex() for x in theirs.edges + theirs.shares]


def test_models_without_a_profile_still_load(tmp_path: Path) -> None:
    model = lead_model("logistic")
    folder = write_model(model, tmp_path / "model")
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert "profile" not in manifest  # a folder as written before profiles existed
    assert read_model(folder).profile is None
    profile = build_profile(model, leads(300, seed=4), np.zeros(300)).to_dict()
    older = {k: v for k, v in profile.items() if k != "log_odds"} | {"format": 1}  # written before the sketch
    first = ReferenceProfile.from_dict(older)
    assert first.log_odds is None
    assert first.under(Calibration(2.0, 1.0), model.scale) == first  # its stored score side is kept
    state = {k: v for k, v in vars(model).items() if k != "profile"}  # a model pickled before profiles
    old = LeadModel.unloaded()
    old.__setstate__(pickle.loads(pickle.dumps(state)))
    assert old.profile is None


def test_an_unreadable_profile_is_one_clear_error(
    profiled: tuple[LeadModel, pd.DataFrame, np.ndarray], tmp_path: Path
) -> None:
    folder = write_model(profiled[0], tmp_path / "model")
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    manifest["profile"]["format"] = 99
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelFilesError, match="unreadable reference profile: reference profile format 99"):
        read_model(folder)
