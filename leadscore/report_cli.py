"""`leadscore report`: the model report of a registered version, with the current monitoring result when it is given
a lead store. Here, above both, serving's monitor runs and training's report renders what it found (as plain JSON).

Exit code 0 when the report is written, 2 on bad input (one `error:` line). `leadscore.cli` registers the command.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leadscore.loop_cli import loop_errors, warn
from leadscore.options import ModelUriOption, ProgressOption, SinceOption, UntilOption, fail, moment

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

    from serving.settings import Settings
    from serving.store import LeadStore
    from training.report import MonitorSetting

# Not the shared DatabaseOption: its LEADSCORE_DATABASE_URL default would make every report read a store; here the
# store is asked for by name, and without it the report has no current result.
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="Lead store URL: add this model's current monitoring result (drift of the leads that arrived in the "
        "window, live accuracy from their sales outcomes).",
    ),
]


@loop_errors
def report(
    model: ModelUriOption,
    out: Annotated[Path, typer.Option(help="HTML file to write.")] = Path("model_report.html"),
    database: StoreOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    progress: ProgressOption = True,
) -> None:
    """Write a self-contained HTML report: holdout metrics, chosen family, calibration, gains, grades, features,
    monitoring (with --database, what the monitor says now)."""
    from mlflow.tracking import MlflowClient

    from leadscore.loop import open_store, settings_for
    from serving.monitor import BadWindow, window
    from training.report import ReportError, collect, html_path, load_version, write_html

    start, end = moment(since, "--since"), moment(until, "--until")
    if database is None and (start or end):
        fail("--since and --until need --database: the lead store whose leads to compare with this model")
    settings = settings_for(database, model)
    store = None
    try:
        path = html_path(out)
        if database is not None:
            try:
                start, end = window(settings, start, end)
            except BadWindow as error:
                fail(f"--{error}")
            store = open_store(settings)
        version, lead_model = load_version(model)
        monitoring = None
        if store is not None:
            monitoring = current(store, settings, version, lead_model, (start, end), progress)
        inputs = collect(
            MlflowClient(),
            version,
            lead_model,
            monitoring=monitoring,
            monitor_settings=monitor_settings(settings),
        )
        write_html(inputs, path)
    except ReportError as error:
        fail(str(error))
    finally:
        if store is not None:
            store.close()
    typer.echo(f"report for {model} -> {path}")


def current(
    store: LeadStore,
    settings: Settings,
    version: ModelVersion,
    model: Any,
    span: tuple[datetime | None, datetime | None],
    progress: bool,
) -> dict[str, Any] | None:
    """The monitor's result for this model in the window, as its JSON (`MonitorReport.to_dict()`); None, with a
    warning, for a model without a reference profile (the report says it cannot be monitored)."""
    from tqdm import tqdm

    from serving.monitor import monitor

    label = f"models:/{version.name}/{version.version}"
    if getattr(model, "profile", None) is None:
        warn(f"{label} has no reference profile: the report has no current monitoring result (retrain it)")
        return None
    with tqdm(desc="monitor", unit="lead", disable=not progress) as bar:
        result = monitor(
            store,
            model,
            model_name=version.name,
            model_version=str(version.version),
            since=span[0],
            until=span[1],
            settings=settings,
            progress=bar.update,
        )
    return result.to_dict()


def _value(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def monitor_settings(settings: Settings) -> tuple[MonitorSetting, ...]:
    """Every monitoring setting in force (LEADSCORE_MONITOR_*: bands, windows, evidence), as the report lists them."""
    from training.report import MonitorSetting

    return tuple(
        MonitorSetting(f"LEADSCORE_{name.upper()}", _value(getattr(settings, name)), field.description or "")
        for name, field in type(settings).model_fields.items()
        if name.startswith("monitor_")
    )
