"""wizard input versions: the version of the latest input a wizard draft stored

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

``wizard_drafts.input_version`` orders the inputs of a draft's dialog (the moment each was
made, in microseconds, as the messaging side stamped it); null until one was stored. Two
quick changes of a step are two requests that may be served in either order: a change is
stored only when its version is not older than the one stored (a compare-and-set), so the
older change never overwrites the newer one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: a plain ADD COLUMN on both databases, no rebuild of wizard_drafts.
    op.add_column("wizard_drafts", sa.Column("input_version", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wizard_drafts", schema=None) as batch_op:
        batch_op.drop_column("input_version")
