"""The sales-loop commands (`ingest`, `rescore`, `retrain`); `leadscore.cli` registers them on the main app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

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

F = TypeVar("F", bound=Callable[..., Any])


def loop_errors(command: F) -> F:
    """A LoopError or a store outage ends the command with exit code 2 and one `error:` line."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from leadscore.loop import LoopError
        from serving.store import StoreUnavailable

        try:
            return command(*args, **kwargs)
        except LoopError as error:
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
        done = ingest_file(store, loaded, settings, data, progress, strict=strict, warn=warn)
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
