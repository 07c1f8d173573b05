"""handled requests, unknown action outcomes, workflow names unique in any case

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

- ``handled_requests``: fingerprints of signed Slack requests already acted on, so a replay
  within Slack's five-minute signature window has no second effect.
- ``action_results.outcome`` may be ``unknown``: Slack answered a post with an error after
  it may have stored the message, and the bot could not check its history.
- Workflow names are unique per workspace whatever their case. Names that already differ
  only in case are renamed first ("Deals (2)") so that the unique index can be built.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.columns

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_OLD_OUTCOMES = "outcome IN ('ok', 'failed', 'skipped', 'deferred')"
_NEW_OUTCOMES = "outcome IN ('ok', 'failed', 'skipped', 'deferred', 'unknown')"


def upgrade() -> None:
    op.create_table('handled_requests',
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('handled_at', storage.columns.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('fingerprint', name=op.f('pk_handled_requests'))
    )
    with op.batch_alter_table('handled_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handled_requests_handled_at'), ['handled_at'], unique=False)

    with op.batch_alter_table('action_results', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_action_results_outcome'), type_='check')
        batch_op.create_check_constraint('outcome', _NEW_OUTCOMES)

    _rename_names_differing_in_case()
    op.create_index(
        'uq_workflows_team_id_lower_name',
        'workflows',
        ['team_id', sa.text('lower(name)')],
        unique=True,
    )


def _rename_names_differing_in_case() -> None:
    """Keeps the oldest of each group of names equal but for case; the others get " (N)"."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, team_id, name FROM workflows ORDER BY id")
    ).all()
    taken: set[tuple[str, str]] = {(team, name.lower()) for _, team, name in rows}
    seen: set[tuple[str, str]] = set()
    for workflow_id, team, name in rows:
        key = (team, name.lower())
        if key not in seen:
            seen.add(key)
            continue
        number = 2
        while (team, f"{name} ({number})".lower()) in taken:
            number += 1
        new_name = f"{name} ({number})"
        taken.add((team, new_name.lower()))
        connection.execute(
            sa.text("UPDATE workflows SET name = :name WHERE id = :id"),
            {"name": new_name, "id": workflow_id},
        )


def downgrade() -> None:
    op.drop_index('uq_workflows_team_id_lower_name', table_name='workflows')
    op.execute("DELETE FROM action_results WHERE outcome = 'unknown'")
    with op.batch_alter_table('action_results', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_action_results_outcome'), type_='check')
        batch_op.create_check_constraint('outcome', _OLD_OUTCOMES)
    with op.batch_alter_table('handled_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handled_requests_handled_at'))
    op.drop_table('handled_requests')
