"""`leadscore monitor`: drift of the leads scored in a window against the model's training leads, for people and cron.

Exit code 0 when nothing crosses an alert threshold, 1 when something does (one line per alert on stdout), 2 on bad
input (one `error:` line). `leadscore.cli` registers the command on the main app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadscore.loop_cli import loop_errors
from leadscore.options import (
    DatabaseOption,
    ProgressOption,
    ServiceModelOption,
    SinceOption,
    UntilOption,
    fail,
    moment,
)

if TYPE_CHECKING:
    from serving.monitor import MonitorReport

ALERTED = 1  # the exit code when something crosses an alert threshold


@loop_errors
def monitor(
    database: DatabaseOption = None,
    model: ServiceModelOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of the summary.")
    ] = False,
    html: Annotated[
        Path | None, typer.Option(help="Also write the report as a self-contained HTML page to this file.")
    ] = None,
    log: Annotated[
        bool,
        typer.Option(
            help="Log the run to MLflow (experiment <model name>-monitoring) so history accumulates."
        ),
    ] = False,
    progress: ProgressOption = True,
) -> None:
    """Compare the leads scored in a window with the model's training leads: PSI per feature and for the score,
    missing and unseen shares; exit code 1 when something crosses an alert threshold (for cron and CI)."""
    from tqdm import tqdm

    from leadscore.loop import load_model, model_label, open_store, settings_for
    from serving.monitor import BadWindow, NoProfile
    from serving.monitor import monitor as run_monitor

    start, end = moment(since, "--since"), moment(until, "--until")
    settings = settings_for(database, model)
    store = open_store(settings)
    try:
        loaded = load_model(settings)
        with tqdm(desc="monitor", unit="lead", disable=not progress) as bar:
            report = run_monitor(
                store,
                loaded.model,
                model_name=loaded.target.name,
                model_version=loaded.version,
                since=start,
                until=end,
                settings=settings,
                progress=bar.update,
            )
    except NoProfile as error:
        fail(f"--model: {model_label(loaded)}: {error}")
    except BadWindow as error:
        fail(f"--{error}")
    finally:
        store.close()
    if log:
        from leadscore.monitor_runs import log_run

        run_id = log_run(report, settings.tracking_uri)
        typer.echo(f"logged to MLflow run {run_id}", err=True)
    if html is not None:
        from serving.page_file import standalone

        try:
            html.write_text(standalone("monitor.html", report.to_dict()), encoding="utf-8")
        except OSError as error:
            fail(f"--html: cannot write {html}: {error.strerror or error}")
        typer.echo(f"report -> {html}", err=True)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        for alert in report.alerts:
            typer.echo(f"alert: {alert}", err=True)
    else:
        typer.echo(summary(report, model_label(loaded)))
        for alert in report.alerts:
            typer.echo(f"alert: {alert}")
    if report.alerts:
        raise typer.Exit(code=ALERTED)


def _pct(share: float | None) -> str:
    return "" if share is None else f"{100 * share:.1f}%"


def _shares(before: float | None, now: float | None) -> str:
    return "" if before is None or now is None else f"{_pct(before)} -> {_pct(now)}"


def summary(report: MonitorReport, label: str) -> str:
    """The report for a person: window and counts, features by PSI with their band, the score, the grade mix."""
    drift = report.drift
    lines = [
        f"{label}: {drift.leads:,} leads arrived {report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} "
        f"UTC; training had {drift.reference_leads:,}"
    ]
    if drift.note:
        lines.append(drift.note)
    if drift.score is None:
        return "\n".join(lines)
    lines.append(f"{'feature':<28}{'PSI':>8}  {'band':<7} {'missing':<17} {'unseen':<17} moved most")
    for f in drift.features:
        moved = f"{f.moved[0].bin} {_pct(f.moved[0].training)} -> {_pct(f.moved[0].now)}" if f.moved else ""
        lines.append(
            f"{f.name[:27]:<28}{f.psi:>8.3f}  {f.band:<7} {_shares(f.missing_training, f.missing_now):<17} "
            f"{_shares(f.unseen_training, f.unseen_now):<17} {moved}"
        )
    score = drift.score
    lines.append(f"{'score':<28}{score.psi:>8.3f}  {score.band}")
    grades = ", ".join(
        f"{g} {_pct(score.grades_now[g])} ({_pct(score.grades_training[g])})" for g in score.grades_now
    )
    lines.append(f"grades now (training): {grades}")
    bands = drift.bands
    lines.append(
        f"bands: PSI < {bands.watch:g} stable, {bands.watch:g}-{bands.alert:g} watch, > {bands.alert:g} alert"
    )
    lines += _live(report)
    lines.append(f"{len(report.alerts)} alert{'' if len(report.alerts) == 1 else 's'}")
    return "\n".join(lines)


def _live(report: MonitorReport) -> list[str]:
    """Live accuracy in a few lines: the window, observed against expected conversion, ROC AUC and ECE."""
    p = report.performance
    if p is None:
        return list(report.notes)
    overall = p["overall"]
    lines = [
        f"live accuracy, leads that arrived {p['since'][:10]} to {p['until'][:10]} ({p['labels']}): "
        f"{overall['final']:,} final, {overall['open']:,} open"
    ]
    for group, (rate, expected) in report.conversion().items():
        lines.append(f"  conversion {group}: observed {_pct(rate)}, expected {_pct(expected)}")
    for metric in ("roc_auc", "ece"):
        value = overall["observed"][metric]
        if value:
            lines.append(f"  {metric}: {value['value']:.3f} ({value['low']:.3f}-{value['high']:.3f})")
    return lines + [f"  {note}" for note in p["notes"]]
