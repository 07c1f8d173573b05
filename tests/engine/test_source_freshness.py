"""Freshness before each run: a run on a type fed by a SQL source syncs it first when its
data is too old, goes on (or waits) when it cannot, and says so; failures are reported once
to the workflows' owners; periodic syncs happen on the engine's tick. The bot's database
and the source's are each SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from bot.workflows.freshness import STALE_RETRY
from bot.workflows.runner import MAX_ATTEMPTS
from bot.workflows.sources import NewSource, add_source, sync_source
from bot.workflows.vocabulary import PropertyType, RunStatus
from storage.database import transaction
from storage.models import RecordSource
from storage.object_types import ObjectTypeRepository
from storage.record_sources import RecordSourceRepository
from tests.engine.builders import (
    OWNER,
    SUMMARY_CHANNEL,
    TEAM,
    enrollments,
    record_ids,
    run,
    runs,
    save,
    workflow_document,
)
from tests.engine.conftest import Processes
from tests.slack_standin import SlackStandIn
from tests.source_databases import (
    QUERY,
    SOURCE_KINDS,
    SourceDatabase,
    crm_deal,
    source_database,
)

RUN_TIME = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
JUST_AFTER = RUN_TIME + timedelta(seconds=5)
SUMMARY = {"summary_channel": SUMMARY_CHANNEL, "summary": "always"}


@pytest.fixture(params=SOURCE_KINDS)
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SourceDatabase]:
    with source_database(request.param, tmp_path) as database:
        yield database


class Environment(dict[str, str]):
    """The process environment a source's URL is read from, as the test sets it."""

    def lookup(self, name: str) -> str | None:
        return self.get(name)


@pytest.fixture
def environment(source: SourceDatabase) -> Environment:
    return Environment(CRM_URL=source.url)


def engine_of(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    environment: Environment,
) -> Engine:
    notifier = processes.slack()
    return Engine(
        sessions, clock, lambda _team: notifier, owner="process-a", environment=environment.lookup
    )


def add_crm(sessions: sessionmaker[Session], now: datetime, **options: Any) -> int:
    with transaction(sessions) as session:
        types = ObjectTypeRepository(session)
        types.ensure_built_ins(TEAM, now)
        # Declared as a file import would have: the workflows' criteria name it.
        types.declare(types.get(TEAM, "deals").id, {"stage": PropertyType.STRING})
        new = NewSource("crm", "deals", "CRM_URL", QUERY, "deal_id", **options)
        add_source(session, TEAM, new, now)
        source = session.scalars(select(RecordSource)).one()
        return source.id


def sync_at(
    sessions: sessionmaker[Session], clock: FixedClock, source_id: int, env: Environment
) -> None:
    outcome = sync_source(sessions, source_id, "setup", clock, env.lookup)
    assert outcome.error is None, outcome.error


def enrolled(sessions: sessionmaker[Session], run_id: int) -> list[str]:
    by_id = {record_id: external for external, record_id in record_ids(sessions).items()}
    return sorted(by_id[e.record_id] for e in enrollments(sessions, run_id))


def source_row(sessions: sessionmaker[Session]) -> RecordSource:
    with sessions() as session:
        return session.scalars(select(RecordSource)).one()


def texts(slack_api: SlackStandIn, channel: str) -> list[str]:
    return [m["text"] for m in slack_api.posted_messages(channel)]


def owner_messages(slack_api: SlackStandIn) -> list[str]:
    return texts(slack_api, slack_api.conversation_id(OWNER))


def test_a_run_syncs_a_stale_source_before_it_enrolls(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    source: SourceDatabase,
    environment: Environment,
) -> None:
    source.add(crm_deal("D-1"), crm_deal("D-2", stage="won"))
    add_crm(sessions, clock.now())
    save(sessions, workflow_document(), clock.now())
    clock.set(JUST_AFTER)

    [(run_id, status)] = engine_of(sessions, clock, processes, environment).tick()

    assert status == RunStatus.SUCCEEDED
    assert enrolled(sessions, run_id) == ["D-1"]
    assert source_row(sessions).last_success_at == JUST_AFTER


def test_a_source_synced_within_its_max_staleness_is_not_synced_again(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    source: SourceDatabase,
    environment: Environment,
) -> None:
    source.add(crm_deal("D-1"))
    source_id = add_crm(sessions, clock.now(), max_staleness=timedelta(minutes=5))
    save(sessions, workflow_document(), clock.now())
    clock.set(RUN_TIME - timedelta(minutes=4))
    sync_at(sessions, clock, source_id, environment)
    source.add(crm_deal("D-2"))  # at the source after that sync
    clock.set(JUST_AFTER)

    [(run_id, _)] = engine_of(sessions, clock, processes, environment).tick()

    assert enrolled(sessions, run_id) == ["D-1"]


def test_when_the_sync_fails_the_run_goes_on_and_its_summary_says_how_old_the_data_is(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    source: SourceDatabase,
    environment: Environment,
) -> None:
    source.add(crm_deal("D-1"))
    source_id = add_crm(sessions, clock.now())
    clock.set(datetime(2026, 11, 2, 7, 30, tzinfo=UTC))
    sync_at(sessions, clock, source_id, environment)
    save(sessions, workflow_document(settings=SUMMARY), clock.now())
    del environment["CRM_URL"]
    clock.set(JUST_AFTER)

    [(run_id, status)] = engine_of(sessions, clock, processes, environment).tick()

    assert status == RunStatus.SUCCEEDED
    assert enrolled(sessions, run_id) == ["D-1"]
    [summary] = texts(slack_api, SUMMARY_CHANNEL)
    assert (
        "Data as of 07:30 (UTC); the source crm failed: the environment variable CRM_URL is "
        "not set" in summary
    )
    stale_source = run(sessions, run_id).stale_source
    assert stale_source is not None and stale_source["source"] == "crm"


def test_a_failing_source_is_reported_once_to_the_owners_and_again_after_it_recovered(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    source: SourceDatabase,
    environment: Environment,
) -> None:
    source.add(crm_deal("D-1"))
    add_crm(sessions, clock.now())
    save(sessions, workflow_document(), clock.now())
    engine = engine_of(sessions, clock, processes, environment)
    del environment["CRM_URL"]

    for day in range(2):  # two runs, both on a failing source
        clock.set(JUST_AFTER + timedelta(days=day))
        engine.tick()

    [report] = owner_messages(slack_api)
    assert "The source *crm* that feeds deals failed to sync" in report
    assert "the environment variable CRM_URL is not set" in report
    assert source_row(sessions).failure_reported_at == JUST_AFTER
    environment["CRM_URL"] = source.url
    clock.set(JUST_AFTER + timedelta(days=2))
    engine.tick()
    assert source_row(sessions).failure_reported_at is None
    del environment["CRM_URL"]
    clock.set(JUST_AFTER + timedelta(days=3))
    engine.tick()
    assert len(owner_messages(slack_api)) == 2


def test_postpone_makes_the_run_wait_for_the_source_and_run_once_it_syncs(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    source: SourceDatabase,
    environment: Environment,
) -> None:
    source.add(crm_deal("D-1"))
    add_crm(sessions, clock.now())
    save(sessions, workflow_document(settings={"on_stale_source": "postpone"}), clock.now())
    engine = engine_of(sessions, clock, processes, environment)
    del environment["CRM_URL"]
    clock.set(JUST_AFTER)

    [(run_id, status)] = engine.tick()

    assert status is None
    waiting = run(sessions, run_id)
    assert waiting.status == RunStatus.RUNNING and waiting.enrolled_at is None
    assert waiting.lease_expires_at == JUST_AFTER + STALE_RETRY
    assert engine.next_wake_up() == JUST_AFTER + STALE_RETRY
    environment["CRM_URL"] = source.url
    clock.set(JUST_AFTER + STALE_RETRY)

    [(again, status)] = engine.tick()

    assert (again, status) == (run_id, RunStatus.SUCCEEDED)
    assert enrolled(sessions, run_id) == ["D-1"]
    assert run(sessions, run_id).stale_source is None


def test_postpone_waits_a_bounded_time_then_runs_with_the_data_it_has(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    source: SourceDatabase,
    environment: Environment,
) -> None:
    source.add(crm_deal("D-1"))
    source_id = add_crm(sessions, clock.now())
    sync_at(sessions, clock, source_id, environment)
    settings = {**SUMMARY, "on_stale_source": "postpone"}
    save(sessions, workflow_document(settings=settings), clock.now())
    engine = engine_of(sessions, clock, processes, environment)
    del environment["CRM_URL"]

    statuses = []
    for attempt in range(MAX_ATTEMPTS):
        clock.set(JUST_AFTER + attempt * STALE_RETRY)
        statuses += [status for _, status in engine.tick()]

    assert statuses == [None] * (MAX_ATTEMPTS - 1) + [RunStatus.SUCCEEDED]
    [only] = runs(sessions)
    assert enrolled(sessions, only.id) == ["D-1"]
    [summary] = texts(slack_api, SUMMARY_CHANNEL)
    assert "Data as of 08:00 (UTC); the source crm failed" in summary


def test_a_source_with_a_period_is_synced_by_the_tick_when_due(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    source: SourceDatabase,
    environment: Environment,
) -> None:
    source.add(crm_deal("D-1"))
    add_crm(sessions, clock.now(), every=timedelta(minutes=15))
    engine = engine_of(sessions, clock, processes, environment)

    assert engine.next_wake_up() == clock.now() + timedelta(minutes=15)
    clock.advance(timedelta(minutes=14))
    engine.tick()
    assert record_ids(sessions) == {}
    clock.advance(timedelta(minutes=1))
    engine.tick()

    assert list(record_ids(sessions)) == ["D-1"]
    assert engine.next_wake_up() == clock.now() + timedelta(minutes=15)


def test_one_sync_of_a_source_at_a_time_also_within_one_process(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    source: SourceDatabase,
    environment: Environment,
) -> None:
    """The scheduler's threads of one process share its name: a second sync of the same
    source, while one holds it, is told the source is busy rather than writing the same
    snapshot again (which reported a false "repeated id" failure to the owners)."""
    source.add(crm_deal("D-1"))
    source_id = add_crm(sessions, clock.now())
    with transaction(sessions) as session:
        assert RecordSourceRepository(session).claim(
            source_id, "process-a/sync-1", clock.now(), timedelta(minutes=2)
        )

    busy = sync_source(sessions, source_id, "process-a", clock, environment.lookup)

    assert busy.busy and busy.error is None
    assert source_row(sessions).last_error is None
    clock.advance(timedelta(minutes=3))  # the first sync's lease ran out: it died
    assert sync_source(sessions, source_id, "process-a", clock, environment.lookup).report
