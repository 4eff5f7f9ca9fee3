"""One lead in full for the detail panel: its payload, its score history with reasons, what moved each change of score,
and the trend over the history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from serving.store.clock import as_utc
from serving.store.database import LeadStore
from serving.store.outcomes import LeadNotFound
from serving.store.tables import Lead, Score

STEADY_POINTS = (
    5  # the trend: the latest score at least this many points above the first is improving, below declining
)
MOVES = 5  # the features whose impact moved most, per change of score


@dataclass(frozen=True, slots=True)
class Move:
    """How one feature's push on the score changed between two scorings (absent from one: impact 0 there)."""

    feature: str
    label: str  # the reason in words, from the later scoring when it has the feature
    before: float
    after: float
    change: float  # after - before, in calibrated log-odds


@dataclass(frozen=True, slots=True)
class Scoring:
    """One row of the score history; `moves` explains the change against the previous scoring.

    `score_change` and `moves` are None for the first scoring; `moves` is also None when either scoring has no
    reasons stored (scored before the store kept them).
    """

    probability: float
    score: int
    grade: str
    model_version: str
    scored_at: datetime
    reasons: dict[str, Any] | None
    score_change: int | None
    moves: list[Move] | None


@dataclass(frozen=True, slots=True)
class LeadDetail:
    lead_id: str
    payload: dict[str, Any]
    status: str
    owner: str | None
    source: str | None
    campaign: str | None
    created_at: datetime
    latest: Scoring
    history: list[Scoring]  # oldest first; the last one is the latest score
    trend: str  # improving, steady or declining (see `trend`)


def impacts(reasons: Mapping[str, Any]) -> dict[str, tuple[float, str]]:
    """feature -> (impact, label) from a stored reasons object ({"positive": [...], "negative": [...]})."""
    out: dict[str, tuple[float, str]] = {}
    for side in ("positive", "negative"):
        for reason in reasons.get(side) or []:
            out[str(reason["feature"])] = (
                float(reason["impact"]),
                str(reason.get("label") or reason["feature"]),
            )
    return out


def moves(before: Mapping[str, Any], after: Mapping[str, Any], most: int = MOVES) -> list[Move]:
    """The features whose impact changed most between two scorings' reasons, largest change first (ties by name).

    A feature in one scoring's reasons only counts its impact against 0 in the other; unchanged ones are left out.
    """
    old, new = impacts(before), impacts(after)
    found = []
    for feature in old.keys() | new.keys():
        was, label_was = old.get(feature, (0.0, ""))
        now, label_now = new.get(feature, (0.0, ""))
        if now != was:
            found.append(Move(feature, label_now or label_was, was, now, now - was))
    found.sort(key=lambda move: (-abs(move.change), move.feature))
    return found[:most]


def trend(scores: list[int], steady: int = STEADY_POINTS) -> str:
    """improving when the latest score is at least `steady` points above the first, declining when that far below,
    steady otherwise (and for a single scoring)."""
    change = scores[-1] - scores[0] if scores else 0
    if change >= steady:
        return "improving"
    if change <= -steady:
        return "declining"
    return "steady"


def _history(rows: list[Score]) -> list[Scoring]:
    out: list[Scoring] = []
    for i, row in enumerate(rows):
        previous = rows[i - 1] if i else None
        explained = previous is not None and previous.reasons is not None and row.reasons is not None
        out.append(
            Scoring(
                probability=row.probability,
                score=row.score,
                grade=row.grade,
                model_version=row.model_version,
                scored_at=as_utc(row.scored_at),
                reasons=row.reasons,
                score_change=None if previous is None else row.score - previous.score,
                moves=moves(previous.reasons, row.reasons) if explained else None,  # type: ignore[union-attr,arg-type]
            )
        )
    return out


def lead_detail(store: LeadStore, lead_id: str) -> LeadDetail:
    """A stored lead with its whole score history, read in one transaction; LeadNotFound when it was never stored."""
    with store.transaction() as session:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise LeadNotFound(f"lead {lead_id!r} not found; send it to POST /v1/leads first")
        rows = list(session.scalars(select(Score).where(Score.lead_id == lead_id).order_by(Score.id)))
    history = _history(rows)
    latest = history[-1] if history else _from_lead(lead)
    return LeadDetail(
        lead_id=lead.lead_id,
        payload=lead.payload,
        status=lead.status,
        owner=lead.owner,
        source=lead.source,
        campaign=lead.campaign,
        created_at=as_utc(lead.created_at),
        latest=latest,
        history=history,
        trend=trend([scoring.score for scoring in history]),
    )


def _from_lead(lead: Lead) -> Scoring:
    """The lead's latest score when its history is empty (never, as the store writes them; kept total anyway)."""
    return Scoring(
        lead.probability,
        lead.score,
        lead.grade,
        lead.model_version,
        as_utc(lead.scored_at),
        lead.reasons,
        None,
        None,
    )
