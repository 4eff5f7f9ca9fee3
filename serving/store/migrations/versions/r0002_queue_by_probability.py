"""The queue's index breaks ties on the score by probability (the queue's order: score, probability, lead id).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.drop_index("ix_leads_queue", table_name="leads")
    op.create_index("ix_leads_queue", "leads", ["status", "score", "probability", "lead_id"])


def downgrade() -> None:
    op.drop_index("ix_leads_queue", table_name="leads")
    op.create_index("ix_leads_queue", "leads", ["status", "score", "lead_id"])
