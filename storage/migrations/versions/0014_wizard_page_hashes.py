"""wizard page hashes: the hash Slack gave the last page a wizard modal showed

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

``wizard_drafts.page_hash`` is the hash Slack answered the last views.update of the draft's
modal with: ``''`` once the modal shows something that is no wizard page ("Saving…", the
outcome), null until a page was shown. Two quick changes of a step both carry the hash of
the page they were made on, and Slack refuses the second update (hash_conflict); the request
refused redraws the page with this hash. Kept in the database, not in a process, because
with several web workers the two requests may be served by different processes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: a plain ADD COLUMN on both databases, no rebuild of wizard_drafts.
    op.add_column("wizard_drafts", sa.Column("page_hash", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wizard_drafts", schema=None) as batch_op:
        batch_op.drop_column("page_hash")
