"""A removed record is never enrolled again, by a scheduled run, a manual run, the manual
enrollment picker or by its id; the runs that enrolled it before still name it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.engine import DEFAULT_LEASE
from bot.workflows.lifecycle import CLI_ACTOR, WorkflowError, enroll_records, request_run
from bot.workflows.manual_enrollment import (
    ManualEnrollment,
    UnknownRecords,
    check_enrollment,
    find_records,
)
from bot.workflows.record_removal import by_ids
from bot.workflows.vocabulary import ActionOutcome, RunStatus
from storage.database import transaction
from storage.runs import RunRepository
from tests.engine.builders import (
    DEALS_CHANNEL,
    NAME,
    TEAM,
    channel_message,
    deal,
    enrollments,
    import_deals,
    record_ids,
    results,
    save,
    workflow,
    workflow_document,
)
from tests.engine.conftest import Processes
from tests.slack_standin import SlackStandIn

JUST_AFTER = datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC)


def remove(sessions: sessionmaker[Session], now: datetime, *external_ids: str) -> None:
    with transaction(sessions) as session:
        by_ids(session, TEAM, "deals", external_ids, now)


def enrolled(sessions: sessionmaker[Session], run_id: int) -> list[str]:
    by_id = {record_id: external for external, record_id in record_ids(sessions).items()}
    return sorted(by_id[e.record_id] for e in enrollments(sessions, run_id))


def test_a_removed_record_is_not_enrolled_again_and_past_runs_still_name_it(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    import_deals(sessions, [deal("D1", name="Acme"), deal("D2", name="Globex")], clock.now())
    save(sessions, workflow_document(), clock.now())
    engine = processes.start()
    clock.set(JUST_AFTER)
    [(first, _)] = engine.tick()
    remove(sessions, clock.now(), "D1")
    clock.set(JUST_AFTER + timedelta(days=1))

    [(second, _)] = engine.tick()

    assert enrolled(sessions, first) == ["D1", "D2"]
    assert enrolled(sessions, second) == ["D2"]
    with transaction(sessions) as session:
        runs = RunRepository(session)
        assert [name for name, _ in runs.enrolled_records(first, None)] == ["Acme", "Globex"]
        named = {row.record_name for row in runs.results_with_records(first, None)}
    assert named == {"Acme", "Globex"}


def test_a_manual_run_does_not_enroll_a_removed_record(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    import_deals(sessions, [deal("D1"), deal("D2")], clock.now())
    save(sessions, workflow_document(), clock.now())
    remove(sessions, clock.now(), "D2")
    with transaction(sessions) as session:
        requested = request_run(session, TEAM, NAME, CLI_ACTOR, clock.now())

    processes.start().run_now(requested.run_id)

    assert enrolled(sessions, requested.run_id) == ["D1"]


def test_a_removed_record_cannot_be_picked_nor_enrolled_by_hand(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    import_deals(sessions, [deal("D1", name="Acme"), deal("D2", name="Acme two")], clock.now())
    save(sessions, workflow_document(), clock.now())
    found = workflow(sessions)
    assert found is not None
    removed_id = record_ids(sessions)["D1"]
    remove(sessions, clock.now(), "D1")

    with transaction(sessions) as session:
        picked = find_records(session, TEAM, found.id, "acme")
        assert [choice.external_id for choice in picked] == ["D2"]
        with pytest.raises(UnknownRecords):
            check_enrollment(session, TEAM, ManualEnrollment(found.id, (removed_id,)), CLI_ACTOR)
        with pytest.raises(WorkflowError, match="No deals record has the id D1"):
            enroll_records(session, TEAM, NAME, ["D1"], CLI_ACTOR, clock.now())


def test_a_record_removed_after_its_run_enrolled_it_is_not_acted_on(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    """The run enrolled D1 and D2, then Slack was rate limiting it and it was postponed;
    meanwhile D2 was removed (a sync, `records delete`): the resumed run posts for D1
    only and says why it did nothing for D2."""
    import_deals(sessions, [deal("D1", name="Acme"), deal("D2", name="Globex")], clock.now())
    save(sessions, workflow_document(), clock.now())
    slack_api.rate_limit("chat.postMessage", times=2, retry_after=0)  # a try and its retry
    engine = processes.start()
    clock.set(JUST_AFTER)
    [(run_id, status)] = engine.tick()
    assert status is None and enrolled(sessions, run_id) == ["D1", "D2"]

    remove(sessions, clock.now(), "D2")
    clock.advance(DEFAULT_LEASE + timedelta(seconds=1))
    [(again, status)] = engine.tick()

    assert (again, status) == (run_id, RunStatus.SUCCEEDED)
    assert [m["text"] for m in slack_api.posted_messages(DEALS_CHANNEL)] == ["Acme is in contract"]
    by_record = {r.record_id: r for r in results(sessions, run_id)}
    removed = by_record[record_ids(sessions)["D2"]]
    assert removed.outcome == ActionOutcome.SKIPPED.value
    assert (
        removed.reason
        == "the record was removed after this run enrolled it: nothing was done for it"
    )


def test_a_digest_leaves_out_a_record_removed_after_its_run_enrolled_it(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    """As above for a digest, whose records are counted and recorded in SQL: it counts and
    lists the records still there, and the removed one is recorded skipped, once."""
    import_deals(
        sessions,
        [deal("D1", name="Acme"), deal("D2", name="Globex"), deal("D3", name="Initech")],
        clock.now(),
    )
    save(sessions, workflow_document(actions=[channel_message(mode="digest")]), clock.now())
    slack_api.rate_limit("chat.postMessage", times=2, retry_after=0)  # a try and its retry
    engine = processes.start()
    clock.set(JUST_AFTER)
    [(run_id, status)] = engine.tick()
    assert status is None and results(sessions, run_id) == []

    remove(sessions, clock.now(), "D2")
    clock.advance(DEFAULT_LEASE + timedelta(seconds=1))
    [(again, status)] = engine.tick()

    assert (again, status) == (run_id, RunStatus.SUCCEEDED)
    [digest] = slack_api.posted_messages(DEALS_CHANNEL)
    assert digest["text"].startswith(f"*{NAME}*: 2 records")
    assert "Acme" in digest["text"] and "Initech" in digest["text"]
    assert "Globex" not in digest["text"]
    ids = record_ids(sessions)
    outcome = {r.record_id: (r.outcome, r.reason) for r in results(sessions, run_id)}
    assert outcome == {
        ids["D1"]: (ActionOutcome.OK.value, None),
        ids["D2"]: (
            ActionOutcome.SKIPPED.value,
            "the record was removed after this run enrolled it: nothing was done for it",
        ),
        ids["D3"]: (ActionOutcome.OK.value, None),
    }
