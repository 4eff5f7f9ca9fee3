"""Leads, their score history and outcome events.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

PAYLOAD = sa.JSON().with_variant(JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("lead_id", sa.String(200), nullable=False),
        sa.Column("payload", PAYLOAD, nullable=False),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("campaign", sa.String(200), nullable=True),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_at", WHEN, nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(1), nullable=False),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("reasons", PAYLOAD, nullable=True),
        sa.Column("scored_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("lead_id", name="pk_leads"),
    )
    for column in ("source", "campaign", "owner", "created_at"):
        op.create_index(f"ix_leads_{column}", "leads", [column])
    op.create_index("ix_leads_queue", "leads", ["status", "score", "lead_id"])

    op.create_table(
        "lead_scores",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lead_id", sa.String(200), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(1), nullable=False),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("scored_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.lead_id"], name="fk_lead_scores_lead_id_leads", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lead_scores"),
    )
    op.create_index("ix_lead_scores_lead_id", "lead_scores", ["lead_id"])

    op.create_table(
        "lead_outcomes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lead_id", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.lead_id"], name="fk_lead_outcomes_lead_id_leads", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lead_outcomes"),
        sa.UniqueConstraint("idempotency_key", name="uq_lead_outcomes_idempotency_key"),
    )
    op.create_index("ix_lead_outcomes_lead_id", "lead_outcomes", ["lead_id"])
    op.create_index("ix_lead_outcomes_at", "lead_outcomes", ["at"])


def downgrade() -> None:
    op.drop_table("lead_outcomes")
    op.drop_table("lead_scores")
    op.drop_table("leads")
