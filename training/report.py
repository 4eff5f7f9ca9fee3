"""The model report: what a registered model is, how it was chosen and how it did on the holdout, from its run."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
import pandas as pd
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from features.model_uri import registry_ref
from training.config import tracking_uri

if TYPE_CHECKING:
    from features.profile import ReferenceProfile

# Artifacts the training run logs (training/train.py) that the report shows; absent ones are reported as such.
PLOTS = (
    "calibration.png",
    "calibration_newest.png",
    "drift.png",
    "gains.png",
    "conversion_by_grade.png",
    "score_distribution.png",
    "feature_importance.png",
    "roc.png",
    "precision_recall.png",
)
TABLES = ("gains", "grades", "importance", "single_feature_auc", "drift")
HTML_ARTIFACT = "report/model_report.html"
MARKDOWN_ARTIFACT = "report/model_report.md"
_PROGRESS_BAR = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"  # MLflow's only switch for it


class ReportError(ValueError):
    """The report cannot be made (bad model URI, unknown model, not a leadscore run); one line naming the problem."""


@dataclass(frozen=True)
class MonitorSetting:
    """One monitoring setting as the report shows it: the environment variable that sets it, its value, its meaning."""

    variable: str
    value: str
    meaning: str


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report shows, gathered from the registry, the training run and the model itself."""

    name: str
    version: str
    aliases: list[str]
    run_id: str
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    info: dict[str, Any] = field(default_factory=dict)
    grade_cuts: dict[str, float] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    plots: dict[str, bytes] = field(default_factory=dict)
    profile: ReferenceProfile | None = None  # what the monitor compares new leads with (features/profile.py)
    monitoring: dict[str, Any] | None = None  # a current MonitorReport.to_dict(), when a lead store was given
    monitor_settings: tuple[MonitorSetting, ...] = ()  # the bands in force; empty: the drift bands' defaults

    def holdout(self, metric: str) -> float | None:
        """A holdout metric from the run (`holdout_<metric>`), else from the model's own record of it."""
        if f"holdout_{metric}" in self.metrics:
            return self.metrics[f"holdout_{metric}"]
        value = (self.info.get("holdout_metrics") or {}).get(metric)
        return None if value is None else float(value)


def parse_model_uri(uri: str) -> tuple[str, str | None, str | None]:
    """`models:/NAME/VERSION` or `models:/NAME@ALIAS` to (name, version, alias); anything else is a ReportError."""
    parts = registry_ref(uri.strip())
    if parts is None:
        raise ReportError(f"--model {uri!r}: expected models:/NAME@ALIAS or models:/NAME/VERSION")
    return parts.name, parts.version, parts.alias


def resolve(client: MlflowClient, uri: str) -> ModelVersion:
    """The registered model version a URI names, or a ReportError saying which part does not exist."""
    name, version, alias = parse_model_uri(uri)
    try:
        if alias is not None:
            return client.get_model_version_by_alias(name, alias)
        return client.get_model_version(name, str(version))
    except MlflowException:
        what = f"alias @{alias}" if alias is not None else f"version {version}"
        raise ReportError(f"--model {uri}: registered model {name!r} has no {what}") from None


def _read_table(path: Path) -> pd.DataFrame:
    """A table logged with mlflow.log_table (JSON with `columns` and `data`)."""
    payload = json.loads(path.read_text())
    return pd.DataFrame(payload["data"], columns=payload["columns"])


@contextmanager
def quiet_downloads() -> Iterator[None]:
    """No MLflow progress bar per artifact folder copied: a report (or a logged model) is one line of output."""
    previous = os.environ.get(_PROGRESS_BAR)
    os.environ[_PROGRESS_BAR] = "false"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(_PROGRESS_BAR, None)
        else:
            os.environ[_PROGRESS_BAR] = previous


def _download(run_id: str, folder: str, dst: Path) -> Path:
    """One artifact folder of the run, downloaded into `dst`; a folder the run never logged stays absent."""
    try:
        return Path(
            mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=folder, dst_path=str(dst))
        )
    except (MlflowException, OSError):
        return dst / folder


def collect(
    client: MlflowClient,
    version: ModelVersion,
    model: Any,
    *,
    monitoring: dict[str, Any] | None = None,
    monitor_settings: tuple[MonitorSetting, ...] = (),
) -> ReportInputs:
    """Gather the run's params, metrics, tags, tables and plots, plus what the model records about itself, and
    draw the monitoring section's plots (its reference profile; the current `monitoring` result when given)."""
    from training.report_monitoring import monitoring_plots

    if not version.run_id:
        raise ReportError(f"models:/{version.name}/{version.version} has no training run to report on")
    run = client.get_run(version.run_id)
    with tempfile.TemporaryDirectory() as tmp, quiet_downloads():
        evaluation = _download(run.info.run_id, "evaluation", Path(tmp))
        figures = _download(run.info.run_id, "plots", Path(tmp))
        tables = {
            t: _read_table(evaluation / f"{t}.json") for t in TABLES if (evaluation / f"{t}.json").is_file()
        }
        plots = {p: (figures / p).read_bytes() for p in PLOTS if (figures / p).is_file()}
    scale = getattr(model, "scale", None)
    inputs = ReportInputs(
        name=version.name,
        version=str(version.version),
        aliases=sorted(version.aliases or []),
        run_id=run.info.run_id,
        params=dict(run.data.params),
        metrics=dict(run.data.metrics),
        tags={k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")},
        info=dict(getattr(model, "info", None) or {}),
        grade_cuts=dict(getattr(scale, "grade_cuts", None) or {}),
        tables=tables,
        plots=plots,
        profile=getattr(model, "profile", None),
        monitoring=monitoring,
        monitor_settings=monitor_settings,
    )
    return replace(inputs, plots={**plots, **monitoring_plots(inputs)})


def load_version(uri: str) -> tuple[ModelVersion, Any]:
    """The registered version a URI names and its model, loaded (`leadscore report`); ReportError otherwise."""
    mlflow.set_tracking_uri(tracking_uri())
    version = resolve(MlflowClient(), uri)
    try:
        with quiet_downloads():
            model = mlflow.pyfunc.load_model(
                f"models:/{version.name}/{version.version}"
            ).unwrap_python_model()
    except (MlflowException, OSError) as error:
        why = str(getattr(error, "message", error)).splitlines()[0]
        raise ReportError(f"--model {uri}: version {version.version} does not load ({why})") from None
    return version, model


def html_path(out: Path) -> Path:
    """`out`, checked to be an HTML file name before any work is done."""
    if out.suffix.lower() not in {".html", ".htm"}:
        raise ReportError(f"--out {out}: the report is HTML; use a .html file name")
    return out


def write_html(inputs: ReportInputs, out: Path) -> Path:
    """Write the self-contained HTML report to `out` (an HTML file name) and return its path."""
    from training.report_render import to_html

    html = to_html(inputs)
    html_path(out).parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out


def write_report(uri: str, out: Path) -> Path:
    """The report of the registered version `uri` names, without a store, written to `out` (for notebooks)."""
    version, model = load_version(uri)
    return write_html(collect(MlflowClient(), version, model), out)


def log_report(model: Any, name: str, version: str) -> None:
    """Log the HTML and markdown report of a just-registered version to the active run (end of `train`)."""
    from training.report_monitoring import MONITORING_PLOTS
    from training.report_render import to_html, to_markdown

    client = MlflowClient()
    inputs = collect(client, client.get_model_version(name, version), model)
    with tempfile.TemporaryDirectory() as tmp:  # drawn for the report: logged beside the run's other plots
        for plot in MONITORING_PLOTS:
            if plot in inputs.plots:
                (Path(tmp) / plot).write_bytes(inputs.plots[plot])
        mlflow.log_artifacts(tmp, "plots")
    mlflow.log_text(to_html(inputs), HTML_ARTIFACT)
    mlflow.log_text(to_markdown(inputs), MARKDOWN_ARTIFACT)
