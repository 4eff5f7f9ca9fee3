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
    metric: str = Field(
        description="feature_psi, score_psi, missing_share, unseen_share, conversion, ece or roc_auc"
    )
    subject: str = Field(description="The feature, 'score', a grade, or 'overall'.")
    value: float
    threshold: float
    message: str


class Interval(BaseModel):
    value: float
    low: float
    high: float


class Sales(BaseModel):
    contacted: int
    accepted: int
    rejected: int
    won: int
    lost: int
    acceptance_rate: float | None = Field(description="Accepted (or further) of the contacted leads.")
    win_rate: float | None = Field(description="Won of the won and lost leads.")
    mean_hours_to_contact: float | None


class Observed(BaseModel):
    """Leads with a final outcome only."""

    conversions: int
    expected_conversions: float = Field(description="Sum of their probabilities.")
    rate: float | None
    expected_rate: float | None = Field(description="Mean of their probabilities.")
    interval: list[float] | None = Field(description="Wilson interval of the observed rate.")
    expected_inside: bool | None
    roc_auc: Interval | None = Field(description="With its bootstrap interval; needs enough outcomes.")
    ece: Interval | None


class Expected(BaseModel):
    """All the group's leads, from their probabilities alone (confidence-based estimation, as NannyML's CBPE)."""

    conversions: float
    rate: float | None
    roc_auc: float | None


class Group(BaseModel):
    key: str = Field(description="'overall', a grade, or an ISO week such as 2026-W49.")
    leads: int
    final: int = Field(description="Leads whose outcome is final (the label rule labels them).")
    open: int = Field(description="Leads still open: not counted as negatives.")
    pending: bool = Field(description="Mostly open: read the expected numbers, not the observed ones.")
    sales: Sales
    observed: Observed
    expected: Expected


class Performance(BaseModel):
    """Live accuracy: the probabilities of the leads that arrived in [since, until) against their outcomes."""

    since: datetime
    until: datetime
    labels: str = Field(description="The label rule, e.g. 'won = 1; lost+rejected = 0'.")
    overall: Group
    grades: list[Group]
    weeks: list[Group]
    model_versions: dict[str, int] = Field(description="Leads per model version that scored them.")
    holdout_roc_auc: float | None
    settings: dict[str, Any]
    alerts: list[AlertOut]
    notes: list[str] = Field(description="Why something was not judged.")


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
    performance: Performance | None = Field(description="Live performance from sales outcomes.")
    notes: list[str] = Field(description="What could not be measured, and why.")
    alerts: list[AlertOut] = Field(description="Drift and live-performance alerts together.")
