"""record source digests: a sync skips the rows its source did not change

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

``records.source_digest``: a 64-bit digest of the source row (and the query's columns) a
sync last wrote the record from. A sync compares each row's digest with the stored one and
converts and compares in full only the rows that differ: a re-sync of a million rows of
which 1% changed reads the stored digests once instead of every record's properties.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_digest', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_column('source_digest')
