"""The sales-loop commands (`ingest`, `rescore`, `retrain`, `recalibrate`); `leadscore.cli` registers them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from leadscore.options import (
    DatabaseOption,
    ProgressOption,
    ServiceModelOption,
    StrictOption,
    fail,
    moment,
    with_train_settings,
)
from training.config import TrainSettings

if TYPE_CHECKING:
    from leadscore.recalibrate import Recalibration

F = TypeVar("F", bound=Callable[..., Any])


def loop_errors(command: F) -> F:
    """A LoopError, a bad label mapping or a store outage ends the command with exit code 2 and one `error:` line."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from leadscore.loop import LoopError
        from serving.store import BadLabelMapping, StoreUnavailable

        try:
            return command(*args, **kwargs)
        except (LoopError, BadLabelMapping) as error:
            message = str(error)
        except StoreUnavailable as error:
            message = f"{error}; what was stored before is kept, running the command again is safe"
        fail(message)

    return wrapper  # type: ignore[return-value]


def warn(message: str) -> None:
    """Something worth knowing that does not stop the command: one `warning:` line on stderr."""
    typer.echo(f"warning: {message}", err=True)


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in counts.items()) or "none"


@loop_errors
def ingest(
    data: Annotated[
        Path, typer.Option(help="Leads to load (.csv or .parquet): one row per lead, API field names.")
    ],
    outcomes: Annotated[
        Path | None,
        typer.Option(
            help="Outcomes to record after the leads: CSV of lead_id,outcome[,reason,note,actor,at]."
        ),
    ] = None,
    arrived_at: Annotated[
        str | None,
        typer.Option(
            help="Column holding each lead's arrival time (ISO 8601, UTC if no zone) for a historical load; "
            "a lead already stored keeps its own. Default: arrival is now."
        ),
    ] = None,
    database: DatabaseOption = None,
    model: ServiceModelOption = None,
    progress: ProgressOption = True,
    strict: StrictOption = False,
) -> None:
    """Load a file of leads into the lead store, scored by the champion; idempotent on the lead id."""
    from leadscore.bulk_ingest import import_outcomes, ingest_file
    from leadscore.loop import load_model, model_label, open_store, safe_url, settings_for

    settings = settings_for(database, model)
    store = open_store(settings)
    try:
        loaded = load_model(settings)
        done = ingest_file(
            store, loaded, settings, data, progress, strict=strict, warn=warn, arrived_at=arrived_at
        )
        typer.echo(
            f"stored {done.leads:,} leads from {data} in {safe_url(store.url)}: {done.created:,} new, "
            f"{done.leads - done.created:,} updated; scored by {model_label(loaded)} ({_counts(done.grades)})"
        )
        if outcomes is not None:
            recorded, replayed = import_outcomes(store, outcomes, settings.rejection_reasons, progress)
            typer.echo(
                f"outcomes from {outcomes}: {sum(recorded.values()):,} recorded ({_counts(recorded)}), "
                f"{replayed:,} already recorded"
            )
    finally:
        store.close()


@loop_errors
def rescore(
    database: DatabaseOption = None, model: ServiceModelOption = None, progress: ProgressOption = True
) -> None:
    """Rescore the open leads (new, accepted) with the current champion: new score and history row, status kept."""
    from leadscore.loop import load_model, model_label, open_store, settings_for
    from leadscore.rescore import rescore_open

    settings = settings_for(database, model)
    store = open_store(settings)
    try:
        loaded = load_model(settings)
        done = rescore_open(store, loaded, settings, progress)
    finally:
        store.close()
    typer.echo(
        f"rescored {done.rescored:,} of {done.open_leads:,} open leads with {model_label(loaded)}; "
        f"grade changed for {done.grade_changed:,}"
    )
    if done.skipped:
        typer.echo(
            f"kept the old score of {done.skipped:,} leads the model refuses (first: {done.first_skipped})"
        )


def _since(value: str | None) -> datetime | None:
    return moment(value, "--since")


@loop_errors
@with_train_settings
def retrain(
    *,
    schema: Annotated[
        Path, typer.Option(help="Lead schema YAML; its label mapping says which outcomes are positive.")
    ],
    database: DatabaseOption = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only outcomes recorded at or after this date or time (UTC if no zone)."),
    ] = None,
    min_outcomes: Annotated[int, typer.Option(min=1, help="Fewest leads with an outcome to train on.")] = 200,
    train_settings: TrainSettings,  # --experiment ... --allow-leaky, one flag per setting, checked before anything
    progress: ProgressOption = True,
) -> None:
    """Train a challenger on the outcomes sales recorded; promote it when at least as good as the champion."""
    from leadscore.loop import open_store, safe_url, settings_for
    from leadscore.retrain import retrain as run_retrain

    start = _since(since)
    store = open_store(settings_for(database))
    try:
        done = run_retrain(store, schema, start, min_outcomes, train_settings, progress)
    finally:
        store.close()
    lineage, outcome = done.lineage, done.outcome
    window = f"{lineage.first:%Y-%m-%d %H:%M} to {lineage.last:%Y-%m-%d %H:%M} UTC"
    typer.echo(
        f"trained on {lineage.leads:,} leads from {safe_url(store.url)} ({_counts(lineage.counts)}; "
        f"{done.labels.describe()}), outcomes {window}"
    )
    m, reg = outcome.evaluation.metrics, outcome.registered
    typer.echo(
        f"holdout ({outcome.split}, {int(m['n'])} leads): ROC AUC {m['roc_auc']:.4f}  PR AUC {m['pr_auc']:.4f}  "
        f"log loss {m['log_loss']:.4f}  Brier {m['brier']:.4f}"
    )
    typer.echo(f"registered {reg.name} version {reg.version} as @challenger (run {outcome.run_id})")
    typer.echo(f"{'promoted to @champion' if reg.promoted else 'not promoted'}: {reg.reason}")
    if reg.promoted:
        typer.echo("open leads still carry the old champion's scores: run `leadscore rescore` to update them")


@loop_errors
def recalibrate(
    database: DatabaseOption = None,
    model: ServiceModelOption = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only outcomes recorded at or after this date or time (UTC if no zone; default: 90 days ago)."
        ),
    ] = None,
    min_outcomes: Annotated[
        int, typer.Option(min=1, help="Fewest leads with an outcome the model was not fitted on.")
    ] = 200,
    experiment: Annotated[str, typer.Option(help=TrainSettings.model_fields["experiment"].description)] = (
        TrainSettings.model_fields["experiment"].default
    ),
) -> None:
    """Refit the model's calibration on recent outcomes (newest 30% held out); register it through the champion gate."""
    from leadscore.loop import load_model, open_store, settings_for
    from leadscore.recalibrate import default_since
    from leadscore.recalibrate import recalibrate as run_recalibrate

    start = _since(since)
    settings = settings_for(database, model)
    store = open_store(settings)
    try:
        loaded = load_model(settings)
        done = run_recalibrate(store, loaded, start or default_since(), min_outcomes, experiment)
    finally:
        store.close()
    for line in _recalibration_lines(done, store.url, default_window=start is None):
        typer.echo(line)


def _recalibration_lines(done: Recalibration, store_url: str, default_window: bool) -> list[str]:
    """What `recalibrate` prints: window and counts, the calibration, held-out numbers, what the gate said."""
    from leadscore.loop import safe_url
    from leadscore.recalibrate import DEFAULT_DAYS

    b, a = done.metrics_before, done.metrics_after
    if done.left_out is None:
        left = f"; version {done.source_version}'s run does not record which leads it was fitted on: none left out"
    else:
        left = f"; {done.left_out:,} left out (version {done.source_version} was fitted on them)"
    since = f"{done.since:%Y-%m-%d %H:%M} UTC" + (
        f" (the last {DEFAULT_DAYS} days)" if default_window else ""
    )
    lines = [
        f"recalibrating {done.name} version {done.source_version} on outcomes since {since} in "
        f"{safe_url(store_url)}: {done.lineage.leads:,} leads ({_counts(done.lineage.counts)}; "
        f"{done.labels.describe()}){left}",
        f"fitted on the older {done.fit.describe()}",
        f"held out the newest {done.held_out.describe()}",
        f"calibration: slope {done.before.slope:.4f} -> {done.after.slope:.4f}, "
        f"intercept {done.before.intercept:.4f} -> {done.after.intercept:.4f}",
        f"held-out, before -> after: ECE {b['ece']:.4f} -> {a['ece']:.4f}  log loss {b['log_loss']:.4f} -> "
        f"{a['log_loss']:.4f}  Brier {b['brier']:.4f} -> {a['brier']:.4f}  ROC AUC {a['roc_auc']:.4f} (kept)",
    ]
    reg = done.registered
    if reg is None:
        return [*lines, f"not registered: {done.reason} (run {done.run_id})"]
    lines.append(f"registered {reg.name} version {reg.version} as @challenger (run {done.run_id})")
    lines.append(f"{'promoted to @champion' if reg.promoted else 'not promoted'}: {reg.reason}")
    if reg.promoted:
        lines.append(
            "open leads still carry the old champion's scores: run `leadscore rescore` to update them"
        )
    return lines
