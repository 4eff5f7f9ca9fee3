"""`leadscore recalibrate`: the champion's calibration refitted on recent sales outcomes, registered through the gate.

A score goes out of calibration before it goes out of rank: a new campaign or a sales team that closes more moves the
conversion rate, and the probabilities (expected conversions, what the grades promise) go wrong while the order of
the leads still holds. This refits only the Platt slope and intercept (`training.calibrate.recalibrated`) on the
scorer's log-odds of stored leads with a final outcome (the label rule `retrain` uses) set in a window, by default
the last 90 days. Leads the model was fitted on are left out: their log-odds are overconfident.

The leads are ordered by arrival (the schema's timestamp, else when the store received them, as in `retrain`): the
newest 30% are held out, the older ones fitted, and the held-out leads, which neither model saw, judge both (ECE, log
loss, Brier, before and after). The new version is registered with them as its holdout, and the standard champion
gate (training/gate.py) decides on them whether it becomes @champion. A positive slope keeps the ranking, so the
gate's ROC AUC ties with the model it came from (and still guards against a different, better champion); whether the
probabilities got better is the held-out log loss, so a refit that does not lower it is not registered (the run is
logged all the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from features.model import Calibration, LeadModel
from leadscore.loop import LoopError
from leadscore.retrain import ARRIVAL_COLUMN, Lineage, training_table
from serving.model_store import LoadedModel
from serving.store import Labels, LeadStore, labels_for
from serving.store.clock import utcnow
from training.evaluate import Evaluation
from training.register import Registered

DEFAULT_DAYS = 90
HELD_OUT_SHARE = 0.3  # the newest share of the leads: judged on, never fitted
MIN_PER_CLASS = 10  # conversions and non-conversions each part needs at least (fewer: the numbers are noise)
COMPARED = ("ece", "log_loss", "brier", "roc_auc")  # held-out numbers shown and logged before and after


@dataclass(frozen=True)
class Part:
    """The fit or the held-out leads: how many, how many converted, and the first and last arrival date."""

    leads: int
    conversions: int
    first: str
    last: str

    def describe(self) -> str:
        return f"{self.leads:,} leads ({self.conversions:,} converted), arrived {self.first} to {self.last}"


@dataclass(frozen=True)
class HeldOut:
    """The newest leads (id and features as stored), their outcomes and both models' probabilities for them."""

    leads: pd.DataFrame
    y: np.ndarray
    before: np.ndarray
    after: np.ndarray
    evaluation: Evaluation  # the recalibrated model's


@dataclass(frozen=True)
class Recalibration:
    """What `recalibrate` did: source version, window and counts, calibration and held-out numbers before and after."""

    name: str
    source_version: str
    source_run_id: str | None
    since: datetime
    lineage: Lineage  # the leads read from the store, before leaving out those the model was fitted on
    labels: Labels
    left_out: int | None  # leads the model was fitted on, left out; None: its run did not record which
    fit: Part
    held_out: Part
    before: Calibration
    after: Calibration
    metrics_before: dict[str, float]
    metrics_after: dict[str, float]
    run_id: str
    registered: Registered | None  # None: the refit did not lower the held-out log loss
    reason: str  # why it was not registered (empty when it was)


def default_since() -> datetime:
    """The start of the default window: the last DEFAULT_DAYS days."""
    return utcnow() - timedelta(days=DEFAULT_DAYS)


def _arrival(table: pd.DataFrame, column: str) -> pd.Series:
    if column not in table.columns:
        return pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns, UTC]")
    return pd.to_datetime(table[column], errors="coerce", utc=True, format="mixed")


def _part(times: pd.Series, y: np.ndarray) -> Part:
    known = times.dropna()
    first, last = (f"{known.min():%Y-%m-%d}", f"{known.max():%Y-%m-%d}") if len(known) else ("?", "?")
    return Part(len(y), int(y.sum()), first, last)


def _check(n: int, parts: dict[str, np.ndarray], minimum: int, window: str, labels: Labels) -> None:
    """Enough leads, and enough of each class in both parts; else one LoopError line saying what is needed."""
    if n < minimum:
        raise LoopError(
            f"only {n} leads with a final outcome {window}; need at least {minimum} (lower --min-outcomes or "
            "give an earlier --since)"
        )
    for part, y in parts.items():
        won = int(y.sum())
        if min(won, len(y) - won) < MIN_PER_CLASS:
            raise LoopError(
                f"the {part} part of the {n} leads {window} has {won} converted and {len(y) - won} not "
                f"({labels.describe()}); need at least {MIN_PER_CLASS} of each in both parts (give an earlier --since)"
            )


def _evaluate(model: LeadModel, raw: np.ndarray, y: np.ndarray) -> tuple[Evaluation, np.ndarray]:
    """Held-out metrics and probabilities from the scorer's log-odds (the arithmetic of `LeadModel.score`)."""
    from training.evaluate import evaluate

    probability = model.calibration(raw)
    return evaluate(y, probability, model.scale.grade(model.scale.score(probability))), probability


def recalibrate(
    store: LeadStore, loaded: LoadedModel, since: datetime, min_outcomes: int, experiment: str
) -> Recalibration:
    """Refit the calibration of `loaded` on the store's outcomes since `since`, log the run, and register the new
    version through the gate when the held-out log loss went down; LoopError (one line) when it cannot."""
    from training.calibrate import recalibrated
    from training.gate import fitted_leads, fitted_on
    from training.report import quiet_downloads

    target, model = loaded.target, loaded.model
    if target.name is None:
        raise LoopError(
            f"--model {target.load_uri}: not a registered model; recalibrate registers a new version of one "
            "(models:/NAME@ALIAS or models:/NAME/VERSION)"
        )
    schema = model.schema
    labels = labels_for(schema)
    table, lineage = training_table(store, schema, labels, since)
    window = f"since {since:%Y-%m-%d %H:%M} UTC"
    with quiet_downloads():
        seen = fitted_leads(target.run_id) if target.run_id else None
    left_out = None
    if seen is not None and not table.empty:
        fitted = fitted_on(table[schema.id], seen)
        table, left_out = table[~fitted].reset_index(drop=True), int(fitted.sum())
        window += f" that version {target.version} was not fitted on"
    if table.empty:
        _check(0, {}, min_outcomes, window, labels)
    y = table[schema.label_column].isin({labels.values[s] for s in labels.positive}).to_numpy(dtype=np.int64)
    times = _arrival(table, schema.timestamp or ARRIVAL_COLUMN)
    stamps = times.to_numpy(dtype="datetime64[ns]")
    # by arrival, a time that does not read as one first (fitted, never held out)
    order = np.lexsort((stamps, ~np.isnat(stamps)))
    fit_rows, held_rows = np.split(order, [len(order) - int(np.ceil(HELD_OUT_SHARE * len(order)))])
    parts = {"older (fit)": y[fit_rows], "newest (held-out)": y[held_rows]}
    _check(len(y), parts, min_outcomes, window, labels)

    leads = table.reindex(columns=[schema.id, *schema.features])  # features no lead sent: missing
    raw = model.scorer.raw(model.matrix(leads))
    try:
        new = recalibrated(model, raw[fit_rows], y[fit_rows])
    except ValueError as error:
        raise LoopError(f"{target.name} version {target.version}: {error}") from None
    before, p_before = _evaluate(model, raw[held_rows], y[held_rows])
    after, p_after = _evaluate(new, raw[held_rows], y[held_rows])
    done = Recalibration(
        name=target.name,
        source_version=target.version,
        source_run_id=target.run_id,
        since=since,
        lineage=lineage,
        labels=labels,
        left_out=left_out,
        fit=_part(times.iloc[fit_rows], y[fit_rows]),
        held_out=_part(times.iloc[held_rows], y[held_rows]),
        before=model.calibration,
        after=new.calibration,
        metrics_before=before.metrics,
        metrics_after=after.metrics,
        run_id="",
        registered=None,
        reason="",
    )
    held_out = HeldOut(leads.iloc[held_rows].reset_index(drop=True), y[held_rows], p_before, p_after, after)
    from leadscore.recalibration_run import log_recalibration

    fit_ids = leads[schema.id].iloc[fit_rows]
    with quiet_downloads():
        return log_recalibration(done, new, held_out, fit_ids, seen, store.url, experiment)
