"""The reads of active and due workflows (the run engine's due_stored, coming, many and
earliest_next_run; manual enrollment's active_named_like; the owners a failing record
source tells) find no deleted workflow: deleting one stops it, and these reads do not
rely on that alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.lifecycle import CLI_ACTOR, delete_workflow
from bot.workflows.vocabulary import WorkflowStatus
from storage.database import transaction
from storage.models import Workflow
from storage.record_sources import RecordSourceRepository
from storage.workflows import WorkflowRepository
from tests.engine.builders import NAME, TEAM, daily, deal, import_deals, save, workflow_document

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOTHING = {
    "due_stored": [],
    "coming": [],
    "earliest_next_run": None,
    "active_named_like": [],
    "workflow_owners": [],
}


def deleted_workflow(sessions: sessionmaker[Session]) -> int:
    """A workflow due daily at 09:00, deleted."""
    import_deals(sessions, [deal("D1")], START)
    workflow_id = save(sessions, workflow_document(schedule=daily("09:00")), START).workflow_id
    with transaction(sessions) as session:
        delete_workflow(session, TEAM, NAME, CLI_ACTOR, now=START)
    return workflow_id


def reads(session: Session) -> dict[str, object]:
    workflows = WorkflowRepository(session)
    later = DUE + timedelta(hours=1)
    return {
        "due_stored": workflows.due_stored(later, 10),
        "coming": workflows.coming(later, 10),
        "earliest_next_run": workflows.earliest_next_run(),
        "active_named_like": workflows.active_named_like(TEAM, "", None, 10),
        "workflow_owners": [
            owner
            for object_type_id in session.scalars(select(Workflow.object_type_id).distinct())
            for owner in RecordSourceRepository(session).workflow_owners(object_type_id)
        ],
    }


def test_a_deleted_workflow_is_not_read_by_id(sessions: sessionmaker[Session]) -> None:
    # The parse-ahead reads by id the workflows coming listed; on PostgreSQL each statement
    # sees what was committed before it, so one may be deleted in between.
    workflow_id = deleted_workflow(sessions)

    with transaction(sessions) as session:
        assert WorkflowRepository(session).many([workflow_id]) == []
        assert WorkflowRepository(session).stored([workflow_id]) == []


def test_a_deleted_workflow_whose_row_still_says_active_and_due_is_not_read(
    sessions: sessionmaker[Session],
) -> None:
    # Deleting pauses a workflow and clears its next run; a row changed outside the use
    # cases (by hand, a restored backup) may not say so.
    workflow_id = deleted_workflow(sessions)
    with transaction(sessions) as session:
        session.execute(
            update(Workflow)
            .where(Workflow.id == workflow_id)
            .values(status=WorkflowStatus.ACTIVE.value, next_run_at=DUE)
        )

    with transaction(sessions) as session:
        assert reads(session) == NOTHING


def test_a_live_active_workflow_is_read(sessions: sessionmaker[Session]) -> None:
    # The reads above find something at all: the same workflow, not deleted.
    import_deals(sessions, [deal("D1")], START)
    save(sessions, workflow_document(schedule=daily("09:00")), START)

    with transaction(sessions) as session:
        found = reads(session)

    assert all(found[read] for read in NOTHING), found
