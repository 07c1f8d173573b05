"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.columns
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('object_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('built_in', sa.Boolean(), nullable=False),
    sa.Column('created_at', storage.columns.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_object_types')),
    sa.UniqueConstraint('team_id', 'name', name=op.f('uq_object_types_team_id_name'))
    )
    op.create_table('property_definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_type_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=63), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.CheckConstraint("type IN ('string', 'number', 'boolean', 'date', 'datetime', 'enumeration')", name=op.f('ck_property_definitions_type')),
    sa.ForeignKeyConstraint(['object_type_id'], ['object_types.id'], name=op.f('fk_property_definitions_object_type_id_object_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_property_definitions')),
    sa.UniqueConstraint('object_type_id', 'name', name=op.f('uq_property_definitions_object_type_id_name'))
    )
    op.create_table('records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('object_type_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=32), nullable=True),
    sa.Column('properties', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('folded', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', storage.columns.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.columns.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['object_type_id'], ['object_types.id'], name=op.f('fk_records_object_type_id_object_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_records')),
    sa.UniqueConstraint('object_type_id', 'external_id', name=op.f('uq_records_object_type_id_external_id'))
    )
    op.create_table('workflows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('object_type_id', sa.Integer(), nullable=False),
    sa.Column('schedule', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('criteria', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('suppression', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('actions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('settings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('owner_user_id', sa.String(length=32), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('next_run_at', storage.columns.UTCDateTime(), nullable=True),
    sa.Column('created_at', storage.columns.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.columns.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'active', 'paused')", name=op.f('ck_workflows_status')),
    sa.ForeignKeyConstraint(['object_type_id'], ['object_types.id'], name=op.f('fk_workflows_object_type_id_object_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflows')),
    sa.UniqueConstraint('team_id', 'name', name=op.f('uq_workflows_team_id_name'))
    )
    with op.batch_alter_table('workflows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflows_status_next_run_at'), ['status', 'next_run_at'], unique=False)

    op.create_table('runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workflow_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('occurrence_key', sa.String(length=64), nullable=False),
    sa.Column('scheduled_at', storage.columns.UTCDateTime(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('triggered_by', sa.String(length=32), nullable=True),
    sa.Column('lease_owner', sa.String(length=128), nullable=True),
    sa.Column('lease_expires_at', storage.columns.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('enrolled_at', storage.columns.UTCDateTime(), nullable=True),
    sa.Column('started_at', storage.columns.UTCDateTime(), nullable=True),
    sa.Column('finished_at', storage.columns.UTCDateTime(), nullable=True),
    sa.Column('summary', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', storage.columns.UTCDateTime(), nullable=False),
    sa.CheckConstraint("source IN ('schedule', 'manual')", name=op.f('ck_runs_source')),
    sa.CheckConstraint("status IN ('pending', 'running', 'succeeded', 'failed', 'missed', 'skipped', 'cancelled')", name=op.f('ck_runs_status')),
    sa.ForeignKeyConstraint(['workflow_id'], ['workflows.id'], name=op.f('fk_runs_workflow_id_workflows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_runs')),
    sa.UniqueConstraint('workflow_id', 'occurrence_key', name=op.f('uq_runs_workflow_id_occurrence_key'))
    )
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_runs_status_lease_expires_at'), ['status', 'lease_expires_at'], unique=False)

    op.create_table('action_results',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('action_index', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('reference', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', storage.columns.UTCDateTime(), nullable=False),
    sa.CheckConstraint("outcome IN ('ok', 'failed', 'skipped', 'deferred')", name=op.f('ck_action_results_outcome')),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_action_results_record_id_records'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_action_results_run_id_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_results')),
    sa.UniqueConstraint('run_id', 'record_id', 'action_index', name=op.f('uq_action_results_run_id_record_id_action_index'))
    )
    op.create_table('enrollments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('enrolled_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', storage.columns.UTCDateTime(), nullable=False),
    sa.CheckConstraint("source IN ('schedule', 'manual')", name=op.f('ck_enrollments_source')),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_enrollments_record_id_records'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_enrollments_run_id_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollments')),
    sa.UniqueConstraint('run_id', 'record_id', name=op.f('uq_enrollments_run_id_record_id'))
    )
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrollments_record_id'), ['record_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrollments_record_id'))

    op.drop_table('enrollments')
    op.drop_table('action_results')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_runs_status_lease_expires_at'))

    op.drop_table('runs')
    with op.batch_alter_table('workflows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workflows_status_next_run_at'))

    op.drop_table('workflows')
    op.drop_table('records')
    op.drop_table('property_definitions')
    op.drop_table('object_types')
