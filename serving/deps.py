"""Request dependencies as `Annotated` aliases: the model store, the metrics, the model serving this request.

All `async`: FastAPI runs plain `def` dependencies in its thread pool, a hand-off that costs more than scoring a lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from serving.metrics import Metrics
from serving.model_store import LoadedModel, ModelStore
from serving.settings import Settings
from serving.store import LeadStore


async def get_store(request: Request) -> ModelStore:
    store: ModelStore = request.app.state.store
    return store


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


def no_model_detail(store: ModelStore) -> str:
    why = store.last_error or "the first load has not finished"
    return f"no model loaded ({why}); the service retries while it watches {store.uri}"


async def current_model(request: Request) -> LoadedModel:
    """The model at the start of this request; the request keeps it even if a swap happens meanwhile.

    It reads the store itself rather than through `get_store`: each level of dependencies costs ~10 us a request.
    """
    store: ModelStore = request.app.state.store
    loaded = store.current
    if loaded is None:
        raise HTTPException(status_code=503, detail=no_model_detail(store))
    return loaded


@dataclass(frozen=True)
class Scoring:
    """What a scoring route needs: the model at the start of the request, the settings, the metrics."""

    loaded: LoadedModel
    settings: Settings
    metrics: Metrics


async def scoring(request: Request) -> Scoring:
    """One dependency for the scoring routes' three (each dependency costs the hot path ~15 us); 503 with no model."""
    state = request.app.state
    loaded: LoadedModel | None = state.store.current
    if loaded is None:
        raise HTTPException(status_code=503, detail=no_model_detail(state.store))
    return Scoring(loaded, state.settings, state.metrics)


async def get_lead_store(request: Request) -> LeadStore:
    """The lead store (leads, scores, outcomes); its functions block, so routes call them in a thread."""
    lead_store: LeadStore = request.app.state.lead_store
    return lead_store


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[ModelStore, Depends(get_store)]
LeadStoreDep = Annotated[LeadStore, Depends(get_lead_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ModelDep = Annotated[LoadedModel, Depends(current_model)]
ScoringDep = Annotated[Scoring, Depends(scoring)]
