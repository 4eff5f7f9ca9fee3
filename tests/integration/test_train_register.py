"""End to end: train into a temporary SQLite MLflow, reload the champion, compare batch and pyfunc scoring."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from sklearn.metrics import roc_auc_score

from features.batch import score_file
from features.clean import as_signature_types
from features.schema import load_schema
from features.tables import load_table
from training.config import TrainConfig
from training.train import TrainOutcome, train

MODEL = "synthetic-leads"
# Defaults only (no search beyond each family's first trial): the same data then gives the same model every time.
FIXED = {"max_trials": 1}
pytestmark = pytest.mark.slow  # four trainings on 20,000 leads or fewer


@pytest.fixture(scope="module")
def trained(mlflow_home: Path, synthetic) -> TrainOutcome:  # type: ignore[no-untyped-def]
    config = TrainConfig(
        data=synthetic.leads, schema_path=synthetic.schema, model_name=MODEL, progress=False, **FIXED
    )
    return train(config)


def test_first_model_becomes_champion_and_challenger(trained: TrainOutcome) -> None:
    client = MlflowClient()
    assert trained.registered.promoted
    for alias in ("champion", "challenger"):
        assert str(client.get_model_version_by_alias(MODEL, alias).version) == trained.registered.version


def test_holdout_is_the_most_recent_leads_and_close_to_the_oracle(trained: TrainOutcome, synthetic) -> None:  # type: ignore[no-untyped-def]
    assert trained.split == "time"
    leads = pd.read_csv(synthetic.leads)
    truth = pd.read_csv(synthetic.truth).set_index("lead_id")["true_probability"]
    holdout = leads.sort_values("created_at").tail(trained.evaluation.metrics["n"].__int__())
    oracle_auc = roc_auc_score(holdout["converted"], truth.loc[holdout["lead_id"]])
    assert trained.evaluation.metrics["roc_auc"] >= oracle_auc - 0.01
    assert trained.evaluation.metrics["ece"] < 0.03


def test_champion_reloads_and_batch_matches_pyfunc(trained: TrainOutcome, synthetic, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    leads = load_table(synthetic.leads)
    by_pyfunc = model.predict(as_signature_types(leads, load_schema(synthetic.schema)))
    out = tmp_path / "scored.csv"
    rows, _ = score_file(f"models:/{MODEL}@champion", synthetic.leads, out, progress=False)
    by_batch = pd.read_csv(out)
    assert rows == len(leads) == len(by_pyfunc) == len(by_batch)
    assert list(by_batch["lead_id"]) == list(leads["lead_id"]) == list(by_pyfunc["lead_id"])
    np.testing.assert_allclose(by_batch["probability"], by_pyfunc["probability"], rtol=0, atol=1e-12)
    assert (by_batch["score"] == by_pyfunc["score"]).all()
    assert (by_batch["grade"] == by_pyfunc["grade"]).all()
    assert set(by_pyfunc["grade"]) == {"A", "B", "C", "D"}
    assert by_pyfunc["score"].between(0, 100).all()


def test_run_logs_params_metrics_schema_and_plots(trained: TrainOutcome) -> None:
    client = MlflowClient()
    run = client.get_run(trained.run_id)
    assert len(run.data.params["data_sha256"]) == 64
    assert run.data.params["split"] == "time"
    for metric in (
        "holdout_roc_auc",
        "holdout_pr_auc",
        "holdout_log_loss",
        "holdout_brier",
        "holdout_ece",
        "holdout_lift_top_decile",
        "holdout_conversion_rate_A",
    ):
        assert metric in run.data.metrics, metric
    artifacts = {a.path for a in client.list_artifacts(trained.run_id)}
    assert "schema.yaml" in artifacts
    plots = {a.path for a in client.list_artifacts(trained.run_id, "plots")}
    for name in ("roc", "precision_recall", "calibration", "gains", "feature_importance"):
        assert f"plots/{name}.png" in plots


def test_grades_rank_conversion(trained: TrainOutcome) -> None:
    rates = trained.evaluation.grades.set_index("grade")["conversion_rate"]
    assert rates["A"] > rates["B"] > rates["C"] > rates["D"]


def test_worse_model_stays_challenger_and_equal_model_is_promoted(
    trained: TrainOutcome,
    synthetic,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    client = MlflowClient()
    weak_schema = tmp_path / "weak.yaml"
    weak_schema.write_text(
        "id: lead_id\nlabel: converted\ntimestamp: created_at\ncategorical: [country]\n", encoding="utf-8"
    )
    weak = train(
        TrainConfig(data=synthetic.leads, schema_path=weak_schema, model_name=MODEL, progress=False, **FIXED)
    )
    assert not weak.registered.promoted
    assert "<" in weak.registered.reason
    assert str(client.get_model_version_by_alias(MODEL, "challenger").version) == weak.registered.version
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == trained.registered.version

    again = train(
        TrainConfig(
            data=synthetic.leads, schema_path=synthetic.schema, model_name=MODEL, progress=False, **FIXED
        )
    )
    assert again.evaluation.metrics["roc_auc"] == pytest.approx(trained.evaluation.metrics["roc_auc"])
    assert again.registered.promoted
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == again.registered.version


def test_model_records_the_family_chosen_by_cross_validation(trained: TrainOutcome) -> None:
    model = mlflow.pyfunc.load_model(trained.registered.uri).unwrap_python_model()
    info = model.info
    assert info["family"] == model.family
    assert {"lightgbm", "logistic", "naive_bayes", info["family"]} <= set(info["selection"])
    assert info["selection_reason"].count("\n") == 0 and "CV ROC AUC" in info["selection_reason"]
    run = MlflowClient().get_run(trained.run_id)
    assert run.data.tags["family"] == info["family"]
    assert run.data.metrics["cv_roc_auc_lightgbm"] == pytest.approx(
        info["selection"]["lightgbm"]["cv_roc_auc"]
    )
    assert 0.0 <= run.data.metrics["cv_ece"] < 0.03  # calibrated on these out-of-fold predictions
    children = MlflowClient().search_runs(
        [run.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{trained.run_id}'"
    )
    assert sorted(c.data.params["family"] for c in children) == ["lightgbm", "logistic"]  # one trial each


def test_thin_data_trains_the_cold_start_model_with_a_warning(
    mlflow_home: Path, synthetic, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    thin = tmp_path / "thin.csv"
    pd.read_csv(synthetic.leads, dtype=str, keep_default_na=False).head(700).to_csv(thin, index=False)
    with caplog.at_level("WARNING"):
        outcome = train(
            TrainConfig(data=thin, schema_path=synthetic.schema, model_name="thin-leads", progress=False)
        )
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelname == "WARNING" and "labelled leads" in r.getMessage()
    ]
    assert len(warnings) == 1 and "700 labelled leads" in warnings[0]
    model = mlflow.pyfunc.load_model(outcome.registered.uri).unwrap_python_model()
    assert model.family == "naive_bayes" and model.info["cold_start"] is True
    assert MlflowClient().get_run(outcome.run_id).data.tags["cold_start"] == warnings[0]
    assert outcome.registered.promoted  # the first model of its name
