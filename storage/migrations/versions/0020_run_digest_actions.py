"""run digest actions: which version of its action a kept digest layout was laid out for

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07

``run_digests.action_fingerprint`` names the text of the digest's action the sections were
laid out for: a run resumed after its workflow was edited reads the edited action, and a
layout of the old one is not its layout.
Layouts kept before get an empty fingerprint, which matches no action: they are laid out
again, as before run_digests.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # With a server default: a plain ADD COLUMN on both databases, no rebuild of run_digests.
    op.add_column(
        "run_digests",
        sa.Column("action_fingerprint", sa.String(64), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("run_digests", schema=None) as batch_op:
        batch_op.drop_column("action_fingerprint")
