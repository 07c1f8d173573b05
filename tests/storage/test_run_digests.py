"""RunDigestRepository on both databases: a kept layout replaces the one kept before, is read
back only for the action it was laid out for, is forgotten with its run's workflow, and two
processes keeping the same one at once both succeed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.vocabulary import RunSource
from storage.database import transaction, write_transaction
from storage.models import RunDigest, Workflow
from storage.run_digests import RunDigestRepository
from storage.runs import NewRun, RunRepository
from storage.workflows import WorkflowRepository
from tests.engine.builders import deal, import_deals, save, workflow_document

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
ACTION = "action-fingerprint-1"


@pytest.fixture
def run_id(sessions: sessionmaker[Session]) -> int:
    import_deals(sessions, [deal("D1", "Acme")], NOW)
    workflow_id = save(sessions, workflow_document(), NOW).workflow_id
    with write_transaction(sessions) as session:
        added = RunRepository(session).add(
            NewRun(workflow_id, 1, "by hand", NOW, RunSource.MANUAL), NOW
        )
    assert added is not None
    return added


def _kept(sessions: sessionmaker[Session], run_id: int, action: str = ACTION) -> list[str] | None:
    with transaction(sessions) as session:
        return RunDigestRepository(session).sections(run_id, 0, action)


def test_keeping_a_layout_again_replaces_the_one_kept_before(
    sessions: sessionmaker[Session], run_id: int
) -> None:
    with write_transaction(sessions) as session:
        RunDigestRepository(session).keep(run_id, 0, ACTION, ["A"], NOW)
    with write_transaction(sessions) as session:
        RunDigestRepository(session).keep(run_id, 0, ACTION, ["B", "C"], NOW)

    assert _kept(sessions, run_id) == ["B", "C"]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(RunDigest)) == 1


def test_a_layout_kept_for_another_version_of_the_action_is_not_read_back(
    sessions: sessionmaker[Session], run_id: int
) -> None:
    with write_transaction(sessions) as session:
        RunDigestRepository(session).keep(run_id, 0, ACTION, ["A"], NOW)

    assert _kept(sessions, run_id, "action-fingerprint-2") is None
    assert _kept(sessions, run_id) == ["A"]


def test_a_forgotten_layout_is_read_back_as_none(
    sessions: sessionmaker[Session], run_id: int
) -> None:
    with write_transaction(sessions) as session:
        digests = RunDigestRepository(session)
        digests.keep(run_id, 0, ACTION, ["A"], NOW)
        digests.keep(run_id, 1, ACTION, ["B"], NOW)
    with write_transaction(sessions) as session:
        RunDigestRepository(session).forget(run_id, 0)

    assert _kept(sessions, run_id) is None
    with transaction(sessions) as session:
        assert RunDigestRepository(session).sections(run_id, 1, ACTION) == ["B"]


def test_purging_a_workflow_deletes_its_runs_layouts(
    sessions: sessionmaker[Session], run_id: int
) -> None:
    with write_transaction(sessions) as session:
        RunDigestRepository(session).keep(run_id, 0, ACTION, ["A"], NOW)
    with write_transaction(sessions) as session:
        repository = WorkflowRepository(session)
        repository.delete(session.scalars(select(Workflow)).one())

    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(RunDigest)) == 0


def test_two_processes_keeping_the_same_layout_at_once_both_succeed(
    sessions: sessionmaker[Session], run_id: int
) -> None:
    """On PostgreSQL the second waits for the first's row, then replaces it: it does not
    fail on the primary key. (SQLite takes one writer at a time.)"""
    first_kept = threading.Event()
    errors: list[BaseException] = []

    def keep_second() -> None:
        first_kept.wait()
        try:
            with write_transaction(sessions) as session:
                RunDigestRepository(session).keep(run_id, 0, ACTION, ["B"], NOW)
        except BaseException as error:  # the test reports it below, from its own thread
            errors.append(error)

    second = threading.Thread(target=keep_second)
    second.start()
    with write_transaction(sessions) as session:
        RunDigestRepository(session).keep(run_id, 0, ACTION, ["A"], NOW)
        first_kept.set()
        # Long enough for the second to reach our uncommitted row and wait for it.
        second.join(timeout=timedelta(seconds=1).total_seconds())
    second.join()

    assert errors == []
    assert _kept(sessions, run_id) == ["B"]
