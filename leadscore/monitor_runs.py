"""Monitoring runs in MLflow: one run per `leadscore monitor --log`, so each model's drift history accumulates.

The experiment is `<model name>-monitoring`; each run is tagged with the model name and version and the window,
logs the PSI of every feature (`psi/<feature>`) and of the score, observed and expected conversion (overall and per
grade), live ROC AUC and ECE when enough outcomes are final, the counts, and the report as `monitor.json`.
"""

from __future__ import annotations

import re

import mlflow

from serving.monitor import MonitorReport

DEFAULT_EXPERIMENT = "leadscore-monitoring"  # for a model outside the registry


def experiment_name(model_name: str | None) -> str:
    return f"{model_name}-monitoring" if model_name else DEFAULT_EXPERIMENT


def _metric_name(feature: str) -> str:
    """A feature name as MLflow accepts it in a metric name (letters, digits, _ - . and space)."""
    return "psi/" + (re.sub(r"[^\w.\- ]", "_", feature).strip(" .") or "_")


def metrics(report: MonitorReport) -> dict[str, float]:
    """The run's numbers: counts always, PSI only when there were leads to measure."""
    out = {"leads": float(report.leads), "alerts": float(len(report.alerts))}
    if report.score_psi is not None:
        out["score_psi"] = report.score_psi
    for feature in report.drift.features:
        out[_metric_name(feature.name)] = feature.psi
    for group, (rate, expected) in report.conversion().items():
        out[f"conversion_observed/{group}"] = rate
        out[f"conversion_expected/{group}"] = expected
    overall = (report.performance or {}).get("overall", {}).get("observed", {})
    for metric in ("roc_auc", "ece"):
        if overall.get(metric):
            out[f"live_{metric}"] = overall[metric]["value"]
    return out


def log_run(report: MonitorReport, tracking_uri: str) -> str:
    """Log the report as a new run of the model's monitoring experiment; returns the run id."""
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(experiment_name(report.model_name))
    name = f"v{report.model_version} {report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}"
    with mlflow.start_run(run_name=name) as run:
        mlflow.set_tags(
            {
                "model_name": report.model_name or "",
                "model_version": report.model_version,
                "window_since": report.since.isoformat(),
                "window_until": report.until.isoformat(),
                "alerting": str(bool(report.alerts)),
            }
        )
        mlflow.log_metrics(metrics(report))
        mlflow.log_dict(report.to_dict(), "monitor.json")
    return str(run.info.run_id)
