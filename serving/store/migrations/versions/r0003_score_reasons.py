"""Each scoring keeps its reasons in the score history (older rows have none), so a change of score can be explained.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    payload = sa.JSON().with_variant(JSONB(), "postgresql")
    op.add_column("lead_scores", sa.Column("reasons", payload, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lead_scores") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("reasons")
