"""`leadscore rescore`: give every open lead the current champion's score after the champion changed.

Open leads (new or accepted) are read in lead-id order, chunk by chunk, validated and scored through the API's
functions, and written with `record_scores`: a new latest score and a score-history row each; status, payload and
outcomes stay as they are. A stored payload the new model's request model refuses keeps its old score and is
counted (and the first one named) rather than stopping the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from leadscore.loop import CHUNK, LoopError, score, validate
from serving.model_store import LoadedModel
from serving.settings import Settings
from serving.store import OPEN, LeadStore, count_with_status, leads_with_status, record_scores


@dataclass(frozen=True)
class RescoreSummary:
    open_leads: int
    rescored: int
    grade_changed: int
    skipped: int
    first_skipped: str | None


def rescore_open(
    store: LeadStore, loaded: LoadedModel, settings: Settings, progress: bool = True
) -> RescoreSummary:
    """Rescore every lead open when its chunk is read; a lead that arrives later is scored by the API anyway."""
    total = count_with_status(store, OPEN)
    rescored = changed = skipped = 0
    first_skipped: str | None = None
    after: str | None = None
    with tqdm(total=total, desc="rescore", unit="lead", disable=not progress) as bar:
        while page := leads_with_status(store, OPEN, after=after, limit=CHUNK):
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
