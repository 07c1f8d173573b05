"""wizard drafts and handled events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.columns
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('handled_events',
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('handled_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'event_id', name=op.f('pk_handled_events'))
    )
    with op.batch_alter_table('handled_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handled_events_handled_at'), ['handled_at'], unique=False)

    op.create_table('wizard_drafts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('workflow_id', sa.Integer(), nullable=True),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('layout', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workflow_id'], ['workflows.id'], name=op.f('fk_wizard_drafts_workflow_id_workflows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wizard_drafts'))
    )
    with op.batch_alter_table('wizard_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wizard_drafts_updated_at'), ['updated_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('wizard_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wizard_drafts_updated_at'))

    op.drop_table('wizard_drafts')
    with op.batch_alter_table('handled_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handled_events_handled_at'))

    op.drop_table('handled_events')
