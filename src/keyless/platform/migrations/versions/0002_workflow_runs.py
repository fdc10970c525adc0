"""workflow run history: versions, runs, action records, SAS access keys

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workflow_versions",
        sa.Column("workflow_key", sa.String(length=1024), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("workflow_key", "version", name=op.f("pk_workflow_versions")),
    )
    op.create_table(
        "workflow_runs",
        sa.Column("workflow_key", sa.String(length=1024), nullable=False),
        sa.Column("run_name", sa.String(length=64), nullable=False),
        sa.Column("workflow_id", sa.String(length=1024), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("trigger_name", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("start_time", sa.String(length=40), nullable=False),
        sa.Column("end_time", sa.String(length=40), nullable=True),
        sa.Column("client_tracking_id", sa.Text(), nullable=False),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("outputs", sa.JSON(), nullable=True),
        sa.Column("trigger", sa.JSON(), nullable=False),
        sa.Column("response_sent", sa.Boolean(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("workflow_key", "run_name", name=op.f("pk_workflow_runs")),
    )
    with op.batch_alter_table("workflow_runs", schema=None) as batch_op:
        batch_op.create_index("ix_workflow_runs_status", ["status"], unique=False)
        batch_op.create_index("ix_workflow_runs_workflow_status", ["workflow_key", "status", "run_name"], unique=False)
    op.create_table(
        "workflow_run_actions",
        sa.Column("workflow_key", sa.String(length=1024), nullable=False),
        sa.Column("run_name", sa.String(length=64), nullable=False),
        sa.Column("record_key", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("repetition", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("start_time", sa.String(length=40), nullable=True),
        sa.Column("end_time", sa.String(length=40), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=True),
        sa.Column("outputs", sa.JSON(), nullable=True),
        sa.Column("has_inputs", sa.Boolean(), nullable=False),
        sa.Column("has_outputs", sa.Boolean(), nullable=False),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("tracking_id", sa.String(length=64), nullable=False),
        sa.Column("client_tracking_id", sa.Text(), nullable=False),
        sa.Column("retry_history", sa.JSON(), nullable=True),
        sa.Column("iteration_count", sa.Integer(), nullable=True),
        sa.Column("tracked_properties", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("workflow_key", "run_name", "record_key", name=op.f("pk_workflow_run_actions")),
    )
    with op.batch_alter_table("workflow_run_actions", schema=None) as batch_op:
        batch_op.create_index("ix_workflow_run_actions_by_name", ["workflow_key", "run_name", "name"], unique=False)
    op.create_table(
        "workflow_keys",
        sa.Column("workflow_key", sa.String(length=1024), nullable=False),
        sa.Column("workflow_id", sa.String(length=1024), nullable=False),
        sa.Column("endpoint_id", sa.String(length=32), nullable=False),
        sa.Column("primary", sa.LargeBinary(length=32), nullable=False),
        sa.Column("secondary", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("workflow_key", name=op.f("pk_workflow_keys")),
        sa.UniqueConstraint("endpoint_id", name=op.f("uq_workflow_keys_endpoint_id")),
    )


def downgrade() -> None:
    op.drop_table("workflow_keys")
    with op.batch_alter_table("workflow_run_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_workflow_run_actions_by_name")
    op.drop_table("workflow_run_actions")
    with op.batch_alter_table("workflow_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_workflow_runs_workflow_status")
        batch_op.drop_index("ix_workflow_runs_status")
    op.drop_table("workflow_runs")
    op.drop_table("workflow_versions")
