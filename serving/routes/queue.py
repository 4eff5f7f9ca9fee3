"""GET /v1/queue: the sales queue, open leads by score with reasons and first-contact deadlines."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from features.reason_labels import label_reasons
from serving.auth import requires
from serving.deps import LeadStoreDep, SettingsDep, StoreDep
from serving.lead_responses import QueuePageOut
from serving.responses import Problem, RequestErrors
from serving.store import QueueFilters, queue, queue_item_dict
from serving.store_http import OUTAGE

router = APIRouter(prefix="/v1", tags=["sales"])


@router.get(
    "/queue",
    response_model=QueuePageOut,
    responses={422: {"model": RequestErrors}, 503: {"model": Problem, **OUTAGE}},
    dependencies=[requires("sales")],
)
def sales_queue(
    lead_store: LeadStoreDep,
    settings: SettingsDep,
    models: StoreDep,
    owner: Annotated[str | None, Query(max_length=200, description="Only this owner's leads.")] = None,
    grade: Annotated[
        list[Literal["A", "B", "C", "D"]] | None, Query(description="Only these grades (repeat for several).")
    ] = None,
    source: Annotated[str | None, Query(max_length=200, description="Only leads from this source.")] = None,
    created_since: Annotated[
        datetime | None,
        Query(description="Only leads that arrived at or after this time (ISO 8601; UTC if no zone)."),
    ] = None,
    status: Annotated[
        Literal["new", "accepted"] | None,
        Query(description="new (not yet contacted) or accepted; both by default."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Leads per page.")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=500, description="`next_cursor` of the previous page.")
    ] = None,
) -> dict[str, Any]:
    """Open leads (no final outcome), highest score first, then probability, then lead id; follow `next_cursor`."""
    filters = QueueFilters(
        owner=owner, grades=grade, source=source, created_since=created_since, status=status
    )
    page = queue(lead_store, filters, settings.sla_hours, limit=limit, cursor=cursor)
    items = [queue_item_dict(item, settings.display_fields) for item in page.items]
    # reasons stored before they carried a label get one now, by the serving model's schema when one is loaded
    loaded = models.current
    schema = loaded.model.schema if loaded else None
    kinds = {feature: schema.kind(feature) for feature in schema.features} if schema else {}
    for item in items:
        if item["reasons"]:
            item["reasons"] = label_reasons(item["reasons"], kinds, schema.labels if schema else None)
    return {"count": len(items), "items": items, "next_cursor": page.next_cursor}
