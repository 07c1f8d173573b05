"""A schedule with several times a day: each time is an occurrence of its own, run once
whoever ticks, missed ones recorded one by one after downtime, and pause days deferring each
run to its own time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.vocabulary import RunStatus
from tests.engine.builders import deal, import_deals, runs, save, workflow, workflow_document
from tests.engine.conftest import Processes

TWICE_A_DAY = {"frequency": "daily", "times": ["10:00", "16:00"], "timezone": "Europe/Berlin"}


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def deals(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    import_deals(sessions, [deal("D1"), deal("D2")], clock.now())


@pytest.mark.usefixtures("deals")
def test_each_time_of_the_day_runs_once_keyed_by_its_own_wall_time(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    # Berlin is UTC+1 in November: 10:00 and 16:00 there are 09:00 and 15:00 UTC.
    save(sessions, workflow_document(schedule=TWICE_A_DAY), clock.now())
    first, second = processes.start_on_console("host-1"), processes.start_on_console("host-2")

    clock.set(at(2, 9, 0, 5))
    morning = first.tick() + second.tick()
    clock.set(at(2, 15, 0, 5))
    afternoon = second.tick() + first.tick()
    again = first.tick() + second.tick()

    assert [status for _, status in morning + afternoon] == [RunStatus.SUCCEEDED] * 2
    assert again == []
    assert [(r.occurrence_key, r.scheduled_at) for r in runs(sessions)] == [
        ("2026-11-02T10:00", at(2, 9)),
        ("2026-11-02T16:00", at(2, 15)),
    ]
    assert processes.console.getvalue().count("is in contract") == 4  # D1 and D2, twice
    found = workflow(sessions)
    assert found is not None and found.next_run_at == at(3, 9)


@pytest.mark.usefixtures("deals")
def test_after_downtime_each_missed_time_is_recorded_and_only_the_latest_runs(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    save(sessions, workflow_document(schedule=TWICE_A_DAY), clock.now())
    clock.set(at(4, 15, 30))  # 30 min after 16:00 in Berlin, within the catch-up window

    [(run_id, status)] = processes.start_on_console().tick()

    planned = runs(sessions)
    assert [(r.occurrence_key, r.status) for r in planned] == [
        ("2026-11-02T10:00", RunStatus.MISSED),
        ("2026-11-02T16:00", RunStatus.MISSED),
        ("2026-11-03T10:00", RunStatus.MISSED),
        ("2026-11-03T16:00", RunStatus.MISSED),
        ("2026-11-04T10:00", RunStatus.MISSED),
        ("2026-11-04T16:00", RunStatus.SUCCEEDED),
    ]
    assert planned[-1].id == run_id and status is RunStatus.SUCCEEDED
    assert len(planned[-1].summary["missed"]) == 5
    found = workflow(sessions)
    assert found is not None and found.next_run_at == at(5, 9)


@pytest.mark.usefixtures("deals")
def test_a_pause_day_defers_a_run_to_its_own_time_on_the_next_day(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    # Mondays at 10:00 and 16:00; Monday 9 November is a pause day, so both runs move to
    # Tuesday: the 10:00 run is covered by the 16:00 one, which runs at 16:00 on Tuesday.
    schedule = {**TWICE_A_DAY, "frequency": "weekly", "weekdays": ["mon"]}
    document = workflow_document(schedule=schedule, settings={"pause_days": ["2026-11-09"]})
    clock.set(at(3, 0))
    save(sessions, document, clock.now())
    bot = processes.start_on_console()

    clock.set(at(9, 9, 0, 5))
    assert bot.tick() == []
    clock.set(at(9, 15, 0, 5))
    assert bot.tick() == []
    clock.set(at(10, 15, 0, 5))
    [(_, status)] = bot.tick()

    planned = runs(sessions)
    assert [(r.occurrence_key, r.status, r.scheduled_at) for r in planned] == [
        ("2026-11-09T10:00", RunStatus.SKIPPED, at(9, 9)),
        ("2026-11-09T16:00", RunStatus.SUCCEEDED, at(10, 15)),
    ]
    assert planned[0].reason == ("2026-11-09 is a pause day: the run on 2026-11-10 covers it")
    assert status is RunStatus.SUCCEEDED
