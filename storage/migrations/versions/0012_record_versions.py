"""record versions: the values records had before each change, for `why` on past runs

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

``record_versions`` keeps a record's values (name, owner, properties and their folded
copies, updated_at, deleted_at, external_id) with ``valid_until``, the instant a change
replaced them. ``record_versions_kept`` says since when every change is kept: a database
that has runs already gets one row saying "since now", since the values at those runs were
never kept; a new database gets none (every change is kept from the start).
``runs.newest_record_id`` notes the newest record's id when a run enrolled by criteria:
records with larger ids were not stored yet then.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from storage.columns import PortableJSON, UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_RECORD_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "record_versions",
        sa.Column("id", _RECORD_KEY, autoincrement=True, nullable=False),
        sa.Column("record_id", _RECORD_KEY, nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("properties", PortableJSON, nullable=False),
        sa.Column("folded", PortableJSON, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("valid_until", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_record_versions_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_versions")),
    )
    op.create_index(
        op.f("ix_record_versions_record_id_valid_until"),
        "record_versions",
        ["record_id", "valid_until"],
    )
    op.create_index(op.f("ix_record_versions_valid_until"), "record_versions", ["valid_until"])
    kept = op.create_table(
        "record_versions_kept",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_versions_kept")),
    )
    # Nullable: SQLite adds it in place, without rebuilding runs (which would cascade).
    op.add_column("runs", sa.Column("newest_record_id", _RECORD_KEY, nullable=True))
    # Runs enrolled before this revision have no versions to be evaluated on.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM runs WHERE enrolled_at IS NOT NULL LIMIT 1")).first():
        op.bulk_insert(kept, [{"id": 1, "since": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_column("runs", "newest_record_id")
    op.drop_table("record_versions_kept")
    op.drop_index(op.f("ix_record_versions_valid_until"), table_name="record_versions")
    op.drop_index(op.f("ix_record_versions_record_id_valid_until"), table_name="record_versions")
    op.drop_table("record_versions")
