"""Recurrence occurrences claimed once across keyless processes

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workflow_occurrences",
        sa.Column("workflow_key", sa.String(length=1024), nullable=False),
        sa.Column("trigger_name", sa.String(length=80), nullable=False),
        sa.Column("scheduled_time", sa.String(length=40), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("workflow_key", "trigger_name", "scheduled_time", name=op.f("pk_workflow_occurrences")),
    )


def downgrade() -> None:
    op.drop_table("workflow_occurrences")
