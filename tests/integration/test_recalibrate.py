"""`leadscore recalibrate`: the champion's calibration refitted on stored outcomes, judged on the newest ones, gated.

The outcomes are drawn from the champion's own probabilities with the odds of converting raised (a new campaign, a
sales team that closes more): the ranking still holds, the probabilities are too low, and recalibration must bring
the held-out ECE down while keeping the scorer. The new version's reference profile scores the training leads as it
does, so the monitor shows no score drift on leads drawn like them.
"""

from __future__ import annotations

import copy
import json
import math
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from lead_store_fixtures import BACKENDS
from mlflow.tracking import MlflowClient
from small_models import registered_as
from typer.testing import CliRunner

from features.clean import as_signature_types
from features.model import LeadModel
from features.population_drift import DriftCounter, ScoreDrift
from features.scale import sigmoid
from leadscore.cli import app
from leadscore.synthetic import SyntheticFiles, write_synthetic
from training.gate import fitted_leads, fitted_on
from training.register import CHALLENGER, CHAMPION
from training.train import TrainOutcome

runner = CliRunner()
NEW_LEADS, SEEN_LEADS = 1200, 100  # leads the champion never saw, and leads it was fitted on
ODDS_SHIFT = 1.2  # the log-odds of converting moved up by this much since the champion was trained


def draw(p: np.ndarray, shift: float | np.ndarray, seed: int) -> np.ndarray:
    """Outcomes drawn with the log-odds of `p` moved by `shift`."""
    return (np.random.default_rng(seed).random(len(p)) < sigmoid(np.log(p / (1 - p)) + shift)).astype(int)


def write_outcomes(path: Path, ids: pd.Series, y: np.ndarray) -> Path:
    """Each lead accepted and won (y = 1), or rejected: one event (each costs a transaction on SQLite)."""
    steps = {1: (("accepted", ""), ("won", "")), 0: (("rejected", "no need"),)}
    events = [(i, step, why) for i, won in zip(ids, y, strict=True) for step, why in steps[int(won)]]
    pd.DataFrame(events, columns=["lead_id", "outcome", "reason"]).to_csv(path, index=False)
    return path


@dataclass(frozen=True)
class ShiftedSales:
    leads: Path
    outcomes: Path
    new: pd.DataFrame  # the never-seen leads as typed for the model, with their outcome in `y`
    y: np.ndarray
    p: np.ndarray  # the champion's probability for each
    created: pd.Series  # and when each was created

    def newest(self, count: int) -> np.ndarray:
        """Positions of the `count` newest never-seen leads (the held-out part)."""
        return np.argsort(pd.to_datetime(self.created).to_numpy(), kind="stable")[-count:]


def source_model(name: str, version: str) -> LeadModel:
    model: LeadModel = mlflow.pyfunc.load_model(f"models:/{name}/{version}").unwrap_python_model()
    return model


@pytest.fixture(scope="module")
def sales(
    small_model: tuple[SyntheticFiles, TrainOutcome], tmp_path_factory: pytest.TempPathFactory
) -> ShiftedSales:
    """New leads with outcomes drawn at shifted odds, plus some of the champion's own training leads."""
    files, trained = small_model
    folder = tmp_path_factory.mktemp("recalibrate-sales")
    drawn = write_synthetic(folder / "synthetic", rows=NEW_LEADS, seed=77)
    new = pd.read_csv(drawn.leads, dtype=str, keep_default_na=False)
    new["lead_id"] = "R" + new["lead_id"]  # ids the champion's training never had
    seen = pd.read_csv(files.leads, dtype=str, keep_default_na=False).head(SEEN_LEADS)
    model = source_model(trained.registered.name, trained.registered.version)
    typed = as_signature_types(new, model.schema)
    p = model.score(typed).probability
    y = draw(p, ODDS_SHIFT, seed=5)
    seen_y = (np.random.default_rng(6).random(len(seen)) < 0.5).astype(int)
    ids = pd.concat([new["lead_id"], seen["lead_id"]])
    outcomes = write_outcomes(folder / "outcomes.csv", ids, np.concatenate([y, seen_y]))
    leads = folder / "leads.csv"
    pd.concat([new, seen]).drop(columns=["converted", "lead_status"]).to_csv(leads, index=False)
    return ShiftedSales(leads, outcomes, typed, y, p, new["created_at"])


def store_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'leads.db'}"
    return str(request.getfixturevalue("postgres_databases").create())


def ingest(url: str, leads: Path, outcomes: Path, model: str) -> None:
    args = ["ingest", "--data", str(leads), "--outcomes", str(outcomes), "--database", url, "--model", model]
    result = runner.invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 0, result.output


def recalibrate(url: str, model: str, *args: str) -> Any:
    return runner.invoke(app, ["recalibrate", "--database", url, "--model", model, *args])


def monitored_score(url: str, model: str) -> dict[str, Any]:
    """The score part of `leadscore monitor --json` over every stored lead."""
    args = ["--database", url, "--model", model, "--since", "2000-01-01", "--json", "--no-progress"]
    result = runner.invoke(app, ["monitor", *args])
    assert result.exit_code in (0, 1), result.output  # 1: something alerted (checked by the caller)
    score: dict[str, Any] = json.loads(result.stdout)["score"]
    return score


def score_drift(model: LeadModel, leads: pd.DataFrame) -> ScoreDrift:
    counter = DriftCounter(model)
    counter.add(leads)
    drift = counter.result().score
    assert drift is not None
    return drift


def one_line_error(result: Any, *words: str) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    assert all(w in lines[0] for w in words), lines[0]
    return lines[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_recalibration_brings_held_out_ece_down_and_passes_the_gate(
    backend: str,
    small_model: tuple[SyntheticFiles, TrainOutcome],
    sales: ShiftedSales,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    name = f"recalibrate-{backend}"
    first = registered_as(small_model[1], name).registered
    url = store_url(backend, request, tmp_path)
    ingest(url, sales.leads, sales.outcomes, f"models:/{name}@{CHAMPION}")

    result = recalibrate(url, f"models:/{name}@{CHAMPION}")
    assert result.exit_code == 0, result.output
    held = math.ceil(0.3 * NEW_LEADS)
    assert f"{SEEN_LEADS} left out (version {first.version} was fitted on them)" in result.stdout
    assert f"held out the newest {held:,} leads" in result.stdout and "(the last 90 days)" in result.stdout

    client = MlflowClient()
    source_fitted = fitted_leads(client.get_model_version(name, first.version).run_id)
    version = client.get_model_version_by_alias(name, CHALLENGER)
    assert int(version.version) == int(first.version) + 1
    run = client.get_run(version.run_id)
    metrics, params = run.data.metrics, run.data.params
    assert metrics["ece_after"] < 0.5 * metrics["ece_before"], metrics
    assert metrics["log_loss_after"] < metrics["log_loss_before"]
    assert metrics["roc_auc_after"] == pytest.approx(
        metrics["roc_auc_before"], abs=1e-12
    )  # the ranking is kept
    assert params["source_version"] == first.version and params["left_out_fitted"] == str(SEEN_LEADS)
    assert params["held_out_leads"] == str(held) and params["fit_leads"] == str(NEW_LEADS - held)
    assert params["recalibrate_leads"] == str(NEW_LEADS + SEEN_LEADS)
    newest = sales.newest(held)
    assert params["held_out_conversions"] == str(sales.y[newest].sum())  # the newest by arrival
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert {"plots/calibration.png", "plots/calibration_before.png"} <= artifacts
    assert client.list_artifacts(run.info.run_id, "report")  # the model report, as `train` logs it
    fitted = fitted_leads(
        run.info.run_id
    )  # the source's leads and the fitted part; the held-out part stays unseen
    assert fitted is not None and source_fitted is not None and np.isin(source_fitted, fitted).all()
    held_ids = sales.new["lead_id"].iloc[newest]
    assert not fitted_on(held_ids, fitted).any()
    assert fitted_on(sales.new["lead_id"].drop(held_ids.index), fitted).all()

    old, new = source_model(name, first.version), source_model(name, str(version.version))
    assert new.calibration != old.calibration and new.calibration.intercept > old.calibration.intercept
    matrix = old.matrix(sales.new)
    np.testing.assert_array_equal(new.scorer.raw(matrix), old.scorer.raw(matrix))  # the same scorer
    np.testing.assert_array_equal(new.scale.reference, old.scale.reference)
    record = new.info["recalibration"]
    assert record["source_version"] == first.version
    assert record["held_out"]["leads"] == held and record["left_out_fitted"] == SEEN_LEADS

    scored = mlflow.pyfunc.load_model(f"models:/{name}/{version.version}").predict(sales.new)
    expected = new.calibration(old.scorer.raw(matrix))
    np.testing.assert_allclose(scored["probability"], expected, rtol=0, atol=1e-12)
    assert scored["probability"].mean() > old.score(sales.new).probability.mean()  # the odds went up

    assert run.data.tags["promoted"] == "True", run.data.tags
    assert str(client.get_model_version_by_alias(name, CHAMPION).version) == str(version.version)
    assert "promoted to @champion: ROC AUC" in result.stdout

    # the profile's score side follows the new calibration: the training leads as the new version scores them
    assert old.profile is not None and new.profile is not None and new.profile.log_odds is not None
    assert new.profile == old.profile.under(new.calibration, new.scale)
    assert new.profile.features == old.profile.features and new.profile.log_odds == old.profile.log_odds
    assert new.profile.grades["A"].share > old.profile.grades["A"].share  # higher odds: more As in training
    logged = mlflow.artifacts.load_dict(f"runs:/{run.info.run_id}/reference_profile.json")
    assert logged == new.profile.to_dict()
    # the stored leads are drawn like the training leads: no score drift for the source version nor the new one,
    # whereas the new version against the profile it had before (scored under the old calibration) would alert
    stored = pd.read_csv(sales.leads, dtype=str, keep_default_na=False)
    assert score_drift(old, stored).band == "stable"
    monitored = monitored_score(url, f"models:/{name}/{version.version}")
    assert monitored["band"] == "stable", monitored
    assert monitored["psi"] == pytest.approx(score_drift(new, stored).psi)
    assert monitored["grades_training"] == {g: p.share for g, p in new.profile.grades.items()}
    stale = copy.copy(new)
    stale.profile = old.profile
    assert score_drift(stale, stored).band == "alert"


@pytest.fixture(scope="module")
def few(
    small_model: tuple[SyntheticFiles, TrainOutcome],
    sales: ShiftedSales,
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """A store with 40 never-seen leads, all rejected, scored by a champion of its own."""
    folder = tmp_path_factory.mktemp("recalibrate-few")
    registered_as(small_model[1], "recalibrate-few")
    leads = pd.read_csv(sales.leads, dtype=str, keep_default_na=False).head(40)
    write_outcomes(folder / "outcomes.csv", leads["lead_id"], np.zeros(len(leads), dtype=int))
    leads.to_csv(folder / "leads.csv", index=False)
    url = f"sqlite:///{folder / 'leads.db'}"
    ingest(url, folder / "leads.csv", folder / "outcomes.csv", "models:/recalibrate-few@champion")
    return url


def test_too_few_outcomes_an_unknown_model_or_a_store_down_is_one_line(few: str) -> None:
    model = "models:/recalibrate-few@champion"
    before = len(MlflowClient().search_model_versions("name='recalibrate-few'"))
    one_line_error(recalibrate(few, model), "only 40 leads", "need at least 200", "--min-outcomes")
    one_line_error(
        recalibrate(few, model, "--min-outcomes", "20"), "0 converted and 28 not", "need at least 10 of each"
    )
    one_line_error(recalibrate(few, model, "--since", "2100-01-01"), "only 0 leads", "since 2100-01-01")
    one_line_error(recalibrate(few, model, "--since", "last week"), "--since")
    one_line_error(recalibrate(few, "models:/no-such-model@champion"), "--model", "no-such-model")
    down = recalibrate("postgresql+psycopg://postgres:pw@127.0.0.1:1/x", model)
    assert "pw@" not in one_line_error(down, "unreachable")
    assert len(MlflowClient().search_model_versions("name='recalibrate-few'")) == before  # nothing registered


def test_the_mlproject_entry_point_maps_onto_the_flags(few: str) -> None:
    from mlflow.projects._project_spec import load_project

    project = load_project(str(Path(__file__).parents[2]))
    params = {"database": few, "model": "models:/recalibrate-few@champion", "min_outcomes": 100000}
    args = shlex.split(project.get_entry_point("recalibrate").compute_command(params, storage_dir=""))
    assert args[:2] == ["leadscore", "recalibrate"]
    one_line_error(runner.invoke(app, args[1:]), "only 40 leads", "need at least 100000")


def test_a_refit_that_does_not_help_on_the_newest_outcomes_is_not_registered(
    small_model: tuple[SyntheticFiles, TrainOutcome], sales: ShiftedSales, tmp_path: Path
) -> None:
    """The odds rose for a while and are back where the champion put them: the refit on the older outcomes would
    make the newest ones worse, so nothing is registered and the champion stays."""
    name = "recalibrate-back"
    first = registered_as(small_model[1], name).registered
    some = sales.newest(NEW_LEADS)[::2]  # outcomes for every other lead (by arrival) are enough here
    shift = np.full(len(some), ODDS_SHIFT)
    shift[-math.ceil(0.3 * len(some)) :] = 0.0  # the held-out part: the odds the champion gives
    y = draw(sales.p[some], shift, seed=8)
    outcomes = write_outcomes(tmp_path / "outcomes.csv", sales.new["lead_id"].iloc[some], y)
    url = f"sqlite:///{tmp_path / 'leads.db'}"
    ingest(url, sales.leads, outcomes, f"models:/{name}@{CHAMPION}")

    result = recalibrate(url, f"models:/{name}@{CHAMPION}", "--since", "2000-01-01")
    assert result.exit_code == 0, result.output
    assert "not registered: held-out log loss" in result.stdout and "(the last 90 days)" not in result.stdout
    client = MlflowClient()
    assert [v.version for v in client.search_model_versions(f"name='{name}'")] == [int(first.version)]
    runs = mlflow.search_runs(
        search_all_experiments=True,
        filter_string=f"tags.recalibration_of = 'models:/{name}/{first.version}'",
        output_format="list",
    )
    assert len(runs) == 1 and runs[0].data.tags["registered"] == "False"
    assert runs[0].data.metrics["log_loss_after"] >= runs[0].data.metrics["log_loss_before"]
