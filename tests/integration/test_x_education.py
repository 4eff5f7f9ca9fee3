"""Training on the real X Education leads (../shared), with the post-outcome columns dropped by the schema."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from features.schema import load_schema
from training.config import TrainConfig
from training.train import train

X_EDUCATION = Path(__file__).resolve().parents[3] / "shared" / "data" / "x_education_leads" / "Leads.csv"
X_EDUCATION_SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "x_education.schema.yaml"
pytestmark = pytest.mark.skipif(
    not X_EDUCATION.is_file(),
    reason=f"real lead table not found at {X_EDUCATION} (../shared is not beside the checkout)",
)
LEAKY = {
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "Last Activity",
    "Last Notable Activity",
    "Asymmetrique Activity Score",
}


def test_trains_a_useful_calibrated_model_without_leaky_columns(mlflow_home: Path) -> None:
    schema = load_schema(X_EDUCATION_SCHEMA)
    assert not LEAKY & set(schema.features)
    outcome = train(
        TrainConfig(
            data=X_EDUCATION,
            schema_path=X_EDUCATION_SCHEMA,
            model_name="x-education",
            max_trials=2,  # a short search (the defaults of each family first); bench/quality.py measures the full one
            progress=False,
        )
    )
    metrics = outcome.evaluation.metrics
    assert outcome.split == "stratified"  # no timestamp in this table
    assert metrics["n"] == pytest.approx(0.2 * 9240, abs=1)
    assert metrics["roc_auc"] > 0.86
    assert metrics["ece"] < 0.04
    assert metrics["lift_top_decile"] > 2.0
    model = mlflow.pyfunc.load_model("models:/x-education@champion").unwrap_python_model()
    assert model.schema.features == schema.features
    assert {"lightgbm", "logistic", "naive_bayes"} <= set(
        model.info["selection"]
    )  # all compared on the same folds
