"""Request and response models of the lead store's routes: ingest, queue, outcomes and the source report."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from serving.responses import LeadScore, Reasons


class StoredLeadScore(LeadScore):
    """A lead's score as stored: the scoring answer plus what storing it did."""

    created: bool = Field(
        description="True when the lead id was new; false when an earlier lead was updated."
    )
    status: str = Field(
        description="The lead's status: new, accepted, rejected, won or lost (kept on re-send)."
    )


class StoredBatch(BaseModel):
    model_version: str
    count: int
    leads: list[StoredLeadScore]


class SlaStatus(BaseModel):
    """First-contact service level: `hours` after the lead arrived, by its grade (null hours: nurture)."""

    hours: float | None
    deadline: datetime | None
    overdue: bool = Field(description="True when the deadline passed and the lead is still new.")
    state: Literal["due", "overdue", "met", "nurture"]


class DisplayField(BaseModel):
    """A payload field that identifies or reaches the lead (LEADSCORE_DISPLAY_FIELDS)."""

    field: str
    value: str


class QueueEntry(BaseModel):
    lead_id: str
    status: str
    probability: float
    score: int
    grade: str
    reasons: Reasons | None
    model_version: str
    source: str | None
    campaign: str | None
    owner: str | None
    display: list[DisplayField] = Field(
        description="The configured display fields the lead has, in order (empty when none are configured)."
    )
    created_at: datetime
    scored_at: datetime
    sla: SlaStatus


class QueuePageOut(BaseModel):
    count: int
    items: list[QueueEntry]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class OutcomeBody(BaseModel):
    """What happened to a lead; `reason` is required (from the configured list) when rejecting."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["accepted", "rejected", "won", "lost"]
    reason: str | None = Field(None, max_length=200, examples=["no budget"])
    note: str | None = Field(None, max_length=10_000)
    actor: str | None = Field(
        None, max_length=200, description="Who recorded it (defaults to the API key's id)."
    )


class OutcomeOut(BaseModel):
    event_id: int
    lead_id: str
    outcome: str
    from_status: str
    status: str = Field(description="The lead's status after this outcome.")
    reason: str | None
    note: str | None
    actor: str | None
    at: datetime


class ReasonCount(BaseModel):
    reason: str
    count: int


class SourceRow(BaseModel):
    key: str | None = Field(description="The source or campaign (null: leads that did not say).")
    leads: int
    grades: dict[str, int]
    mean_probability: float | None
    expected_conversions: float = Field(
        description="Sum of calibrated probabilities: the number to optimise."
    )
    accepted: int
    rejected: int
    acceptance_rate: float | None = Field(
        description="accepted / (accepted + rejected); won and lost count as accepted."
    )
    won: int
    lost: int
    win_rate: float | None = Field(description="won / (won + lost).")
    top_rejection_reasons: list[ReasonCount]


class SourceReport(BaseModel):
    by: Literal["source", "campaign"]
    since: datetime | None
    until: datetime | None
    rows: list[SourceRow]


class MoveOut(BaseModel):
    """How one feature's push on the score changed since the previous scoring (absent from one: impact 0 there)."""

    feature: str
    label: str
    before: float = Field(description="Its impact (calibrated log-odds) in the previous scoring.")
    after: float = Field(description="Its impact in this scoring.")
    change: float = Field(description="after - before.")


class ScoringOut(BaseModel):
    probability: float
    score: int
    grade: str
    model_version: str
    scored_at: datetime
    reasons: Reasons | None = Field(description="Null for scorings stored before reasons were kept.")
    score_change: int | None = Field(description="Against the previous scoring (null for the first).")
    moves: list[MoveOut] | None = Field(
        description="The features whose impact moved most, largest first (null for the first scoring or when "
        "either scoring has no reasons stored)."
    )


class LeadDetailOut(BaseModel):
    lead_id: str
    payload: dict[str, Any] = Field(description="The lead exactly as last received.")
    status: str
    owner: str | None
    source: str | None
    campaign: str | None
    created_at: datetime = Field(description="When the lead first arrived.")
    latest: ScoringOut
    history: list[ScoringOut] = Field(description="Every scoring, oldest first (the last is `latest`).")
    trend: Literal["improving", "steady", "declining"] = Field(
        description="improving when the latest score is at least 5 points above the first scoring's, declining "
        "when 5 or more below, steady otherwise."
    )
