"""The read models of runs for people, after real runs: a run's details (failures first,
capped, in a fixed number of queries, only within its workspace) and each workflow's last run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.lifecycle import CLI_ACTOR, Actor, Saved
from bot.workflows.overview import UnknownRun, list_workflows, run_details
from bot.workflows.run_followups import skip_next_of
from bot.workflows.vocabulary import RunSource
from storage.database import transaction
from storage.runs import NewRun, RunRepository
from storage.unit_of_work import UnitOfWork
from tests.engine.builders import (
    NAME,
    OWNER,
    TEAM,
    channel_message,
    deal,
    import_deals,
    save,
    workflow_document,
)
from tests.engine.conftest import Processes
from tests.slack_standin import SlackStandIn

RUN_TIME = datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC)
BAD_CHANNEL = "C0NOTJOINED"
NOT_IN_CHANNEL = "the bot is not a member of the channel"


def _document(**fields: Any) -> dict[str, Any]:
    """Posts each deal in contract to #deals, then to a channel the bot is not in."""
    fields.setdefault(
        "actions", [channel_message(), channel_message("{{ name }} again", BAD_CHANNEL)]
    )
    return workflow_document(**fields)


def _run(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    deals: int,
) -> int:
    import_deals(sessions, [deal(f"D{n}", f"Deal {n}") for n in range(deals)], clock.now())
    save(sessions, _document(), clock.now())
    slack_api.fail("not_in_channel", channel=BAD_CHANNEL)
    clock.set(RUN_TIME)
    [(run_id, _)] = processes.start().tick()
    return run_id


@contextmanager
def _counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_details_list_each_records_results_failures_first_with_the_reason(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    run_id = _run(sessions, clock, processes, slack_api, deals=3)
    details = run_details(UnitOfWork(sessions), TEAM, run_id)
    assert details.workflow_name == NAME
    assert details.run.status == "succeeded" and details.run.source == "schedule"
    assert details.enrolled == 3
    assert [(r.name, r.external_id) for r in details.records] == [
        ("Deal 0", "D0"),
        ("Deal 1", "D1"),
        ("Deal 2", "D2"),
    ]
    assert dict(details.outcomes) == {"ok": 3, "failed": 3}
    assert [(r.action_number, r.outcome) for r in details.results] == [
        (2, "failed"),
        (2, "failed"),
        (2, "failed"),
        (1, "ok"),
        (1, "ok"),
        (1, "ok"),
    ]
    assert all(NOT_IN_CHANNEL in (r.reason or "") for r in details.results[:3])
    assert [a.channels for a in details.actions] == [("C0DEALS",), (BAD_CHANNEL,)]


def test_details_read_only_the_first_rows_but_count_them_all(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    run_id = _run(sessions, clock, processes, slack_api, deals=4)
    details = run_details(UnitOfWork(sessions), TEAM, run_id, limit=2)
    assert len(details.records) == 2 and details.enrolled == 4
    assert [r.outcome for r in details.results] == ["failed", "failed"]
    assert details.result_count == 8


def test_details_take_the_same_few_queries_however_many_rows_they_read(
    engine: Engine,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    run_id = _run(sessions, clock, processes, slack_api, deals=30)
    counts = []
    for limit in (1, 50):
        with _counted(engine) as statements:
            details = run_details(UnitOfWork(sessions), TEAM, run_id, limit=limit)
        assert len(details.results) == min(limit, 60)
        counts.append(sum(1 for s in statements if s.lstrip().upper().startswith("SELECT")))
    assert counts[0] == counts[1] <= 10, counts  # no query per record or per result


def test_a_run_of_another_workspace_is_unknown(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    run_id = _run(sessions, clock, processes, slack_api, deals=1)
    with pytest.raises(UnknownRun, match="not in this"):
        run_details(UnitOfWork(sessions), "T0ELSEWHERE", run_id)
    with pytest.raises(UnknownRun):
        run_details(UnitOfWork(sessions), TEAM, run_id + 1000)


def test_an_unknown_run_says_where_to_find_the_runs_there_are(
    sessions: sessionmaker[Session],
) -> None:
    with pytest.raises(UnknownRun) as unknown:
        run_details(UnitOfWork(sessions), TEAM, 1)
    assert "/workflow history NAME" in str(unknown.value)


def test_a_run_of_an_older_revision_names_that_revisions_actions_not_todays(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    run_id = _run(sessions, clock, processes, slack_api, deals=1)
    save(sessions, _document(actions=[channel_message("{{ name }}!")]), clock.now())
    details = run_details(UnitOfWork(sessions), TEAM, run_id)
    assert len(details.actions) == 2
    assert not any("{{ name }}!" in action.plain() for action in details.actions)
    assert [r.action_number for r in details.results] == [2, 1]


def test_each_workflow_shows_its_last_run_and_everyone_sees_every_one(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    run_id = _run(sessions, clock, processes, slack_api, deals=2)
    save(sessions, workflow_document(name="Never run", owner="U0OTHER"), clock.now())
    now = clock.now()
    with transaction(sessions) as session:
        every = {line.name: line for line in list_workflows(session, TEAM, now=now)}
        own = list_workflows(session, TEAM, Actor(OWNER), now=now)
        as_admin = list_workflows(session, TEAM, Actor(OWNER, is_admin=True), now=now)
    last = every[NAME].last_run
    assert last is not None and last.id == run_id and last.status == "succeeded"
    assert (last.enrolled, last.ok, last.failed) == (2, 2, 2)
    assert every["Never run"].last_run is None
    # Read-only for those who may not change it (tests/engine/test_audit.py).
    assert [line.name for line in own] == sorted(every)
    assert [line.name for line in as_admin] == sorted(every)


def _next_runs(sessions: sessionmaker[Session], now: datetime) -> dict[str, datetime | None]:
    with transaction(sessions) as session:
        return {line.name: line.next_run for line in list_workflows(session, TEAM, now=now)}


# The workflow saved on Monday 2 Nov at 08:00 runs daily at 09:00 UTC: next at nine today.
SAVED_AT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
TODAY_AT_NINE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TOMORROW_AT_NINE = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def _saved_daily_at_nine(sessions: sessionmaker[Session]) -> Saved:
    """Saves the workflow at SAVED_AT, checking its next run is listed at nine that day."""
    import_deals(sessions, [deal("D1", "Acme")], SAVED_AT)
    saved = save(sessions, workflow_document(), SAVED_AT)
    assert _next_runs(sessions, SAVED_AT) == {NAME: TODAY_AT_NINE}
    return saved


def test_a_listed_next_run_moves_on_once_it_has_come_and_back_for_an_earlier_now(
    sessions: sessionmaker[Session],
) -> None:
    _saved_daily_at_nine(sessions)

    just_before, just_after = (
        datetime(2026, 11, 2, 8, 59, 59, tzinfo=UTC),
        datetime(2026, 11, 2, 9, 0, 1, tzinfo=UTC),
    )
    assert _next_runs(sessions, just_before) == {NAME: TODAY_AT_NINE}
    assert _next_runs(sessions, just_after) == {NAME: TOMORROW_AT_NINE}
    earlier = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    assert _next_runs(sessions, earlier) == {NAME: TODAY_AT_NINE}


def test_a_listed_next_run_follows_an_edited_schedule_at_once(
    sessions: sessionmaker[Session],
) -> None:
    _saved_daily_at_nine(sessions)

    later = {"frequency": "daily", "time": "18:30", "timezone": "UTC"}
    save(sessions, workflow_document(schedule=later), SAVED_AT)

    assert _next_runs(sessions, SAVED_AT) == {NAME: datetime(2026, 11, 2, 18, 30, tzinfo=UTC)}


def test_a_listed_next_run_follows_edited_pause_days_at_once(
    sessions: sessionmaker[Session],
) -> None:
    _saved_daily_at_nine(sessions)

    paused = {"pause_days": ["2026-11-02"], "on_pause_day": "skip"}
    save(sessions, workflow_document(settings=paused), SAVED_AT)

    assert _next_runs(sessions, SAVED_AT) == {NAME: TOMORROW_AT_NINE}


def test_a_listed_next_run_moves_on_at_once_when_it_is_skipped(
    sessions: sessionmaker[Session],
) -> None:
    _saved_daily_at_nine(sessions)

    skip_next_of(UnitOfWork(sessions), TEAM, NAME, CLI_ACTOR, SAVED_AT)

    assert _next_runs(sessions, SAVED_AT) == {NAME: TOMORROW_AT_NINE}


def test_a_listed_next_run_is_the_deferred_run_once_it_is_planned(
    sessions: sessionmaker[Session],
) -> None:
    saved = _saved_daily_at_nine(sessions)

    # Today's occurrence written as deferred to the afternoon, the schedule unchanged.
    later = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    deferred = NewRun(
        saved.workflow_id,
        saved.revision,
        "2026-11-02T09:00",
        later,
        RunSource.SCHEDULE,
        reason="deferred",
        deferred_from=TODAY_AT_NINE,
    )
    with transaction(sessions) as session:
        assert RunRepository(session).add(deferred, SAVED_AT) is not None

    assert _next_runs(sessions, SAVED_AT) == {NAME: later}
