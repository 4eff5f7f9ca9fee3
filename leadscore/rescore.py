"""`leadscore rescore`: give every open lead the current champion's score after the champion changed.

Open leads (new or accepted) are read in lead-id order, chunk by chunk, validated and scored through the API's
functions, and written with `record_scores`: a new latest score and a score-history row each; status, payload and
outcomes stay as they are. A stored payload the new model's request model refuses keeps its old score and is
counted (and the first one named) rather than stopping the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from tqdm import tqdm

from leadscore.loop import CHUNK, LoopError, score, validate
from serving.model_store import LoadedModel
from serving.settings import Settings
from serving.store import OPEN, LeadStore, record_scores
from serving.store.tables import Lead


@dataclass(frozen=True)
class RescoreSummary:
    open_leads: int
    rescored: int
    grade_changed: int
    skipped: int
    first_skipped: str | None


def _page(store: LeadStore, after: str | None) -> list[Any]:
    query = select(Lead.lead_id, Lead.payload, Lead.grade).where(Lead.status.in_(OPEN))
    if after is not None:
        query = query.where(Lead.lead_id > after)
    with store.transaction() as session:
        return list(session.execute(query.order_by(Lead.lead_id).limit(CHUNK)).all())


def rescore_open(
    store: LeadStore, loaded: LoadedModel, settings: Settings, progress: bool = True
) -> RescoreSummary:
    """Rescore every lead open when its chunk is read; a lead that arrives later is scored by the API anyway."""
    with store.transaction() as session:
        total = session.scalar(select(func.count()).select_from(Lead).where(Lead.status.in_(OPEN))) or 0
    rescored = changed = skipped = 0
    first_skipped: str | None = None
    after: str | None = None
    with tqdm(total=total, desc="rescore", unit="lead", disable=not progress) as bar:
        while page := _page(store, after):
            after = page[-1].lead_id
            ids: list[str] = []
            leads: list[dict[str, Any]] = []
            old: dict[str, str] = {}
            for row in page:
                try:
                    leads.append(validate(loaded, row.payload, f"lead {row.lead_id!r}"))
                except LoopError as error:
                    skipped += 1
                    first_skipped = first_skipped or str(error)
                    continue
                ids.append(row.lead_id)
                old[row.lead_id] = row.grade
            scored = (
                [{**s, "lead_id": i} for s, i in zip(score(loaded, leads, settings), ids, strict=True)]
                if leads
                else []
            )
            rescored += record_scores(store, scored)
            changed += sum(s["grade"] != old[s["lead_id"]] for s in scored)
            bar.update(len(page))
    return RescoreSummary(total, rescored, changed, skipped, first_skipped)
