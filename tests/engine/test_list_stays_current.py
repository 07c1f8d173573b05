"""The list of workflows keeps what it worked out from a schedule and its settings (by their
stored text) between requests, but reads the workflows and their runs every time: an edit, a
pause, a pause day or a run made by another process shows in the next list, on both
databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.lifecycle import CLI_ACTOR, set_status
from bot.workflows.overview import WorkflowLine, list_workflows
from bot.workflows.vocabulary import WorkflowStatus
from storage.database import make_engine, session_factory, transaction, write_transaction
from tests.engine.builders import NAME, TEAM, daily, deal, import_deals, save, workflow_document
from tests.engine.conftest import Processes

# Monday 2 Nov 2026, 08:00 UTC: the workflow (daily at 09:00 UTC) runs next at nine today.
SAVED_AT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
NINE_TODAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OTHER_TEAM = "T0OTHER"


@pytest.fixture
def other_process(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on an engine of their own, as another process of the bot has: nothing this
    process keeps is told of their writes."""
    engine = make_engine(database_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture(autouse=True)
def _a_deal(sessions: sessionmaker[Session]) -> None:
    """The deals type the workflows read, with a deal for their runs to enroll."""
    import_deals(sessions, [deal("D1", "Deal 1")], SAVED_AT)


def _listed(sessions: sessionmaker[Session], now: datetime, team: str = TEAM) -> WorkflowLine:
    with transaction(sessions) as session:
        [line] = list_workflows(session, team, now=now)
    return line


def test_an_edit_of_the_schedule_by_another_process_shows_in_the_next_list(
    sessions: sessionmaker[Session], other_process: sessionmaker[Session]
) -> None:
    save(other_process, workflow_document(), SAVED_AT)
    before = _listed(sessions, SAVED_AT)
    assert before.next_run == NINE_TODAY and "09:00" in before.schedule

    save(other_process, workflow_document(schedule=daily("17:45")), SAVED_AT)

    after = _listed(sessions, SAVED_AT)
    assert after.next_run == datetime(2026, 11, 2, 17, 45, tzinfo=UTC)
    assert "17:45" in after.schedule and "09:00" not in after.schedule
    assert after.revision == before.revision + 1


def test_a_pause_day_added_by_another_process_moves_the_next_run(
    sessions: sessionmaker[Session], other_process: sessionmaker[Session]
) -> None:
    save(other_process, workflow_document(), SAVED_AT)
    assert _listed(sessions, SAVED_AT).next_run == NINE_TODAY

    skip_today = {"pause_days": ["2026-11-02"], "on_pause_day": "skip"}
    save(other_process, workflow_document(settings=skip_today), SAVED_AT)

    # The same schedule, other settings: the next run is worked out again.
    assert _listed(sessions, SAVED_AT).next_run == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def test_a_pause_by_another_process_shows_in_the_next_list(
    sessions: sessionmaker[Session], other_process: sessionmaker[Session]
) -> None:
    save(other_process, workflow_document(), SAVED_AT)
    assert _listed(sessions, SAVED_AT).status == WorkflowStatus.ACTIVE.value

    with write_transaction(other_process) as session:
        set_status(session, TEAM, NAME, WorkflowStatus.PAUSED, CLI_ACTOR, SAVED_AT)

    paused = _listed(sessions, SAVED_AT)
    assert paused.status == WorkflowStatus.PAUSED.value and paused.next_run is None


def test_a_run_that_finished_shows_as_the_last_run_and_the_next_one_moves_on(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    save(sessions, workflow_document(), SAVED_AT)
    before = _listed(sessions, SAVED_AT)
    assert before.last_run is None and before.next_run == NINE_TODAY

    clock.set(datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC))
    [(run_id, _)] = processes.start().tick()

    after = _listed(sessions, clock.now())
    assert after.last_run is not None
    assert (after.last_run.id, after.last_run.status) == (run_id, "succeeded")
    assert after.next_run == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def test_the_runs_of_another_workspace_stay_out_of_the_list(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    import_deals(sessions, [deal("D1", "Deal 1")], SAVED_AT, team=OTHER_TEAM)
    save(sessions, workflow_document(), SAVED_AT, team=OTHER_TEAM)
    clock.set(datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC))
    [_ran] = processes.start().tick()
    save(sessions, workflow_document(), clock.now())

    ours = _listed(sessions, clock.now())
    theirs = _listed(sessions, clock.now(), OTHER_TEAM)

    assert ours.last_run is None and theirs.last_run is not None
