"""run digests: the sections of a digest as its run first laid them out

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

``run_digests`` keeps, per run and digest action, the sections the digest was laid out in
before its parent was posted, so that a resumed run or a re-run posts the replies still
missing from them rather than from records changed meanwhile. A new table: nothing to move.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.columns import PortableJSON, UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_digests",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("action_index", sa.Integer(), nullable=False),
        sa.Column("sections", PortableJSON, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_run_digests_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "action_index", name=op.f("pk_run_digests")),
    )


def downgrade() -> None:
    op.drop_table("run_digests")
