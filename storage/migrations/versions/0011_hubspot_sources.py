"""hubspot sources: record sources fed by a HubSpot portal, and property labels

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

``record_sources.kind`` may be 'hubspot': such a source reads one HubSpot object
(``hubspot_object``, its API name; ``hubspot_name_property`` names a custom object's
records) with the private-app token in the environment variable ``url_env`` names; its
incremental syncs start at ``hubspot_cursor_ms`` (a last-modified instant, milliseconds) and
HubSpot's daily request budget is kept as last reported. ``query`` and ``id_column`` are
empty for them. ``property_definitions`` gains ``label`` and ``option_labels`` (option value
-> label): what the dialogs show, while criteria keep comparing names and values.

On SQLite the new CHECK rebuilds ``record_sources`` (batch mode; it has no expression
index to lose, and the environment runs migrations with foreign keys off).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.columns import PortableJSON

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_HUBSPOT_COLUMNS = (
    "hubspot_object",
    "hubspot_name_property",
    "hubspot_cursor_ms",
    "daily_limit",
    "daily_remaining",
)


def upgrade() -> None:
    with op.batch_alter_table("record_sources", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_record_sources_kind"), type_="check")
        batch_op.create_check_constraint("kind", "kind IN ('sql', 'hubspot')")
        batch_op.add_column(sa.Column("hubspot_object", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("hubspot_name_property", sa.String(length=100), nullable=True)
        )
        batch_op.add_column(sa.Column("hubspot_cursor_ms", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("daily_limit", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("daily_remaining", sa.Integer(), nullable=True))
    # Nullable columns: SQLite adds them in place, without a rebuild.
    op.add_column("property_definitions", sa.Column("label", sa.String(length=255), nullable=True))
    op.add_column("property_definitions", sa.Column("option_labels", PortableJSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("property_definitions", schema=None) as batch_op:
        batch_op.drop_column("option_labels")
        batch_op.drop_column("label")
    # HubSpot sources cannot be expressed before 0011: they go (their records stay).
    op.execute("DELETE FROM record_sources WHERE kind = 'hubspot'")
    with op.batch_alter_table("record_sources", schema=None) as batch_op:
        for column in reversed(_HUBSPOT_COLUMNS):
            batch_op.drop_column(column)
        batch_op.drop_constraint(op.f("ck_record_sources_kind"), type_="check")
        batch_op.create_check_constraint("kind", "kind IN ('sql')")
