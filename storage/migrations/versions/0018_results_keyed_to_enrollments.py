"""results keyed to enrollments: an action result's foreign key is its run's enrollment

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

``action_results`` had two foreign keys, to ``runs`` and to ``records``; it now has one, on
(run_id, record_id), to the enrollment of the record in the run (``enrollments``' unique
constraint on the same columns). The rule is stronger (a result is of a record the run
enrolled, which is how every result is written), and deleting a run or a record still
deletes its results: the enrollment goes with them (ON DELETE CASCADE), and its results with
it. On PostgreSQL the key to ``records`` locked each result's record row (a write to the
records' heap per result), most of the cost of a 100,000-record digest's results.

The upgrade refuses a database holding results of records their run did not enroll, and
says how many, rather than deleting them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.database import MigrationRefused

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_TO_ENROLLMENT = "fk_action_results_run_id_enrollments"

_NOT_ENROLLED_WHERE = (
    "WHERE NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.run_id = action_results.run_id "
    "AND e.record_id = action_results.record_id)"
)
_NOT_ENROLLED = sa.text(f"SELECT count(*) FROM action_results {_NOT_ENROLLED_WHERE}")
# What the user runs once they decide those results can go (the message says to back up first).
_DELETE_NOT_ENROLLED = f"DELETE FROM action_results {_NOT_ENROLLED_WHERE}"


def upgrade() -> None:
    orphans = op.get_bind().scalar(_NOT_ENROLLED)
    if orphans:
        raise MigrationRefused(
            revision,
            f"{orphans} action {'result is' if orphans == 1 else 'results are'} of records "
            "their run did not enroll, and "
            "migration 0018 keys each result to its run's enrollment of the record",
            _DELETE_NOT_ENROLLED,
        )
    # On SQLite a rebuild of action_results (nothing references it, so dropping the old
    # table deletes nothing else).
    with op.batch_alter_table("action_results", schema=None) as batch_op:
        batch_op.drop_constraint("fk_action_results_record_id_records", type_="foreignkey")
        batch_op.drop_constraint("fk_action_results_run_id_runs", type_="foreignkey")
        batch_op.create_foreign_key(
            _TO_ENROLLMENT,
            "enrollments",
            ["run_id", "record_id"],
            ["run_id", "record_id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("action_results", schema=None) as batch_op:
        batch_op.drop_constraint(_TO_ENROLLMENT, type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_action_results_record_id_records",
            "records",
            ["record_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            "fk_action_results_run_id_runs", "runs", ["run_id"], ["id"], ondelete="CASCADE"
        )
