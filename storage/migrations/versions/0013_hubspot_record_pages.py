"""hubspot record pages: the portal a HubSpot source reads, for links to its records' pages

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

``record_sources.hubspot_portal_id`` and ``hubspot_ui_domain`` are the portal's id and the
domain of HubSpot's app for it (``app.hubspot.com``, ``app-eu1.hubspot.com``), as HubSpot's
account-info endpoint gives them at a source's first sync: a record's page is
``https://{ui_domain}/contacts/{portal_id}/record/{object_type_id}/{record_id}``. Null until
then, and for SQL sources.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns: a plain ADD COLUMN on both databases, no rebuild of record_sources.
    op.add_column("record_sources", sa.Column("hubspot_portal_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "record_sources", sa.Column("hubspot_ui_domain", sa.String(length=100), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("record_sources", schema=None) as batch_op:
        batch_op.drop_column("hubspot_ui_domain")
        batch_op.drop_column("hubspot_portal_id")
