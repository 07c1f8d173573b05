"""A run batch's enrollment (bot.workflows.run_batch, RunRepository.enroll_selected_together):
every run's records enrolled together in few statements, a statement never holding more bound
parameters than the database takes, and one run's failing query failing that run alone."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.run_batch import BATCH_SIZE
from bot.workflows.vocabulary import ActionOutcome, RunStatus
from tests.engine.builders import deal, enrollments, import_deals, results, runs, save
from tests.engine.conftest import Processes
from tests.engine.test_run_batches import channel, expected_marks, marks, reminder
from tests.slack_standin import SlackStandIn

JUST_AFTER = datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC)
# Values of each workflow's `in` filter: a batch of them holds 70,000 bound parameters, more
# than PostgreSQL (65,535) and SQLite's default build (32,766) take in one statement.
LISTED = 1400


def test_a_batch_whose_criteria_hold_more_parameters_than_a_statement_takes_enrolls_each_run(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
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
    for each in runs(sessions):
        assert (each.status, each.attempts) == (RunStatus.SUCCEEDED, 1)
        assert len(enrollments(sessions, each.id)) == 1
        assert [r.outcome for r in results(sessions, each.id)] == [ActionOutcome.OK.value]
    assert marks(slack_api) == expected_marks(sessions)
    assert [len(slack_api.posted_messages(channel(n))) for n in range(BATCH_SIZE)] == [
        1
    ] * BATCH_SIZE
