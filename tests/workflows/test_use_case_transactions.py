"""Use cases own their transaction: what one writes is committed together when it succeeds,
and nothing of it stays when the database refuses a later write (on both databases).

The refusal is the database's own: a trigger that rejects inserts into one table, standing
for a constraint or an outage half-way through the use case."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows import manual_enrollment, workflow_requests
from bot.workflows.lifecycle import Actor
from bot.workflows.manual_enrollment import ManualEnrollment, MessageRecord
from bot.workflows.vocabulary import RunStatus, WorkflowEventKind, WorkflowStatus
from storage.models import Enrollment, Record, Run, WorkflowEvent
from storage.unit_of_work import UnitOfWork
from tests.engine.builders import (
    NAME,
    OWNER,
    TEAM,
    deal,
    import_deals,
    record_ids,
    save,
    workflow,
    workflow_document,
)

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
OWNER_ACTOR = Actor(OWNER)
MESSAGE = MessageRecord(
    name="Umbrella asks for a call",
    message_id="C0GENERAL-1762070400.000100",
    permalink="https://example.slack.com/archives/C0GENERAL/p1762070400000100",
    author="U0AUTHOR",
)
Refuse = Callable[[str], None]


@pytest.fixture
def work(sessions: sessionmaker[Session]) -> UnitOfWork:
    return UnitOfWork(sessions)


@pytest.fixture
def workflow_id(sessions: sessionmaker[Session]) -> int:
    """An active deals workflow of OWNER, with two deals: D1 Initech, D2 Acme."""
    import_deals(sessions, [deal("D1", "Initech"), deal("D2", "Acme")], NOW)
    return save(sessions, workflow_document(), NOW).workflow_id


@pytest.fixture
def refuse_inserts(engine: Engine) -> Iterator[Refuse]:
    """Makes the database refuse every insert into a table, until the test ends."""
    refused: list[str] = []
    postgres = engine.dialect.name == "postgresql"

    def refuse(table: str) -> None:
        with engine.begin() as connection:
            if postgres:
                connection.execute(
                    text(
                        "CREATE OR REPLACE FUNCTION refuse_insert() RETURNS trigger "
                        "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$"
                    )
                )
                connection.execute(
                    text(
                        f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                        "FOR EACH ROW EXECUTE FUNCTION refuse_insert()"
                    )
                )
            else:
                connection.execute(
                    text(
                        f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                        "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                    )
                )
        refused.append(table)

    yield refuse
    # PostgreSQL's schema outlives the test: take the triggers away again.
    with engine.begin() as connection:
        for table in refused:
            connection.execute(text(f"DROP TRIGGER refuse_{table}" + f" ON {table}" * postgres))
        if postgres and refused:
            connection.execute(text("DROP FUNCTION refuse_insert()"))


def _count(sessions: sessionmaker[Session], model: type[object]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _message_records(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        query = select(Record.external_id).where(Record.external_id.startswith("message-"))
        return list(session.scalars(query))


def _run_statuses(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(Run.status).order_by(Run.id)))


def test_an_enrollment_commits_the_message_record_the_run_and_its_enrollments_together(
    sessions: sessionmaker[Session], work: UnitOfWork, workflow_id: int
) -> None:
    request = ManualEnrollment(workflow_id, (record_ids(sessions)["D2"],), MESSAGE)

    enrolled = manual_enrollment.enroll(work, TEAM, request, OWNER_ACTOR, NOW)

    assert _message_records(sessions) == ["message-" + MESSAGE.message_id]
    assert _run_statuses(sessions) == [RunStatus.PENDING.value]
    with sessions() as session:
        query = select(func.count()).where(Enrollment.run_id == enrolled.run_id)
        assert session.scalar(query) == 2


def test_an_enrollment_the_database_refuses_half_way_leaves_no_record_and_no_run(
    sessions: sessionmaker[Session], work: UnitOfWork, workflow_id: int, refuse_inserts: Refuse
) -> None:
    request = ManualEnrollment(workflow_id, (record_ids(sessions)["D2"],), MESSAGE)
    refuse_inserts("enrollments")  # after the record and the run are written

    with pytest.raises(DBAPIError):
        manual_enrollment.enroll(work, TEAM, request, OWNER_ACTOR, NOW)

    assert _message_records(sessions) == []
    assert _run_statuses(sessions) == []
    assert _count(sessions, Record) == 2


def test_pausing_commits_the_status_the_cancelled_run_and_the_event_together(
    sessions: sessionmaker[Session], work: UnitOfWork, workflow_id: int
) -> None:
    workflow_requests.run_all_matching(work, TEAM, NAME, OWNER_ACTOR, NOW)
    events_before = _count(sessions, WorkflowEvent)

    changed = workflow_requests.change_status(
        work, TEAM, NAME, WorkflowStatus.PAUSED, OWNER_ACTOR, NOW
    )

    assert (changed.status, changed.next_run) == (WorkflowStatus.PAUSED, None)
    paused = workflow(sessions)
    assert paused is not None and paused.status == WorkflowStatus.PAUSED.value
    assert _run_statuses(sessions) == [RunStatus.CANCELLED.value]
    with sessions() as session:
        kinds = session.scalars(select(WorkflowEvent.kind).order_by(WorkflowEvent.id))
        assert list(kinds)[events_before:] == [WorkflowEventKind.PAUSED.value]


def test_a_pause_the_database_refuses_half_way_leaves_the_workflow_active_and_its_run_pending(
    sessions: sessionmaker[Session], work: UnitOfWork, workflow_id: int, refuse_inserts: Refuse
) -> None:
    workflow_requests.run_all_matching(work, TEAM, NAME, OWNER_ACTOR, NOW)
    before = workflow(sessions)
    assert before is not None
    refuse_inserts("workflow_events")  # the last write: the status and run changed already

    with pytest.raises(DBAPIError):
        workflow_requests.change_status(work, TEAM, NAME, WorkflowStatus.PAUSED, OWNER_ACTOR, NOW)

    after = workflow(sessions)
    assert after is not None
    assert (after.status, after.next_run_at) == (WorkflowStatus.ACTIVE.value, before.next_run_at)
    assert _run_statuses(sessions) == [RunStatus.PENDING.value]
