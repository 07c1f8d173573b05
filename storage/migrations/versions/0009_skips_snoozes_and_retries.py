"""skips, snoozes and retries: what a run summary's buttons leave behind

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

``run_skips`` holds occurrences skipped once by hand (Skip next run), which the planner
turns into skipped runs; ``record_snoozes`` keeps a record out of one workflow's runs until
a date (Snooze a record); ``runs.retry_of`` links a manual run that retries the failed
actions of an earlier run (Re-run failed) to that run.

``runs`` is never rebuilt on SQLite (as batch mode does to add a foreign key or drop a
column): with foreign keys on, dropping the old table deletes every run's enrollments and
action results through their ON DELETE CASCADE. So ``retry_of`` is a plain indexed column,
added and dropped with ALTER TABLE (DROP COLUMN needs SQLite 3.35).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.columns import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

RECORD_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("runs", sa.Column("retry_of", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_runs_retry_of"), "runs", ["retry_of"], unique=False)
    op.create_table(
        "run_skips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_key", sa.String(length=64), nullable=False),
        sa.Column("scheduled_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_run_skips_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_skips")),
        sa.UniqueConstraint(
            "workflow_id", "occurrence_key", name=op.f("uq_run_skips_workflow_id_occurrence_key")
        ),
    )
    op.create_table(
        "record_snoozes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("record_id", RECORD_KEY, nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_record_snoozes_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_record_snoozes_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_snoozes")),
        sa.UniqueConstraint(
            "workflow_id", "record_id", name=op.f("uq_record_snoozes_workflow_id_record_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("record_snoozes")
    op.drop_table("run_skips")
    op.drop_index(op.f("ix_runs_retry_of"), table_name="runs")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE runs DROP COLUMN retry_of")  # not batch: see above
    else:
        op.drop_column("runs", "retry_of")
