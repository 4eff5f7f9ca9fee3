"""Response model of GET /v1/monitor: `MonitorReport.to_dict()` (serving/monitor.py), documented field by field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ModelRef(BaseModel):
    name: str | None
    version: str


class Window(BaseModel):
    since: datetime = Field(description="Leads that arrived at or after this time (UTC).")
    until: datetime = Field(description="Leads that arrived before this time (UTC).")


class Bands(BaseModel):
    watch: float = Field(description="PSI from which a feature is worth watching.")
    alert: float = Field(description="PSI above which a feature or the score alerts.")
    min_leads: int = Field(description="Fewest leads in the window for any drift alert.")
    share_rise: float = Field(description="Rise in a missing or unseen share (absolute) that alerts.")


class BinShift(BaseModel):
    bin: str
    training: float = Field(description="The bin's share of the training leads.")
    now: float = Field(description="The bin's share of the window's leads.")
    psi: float = Field(description="What the bin adds to the feature's PSI.")


class FeatureDrift(BaseModel):
    name: str
    kind: str = Field(description="numeric, boolean or categorical")
    psi: float
    band: str = Field(description="stable, watch or alert")
    missing_training: float
    missing_now: float
    unseen_training: float | None = Field(
        description="Categories the model does not know (categorical only)."
    )
    unseen_now: float | None
    moved: list[BinShift] = Field(description="The bins that added most to the PSI.")


class ScoreDrift(BaseModel):
    psi: float
    band: str
    bins: list[str] = Field(description="Score bins: 0-9, 10-19, ... 90-100.")
    training: list[float] = Field(description="Share of training leads per score bin.")
    now: list[float] = Field(description="Share of the window's leads per score bin (scored by this model).")
    grades_training: dict[str, float]
    grades_now: dict[str, float]


class AlertOut(BaseModel):
    metric: str = Field(description="feature_psi, score_psi, missing_share or unseen_share")
    subject: str = Field(description="The feature, or 'score'.")
    value: float
    threshold: float
    message: str


class MonitorResponse(BaseModel):
    """The leads scored in a window against the model's training leads; `alerts` lists what crossed a threshold."""

    model: ModelRef
    window: Window
    computed_at: datetime
    leads: int = Field(description="Leads that arrived in the window.")
    reference_leads: int = Field(description="Training leads the reference profile was built from.")
    enough_leads: bool = Field(description="False below `bands.min_leads`: then nothing alerts.")
    note: str | None
    bands: Bands
    features: list[FeatureDrift] = Field(description="Largest PSI first; empty without leads.")
    score_psi: float | None
    score: ScoreDrift | None
    performance: dict[str, Any] | None = Field(description="Live performance from sales outcomes.")
    alerts: list[AlertOut]
