"""Query and response models of GET /v1/dashboard and its CSV export: `serving/store/dashboard.py`'s tables, typed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from serving.store import LeadFilters
from serving.store.clock import as_utc
from serving.store.tables import ID_LENGTH

Text = str | None


class DashboardQuery(BaseModel):
    """The leads every table counts; an unknown parameter or `until` not after `since` is a 422 naming it."""

    model_config = ConfigDict(extra="forbid")

    since: datetime | None = Field(
        None, description="Leads that arrived at or after (ISO 8601; UTC if no zone)."
    )
    until: datetime | None = Field(None, description="Leads that arrived before (ISO 8601; UTC if no zone).")
    source: Text = Field(None, max_length=ID_LENGTH, description="Only this source.")
    campaign: Text = Field(None, max_length=ID_LENGTH, description="Only this campaign.")
    owner: Text = Field(None, max_length=ID_LENGTH, description="Only this sales owner's leads.")
    grade: Literal["A", "B", "C", "D"] | None = Field(None, description="Only leads of this (current) grade.")

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, moment: datetime | None) -> datetime | None:
        return as_utc(moment) if moment is not None else None

    @field_validator("until")
    @classmethod
    def _after_since(cls, until: datetime | None, info: ValidationInfo) -> datetime | None:
        since = info.data.get("since")
        if until is not None and since is not None and until <= since:
            raise ValueError("must be after since")
        return until

    def filters(self) -> LeadFilters:
        return LeadFilters(**self.model_dump())


class Quality(BaseModel):
    leads: int
    mean_probability: float | None
    expected_conversions: float = Field(
        description="Sum of calibrated probabilities: the number to optimise."
    )
    accepted: int = Field(description="Leads sales accepted (won and lost ones included).")
    rejected: int
    acceptance_rate: float | None = Field(description="accepted / (accepted + rejected).")
    won: int
    lost: int
    win_rate: float | None = Field(description="won / (won + lost).")
    grade_A: int
    grade_B: int
    grade_C: int
    grade_D: int
    top_rejection_reasons: str = Field(description="The three most given, as 'reason:count; ...'.")


# Each row's key comes first, as in its CSV (serving/store/dashboard.py COLUMNS): pydantic orders the fields of
# `class Row(Columns, Key)` as Key's, then Columns'.
class SourceKey(BaseModel):
    source: Text = Field(description="null: leads that did not say.")


class CampaignKey(BaseModel):
    campaign: Text


class SourceQuality(Quality, SourceKey):
    pass


class CampaignQuality(Quality, CampaignKey):
    pass


class Week(BaseModel):
    week: str = Field(description="ISO week of arrival (UTC), e.g. 2026-W10.")
    week_start: date = Field(description="Its Monday.")
    source: Text
    leads: int
    expected_conversions: float
    accepted: int = Field(description="Of the week's leads, those sales accepted (by now).")
    won: int = Field(description="Of the week's leads, those won (by now).")


class Funnel(BaseModel):
    source: Text
    leads: int = Field(description="new: every lead that arrived")
    accepted: int
    won: int
    rejected: int
    lost: int
    open: int = Field(description="Still new or accepted.")
    acceptance_rate: float | None
    win_rate: float | None


class RejectionReason(BaseModel):
    source: Text
    reason: str
    count: int


class Service(BaseModel):
    leads: int
    contacted: int = Field(description="First contacted: accepted or rejected.")
    judged: int = Field(description="With a deadline, and contacted or past it (not-yet-due leads wait).")
    met: int = Field(description="Of the judged, contacted within the deadline.")
    met_rate: float | None = Field(description="met / judged.")
    median_hours_to_contact: float | None
    p90_hours_to_contact: float | None
    overdue_now: int = Field(description="Still new with the deadline passed.")


class GradeKey(BaseModel):
    grade: str
    deadline_hours: float | None = Field(description="LEADSCORE_SLA_HOURS; null: nurture, never judged.")


class OwnerKey(BaseModel):
    owner: Text = Field(description="null: leads without an owner. Nurture leads are left out.")


class ServiceGrade(Service, GradeKey):
    pass


class ServiceOwner(Service, OwnerKey):
    pass


class Tables(BaseModel):
    sources: list[SourceQuality] = Field(description="Quality per source, most expected conversions first.")
    campaigns: list[CampaignQuality]
    trend: list[Week] = Field(description="Per week of arrival and source.")
    funnel: list[Funnel] = Field(description="new -> accepted -> won per source.")
    rejection_reasons: list[RejectionReason] = Field(description="Every reason sales gave, per source.")
    service_grades: list[ServiceGrade] = Field(description="First-contact service level per grade.")
    service_owners: list[ServiceOwner] = Field(description="The same per owner, most judged leads first.")


class DashboardResponse(BaseModel):
    """The dashboard's tables over the same filtered leads; `csv` links each table's export."""

    filters: DashboardQuery
    computed_at: datetime
    sla_hours: dict[str, float | None]
    tables: Tables
    csv: dict[str, str] = Field(description="Each table's CSV export, with the same filters.")
    notes: list[str] = Field(description="What is missing and when it will appear.")
