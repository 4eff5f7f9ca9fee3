"""`leadscore retrain`: the next model learned from what sales recorded in the lead store.

The training table is every stored lead whose outcome says converted or not: its payload as received, the lead id,
and the label from its status, by the store's label rule (serving/store/labels.py: a schema label mapping matched
against the store's outcomes, or won = 1, lost and rejected = 0 for a plain 0/1 label column). The schema's timestamp column keeps the payload's value and falls back to the lead's arrival in the store (and a schema
without a timestamp gets that arrival time as one), so the holdout is the most recent leads with an outcome. Then
the standard pipeline trains a challenger and promotes it only when it is at least as good as the champion on the
same holdout rows; the run records where its labels came from (store, window, counts per outcome).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from features.schema import LeadSchema, dump_schema, parse_schema
from leadscore.loop import LoopError, safe_url
from serving.store import Labels, LeadStore, labels_for, leads_with_status
from training.config import TrainConfig, TrainSettings
from training.train import TrainOutcome, train

ARRIVAL_COLUMN = "stored_created_at"  # the timestamp column added for a schema that has none


@dataclass(frozen=True)
class Lineage:
    leads: int
    counts: dict[str, int]
    first: datetime | None  # the earliest and latest outcome used (None when there is none)
    last: datetime | None

    def params(self, store_url: str, since: datetime | None, labels: Labels) -> dict[str, str]:
        counts = {f"retrain_outcomes_{k}": str(v) for k, v in sorted(self.counts.items())}
        return {
            "retrain_store": safe_url(store_url),
            "retrain_since": since.isoformat() if since else "",
            "retrain_window_start": self.first.isoformat() if self.first else "",
            "retrain_window_end": self.last.isoformat() if self.last else "",
            "retrain_leads": str(self.leads),
            "retrain_labels": labels.describe(),
            **counts,
        }


def training_table(
    store: LeadStore, schema: LeadSchema, labels: Labels, since: datetime | None
) -> tuple[pd.DataFrame, Lineage]:
    """Stored leads with a labelling outcome (at or after `since`) as a lead table the schema describes."""
    leads = leads_with_status(store, labels.values, since=since)
    timestamp = schema.timestamp or ARRIVAL_COLUMN
    records: list[dict[str, Any]] = []
    for lead in leads:
        record = dict(lead.payload)
        record[schema.id] = lead.lead_id
        record[schema.label_column] = labels.values[lead.status]
        if record.get(timestamp) in (None, ""):
            record[timestamp] = lead.created_at.isoformat()
        records.append(record)
    times = [lead.status_at for lead in leads]
    counts = Counter(lead.status for lead in leads)
    lineage = Lineage(len(leads), dict(counts), min(times, default=None), max(times, default=None))
    return pd.DataFrame.from_records(records), lineage


def _check_enough(lineage: Lineage, labels: Labels, minimum: int, since: datetime | None) -> None:
    window = f" since {since.isoformat()}" if since else ""
    if lineage.leads < minimum:
        raise LoopError(
            f"only {lineage.leads} leads with a final outcome in the store{window}; need at least {minimum} "
            "(--min-outcomes)"
        )
    positives = sum(lineage.counts.get(s, 0) for s in labels.positive)
    if positives in (0, lineage.leads):
        side = "positive" if positives == lineage.leads else "negative"
        raise LoopError(
            f"all {lineage.leads} outcomes in the store{window} are {side} ({labels.describe()}); need both"
        )


@dataclass(frozen=True)
class Retrained:
    outcome: TrainOutcome
    lineage: Lineage
    labels: Labels


def retrain(
    store: LeadStore,
    schema_path: Path,
    since: datetime | None,
    min_outcomes: int,
    settings: TrainSettings,
    progress: bool = True,
) -> Retrained:
    """Build the table, train and register a challenger (promoted when at least as good), log the lineage."""
    from features.schema import load_schema

    schema = load_schema(schema_path)
    labels = labels_for(schema)
    table, lineage = training_table(store, schema, labels, since)
    _check_enough(lineage, labels, min_outcomes, since)
    if not schema.timestamp:
        schema = parse_schema({**schema.to_dict(), "timestamp": ARRIVAL_COLUMN}, source=str(schema_path))
    with tempfile.TemporaryDirectory(prefix="leadscore-retrain-") as tmp:
        data, schema_file = Path(tmp) / "store_outcomes.csv", Path(tmp) / "schema.yaml"
        table.to_csv(data, index=False)
        schema_file.write_text(dump_schema(schema), encoding="utf-8")
        config = TrainConfig(data=data, schema_path=schema_file, progress=progress, **settings.model_dump())
        outcome = train(config)
        _log_lineage(outcome.run_id, store.url, since, lineage, labels, data)
    return Retrained(outcome, lineage, labels)


def _log_lineage(
    run_id: str, store_url: str, since: datetime | None, lineage: Lineage, labels: Labels, data: Path
) -> None:
    from mlflow.entities import Param, RunTag
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    params = lineage.params(store_url, since, labels)
    client.log_batch(
        run_id,
        params=[Param(k, v) for k, v in params.items()],
        tags=[RunTag("data_source", "lead-store"), RunTag("lead_store", params["retrain_store"])],
    )
    client.log_artifact(run_id, str(data), "retrain")  # the exact table trained on (data_sha256 names it)
