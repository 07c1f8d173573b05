"""Planning occurrences into runs: one run per occurrence whoever ticks, missed occurrences,
a run that waits for the previous one, pause days, and daylight-saving changes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.planner import _due_occurrences, next_run_after
from bot.workflows.schedules import Schedule
from bot.workflows.vocabulary import RunStatus
from storage.models import Workflow
from tests.engine.builders import (
    SUMMARY_CHANNEL,
    daily,
    deal,
    import_deals,
    runs,
    save,
    workflow,
    workflow_document,
)
from tests.engine.conftest import Processes
from tests.workflows.test_schedules import afters, specs

ALWAYS_SUMMARISE = {"summary_channel": SUMMARY_CHANNEL, "summary": "always"}


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def deals(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    import_deals(sessions, [deal("D1"), deal("D2")], clock.now())


# -- one run per occurrence ----------------------------------------------------------------


@pytest.mark.usefixtures("deals")
def test_each_occurrence_becomes_one_run_keyed_by_its_local_wall_time(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    # 10:00 in Berlin is 09:00 UTC in November: the key is the wall time people read.
    save(sessions, workflow_document(schedule=daily("10:00", "Europe/Berlin")), clock.now())
    bot = processes.start_on_console()

    clock.set(at(2, 9, 0, 5))
    [(run_id, status)] = bot.tick()
    clock.set(at(3, 9, 0, 5))
    [(next_id, next_status)] = bot.tick()

    assert (status, next_status) == (RunStatus.SUCCEEDED, RunStatus.SUCCEEDED)
    assert [(r.id, r.occurrence_key, r.scheduled_at) for r in runs(sessions)] == [
        (run_id, "2026-11-02T10:00", at(2, 9)),
        (next_id, "2026-11-03T10:00", at(3, 9)),
    ]


@pytest.mark.usefixtures("deals")
def test_ticking_again_at_the_same_instant_neither_plans_nor_runs_a_second_run(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    save(sessions, workflow_document(), clock.now())
    bot = processes.start_on_console()
    clock.set(at(2, 9, 0, 5))

    assert len(bot.tick()) == 1
    assert bot.tick() == []
    assert len(runs(sessions)) == 1
    assert processes.console.getvalue().count("is in contract") == 2  # D1 and D2, once each


@pytest.mark.usefixtures("deals")
def test_another_process_ticking_at_the_same_time_finds_nothing_to_do(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    save(sessions, workflow_document(), clock.now())
    first, second = processes.start_on_console("host-1"), processes.start_on_console("host-2")
    clock.set(at(2, 9, 0, 5))

    assert len(first.tick()) == 1
    assert second.tick() == []
    [only] = runs(sessions)
    assert only.status == RunStatus.SUCCEEDED and only.attempts == 1


@pytest.mark.usefixtures("deals")
def test_processes_ticking_at_once_run_each_occurrence_once(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    names = [f"Review {n}" for n in range(4)]
    for name in names:
        save(sessions, workflow_document(name=name), clock.now())
    bots = [processes.start_on_console(f"host-{n}") for n in range(3)]
    clock.set(at(2, 9, 0, 5))
    start = threading.Barrier(len(bots))
    executed: list[int] = []
    failures: list[BaseException] = []

    def tick(bot_index: int) -> None:
        start.wait()
        try:
            executed.extend(run_id for run_id, _ in bots[bot_index].tick())
        except BaseException as error:  # reported below: a thread's exception is otherwise lost
            failures.append(error)

    threads = [threading.Thread(target=tick, args=(n,)) for n in range(len(bots))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sorted(executed) == sorted(r.id for r in runs(sessions))
    assert len(executed) == len(names)
    assert {r.status for r in runs(sessions)} == {RunStatus.SUCCEEDED}
    assert processes.console.getvalue().count("is in contract") == 2 * len(names)


# -- missed occurrences --------------------------------------------------------------------


@pytest.mark.usefixtures("deals")
def test_after_three_days_down_the_latest_occurrence_runs_once_and_older_ones_are_missed(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    save(sessions, workflow_document(settings=ALWAYS_SUMMARISE), clock.now())
    clock.set(at(5, 9, 30))  # 30 min late, within the default catch-up window of 60 min

    [(run_id, status)] = processes.start_on_console().tick()

    planned = runs(sessions)
    assert [(r.occurrence_key, r.status) for r in planned] == [
        ("2026-11-02T09:00", RunStatus.MISSED),
        ("2026-11-03T09:00", RunStatus.MISSED),
        ("2026-11-04T09:00", RunStatus.MISSED),
        ("2026-11-05T09:00", RunStatus.SUCCEEDED),
    ]
    assert {r.reason for r in planned[:3]} == {"the bot was not running at that time"}
    assert planned[-1].id == run_id and status is RunStatus.SUCCEEDED
    assert len(planned[-1].summary["missed"]) == 3
    output = processes.console.getvalue()
    assert output.count("is in contract") == 2
    assert (
        "Missed since the last run (the bot was not running): "
        "2026-11-02 09:00, 2026-11-03 09:00, 2026-11-04 09:00"
    ) in output
    found = workflow(sessions)
    assert found is not None and found.next_run_at == at(6, 9)


@pytest.mark.usefixtures("deals")
def test_beyond_the_catch_up_window_the_latest_is_missed_too_and_the_next_run_says_so(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    save(sessions, workflow_document(settings=ALWAYS_SUMMARISE), clock.now())
    bot = processes.start_on_console()
    clock.set(at(5, 11, 0))  # two hours late

    assert bot.tick() == []
    planned = runs(sessions)
    assert [r.status for r in planned] == [RunStatus.MISSED] * 4
    assert planned[-1].reason == ("120 min late, beyond the catch-up window of 60 min")
    assert processes.console.getvalue() == ""

    clock.set(at(6, 9, 0, 5))
    [(run_id, _)] = bot.tick()

    finished = next(r for r in runs(sessions) if r.id == run_id)
    assert finished.summary["missed"] == [
        "2026-11-02T09:00:00+00:00",
        "2026-11-03T09:00:00+00:00",
        "2026-11-04T09:00:00+00:00",
        "2026-11-05T09:00:00+00:00",
    ]
    assert "Missed since the last run" in processes.console.getvalue()


@pytest.mark.usefixtures("deals")
def test_a_catch_up_window_of_zero_still_runs_an_occurrence_a_few_seconds_late(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    save(sessions, workflow_document(settings={"catch_up_minutes": 0}), clock.now())
    bot = processes.start_on_console()

    clock.set(at(2, 9, 0, 5))
    on_time = bot.tick()
    clock.set(at(3, 9, 10))
    late = bot.tick()

    assert [status for _, status in on_time] == [RunStatus.SUCCEEDED]
    assert late == []
    second = runs(sessions)[-1]
    assert second.status == RunStatus.MISSED
    assert second.reason == "10 min late, beyond the catch-up window of 0 min"


# -- a run that is still executing ---------------------------------------------------------


@pytest.mark.usefixtures("deals")
def test_the_next_occurrence_waits_for_a_run_still_executing_and_then_runs(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    # 10:00 in Berlin is 09:00 UTC in November.
    document = workflow_document(
        schedule=daily("10:00", "Europe/Berlin"), settings=ALWAYS_SUMMARISE
    )
    save(sessions, document, clock.now())
    slow, other = processes.start_on_console("slow-host"), processes.start_on_console("other-host")
    clock.set(at(2, 9, 0, 5))
    slow.plan()
    first_id = slow.claim()
    assert first_id is not None

    # The slow process keeps renewing its lease while it works, into the next day.
    clock.set(at(3, 8, 59))
    slow.runner.renew(first_id)
    clock.set(at(3, 9, 0, 5))
    assert other.tick() == []
    waiting = runs(sessions)[-1]
    assert (waiting.occurrence_key, waiting.status) == ("2026-11-03T10:00", RunStatus.PENDING)

    clock.set(at(3, 9, 0, 30))
    assert slow.runner.execute(first_id) is RunStatus.SUCCEEDED
    clock.set(at(3, 12, 0))  # three hours after its time: waiting never drops an occurrence
    [(second_id, status)] = other.tick()

    assert second_id == waiting.id and status is RunStatus.SUCCEEDED
    second = runs(sessions)[-1]
    assert second.summary["waited_for"] == "2026-11-03T10:00:30+01:00"
    assert "Waited for the previous run, which finished at 10:00:30" in (
        processes.console.getvalue()
    )


# -- pause days ----------------------------------------------------------------------------


THANKSGIVING_WEEKLY = {
    "frequency": "weekly",
    "weekdays": ["thu"],
    "time": "07:00",
    "timezone": "America/New_York",
}


@pytest.mark.usefixtures("deals")
def test_on_a_holiday_a_deferring_workflow_runs_at_the_same_time_the_next_working_day(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    settings = {**ALWAYS_SUMMARISE, "holidays": "US", "on_pause_day": "defer"}
    clock.set(at(20, 12))
    save(sessions, workflow_document(schedule=THANKSGIVING_WEEKLY, settings=settings), clock.now())
    bot = processes.start_on_console()

    clock.set(at(26, 12, 0, 5))  # Thanksgiving, 07:00:05 in New York
    assert bot.tick() == []
    [deferred] = runs(sessions)
    assert deferred.occurrence_key == "2026-11-26T07:00"
    assert deferred.status == RunStatus.PENDING
    assert deferred.scheduled_at == at(27, 12)  # Friday, 07:00 in New York
    assert bot.next_wake_up() == at(27, 12)

    clock.set(at(27, 12, 0, 5))
    [(run_id, status)] = bot.tick()

    assert run_id == deferred.id and status is RunStatus.SUCCEEDED
    why = "2026-11-26 is a public holiday (Thanksgiving Day, US): deferred to 2026-11-27"
    assert f"Deferred: {why}" in processes.console.getvalue()
    [finished] = runs(sessions)
    # Why it was deferred is the run's reason; its summary holds only what the run did.
    assert (finished.reason, finished.deferred_from) == (why, at(26, 12))
    assert "deferred" not in finished.summary


@pytest.mark.parametrize(
    ("pause", "reason"),
    [
        (
            {"holidays": "US"},
            "2026-11-26 is a public holiday (Thanksgiving Day, US); the workflow skips public "
            "holidays",
        ),
        ({"pause_days": ["11-26"]}, "2026-11-26 is a pause day; the workflow skips them"),
    ],
    ids=["us-holidays", "listed-day"],
)
@pytest.mark.usefixtures("deals")
def test_on_a_pause_day_a_skipping_workflow_records_the_run_as_skipped(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    pause: dict[str, object],
    reason: str,
) -> None:
    settings = {**ALWAYS_SUMMARISE, **pause, "on_pause_day": "skip"}
    clock.set(at(20, 12))
    save(sessions, workflow_document(schedule=THANKSGIVING_WEEKLY, settings=settings), clock.now())
    bot = processes.start_on_console()

    clock.set(at(26, 12, 0, 5))
    assert bot.tick() == []
    clock.set(at(27, 12, 0, 5))
    assert bot.tick() == []

    [skipped] = runs(sessions)
    assert skipped.status == RunStatus.SKIPPED
    assert skipped.reason == reason
    assert processes.console.getvalue() == ""
    found = workflow(sessions)
    assert found is not None and found.next_run_at == at(3, 12, month=12)


# -- daylight-saving changes ---------------------------------------------------------------


@pytest.mark.usefixtures("deals")
def test_a_time_in_the_spring_forward_gap_runs_once_an_hour_later(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    clock.set(at(7, 12, month=3))
    save(sessions, workflow_document(schedule=daily("02:30", "America/New_York")), clock.now())
    bot = processes.start_on_console()

    clock.set(at(8, 7, 29, month=3))  # 02:29 EST; 02:00 EST became 03:00 EDT
    assert bot.tick() == []
    clock.set(at(8, 7, 30, 5, month=3))  # 03:30:05 EDT
    first = bot.tick()
    clock.set(at(8, 12, month=3))
    later_that_day = bot.tick()

    assert len(first) == 1 and later_that_day == []
    [run] = runs(sessions)
    assert (run.occurrence_key, run.scheduled_at) == ("2026-03-08T02:30", at(8, 7, 30, month=3))
    assert bot.next_wake_up() == at(9, 6, 30, month=3)  # 02:30 EDT


@pytest.mark.usefixtures("deals")
def test_a_time_repeated_by_the_fall_back_runs_once_at_its_first_instant(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    clock.set(at(24, 12, month=10))
    save(sessions, workflow_document(schedule=daily("02:30", "Europe/Berlin")), clock.now())
    bot = processes.start_on_console()

    clock.set(at(25, 0, 30, 5, month=10))  # 02:30:05 CEST, the first 02:30
    first = bot.tick()
    clock.set(at(25, 1, 30, 5, month=10))  # 02:30:05 CET, the second 02:30
    second = bot.tick()

    assert len(first) == 1 and second == []
    [run] = runs(sessions)
    assert (run.occurrence_key, run.scheduled_at) == ("2026-10-25T02:30", at(25, 0, 30, month=10))
    assert bot.next_wake_up() == at(26, 1, 30, month=10)


def test_planning_is_idempotent_even_when_the_next_run_was_not_moved(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    # Two planners that both read next_run_at before either moved it write one run: the
    # occurrence key is unique per workflow.
    import_deals(sessions, [deal("D1")], clock.now())
    saved = save(sessions, workflow_document(), clock.now())
    clock.set(at(2, 9, 0, 5))
    bot = processes.start_on_console()
    bot.plan()
    with sessions.begin() as session:
        found = session.get(Workflow, saved.workflow_id)
        assert found is not None
        found.next_run_at = at(2, 9)  # as if this planner's move had never happened
    bot.plan()

    assert len(runs(sessions)) == 1
    assert len(bot.tick()) == 1


@pytest.mark.usefixtures("deals")
def test_a_deferred_occurrence_landing_on_a_regular_run_does_not_run_twice(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    settings = {"pause_days": ["2026-11-03", "2026-11-04"], "on_pause_day": "defer"}
    save(sessions, workflow_document(settings=settings), clock.now())
    bot = processes.start_on_console()

    for day in (2, 3, 4, 5, 6):
        clock.set(at(day, 9, 0, 5))
        bot.tick()

    assert [(r.occurrence_key, r.status, r.scheduled_at) for r in runs(sessions)] == [
        ("2026-11-02T09:00", RunStatus.SUCCEEDED, at(2, 9)),
        ("2026-11-03T09:00", RunStatus.SKIPPED, at(3, 9)),
        ("2026-11-04T09:00", RunStatus.SKIPPED, at(4, 9)),
        ("2026-11-05T09:00", RunStatus.SUCCEEDED, at(5, 9)),
        ("2026-11-06T09:00", RunStatus.SUCCEEDED, at(6, 9)),
    ]
    skipped = runs(sessions)[1]
    assert skipped.reason == "2026-11-03 is a pause day: the run on 2026-11-05 covers it"
    assert processes.console.getvalue().count("Deal D1 is in contract") == 3


# -- the next run ---------------------------------------------------------------------------

# How far past the workflow's next run planning happens: at it, just after, a tick or a
# day later, or after a long time down.
LATE = st.one_of(
    st.sampled_from([timedelta(0), timedelta(microseconds=1), timedelta(seconds=5)]),
    st.sampled_from([timedelta(hours=1), timedelta(days=1)]),
    st.timedeltas(timedelta(0), timedelta(days=400)),
)


@settings(max_examples=300, deadline=None)
@given(spec=specs(), after=afters, skip=st.integers(0, 3), late=LATE, stray=st.booleans())
def test_the_next_run_planning_finds_is_the_schedules_next_after_now(
    spec: dict[str, Any], after: datetime, skip: int, late: timedelta, stray: bool
) -> None:
    # Planning takes the workflow's next run from its walk over the due occurrences rather
    # than asking the schedule again: it must be what asking would give. The walk starts at
    # the stored next run (an occurrence, or rarely an instant that is not one) and ``now``
    # is at or after it, sometimes exactly on a later occurrence.
    schedule = Schedule.from_json(spec)
    occurrences = list(islice(schedule.occurrences_after(after), skip + 1))
    next_run_at = after if stray or not occurrences else occurrences[0].utc
    on = occurrences[-1].utc if occurrences else next_run_at
    now = max(next_run_at, on) + late

    _, _, following = _due_occurrences(schedule, next_run_at, now)

    assert (None if following is None else following.utc) == next_run_after(schedule, now)
