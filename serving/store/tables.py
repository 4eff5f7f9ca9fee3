"""The lead store's tables as typed SQLAlchemy 2 models: leads, their score history, sales outcome events, API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints, so migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Payload = JSON().with_variant(JSONB(), "postgresql")
ID_LENGTH = 200  # lead ids, sources, campaigns, owners, actors: longer values are refused or cut
KEY_ID_LENGTH = 32  # an API key's public id (8 hex characters when made by `leadscore keys create`)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Lead(Base):
    """One lead as last received, with the fields the queue and the reports filter on and its latest score."""

    __tablename__ = "leads"

    lead_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(Payload)
    source: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    campaign: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    owner: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    status_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    probability: Mapped[float] = mapped_column(Float)
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(1))
    model_version: Mapped[str] = mapped_column(String(ID_LENGTH))
    reasons: Mapped[dict[str, Any] | None] = mapped_column(Payload)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_leads_queue", "status", "score", "probability", "lead_id"),)


class Score(Base):
    """Every score a lead was given, with the model version that gave it; a rescore adds a row."""

    __tablename__ = "lead_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.lead_id", ondelete="CASCADE"), index=True)
    probability: Mapped[float] = mapped_column(Float)
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(1))
    model_version: Mapped[str] = mapped_column(String(ID_LENGTH))
    # the scoring's reasons; null on rows written before migration 0003
    reasons: Mapped[dict[str, Any] | None] = mapped_column(Payload)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Outcome(Base):
    """One thing sales recorded about a lead (accepted, rejected, won, lost); the lead's status follows these."""

    __tablename__ = "lead_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.lead_id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(ID_LENGTH), unique=True)


class StoredKey(Base):
    """One API key of the service (serving/keys.py): its sha256 and role, never the key; revoked keys stay, marked."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(KEY_ID_LENGTH), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(ID_LENGTH))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # set once by a revoke; a revoked key is never found again, and `keys import` does not bring it back
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
