"""record sources, deleted records, owners by email

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

- ``records.owner`` holds an email as well as a Slack user id (255 characters).
- ``records.deleted_at``: a record removed from its source or by ``records delete`` is kept
  (past runs still show it) but never enrolled again; importing it again brings it back.
- ``owner_directory``: owner emails resolved to Slack users (``users.lookupByEmail``), per
  workspace, with when it was last asked; an unresolved email has no user.
- ``record_sources``: where an object type's records come from (a SQL query today), how
  fresh they must be, and how the last sync went.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.columns

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.alter_column('owner', existing_type=sa.String(length=32), type_=sa.String(length=255), existing_nullable=True)
        batch_op.add_column(sa.Column('deleted_at', storage.columns.UTCDateTime(timezone=True), nullable=True))

    op.create_table('owner_directory',
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('slack_user_id', sa.String(length=32), nullable=True),
    sa.Column('checked_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'email', name=op.f('pk_owner_directory'))
    )

    op.create_table('record_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('object_type_id', sa.Integer(), nullable=False),
    sa.Column('url_env', sa.String(length=100), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('id_column', sa.String(length=63), nullable=False),
    sa.Column('sync_every_seconds', sa.Integer(), nullable=True),
    sa.Column('max_staleness_seconds', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_duration_ms', sa.Integer(), nullable=True),
    sa.Column('last_added', sa.Integer(), nullable=True),
    sa.Column('last_changed', sa.Integer(), nullable=True),
    sa.Column('last_removed', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('failure_reported_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sync_lease_owner', sa.String(length=128), nullable=True),
    sa.Column('sync_lease_expires_at', storage.columns.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('sql')", name=op.f('ck_record_sources_kind')),
    sa.ForeignKeyConstraint(['object_type_id'], ['object_types.id'], name=op.f('fk_record_sources_object_type_id_object_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_sources')),
    sa.UniqueConstraint('team_id', 'name', name=op.f('uq_record_sources_team_id_name')),
    sa.UniqueConstraint('object_type_id', name=op.f('uq_record_sources_object_type_id'))
    )


def downgrade() -> None:
    op.drop_table('record_sources')
    op.drop_table('owner_directory')
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.alter_column('owner', existing_type=sa.String(length=255), type_=sa.String(length=32), existing_nullable=True)
