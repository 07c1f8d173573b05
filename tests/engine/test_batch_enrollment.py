"""A run batch's enrollment (bot.workflows.run_batch, RunRepository.enroll_selected_together):
every run's records enrolled together in few statements, runs whose criteria hold more bound
parameters together than one statement takes each enrolled, and one run's failing query
failing that run alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.run_batch import BATCH_SIZE, BatchExecution
from bot.workflows.vocabulary import ActionOutcome, RunStatus
from storage.enrollment_sql import EnrollmentQuery
from tests.engine.batch_reminders import (
    PAST_THE_LEASE,
    by_workflow,
    channel,
    due_reminders,
    expected_marks,
    marks,
    more_than_a_batch_takes,
    reminder,
    with_a_run_alone,
)
from tests.engine.builders import deal, enrollments, import_deals, results, run, runs, save
from tests.engine.conftest import Processes
from tests.slack_standin import SlackStandIn

JUST_AFTER = datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC)
# Values of each workflow's `in` filter: a batch of them holds 70,000 bound parameters, more
# than PostgreSQL (65,535) and SQLite's default build (32,766) take in one statement, and
# each run's are more than a shape shared by several runs holds (a statement per run).
LISTED = 1400


def test_a_batch_whose_criteria_hold_more_parameters_than_a_statement_takes_enrolls_each_run(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import_deals(sessions, [deal(f"L{n:02}", batch=n) for n in range(BATCH_SIZE)], clock.now())
    for number in range(BATCH_SIZE):
        document = reminder(number)
        # The workflow's own batch, and others no deal is in.
        listed = [number] + [1000 + number * LISTED + n for n in range(LISTED - 1)]
        document["criteria"] = {
            "any": [{"all": [{"property": "batch", "operator": "in", "value": listed}]}]
        }
        save(sessions, document, clock.now())
    clock.set(JUST_AFTER)

    ended = processes.start("host-1").tick()

    assert [status for _, status in ended] == [RunStatus.SUCCEEDED] * BATCH_SIZE
    # Statements the database takes: not refused, then enrolled run by run.
    assert "enrolling together failed" not in caplog.text
    for each in runs(sessions):
        assert (each.status, each.attempts) == (RunStatus.SUCCEEDED, 1)
        assert len(enrollments(sessions, each.id)) == 1
        assert [r.outcome for r in results(sessions, each.id)] == [ActionOutcome.OK.value]
    assert marks(slack_api) == expected_marks(sessions)
    assert [len(slack_api.posted_messages(channel(n))) for n in range(BATCH_SIZE)] == [
        1
    ] * BATCH_SIZE


def _unbuildable(_query: EnrollmentQuery) -> EnrollmentQuery:
    raise ValueError("a clause that cannot be built")


def _failing_in_the_database(query: EnrollmentQuery) -> EnrollmentQuery:
    # An object type id past a 64-bit integer: refused when the statement is sent, by
    # PostgreSQL's cast (aborting the transaction) or by SQLite's driver.
    return replace(query, object_type_id=2**64)


@pytest.mark.parametrize("broken", [_unbuildable, _failing_in_the_database])
def test_a_batched_run_whose_query_fails_is_left_to_its_lease_and_the_others_post(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    caplog: pytest.LogCaptureFixture,
    broken: Callable[[EnrollmentQuery], EnrollmentQuery],
) -> None:
    due_reminders(sessions, clock, 3, deals_each=2)
    with_a_run_alone(sessions, clock, 3)
    clock.set(JUST_AFTER)
    bot = processes.start("host-1")
    bot.plan()
    first, failing, third, alone = by_workflow(sessions)
    claimed = bot.claim_batch(BATCH_SIZE)
    batch = BatchExecution(bot.runner, claimed)

    # The run's criteria query fails, as a bug in building or running it would, in this
    # process only.
    execution = batch.executions[failing]
    query = execution.enrollment_query()
    execution.enrollment_query = lambda: broken(query)  # type: ignore[method-assign]
    ended = dict(batch.run())

    assert [ended[r] for r in (first, failing, third, alone)] == [
        RunStatus.SUCCEEDED,
        None,
        RunStatus.SUCCEEDED,
        RunStatus.SUCCEEDED,
    ]
    # Logged as the per-run path logs a run that fails unexpectedly.
    assert f"run {failing} failed unexpectedly; resumed once its lease runs out" in caplog.text
    stuck = run(sessions, failing)
    assert (stuck.status, stuck.enrolled_at) == (RunStatus.RUNNING, None)
    assert enrollments(sessions, failing) == []
    assert [len(slack_api.posted_messages(channel(n))) for n in range(4)] == [2, 0, 2, 1]

    clock.advance(PAST_THE_LEASE)
    assert processes.start("host-2").tick() == [(failing, RunStatus.SUCCEEDED)]
    assert [len(slack_api.posted_messages(channel(n))) for n in range(4)] == [2, 2, 2, 1]
    resumed = enrollments(sessions, failing)
    assert len(resumed) == 2
    assert all(marks(slack_api)[(failing, e.record_id, 0)] == 1 for e in resumed)


def test_a_batch_of_runs_enrolling_none_few_and_many_records_enrolls_each_its_own(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    many = more_than_a_batch_takes(sessions, clock)
    import_deals(sessions, [deal(f"F{n}", batch=1) for n in range(3)], clock.now())
    for number in range(3):  # workflow 2 matches no deal
        save(sessions, reminder(number), clock.now())
    clock.set(JUST_AFTER)

    ended = dict(processes.start("host-1").tick())

    lots, few, none = by_workflow(sessions)
    assert ended == {r: RunStatus.SUCCEEDED for r in (lots, few, none)}
    assert [len(enrollments(sessions, r)) for r in (lots, few, none)] == [many, 3, 0]
    assert [run(sessions, r).summary["enrolled"] for r in (lots, few, none)] == [many, 3, 0]
    # The run of many records posts one digest alone; the few post a message each.
    [digest] = slack_api.posted_messages(channel(0))
    assert str(many) in digest["text"]
    assert len(slack_api.posted_messages(channel(1))) == 3
    assert slack_api.posted_messages(channel(2)) == []
    assert len(results(sessions, lots)) == many
