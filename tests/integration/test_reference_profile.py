"""A trained model carries the reference profile of the leads it was fitted on, inside the registered model and as
the run's `reference_profile.json`, bit for bit, with the sketch of their log-odds its score side follows from."""

from __future__ import annotations

import mlflow
import pytest

from features.model import LeadModel
from features.profile import ReferenceProfile, build_profile
from features.profile_scores import SKETCH_SLICES
from features.schema import load_schema
from features.tables import load_table
from leadscore.synthetic import SyntheticFiles
from training.data import validate_leads
from training.train import TrainOutcome


@pytest.fixture(scope="module")
def reloaded(small_model: tuple[SyntheticFiles, TrainOutcome]) -> LeadModel:
    model: LeadModel = mlflow.pyfunc.load_model(small_model[1].registered.uri).unwrap_python_model()
    return model


def test_the_registered_model_carries_the_profile_of_every_lead_it_was_fitted_on(
    small_model: tuple[SyntheticFiles, TrainOutcome], reloaded: LeadModel
) -> None:
    files = small_model[0]
    profile = reloaded.profile
    assert profile is not None
    assert (
        profile.leads == reloaded.info["trained_rows"] == 3000
    )  # the refit's leads: training part and holdout
    leads = validate_leads(load_table(files.leads), load_schema(files.schema))
    rebuilt = build_profile(reloaded, leads.frame, leads.y, leads.timestamps)
    assert rebuilt == profile  # exactly: same bins, shares, scores and rates as training computed them
    assert profile.first is not None and profile.first.startswith("2025-05")
    assert profile.last is not None and profile.last.startswith("2026-10")
    assert sum(g.share for g in profile.grades.values()) == pytest.approx(1.0)
    for grade in profile.grades.values():
        assert grade.expected_rate is not None and grade.observed_rate is not None
    rates = [profile.grades[g].expected_rate for g in "ABCD"]
    assert rates == sorted(rates, reverse=True)  # type: ignore[type-var]


def test_the_run_logs_the_same_profile_as_json(
    small_model: tuple[SyntheticFiles, TrainOutcome], reloaded: LeadModel
) -> None:
    logged = mlflow.artifacts.load_dict(f"runs:/{small_model[1].run_id}/reference_profile.json")
    assert ReferenceProfile.from_dict(logged) == reloaded.profile
    assert logged == reloaded.profile.to_dict()  # type: ignore[union-attr]


def test_the_score_side_follows_from_the_log_odds_sketch(
    small_model: tuple[SyntheticFiles, TrainOutcome], reloaded: LeadModel
) -> None:
    files = small_model[0]
    profile = reloaded.profile
    assert profile is not None and profile.log_odds is not None
    leads = validate_leads(load_table(files.leads), load_schema(files.schema))
    sketch = profile.log_odds
    assert len(sketch.raw) == SKETCH_SLICES and sum(sketch.leads) == profile.leads
    assert sum(sketch.converted) == leads.y.sum()
    derived = profile.under(reloaded.calibration, reloaded.scale)  # its own calibration: the stored side
    assert derived.score_shares == pytest.approx(profile.score_shares, abs=2 / SKETCH_SLICES)
    for grade, stored in profile.grades.items():
        found = derived.grades[grade]
        assert found.share == pytest.approx(stored.share, abs=2 / SKETCH_SLICES)
        assert found.expected_rate == pytest.approx(stored.expected_rate, abs=2e-3)
        moved = 2 / SKETCH_SLICES / stored.share  # two slices of leads in or out of the grade
        assert found.observed_rate == pytest.approx(stored.observed_rate, abs=moved)
