"""What a run summary's buttons do to later runs, on both databases: a snoozed record is not
enrolled until its snooze ends, a skipped occurrence does not run (the one after does), and
a re-run is one manual run linked to the first that repeats only its failed actions, once,
even when its process dies half-way."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.digest import REPLY_PARTS
from bot.workflows.forecast import forecast
from bot.workflows.lifecycle import Actor, PermissionDenied, WorkflowError
from bot.workflows.planner import SKIPPED_BY_HAND
from bot.workflows.record_removal import by_ids
from bot.workflows.run_followups import (
    RetryRequested,
    StaleButton,
    active_snoozes,
    retry,
    skip_next,
    snooze,
    undo,
    upcoming_skips,
)
from bot.workflows.vocabulary import ActionOutcome, RunSource, RunStatus
from bot.workflows.workflow_requests import workflow_past
from storage.database import transaction, write_transaction
from storage.models import Workflow
from storage.unit_of_work import UnitOfWork
from tests.engine.builders import (
    DEALS_CHANNEL,
    OWNER,
    SUMMARY_CHANNEL,
    TEAM,
    channel_message,
    deal,
    enrollments,
    import_deals,
    kept_layouts,
    record_ids,
    results,
    run,
    runs,
    save,
    save_long_digest,
    workflow_document,
)
from tests.engine.conftest import Crash, DyingNotifier, Processes
from tests.slack_standin import ApiError, Call, SlackStandIn, chat_post_message

OWNER_ACTOR = Actor(OWNER)
BLOCKED = "C0BLOCKED"
# The workflows of these tests run daily at 09:00 UTC; saved on Monday 2 Nov at 08:00.
MONDAY_RUN = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DEALS = [deal("D1", "Acme renewal"), deal("D2", "Globex"), deal("D3", "Initech")]


def _workflow_id(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        workflow = session.query(Workflow).one()
        return workflow.id


def _run_at(clock: FixedClock, processes: Processes, at: datetime) -> int:
    clock.set(at + timedelta(seconds=5))
    [(run_id, _status)] = processes.start().tick()
    return run_id


def _enrolled_names(sessions: sessionmaker[Session], run_id: int) -> list[str]:
    ids = {record_id: external for external, record_id in record_ids(sessions).items()}
    return [ids[e.record_id] for e in enrollments(sessions, run_id)]


@pytest.fixture
def deal_review(sessions: sessionmaker[Session], clock: FixedClock) -> int:
    """Three deals in contract; one message each to #deals, then one each to a channel."""
    import_deals(sessions, DEALS, clock.now())
    document = workflow_document(
        actions=[channel_message(), channel_message("{{ name }} needs a look", BLOCKED)],
        settings={"summary_channel": SUMMARY_CHANNEL, "summary": "always"},
    )
    save(sessions, document, clock.now())
    return _workflow_id(sessions)


# -- Snooze a record ------------------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 3, 7])
def test_a_snoozed_record_is_left_out_until_its_snooze_ends(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    deal_review: int,
    days: int,
) -> None:
    first = _run_at(clock, processes, MONDAY_RUN)
    acme = record_ids(sessions)["D1"]
    snoozed = snooze(UnitOfWork(sessions), TEAM, first, acme, days, OWNER_ACTOR, clock.now())
    assert snoozed.until == date(2026, 11, 2) + timedelta(days=days)
    assert (snoozed.record_name, snoozed.workflow_name) == ("Acme renewal", "Deal review")
    enrolled_by_day = {}
    for day in range(1, days + 2):
        run_id = _run_at(clock, processes, MONDAY_RUN + timedelta(days=day))
        enrolled_by_day[day] = "D1" in _enrolled_names(sessions, run_id)
    assert enrolled_by_day == {day: day >= days for day in range(1, days + 2)}


def test_active_snoozes_say_which_records_a_run_leaves_out_and_until_when(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes, deal_review: int
) -> None:
    first = _run_at(clock, processes, MONDAY_RUN)
    snooze(
        UnitOfWork(sessions), TEAM, first, record_ids(sessions)["D2"], 2, OWNER_ACTOR, clock.now()
    )
    with transaction(sessions) as session:
        during = active_snoozes(session, deal_review, MONDAY_RUN + timedelta(days=1))
        after = active_snoozes(session, deal_review, MONDAY_RUN + timedelta(days=2))
    assert [(s.external_id, s.record_name, s.snoozed_by) for s in during] == [
        ("D2", "Globex", OWNER)
    ]
    assert during[0].until == datetime(2026, 11, 4, tzinfo=UTC)
    assert after == []


def test_snoozing_is_refused_to_someone_else_and_outside_1_to_90_days(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes, deal_review: int
) -> None:
    first = _run_at(clock, processes, MONDAY_RUN)
    acme = record_ids(sessions)["D1"]
    with pytest.raises(PermissionDenied):
        snooze(UnitOfWork(sessions), TEAM, first, acme, 3, Actor("U0SOMEONE"), clock.now())
    for days in (0, 91):
        with pytest.raises(WorkflowError, match="from 1 to 90"):
            snooze(UnitOfWork(sessions), TEAM, first, acme, days, OWNER_ACTOR, clock.now())


# -- Skip next run --------------------------------------------------------------------------


def test_a_skipped_occurrence_does_not_run_and_the_one_after_does(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    deal_review: int,
) -> None:
    first = _run_at(clock, processes, MONDAY_RUN)
    skipped = skip_next(UnitOfWork(sessions), TEAM, first, OWNER_ACTOR, clock.now())
    assert skipped.scheduled_at == MONDAY_RUN + timedelta(days=1)
    assert not skipped.already
    posted_before = len(slack_api.posted_messages(DEALS_CHANNEL))
    clock.set(MONDAY_RUN + timedelta(days=1, seconds=5))
    assert processes.start().tick() == []
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == posted_before
    tuesday = runs(sessions)[-1]
    assert (tuesday.status, tuesday.triggered_by) == (RunStatus.SKIPPED.value, OWNER)
    assert tuesday.reason == SKIPPED_BY_HAND
    wednesday = _run_at(clock, processes, MONDAY_RUN + timedelta(days=2))
    assert run(sessions, wednesday).status == RunStatus.SUCCEEDED.value


def test_skipping_twice_skips_one_run_and_undo_brings_it_back(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes, deal_review: int
) -> None:
    first = _run_at(clock, processes, MONDAY_RUN)
    skip_next(UnitOfWork(sessions), TEAM, first, OWNER_ACTOR, clock.now())
    again = skip_next(UnitOfWork(sessions), TEAM, first, OWNER_ACTOR, clock.now())
    with transaction(sessions) as session:
        workflow = session.get(Workflow, deal_review)
        assert workflow is not None
        assert [s.scheduled_at for s in upcoming_skips(session, workflow, clock.now())] == [
            MONDAY_RUN + timedelta(days=1)
        ]
    assert again.already
    undo(UnitOfWork(sessions), TEAM, deal_review, again.occurrence_key, OWNER_ACTOR, clock.now())
    tuesday = _run_at(clock, processes, MONDAY_RUN + timedelta(days=1))
    assert run(sessions, tuesday).status == RunStatus.SUCCEEDED.value
    with pytest.raises(WorkflowError, match="not skipped"):
        undo(
            UnitOfWork(sessions), TEAM, deal_review, again.occurrence_key, OWNER_ACTOR, clock.now()
        )


def test_a_button_of_an_older_summary_answers_that_a_newer_run_happened(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes, deal_review: int
) -> None:
    first = _run_at(clock, processes, MONDAY_RUN)
    _run_at(clock, processes, MONDAY_RUN + timedelta(days=1))
    stale = pytest.raises(StaleButton, match="a newer run has happened since")
    with stale:
        skip_next(UnitOfWork(sessions), TEAM, first, OWNER_ACTOR, clock.now())


# -- Re-run failed ---------------------------------------------------------------------------


def _failed_first_run(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> int:
    slack_api.fail("not_in_channel", channel=BLOCKED)
    first = _run_at(clock, processes, MONDAY_RUN)
    outcomes = Counter((r.action_index, r.outcome) for r in results(sessions, first))
    assert outcomes == {(0, "ok"): 3, (1, "failed"): 3}
    slack_api.stop_failing()  # the bot was invited
    return first


def test_a_rerun_is_one_manual_run_linked_to_the_first_that_repeats_only_failed_actions(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    deal_review: int,
) -> None:
    first = _failed_first_run(sessions, clock, processes, slack_api)
    clock.advance(timedelta(minutes=30))
    asked = retry(UnitOfWork(sessions), TEAM, first, OWNER_ACTOR, clock.now())
    assert asked.actions == 3
    # The workflow's history says who re-ran what.
    latest = workflow_past(UnitOfWork(sessions), TEAM, asked.workflow_name, runs=0).changes[0]
    assert (latest.actor, latest.about) == (
        OWNER,
        f"ran (run {asked.run_id}, the failed actions of run {first})",
    )
    assert processes.start().run_now(asked.run_id) is RunStatus.SUCCEEDED
    rerun = run(sessions, asked.run_id)
    assert (rerun.source, rerun.retry_of, rerun.triggered_by) == (
        RunSource.MANUAL.value,
        first,
        OWNER,
    )
    assert [(r.action_index, r.outcome) for r in results(sessions, asked.run_id)] == [
        (1, ActionOutcome.OK.value)
    ] * 3
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 3, "action 1 is not repeated"
    assert len(slack_api.posted_messages(BLOCKED)) == 3
    summaries = [m["text"] for m in slack_api.posted_messages(SUMMARY_CHANNEL)]
    assert len(summaries) == 2
    assert f"Re-run of run #{first}: 3 of 3 failed actions succeeded" in summaries[-1]
    with pytest.raises(StaleButton, match="already re-run"):
        retry(UnitOfWork(sessions), TEAM, first, OWNER_ACTOR, clock.now())


def test_a_rerun_whose_process_dies_resumes_without_posting_twice(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    deal_review: int,
) -> None:
    first = _failed_first_run(sessions, clock, processes, slack_api)
    asked = retry(UnitOfWork(sessions), TEAM, first, OWNER_ACTOR, clock.now())
    dying = processes.start("process-a", DyingNotifier(processes.slack(), after_post=2))
    with pytest.raises(Crash):
        dying.run_now(asked.run_id)
    clock.advance(timedelta(minutes=5))  # its lease ran out
    [(resumed, status)] = processes.start("process-b").tick()
    assert (resumed, status) == (asked.run_id, RunStatus.SUCCEEDED)
    texts = Counter(m["text"] for m in slack_api.posted_messages(BLOCKED))
    assert sorted(texts.values()) == [1, 1, 1], texts
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 3
    assert [r.outcome for r in results(sessions, asked.run_id)] == ["ok"] * 3


def test_a_rerun_finds_a_message_whose_outcome_was_unknown_instead_of_posting_it_again(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    deal_review: int,
) -> None:
    # Slack stores each post to the blocked channel and answers 500; history is unreadable,
    # so the first run cannot tell and records "unknown".
    slack_api.server_error("chat.postMessage", times=100, after_handling=True)
    slack_api.fail("missing_scope", method="conversations.history", needed="channels:history")
    first = _run_at(clock, processes, MONDAY_RUN)
    unknown = [r for r in results(sessions, first) if r.outcome == ActionOutcome.UNKNOWN.value]
    assert unknown, "the first run could not tell"
    stored = len(slack_api.posted_messages(DEALS_CHANNEL)) + len(slack_api.posted_messages(BLOCKED))
    slack_api.stop_failing()  # history readable again
    slack_api.server_error("chat.postMessage", times=0)
    asked = retry(UnitOfWork(sessions), TEAM, first, OWNER_ACTOR, clock.now())
    processes.start().run_now(asked.run_id)
    rerun = results(sessions, asked.run_id)
    assert len(rerun) == len(unknown)
    assert {r.outcome for r in rerun} == {ActionOutcome.OK.value}
    after = len(slack_api.posted_messages(DEALS_CHANNEL)) + len(slack_api.posted_messages(BLOCKED))
    assert after == stored, "every message was found, none posted again"


def test_a_rerun_is_refused_to_someone_else(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    deal_review: int,
) -> None:
    first = _failed_first_run(sessions, clock, processes, slack_api)
    with pytest.raises(PermissionDenied):
        retry(UnitOfWork(sessions), TEAM, first, Actor("U0SOMEONE"), clock.now())
    asked = retry(UnitOfWork(sessions), TEAM, first, Actor("U0ADMIN", is_admin=True), clock.now())
    assert asked.retried_run_id == first


def test_a_rerun_of_a_failed_digest_posts_one_digest_of_the_failed_records(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(sessions, DEALS, clock.now())
    document = workflow_document(
        actions=[channel_message(), channel_message("{{ name }}", BLOCKED, mode="digest")],
        settings={"summary_channel": SUMMARY_CHANNEL, "summary": "always"},
    )
    save(sessions, document, clock.now())
    first = _failed_first_run(sessions, clock, processes, slack_api)
    asked = retry(UnitOfWork(sessions), TEAM, first, OWNER_ACTOR, clock.now())
    processes.start().run_now(asked.run_id)
    [digest] = [m for m in slack_api.posted_messages(BLOCKED) if "thread_ts" not in m]
    assert all(name in digest["text"] for name in ("Acme renewal", "Globex", "Initech"))
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 3


REFUSED_PART = REPLY_PARTS + 2  # reply 2 of a 400-deal digest's 3


def _long_digest_run_with_reply_2_refused(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> int:
    """The id of a 400-deal digest's run at MONDAY_RUN whose reply 2 Slack refused."""
    save_long_digest(sessions, 400, clock.now())
    slack_api.handlers["chat.postMessage"] = _refusing_the_second_reply
    return _run_at(clock, processes, MONDAY_RUN)


def _refusing_the_second_reply(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    metadata = call.params.get("metadata")
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    if metadata and metadata["event_payload"]["part"] == REFUSED_PART:
        raise ApiError("invalid_blocks")
    return chat_post_message(standin, call)


def _rerun_with_slack_taking_all(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    first: int,
) -> RetryRequested:
    """Slack takes every message again, and the owner's re-run of `first` has run."""
    slack_api.handlers["chat.postMessage"] = chat_post_message
    asked = retry(UnitOfWork(sessions), TEAM, first, OWNER_ACTOR, clock.now())
    processes.start().run_now(asked.run_id)
    return asked


def test_a_digest_reply_slack_refused_is_the_only_message_its_rerun_posts(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    first = _long_digest_run_with_reply_2_refused(sessions, clock, processes, slack_api)
    parent, *replies = slack_api.posted_messages(DEALS_CHANNEL)
    assert len(replies) == 2
    # The records are recorded with the digest's link, as may be missing, naming the reply.
    outcome = results(sessions, first)
    assert len(outcome) == 400
    assert {(r.outcome, r.reference["ts"]) for r in outcome if r.reference} == {
        (ActionOutcome.UNKNOWN.value, parent["ts"])
    }
    [reason] = {r.reason for r in outcome}
    assert reason == (
        "Slack refused reply 2 of the digest's 3: Slack rejected the message layout (its "
        "blocks): fix the message template. The digest and its other replies were posted. "
        "Re-run failed posts only the missing replies, into the digest's thread: fix what "
        "Slack refused first, or it may refuse them again"
    )

    asked = _rerun_with_slack_taking_all(sessions, clock, processes, slack_api, first)

    # The parent and the replies posted are found by their marks; only the refused one is
    # posted, in the same thread.
    messages = slack_api.posted_messages(DEALS_CHANNEL)
    assert [m["ts"] for m in messages if "thread_ts" not in m] == [parent["ts"]]
    assert len(messages) == 4
    assert messages[-1]["thread_ts"] == parent["ts"]
    assert messages[-1]["metadata"]["event_payload"]["part"] == REFUSED_PART
    rerun = results(sessions, asked.run_id)
    assert len(rerun) == 400
    assert {(r.outcome, r.reference["ts"]) for r in rerun} == {
        (ActionOutcome.OK.value, parent["ts"])
    }


def test_a_rerun_posts_the_refused_reply_as_first_laid_out_though_a_listed_record_grew(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    """Reply 2 was refused; before the re-run, a deal the parent lists got a long name. Laid
    out again, reply 2 would start with lines reply 1 already shows."""
    first = _long_digest_run_with_reply_2_refused(sessions, clock, processes, slack_api)
    assert "Deal D005 is in contract" in slack_api.posted_messages(DEALS_CHANNEL)[0]["text"]
    assert kept_layouts(sessions) == {(first, 0)}, "kept for a re-run"
    import_deals(sessions, [deal("D005", "Deal D005 " + "renamed " * 30)], clock.now())

    asked = _rerun_with_slack_taking_all(sessions, clock, processes, slack_api, first)

    # In the order they are read: the refused reply, posted last, between its neighbours.
    messages = sorted(
        slack_api.posted_messages(DEALS_CHANNEL),
        key=lambda m: m["metadata"]["event_payload"]["part"],
    )
    assert len(messages) == 4
    lines = [line for m in messages for line in m["text"].split("\n") if line.startswith("• ")]
    numbers = [int(line.split()[2][1:]) for line in lines]
    assert numbers == list(range(len(numbers))), "each listed deal once, none left out"
    assert {r.outcome for r in results(sessions, asked.run_id)} == {ActionOutcome.OK.value}


def test_a_rerun_that_posts_the_missing_reply_forgets_the_retried_runs_layout(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    first = _long_digest_run_with_reply_2_refused(sessions, clock, processes, slack_api)

    asked = _rerun_with_slack_taking_all(sessions, clock, processes, slack_api, first)

    assert {r.outcome for r in results(sessions, asked.run_id)} == {ActionOutcome.OK.value}
    assert kept_layouts(sessions) == set(), "the digest is whole: nothing to keep"


def test_a_rerun_whose_retried_digest_was_never_posted_lays_it_out_from_the_records_now(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    """The first run's parent got a 500 and was not stored, and its history could not be read:
    unknown. Meanwhile D005 was renamed and D000 removed: the re-run finds no parent, so it
    posts a new digest, of the records as they are now."""
    save_long_digest(sessions, 400, clock.now())
    slack_api.server_error("chat.postMessage", times=1, after_handling=False)
    slack_api.fail("missing_scope", method="conversations.history", needed="channels:history")
    first = _run_at(clock, processes, MONDAY_RUN)
    assert {r.outcome for r in results(sessions, first)} == {ActionOutcome.UNKNOWN.value}
    assert slack_api.posted_messages(DEALS_CHANNEL) == []
    import_deals(sessions, [deal("D005", "Deal D005 renamed")], clock.now())
    with write_transaction(sessions) as session:
        by_ids(session, TEAM, "deals", ["D000"], clock.now())
    slack_api.stop_failing()

    asked = retry(UnitOfWork(sessions), TEAM, first, OWNER_ACTOR, clock.now())
    processes.start().run_now(asked.run_id)

    parent = slack_api.posted_messages(DEALS_CHANNEL)[0]
    assert "399 records" in parent["text"]
    assert "Deal D000 " not in parent["text"]
    assert "Deal D005 renamed" in parent["text"]
    # D000, removed, is not retried: the re-run did not enroll it.
    outcome = {r.record_id: r.outcome for r in results(sessions, asked.run_id)}
    assert record_ids(sessions)["D000"] not in outcome
    assert Counter(outcome.values()) == {ActionOutcome.OK.value: 399}
    assert kept_layouts(sessions) == set()


def test_a_snooze_ends_at_the_start_of_the_day_in_the_workflows_zone(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    import_deals(sessions, DEALS, clock.now())
    document = workflow_document(schedule={**daily_in_new_york(), "time": "01:00"})
    save(sessions, document, clock.now())
    # 01:00 in New York on Monday 2 Nov is 06:00 UTC: the first run is on Tuesday.
    first = _run_at(clock, processes, datetime(2026, 11, 3, 6, 0, tzinfo=UTC))
    acme = record_ids(sessions)["D1"]
    snoozed = snooze(UnitOfWork(sessions), TEAM, first, acme, 1, OWNER_ACTOR, clock.now())
    with transaction(sessions) as session:
        [held] = active_snoozes(session, _workflow_id(sessions), clock.now())
    assert snoozed.until == date(2026, 11, 4)
    assert held.until.isoformat() == "2026-11-04T00:00:00-05:00"
    wednesday = _run_at(clock, processes, datetime(2026, 11, 4, 6, 0, tzinfo=UTC))
    assert "D1" in _enrolled_names(sessions, wednesday), "back from midnight in New York"


def daily_in_new_york() -> dict[str, str]:
    return {"frequency": "daily", "time": "09:00", "timezone": "America/New_York"}


def test_the_forecast_shows_the_skipped_run_and_still_counts_the_runs_asked_for(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes, deal_review: int
) -> None:
    first = _run_at(clock, processes, MONDAY_RUN)
    skip_next(UnitOfWork(sessions), TEAM, first, OWNER_ACTOR, clock.now())
    coming = forecast(UnitOfWork(sessions), TEAM, "Deal review", clock.now(), runs=3)
    shown = [(r.run.at.day, r.run.skipped, r.matching) for r in coming.runs]
    assert shown == [(3, True, None), (4, False, 3), (5, False, 3), (6, False, 3)]
    assert coming.runs[0].run.reason == f"{SKIPPED_BY_HAND} by {OWNER}"


def test_snoozing_a_snoozed_record_again_replaces_its_snooze(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes, deal_review: int
) -> None:
    first = _run_at(clock, processes, MONDAY_RUN)
    acme = record_ids(sessions)["D1"]
    for days, who in ((5, OWNER_ACTOR), (2, Actor("U0ADMIN", is_admin=True))):
        snooze(UnitOfWork(sessions), TEAM, first, acme, days, who, clock.now())
    with transaction(sessions) as session:
        [held] = active_snoozes(session, deal_review, clock.now())
    assert (held.until, held.snoozed_by) == (datetime(2026, 11, 4, tzinfo=UTC), "U0ADMIN")


def test_a_run_without_failures_has_nothing_to_rerun(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes, deal_review: int
) -> None:
    first = _run_at(clock, processes, MONDAY_RUN)
    nothing = pytest.raises(WorkflowError, match=r"No failed action of run #\d+ .*left to re-run")
    with nothing:
        retry(UnitOfWork(sessions), TEAM, first, OWNER_ACTOR, clock.now())
    assert len(runs(sessions)) == 1
