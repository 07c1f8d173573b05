"""Changing workflows while the engine runs them: edits, pause and activation, deletion, who
may change what, and records enrolled by hand."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from threading import Event, Thread

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.lifecycle import (
    CLI_ACTOR,
    Actor,
    NameTaken,
    PermissionDenied,
    UnknownWorkflow,
    WorkflowError,
    delete_workflow,
    enroll_records,
    get_workflow,
    pause_workspace,
    request_run,
    save_workflow,
    set_status,
)
from bot.workflows.vocabulary import RunSource, RunStatus, WorkflowStatus
from storage.database import transaction
from storage.models import Workflow
from tests.engine.builders import (
    DEALS_CHANNEL,
    NAME,
    OWNER,
    TEAM,
    count_runs,
    daily,
    deal,
    enrollments,
    import_deals,
    record_ids,
    results,
    run,
    runs,
    save,
    workflow,
    workflow_document,
)
from tests.engine.conftest import Processes
from tests.slack_standin import SlackStandIn

OCCURRENCE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OWNER_ACTOR = Actor(OWNER)


@pytest.fixture
def saved(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    import_deals(
        sessions,
        [deal("D1"), deal("D2"), deal("WON", stage="won"), deal("WON2", stage="won")],
        clock.now(),
    )
    save(sessions, workflow_document(), clock.now())


def change_status(
    sessions: sessionmaker[Session],
    status: WorkflowStatus,
    now: datetime,
    actor: Actor = OWNER_ACTOR,
) -> None:
    with transaction(sessions) as session:
        set_status(session, TEAM, NAME, status, actor, now)


@pytest.mark.usefixtures("saved")
def test_an_edit_bumps_the_revision_cancels_pending_runs_and_reschedules_from_now(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    bot = processes.start_on_console()
    clock.set(OCCURRENCE + timedelta(seconds=5))
    bot.plan()  # the run is planned, not yet claimed
    [planned] = runs(sessions)
    assert planned.status == RunStatus.PENDING

    clock.set(OCCURRENCE + timedelta(seconds=10))
    edited = save(sessions, workflow_document(schedule=daily("10:00")), clock.now(), OWNER_ACTOR)

    assert (edited.created, edited.revision) == (False, 2)
    assert edited.next_run_at == OCCURRENCE + timedelta(hours=1)
    cancelled = run(sessions, planned.id)
    assert cancelled.status == RunStatus.CANCELLED
    assert cancelled.reason == "the workflow was edited"
    assert bot.tick() == []

    clock.set(OCCURRENCE + timedelta(hours=1, seconds=5))
    [(run_id, status)] = bot.tick()
    assert status is RunStatus.SUCCEEDED
    assert run(sessions, run_id).revision == 2


@pytest.mark.usefixtures("saved")
def test_pausing_clears_the_next_run_and_cancels_pending_runs(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    bot = processes.start_on_console()
    clock.set(OCCURRENCE + timedelta(seconds=5))
    bot.plan()

    change_status(sessions, WorkflowStatus.PAUSED, clock.now())

    paused = workflow(sessions)
    assert paused is not None
    assert (paused.status, paused.next_run_at) == (WorkflowStatus.PAUSED.value, None)
    [cancelled] = runs(sessions)
    assert cancelled.status == RunStatus.CANCELLED
    clock.set(OCCURRENCE + timedelta(days=1, seconds=5))
    assert bot.tick() == []
    assert bot.next_wake_up() is None


@pytest.mark.usefixtures("saved")
def test_activating_after_a_long_pause_starts_from_now_without_a_burst_of_runs(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    change_status(sessions, WorkflowStatus.PAUSED, clock.now())
    bot = processes.start_on_console()
    clock.set(datetime(2026, 11, 12, 15, 0, tzinfo=UTC))  # ten days later

    change_status(sessions, WorkflowStatus.ACTIVE, clock.now())

    active = workflow(sessions)
    assert active is not None and active.next_run_at == datetime(2026, 11, 13, 9, tzinfo=UTC)
    assert bot.tick() == []
    assert count_runs(sessions) == 0  # not even missed rows for the paused days
    clock.set(datetime(2026, 11, 13, 9, 0, 5, tzinfo=UTC))
    assert len(bot.tick()) == 1
    assert count_runs(sessions) == 1


@pytest.mark.usefixtures("saved")
def test_deleting_a_workflow_hides_it_and_stops_it_but_keeps_its_runs(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    bot = processes.start_on_console()
    clock.set(OCCURRENCE + timedelta(seconds=5))
    bot.tick()
    assert count_runs(sessions) == 1

    with transaction(sessions) as session:
        delete_workflow(session, TEAM, NAME, OWNER_ACTOR, now=clock.now())

    assert workflow(sessions) is None
    assert count_runs(sessions) == 1  # restorable with its runs (tests/engine/test_audit.py)
    clock.set(OCCURRENCE + timedelta(days=1, seconds=5))
    assert bot.tick() == []


def _edit(session: Session, actor: Actor, now: datetime) -> object:
    return save_workflow(
        session, TEAM, workflow_document(schedule=daily("10:00")), actor, "UTC", now
    )


CHANGES: dict[str, Callable[[Session, Actor, datetime], object]] = {
    "edit": _edit,
    "pause": lambda s, a, now: set_status(s, TEAM, NAME, WorkflowStatus.PAUSED, a, now),
    "delete": lambda s, a, now: delete_workflow(s, TEAM, NAME, a, now=now),
    "run": lambda s, a, now: request_run(s, TEAM, NAME, a, now),
    "enroll": lambda s, a, now: enroll_records(s, TEAM, NAME, ["D1"], a, now),
}


@pytest.mark.parametrize("change", list(CHANGES))
@pytest.mark.usefixtures("saved")
def test_someone_neither_owner_nor_admin_may_not_change_a_workflow(
    sessions: sessionmaker[Session], clock: FixedClock, change: str
) -> None:
    before = workflow(sessions)
    assert before is not None

    with pytest.raises(PermissionDenied) as denied, transaction(sessions) as session:
        CHANGES[change](session, Actor("U0SOMEONE"), clock.now())

    assert f"(user {OWNER})" in str(denied.value)
    after = workflow(sessions)
    assert after is not None
    assert (after.revision, after.status, after.next_run_at, after.schedule) == (
        before.revision,
        before.status,
        before.next_run_at,
        before.schedule,
    )
    assert count_runs(sessions) == 0


@pytest.mark.usefixtures("saved")
def test_an_admin_may_change_someone_elses_workflow(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with transaction(sessions) as session:
        _edit(session, Actor("U0ADMIN", is_admin=True), clock.now())

    edited = workflow(sessions)
    assert edited is not None and edited.revision == 2


@pytest.mark.usefixtures("saved")
def test_an_unknown_workflow_name_suggests_close_matches(
    sessions: sessionmaker[Session],
) -> None:
    with pytest.raises(UnknownWorkflow) as unknown, sessions() as session:
        get_workflow(session, TEAM, "Deal reveiw")

    assert unknown.value.close_matches == [NAME]
    assert f"Did you mean {NAME!r}?" in str(unknown.value)


@pytest.mark.usefixtures("saved")
def test_enrolled_records_get_the_actions_at_once_even_when_they_do_not_match(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    clock.set(datetime(2026, 11, 2, 14, 0, tzinfo=UTC))  # hours from the next occurrence
    with transaction(sessions) as session:
        run_id = enroll_records(session, TEAM, NAME, ["WON", "D1", "WON"], OWNER_ACTOR, clock.now())

    [(executed, status)] = processes.start().tick()

    assert (executed, status) == (run_id, RunStatus.SUCCEEDED)
    assert sorted(m["text"] for m in slack_api.posted_messages(DEALS_CHANNEL)) == [
        "Deal D1 is in contract",
        "Deal WON is in contract",
    ]
    ids = record_ids(sessions)
    assert {(e.record_id, e.source, e.enrolled_by) for e in enrollments(sessions, run_id)} == {
        (ids["WON"], RunSource.MANUAL.value, OWNER),
        (ids["D1"], RunSource.MANUAL.value, OWNER),
    }
    assert len(results(sessions, run_id)) == 2
    assert run(sessions, run_id).triggered_by == OWNER


@pytest.mark.usefixtures("saved")
def test_unknown_record_ids_are_refused_together_and_nothing_is_enrolled(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with pytest.raises(WorkflowError) as refused, transaction(sessions) as session:
        enroll_records(session, TEAM, NAME, ["D1", "NOPE", "GONE"], OWNER_ACTOR, clock.now())

    assert "NOPE, GONE" in str(refused.value)
    assert count_runs(sessions) == 0


@pytest.mark.usefixtures("saved")
def test_a_requested_run_enrolls_every_matching_record_in_the_name_of_who_asked(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    clock.set(datetime(2026, 11, 2, 14, 0, tzinfo=UTC))
    with transaction(sessions) as session:
        run_id = request_run(session, TEAM, NAME, OWNER_ACTOR, clock.now()).run_id

    [(executed, status)] = processes.start().tick()

    assert (executed, status) == (run_id, RunStatus.SUCCEEDED)
    ids = record_ids(sessions)
    assert {(e.record_id, e.source, e.enrolled_by) for e in enrollments(sessions, run_id)} == {
        (ids["D1"], RunSource.MANUAL.value, OWNER),
        (ids["D2"], RunSource.MANUAL.value, OWNER),
    }
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 2


def test_pausing_a_workspace_pauses_its_active_workflows_only_and_cancels_their_runs(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    import_deals(sessions, [deal("D1")], clock.now())
    import_deals(sessions, [deal("D1")], clock.now(), team="T2")
    save(sessions, workflow_document(name="Active"), clock.now())
    save(sessions, workflow_document(name="Draft", status="draft"), clock.now())
    save(sessions, workflow_document(name="Elsewhere"), clock.now(), team="T2")
    bot = processes.start_on_console()
    clock.set(OCCURRENCE + timedelta(seconds=5))
    bot.plan()

    with transaction(sessions) as session:
        paused = pause_workspace(session, TEAM, clock.now(), "workflow-bot was uninstalled")

    assert paused == ["Active"]
    active = workflow(sessions, "Active")
    assert active is not None
    assert (active.status, active.next_run_at) == (WorkflowStatus.PAUSED.value, None)
    draft = workflow(sessions, "Draft")
    assert draft is not None and draft.status == WorkflowStatus.DRAFT.value
    elsewhere = workflow(sessions, "Elsewhere")
    assert elsewhere is not None and elsewhere.status == WorkflowStatus.ACTIVE.value
    statuses = {r.workflow_id: (r.status, r.reason) for r in runs(sessions)}
    assert statuses[active.id] == (
        RunStatus.CANCELLED.value,
        "workflow-bot was uninstalled",
    )
    assert statuses[elsewhere.id][0] == RunStatus.PENDING.value
    [(_, status)] = bot.tick()  # only the other workspace's run
    assert status is RunStatus.SUCCEEDED


def test_renaming_onto_another_workflows_name_is_refused_and_nothing_is_written(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    import_deals(sessions, [deal("D1")], clock.now())
    saved = save(sessions, workflow_document(), clock.now())
    save(sessions, workflow_document(name="Other"), clock.now())

    with pytest.raises(NameTaken, match="'Other' already exists"), transaction(sessions) as s:
        document = workflow_document(name="Other", status="paused")
        save_workflow(s, TEAM, document, OWNER_ACTOR, "UTC", clock.now(), saved.workflow_id)

    stored = workflow(sessions)
    assert stored is not None and (stored.revision, stored.status) == (1, "active")


SAME_NAME_MESSAGE = (
    "A workflow named 'Deal review' already exists, and names that differ only in case are "
    "the same name: choose another name."
)


@pytest.mark.parametrize("other_case", [NAME.upper(), NAME.lower(), f"  {NAME.swapcase()} "])
def test_a_new_workflow_whose_name_differs_only_in_case_is_refused(
    sessions: sessionmaker[Session], clock: FixedClock, other_case: str
) -> None:
    import_deals(sessions, [deal("D1")], clock.now())
    save(sessions, workflow_document(), clock.now())

    with pytest.raises(NameTaken) as caught:
        save(sessions, workflow_document(name=other_case), clock.now())

    assert str(caught.value) == SAME_NAME_MESSAGE
    assert count_workflows(sessions) == 1


def test_names_are_compared_with_full_unicode_case_folding(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    import_deals(sessions, [deal("D1")], clock.now())
    save(sessions, workflow_document(name="Straße"), clock.now())

    with pytest.raises(NameTaken, match="'Straße' already exists, and names that differ"):
        save(sessions, workflow_document(name="STRASSE"), clock.now())


def test_renaming_onto_another_workflows_name_in_another_case_is_refused(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    import_deals(sessions, [deal("D1")], clock.now())
    saved = save(sessions, workflow_document(name="Other"), clock.now())
    save(sessions, workflow_document(), clock.now())

    with pytest.raises(NameTaken) as caught, transaction(sessions) as s:
        document = workflow_document(name="DEAL REVIEW")
        save_workflow(s, TEAM, document, OWNER_ACTOR, "UTC", clock.now(), saved.workflow_id)

    assert str(caught.value) == SAME_NAME_MESSAGE
    assert workflow(sessions, "Other") is not None


def test_a_workflow_can_be_renamed_to_its_own_name_in_another_case(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    import_deals(sessions, [deal("D1")], clock.now())
    saved = save(sessions, workflow_document(), clock.now())

    with transaction(sessions) as s:
        document = workflow_document(name=NAME.upper())
        save_workflow(s, TEAM, document, OWNER_ACTOR, "UTC", clock.now(), saved.workflow_id)

    renamed = workflow(sessions, NAME.upper())
    assert renamed is not None and renamed.id == saved.workflow_id


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_concurrent_save_of_the_name_in_another_case_is_refused_as_taken(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    """Both saves check the name before either commits; the unique index on lower(name)
    stops the later one, which must still say the name is taken."""
    import_deals(sessions, [deal("D1")], clock.now())
    first_saved, first_may_commit, second_started = Event(), Event(), Event()
    second_pid: list[int] = []
    second_outcome: list[BaseException] = []

    def first() -> None:
        with transaction(sessions) as session:
            save_workflow(session, TEAM, workflow_document(), CLI_ACTOR, "UTC", clock.now())
            first_saved.set()
            first_may_commit.wait(30)

    def second() -> None:
        try:
            with transaction(sessions) as session:
                second_pid.append(session.scalar(text("SELECT pg_backend_pid()")) or 0)
                second_started.set()
                document = workflow_document(name=NAME.upper())
                save_workflow(session, TEAM, document, CLI_ACTOR, "UTC", clock.now())
        except BaseException as error:  # handed to the test's thread
            second_outcome.append(error)

    first_thread = Thread(target=first)
    first_thread.start()
    assert first_saved.wait(30)
    second_thread = Thread(target=second)
    second_thread.start()
    assert second_started.wait(30)
    _wait_until_blocked(sessions, second_pid[0])  # past its check, waiting on the index
    first_may_commit.set()
    first_thread.join(30)
    second_thread.join(30)

    assert len(second_outcome) == 1 and isinstance(second_outcome[0], NameTaken)
    assert str(second_outcome[0]) == SAME_NAME_MESSAGE
    assert count_workflows(sessions) == 1


def _wait_until_blocked(sessions: sessionmaker[Session], pid: int) -> None:
    query = text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with sessions() as session:
            if session.scalar(query, {"pid": pid}) == "Lock":
                return
        time.sleep(0.01)
    raise AssertionError("the second save never waited for the first one's name")


def count_workflows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Workflow)) or 0


def test_a_requested_run_names_the_workflow_as_stored(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    import_deals(sessions, [deal("D1")], clock.now())
    save(sessions, workflow_document(), clock.now())

    with transaction(sessions) as session:
        requested = request_run(session, TEAM, NAME.upper(), OWNER_ACTOR, clock.now())

    assert requested.workflow_name == NAME
    assert [r.id for r in runs(sessions)] == [requested.run_id]
