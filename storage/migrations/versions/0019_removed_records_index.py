"""removed records index: an index of the records removed (deleted_at set), by id

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

A digest first records skipped those of its records removed since it enrolled them: an
EXISTS per enrollment, which on PostgreSQL read each of a 100,000-record digest's records
from the table (0.5 s on 1,000,000 deals). ``ix_records_removed`` holds only the removed
records, usually few, so that each probe reads a small index instead. A new index: nothing
to move.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_REMOVED = sa.text("deleted_at IS NOT NULL")


def upgrade() -> None:
    # No table rebuild on SQLite: CREATE INDEX alone.
    op.create_index(
        "ix_records_removed",
        "records",
        ["id"],
        unique=False,
        postgresql_where=_REMOVED,
        sqlite_where=_REMOVED,
    )


def downgrade() -> None:
    op.drop_index("ix_records_removed", table_name="records")
