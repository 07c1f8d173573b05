"""revisions, events and soft delete: workflows a team can audit and restore

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

``workflow_revisions`` keeps every saved definition of a workflow with who saved it and
when; ``workflow_events`` is the audit history (created, edited, paused, activated, ran,
deleted, restored, transferred, copied); ``workflows.deleted_at`` / ``deleted_name`` make a
deletion restorable. Each existing workflow gets its current definition as its current
revision, recorded as saved by its owner at its last change: who saved it was not kept
before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.columns import PortableJSON, UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_WORKFLOWS = sa.table(
    "workflows",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("object_type_id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("owner_user_id", sa.String()),
    sa.column("schedule", PortableJSON),
    sa.column("criteria", PortableJSON),
    sa.column("suppression", PortableJSON),
    sa.column("actions", PortableJSON),
    sa.column("settings", PortableJSON),
    sa.column("revision", sa.Integer()),
    sa.column("updated_at", UTCDateTime()),
    sa.column("deleted_at", UTCDateTime()),
)
_OBJECT_TYPES = sa.table("object_types", sa.column("id", sa.Integer()), sa.column("name"))
_REVISIONS = sa.table(
    "workflow_revisions",
    sa.column("workflow_id", sa.Integer()),
    sa.column("revision", sa.Integer()),
    sa.column("document", PortableJSON),
    sa.column("author", sa.String()),
    sa.column("saved_at", UTCDateTime()),
)
_EVENT_KINDS = (
    "created",
    "edited",
    "paused",
    "activated",
    "ran",
    "deleted",
    "restored",
    "transferred",
    "copied",
)


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX: a batch rebuild of ``workflows`` on SQLite would
    # lose its expression index (one name per workspace whatever the case).
    op.add_column("workflows", sa.Column("deleted_at", UTCDateTime(), nullable=True))
    op.add_column("workflows", sa.Column("deleted_name", sa.String(length=200), nullable=True))
    op.create_index(op.f("ix_workflows_deleted_at"), "workflows", ["deleted_at"], unique=False)
    op.create_table(
        "workflow_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("document", PortableJSON, nullable=False),
        sa.Column("author", sa.String(length=32), nullable=False),
        sa.Column("saved_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_revisions_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_revisions")),
        sa.UniqueConstraint(
            "workflow_id", "revision", name=op.f("uq_workflow_revisions_workflow_id_revision")
        ),
    )
    kinds = ", ".join(f"'{kind}'" for kind in _EVENT_KINDS)
    op.create_table(
        "workflow_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("workflow_id", sa.Integer(), nullable=True),
        sa.Column("workflow_name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("detail", PortableJSON, nullable=False),
        sa.CheckConstraint(f"kind IN ({kinds})", name=op.f("ck_workflow_events_kind")),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_events_workflow_id_workflows"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_events")),
    )
    op.create_index(
        op.f("ix_workflow_events_workflow_id_at"),
        "workflow_events",
        ["workflow_id", "at"],
        unique=False,
    )
    _backfill_current_revisions()


def _backfill_current_revisions() -> None:
    connection = op.get_bind()
    query = sa.select(_WORKFLOWS, _OBJECT_TYPES.c.name.label("object_type")).join(
        _OBJECT_TYPES, _OBJECT_TYPES.c.id == _WORKFLOWS.c.object_type_id
    )
    rows = [
        {
            "workflow_id": row.id,
            "revision": row.revision,
            "document": {
                "name": row.name,
                "object_type": row.object_type,
                "status": row.status,
                "owner": row.owner_user_id,
                "schedule": row.schedule,
                "criteria": row.criteria,
                "suppression": row.suppression,
                "actions": row.actions,
                "settings": row.settings,
            },
            "author": row.owner_user_id,
            "saved_at": row.updated_at,
        }
        for row in connection.execute(query)
    ]
    if rows:
        op.bulk_insert(_REVISIONS, rows)


def downgrade() -> None:
    # The older schema has no deleted workflows: those still restorable go for good, with
    # their runs, as a purge would take them.
    op.get_bind().execute(sa.delete(_WORKFLOWS).where(_WORKFLOWS.c.deleted_at.is_not(None)))
    op.drop_index(op.f("ix_workflow_events_workflow_id_at"), table_name="workflow_events")
    op.drop_table("workflow_events")
    op.drop_table("workflow_revisions")
    op.drop_index(op.f("ix_workflows_deleted_at"), table_name="workflows")
    with op.batch_alter_table("workflows", schema=None) as batch_op:
        batch_op.drop_column("deleted_name")
        batch_op.drop_column("deleted_at")
    # SQLite's batch rebuild of ``workflows`` dropped the expression index: build it again.
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(
            "uq_workflows_team_id_lower_name",
            "workflows",
            ["team_id", sa.text("lower(name)")],
            unique=True,
        )
