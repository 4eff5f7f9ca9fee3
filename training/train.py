"""The training run: validate, split, fit, evaluate on the holdout, log everything to MLflow, register, promote."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from features.schema import dump_schema, load_schema
from training import plots
from training.config import TrainConfig, tracking_uri
from training.data import usable_schema, validate_leads
from training.evaluate import Evaluation, evaluate
from training.fit import FitResult, fit_model
from training.leakage import check_leakage, single_feature_auc
from training.register import Registered, input_example, log_and_register, promote
from training.report import log_report
from training.select import cold_start_reason
from training.split import holdout_split
from training.table_file import file_digest, load_table

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainOutcome:
    """What a run produced: the registered version, whether it became champion, and its holdout evaluation."""

    run_id: str
    registered: Registered
    evaluation: Evaluation
    split: str


def _importance(fit: FitResult, leads: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """Mean absolute push on the calibrated log-odds per feature: comparable whichever family won."""
    impacts, _ = fit.model.contributions(leads)
    return fit.model.schema.features, impacts.abs().mean(axis=0).to_numpy(dtype=float)


def _log_artifacts(
    fit: FitResult, evaluation: Evaluation, leads: pd.DataFrame, y: np.ndarray, probability: np.ndarray
) -> None:
    model = fit.model
    names, importance = _importance(fit, leads)
    scores = model.scale.score(probability)
    figures = {
        "roc.png": plots.roc_figure(y, probability),
        "precision_recall.png": plots.precision_recall_figure(y, probability),
        "calibration.png": plots.calibration_figure(y, probability),
        "gains.png": plots.gains_figure(evaluation.gains),
        "feature_importance.png": plots.importance_figure(names, importance),
        "score_distribution.png": plots.score_distribution_figure(scores, y, model.scale.grade_cuts),
        "conversion_by_grade.png": plots.grade_figure(evaluation.grades),
    }
    for name, figure in figures.items():
        mlflow.log_figure(figure, f"plots/{name}")
    mlflow.log_table(evaluation.gains, "evaluation/gains.json")
    mlflow.log_table(evaluation.grades, "evaluation/grades.json")
    mlflow.log_table(
        pd.DataFrame({"feature": names, "mean_abs_impact": importance}).sort_values(
            "mean_abs_impact", ascending=False
        ),
        "evaluation/importance.json",
    )
    with tempfile.TemporaryDirectory() as tmp:
        gains_csv = Path(tmp) / "gains.csv"
        evaluation.gains.to_csv(gains_csv, index=False)
        mlflow.log_artifact(str(gains_csv), "evaluation")


def train(config: TrainConfig) -> TrainOutcome:
    """Run one training job end to end; raises SchemaError/DataError (one line) before anything is logged."""
    given_schema = load_schema(config.schema_path)
    table = load_table(config.data)
    leads = validate_leads(table, given_schema)
    train_rows, holdout_rows, split = holdout_split(
        leads.y, leads.timestamps, config.holdout_fraction, config.seed
    )
    log.info(
        "%d labelled leads (%d unlabeled skipped), %.1f%% converted; holdout %d leads by %s split",
        len(leads.y),
        leads.unlabeled,
        100 * leads.y.mean(),
        len(holdout_rows),
        split,
    )
    train_ts = None if leads.timestamps is None else leads.timestamps.iloc[train_rows].reset_index(drop=True)
    train_frame = leads.frame.iloc[train_rows].reset_index(drop=True)
    holdout_frame = leads.frame.iloc[holdout_rows].reset_index(drop=True)
    y_train, y_holdout = leads.y[train_rows], leads.y[holdout_rows]
    schema, feature_notes = usable_schema(train_frame, given_schema)  # empty features are ignored
    data_warnings = [*table.attrs.get("warnings", []), *leads.warnings, *feature_notes]
    cold_start = cold_start_reason(leads.y)  # Einstein-style minimum on all labelled leads
    if cold_start:
        log.warning(cold_start)
    power = single_feature_auc(train_frame, y_train, schema, config.seed)
    warnings = check_leakage(power, config.allow_leaky)

    mlflow.set_tracking_uri(tracking_uri())
    if not os.environ.get(
        "MLFLOW_RUN_ID"
    ):  # under `mlflow run` the project's run (and experiment) is already chosen
        mlflow.set_experiment(config.experiment)
    with mlflow.start_run() as run:
        mlflow.log_params(config.loggable())
        mlflow.log_params(
            {
                "data_sha256": file_digest(config.data),
                "rows": len(table),
                "labelled_rows": len(leads.y),
                "train_rows": len(train_rows),
                "holdout_rows": len(holdout_rows),
                "split": split,
                "features": len(schema.features),
                "data_encoding": table.attrs.get("encoding", ""),
            }
        )
        mlflow.log_text(dump_schema(given_schema), "schema.yaml")
        ignored = [c for c in given_schema.features if c not in schema.features]
        if ignored:
            mlflow.set_tag("ignored_features", ", ".join(ignored)[:5000])
        if data_warnings:
            mlflow.set_tag("data_warnings", " | ".join(data_warnings)[:5000])
        mlflow.log_table(power.rename_axis("feature").reset_index(), "evaluation/single_feature_auc.json")
        if warnings:
            mlflow.set_tag("leakage_warnings", " | ".join(warnings)[:5000])
        if cold_start:
            mlflow.set_tag("cold_start", cold_start)
        info = {"run_id": run.info.run_id, "split": split, "trained_rows": len(train_rows)}
        fit = fit_model(
            train_frame,
            y_train,
            train_ts,
            schema,
            folds=config.folds,
            seed=config.seed,
            budget_seconds=config.budget_seconds,
            max_trials=config.max_trials,
            cold_start=cold_start is not None,
            info=info,
            progress=config.progress,
        )
        mlflow.log_params({f"model_{k}": v for k, v in fit.params.items()})
        mlflow.log_metrics(fit.cv_metrics())
        mlflow.set_tags({"family": fit.model.family, "selection_reason": fit.model.info["selection_reason"]})
        result = fit.model.score_frame(holdout_frame)
        probability = result["probability"].to_numpy()
        evaluation = evaluate(y_holdout, probability, result["grade"].to_numpy())
        fit.model.info["holdout_metrics"] = evaluation.metrics
        mlflow.log_metrics(evaluation.flat_metrics())
        _log_artifacts(fit, evaluation, holdout_frame, y_holdout, probability)
        version = log_and_register(fit.model, input_example(fit.model, holdout_frame), config.model_name)
        registered = promote(
            config.model_name, version, evaluation.metrics["roc_auc"], holdout_frame, y_holdout
        )
        mlflow.set_tags(
            {
                "promoted": str(registered.promoted),
                "promotion_reason": registered.reason,
                "model_version": version,
            }
        )
        log_report(fit.model, config.model_name, version)  # report/model_report.html (+ .md)
    return TrainOutcome(run_id=run.info.run_id, registered=registered, evaluation=evaluation, split=split)
