"""sample marks: the sample's records and workflow are marked, and its installation recorded

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

``records.is_sample`` and ``workflows.is_sample`` mark what the sample installed, so that
``workflow-bot sample remove`` deletes exactly that and a Slack workspace never adopts it.
``sample_installations`` records that a database once had the sample: once removed, it
never comes back at the next start.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.columns import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: a batch rebuild of ``workflows`` on SQLite would
    # lose its expression index (one name per workspace whatever the case).
    for table in ("records", "workflows"):
        op.add_column(
            table, sa.Column("is_sample", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "sample_installations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("installed_at", UTCDateTime(), nullable=False),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_installations")),
    )


def downgrade() -> None:
    op.drop_table("sample_installations")
    for table in ("workflows", "records"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("is_sample")
    # SQLite's batch rebuild of ``workflows`` dropped the expression index: build it again.
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(
            "uq_workflows_team_id_lower_name",
            "workflows",
            ["team_id", sa.text("lower(name)")],
            unique=True,
        )
