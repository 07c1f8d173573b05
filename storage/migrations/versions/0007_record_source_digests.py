"""record source digests: a sync skips the rows its source did not change

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

``records.source_digest``: a 64-bit digest of the source row (and the query's columns) a
sync last wrote the record from. A sync compares each row's digest with the stored one and
converts and compares in full only the rows that differ: a re-sync of a million rows of
which 1% changed reads the stored digests once instead of every record's properties.
An index of the type's live records by id with their digest serves that read alone.
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
    op.create_index(
        op.f('ix_records_object_type_id_id_source_digest'),
        'records',
        ['object_type_id', 'id', 'source_digest'],
        unique=False,
        postgresql_where=sa.text('deleted_at IS NULL'),
        sqlite_where=sa.text('deleted_at IS NULL'),
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_records_object_type_id_id_source_digest'), table_name='records')
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_column('source_digest')
