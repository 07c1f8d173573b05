"""reserved: placeholder so parallel work keeps one linear revision chain

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Does nothing yet; the change that takes this revision renames the file and fills it in.
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
