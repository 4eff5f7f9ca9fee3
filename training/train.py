"""The training run: validate, check drift, fit and judge on the holdout, refit on all leads, log, register, gate."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from features.model import LeadModel
from features.schema import dump_schema, load_schema
from features.tables import file_digest, load_table
from training import plots
from training.config import TrainConfig, tracking_uri
from training.data import note_warning, usable_schema, validate_leads
from training.drift import PSI_ALERT, PSI_WATCH, DriftReport, check_drift
from training.evaluate import Evaluation, evaluate
from training.fingerprint import fingerprint, tag_version
from training.gate import Challenger, holdout_digest, log_fitted_leads, promote
from training.leakage import check_leakage, single_feature_auc
from training.pipeline import Trained, train_model
from training.register import Registered, input_example, log_and_register
from training.report import log_report
from training.select import cold_start_reason

log = logging.getLogger(__name__)
NEWEST_FOR_CALIBRATION = 500  # a time holdout this big also gets a calibration plot of its newest quarter


@dataclass(frozen=True)
class TrainOutcome:
    """What a run produced: the registered version, whether it became champion, and its holdout evaluation."""

    run_id: str
    registered: Registered
    evaluation: Evaluation
    split: str


def _importance(model: LeadModel, leads: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """Mean absolute push on the calibrated log-odds per feature: comparable whichever family won."""
    impacts = model.contributions(leads)
    return model.schema.features, impacts.abs().mean(axis=0).to_numpy(dtype=float)


def _log_artifacts(
    trained: Trained,
    evaluation: Evaluation,
    holdout: pd.DataFrame,
    y: np.ndarray,
    newest: np.ndarray | None,
    drift: DriftReport,
) -> None:
    """Plots and tables: holdout numbers from the pre-refit model, importance from the registered one."""
    probability = trained.holdout_probability
    names, importance = _importance(trained.model, holdout)
    scale = trained.fit.model.scale
    figures = {
        "roc.png": plots.roc_figure(y, probability),
        "precision_recall.png": plots.precision_recall_figure(y, probability),
        "calibration.png": plots.calibration_figure(y, probability),
        "gains.png": plots.gains_figure(evaluation.gains),
        "feature_importance.png": plots.importance_figure(names, importance),
        "score_distribution.png": plots.score_distribution_figure(
            scale.score(probability), y, scale.grade_cuts
        ),
        "conversion_by_grade.png": plots.grade_figure(evaluation.grades),
    }
    if newest is not None and len(np.unique(y[newest])) == 2:
        figures["calibration_newest.png"] = plots.calibration_figure(y[newest], probability[newest])
    if len(drift.features):
        figures["drift.png"] = plots.drift_figure(drift.features, {"watch": PSI_WATCH, "alert": PSI_ALERT})
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
    mlflow.log_table(drift.table(), "evaluation/drift.json")
    with tempfile.TemporaryDirectory() as tmp:
        gains_csv = Path(tmp) / "gains.csv"
        evaluation.gains.to_csv(gains_csv, index=False)
        mlflow.log_artifact(str(gains_csv), "evaluation")


def _newest_quarter(timestamps: pd.Series | None, split: str) -> np.ndarray | None:
    """Positions of the newest quarter of a time holdout (the present the calibration should follow), else None."""
    if timestamps is None or split != "time" or len(timestamps) < NEWEST_FOR_CALIBRATION:
        return None
    order = np.argsort(timestamps.to_numpy(dtype="datetime64[ns]"), kind="stable")
    return np.sort(order[-len(order) // 4 :])


def _window(timestamps: pd.Series | None) -> str | None:
    """First and last lead date of some leads, for saying which rows a number comes from."""
    if timestamps is None or timestamps.isna().all():
        return None
    return f"{timestamps.min():%Y-%m-%d} to {timestamps.max():%Y-%m-%d}"


def train(config: TrainConfig) -> TrainOutcome:
    """Run one training job end to end; raises SchemaError/DataError (one line) before anything is logged."""
    given_schema = load_schema(config.schema_path)
    table = load_table(config.data)
    data_sha256 = file_digest(config.data)
    made_from = fingerprint(config, data_sha256)  # the code and files as this run found them
    leads = validate_leads(table, given_schema)
    rows, encoding, file_warnings = (
        len(table),
        table.attrs.get("encoding", ""),
        table.attrs.get("warnings", []),
    )
    del table  # with unlabelled rows, validation made a copy: the file's own frame is not needed again
    log.info(
        "%d labelled leads (%d unlabeled skipped), %.1f%% converted",
        len(leads.y),
        leads.unlabeled,
        100 * leads.y.mean(),
    )
    schema, feature_notes = usable_schema(leads.frame, given_schema)  # empty features are ignored
    data_warnings = [*file_warnings, *leads.warnings, *feature_notes]
    cold_start = cold_start_reason(leads.y)  # Einstein-style minimum on all labelled leads
    if cold_start:
        log.warning(cold_start)
    drift = check_drift(leads.frame, leads.y, leads.timestamps, schema, seed=config.seed)
    for line in drift.warnings:
        note_warning(data_warnings, line)
    for line in drift.notes:
        log.info("drift check: %s", line)
    power = single_feature_auc(leads.frame, leads.y, schema, config.seed)
    warnings = check_leakage(power, config.allow_leaky)

    mlflow.set_tracking_uri(tracking_uri())
    if not os.environ.get("MLFLOW_RUN_ID"):  # under `mlflow run` the project's run (and experiment) is chosen
        mlflow.set_experiment(config.experiment)
    with mlflow.start_run() as run:
        mlflow.log_params(config.loggable())
        mlflow.log_text(dump_schema(given_schema), "schema.yaml")
        ignored = [c for c in given_schema.features if c not in schema.features]
        if ignored:
            mlflow.set_tag("ignored_features", ", ".join(ignored)[:5000])
        if data_warnings:
            mlflow.set_tag("data_warnings", " | ".join(data_warnings)[:5000])
        if drift.warnings:
            mlflow.set_tag("drift_warnings", " | ".join(drift.warnings)[:5000])
        mlflow.log_params(drift.to_params())
        mlflow.log_metrics(drift.to_metrics())
        mlflow.log_table(power.rename_axis("feature").reset_index(), "evaluation/single_feature_auc.json")
        if warnings:
            mlflow.set_tag("leakage_warnings", " | ".join(warnings)[:5000])
        if cold_start:
            mlflow.set_tag("cold_start", cold_start)
        trained = train_model(
            leads.frame,
            leads.y,
            leads.timestamps,
            schema,
            holdout_fraction=config.holdout_fraction,
            folds=config.folds,
            seed=config.seed,
            max_trials=config.max_trials,
            budget_seconds=config.search_cap,
            cold_start=cold_start is not None,
            info={"run_id": run.info.run_id},
            progress=config.progress,
        )
        fit, model = trained.fit, trained.model
        holdout = leads.frame.iloc[trained.holdout_rows].reset_index(drop=True)
        y_holdout = leads.y[trained.holdout_rows]
        holdout_ts = (
            None
            if leads.timestamps is None
            else leads.timestamps.iloc[trained.holdout_rows].reset_index(drop=True)
        )
        evaluation = evaluate(
            y_holdout, trained.holdout_probability, trained.holdout_scores["grade"].to_numpy()
        )
        digest = holdout_digest(holdout[schema.id], y_holdout)
        model.info.update(
            {
                "holdout_metrics": evaluation.metrics,
                "holdout_digest": digest,
                "holdout_window": _window(holdout_ts),
                "trained_window": _window(leads.timestamps),
                "drift_warnings": drift.warnings,
            }
        )
        mlflow.log_params(
            {
                "data_sha256": data_sha256,
                "training_fingerprint": made_from,
                "rows": rows,
                "labelled_rows": len(leads.y),
                "train_rows": len(trained.train_rows),
                "holdout_rows": len(trained.holdout_rows),
                "registered_rows": len(leads.y),
                "split": trained.split,
                "features": len(schema.features),
                "data_encoding": encoding,
                "recency_half_life_days": _days(model.info["recency"]["half_life_days"]),
                **{f"model_{k}": v for k, v in fit.params.items()},
            }
        )
        mlflow.log_metrics({**fit.cv_metrics(), **evaluation.flat_metrics()})
        mlflow.set_tags(
            {
                "family": model.family,
                "selection_reason": model.info["selection_reason"][:5000],
                "recency_reason": model.info["recency_reason"][:5000],
            }
        )
        log.info("logging plots and tables, then registering the model")
        newest = _newest_quarter(holdout_ts, trained.split)
        _log_artifacts(trained, evaluation, holdout, y_holdout, newest, drift)
        log_fitted_leads(leads.frame[schema.id])
        if model.profile is not None:  # also inside the registered model; here for people browsing the run
            mlflow.log_dict(model.profile.to_dict(), "reference_profile.json")
        log.info("registering %s", config.model_name)
        version = log_and_register(model, input_example(model, holdout), config.model_name)
        tag_version(config.model_name, version, made_from)
        challenger = Challenger(
            holdout, y_holdout, trained.holdout_probability, schema.id, digest, evaluation.metrics["roc_auc"]
        )
        registered = promote(config.model_name, version, challenger)
        mlflow.set_tags(
            {
                "promoted": str(registered.promoted),
                "promotion_reason": registered.reason,
                "model_version": version,
            }
        )
        log.info("writing the model report")
        log_report(model, config.model_name, version)  # report/model_report.html (+ .md)
    return TrainOutcome(
        run_id=run.info.run_id, registered=registered, evaluation=evaluation, split=trained.split
    )


def _days(half_life: float | None) -> str:
    return "none" if half_life is None else f"{half_life:.1f}"
