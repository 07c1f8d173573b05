"""Posts whose outcome is unknown (Slack stored the message, then answered 500 or dropped the
connection): a run looks for the message in the channel before posting again, so each record
gets one message; where history cannot be read, it records "unknown" and says so instead of
posting twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.engine import DEFAULT_LEASE
from bot.workflows.overview import RunLine
from bot.workflows.runner import MAX_ATTEMPTS, POST_TRIES
from bot.workflows.vocabulary import ActionOutcome, RunStatus
from tests.engine.builders import (
    DEALS_CHANNEL,
    LONG_LINE,
    SUMMARY_CHANNEL,
    channel_message,
    deal,
    import_deals,
    record_ids,
    results,
    run,
    save,
    workflow_document,
)
from tests.engine.conftest import Processes
from tests.slack_standin import ApiError, Call, SlackStandIn, conversations_history

JUST_AFTER = datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC)
POST = "chat.postMessage"
RECORDS = 5
NO_HISTORY_SCOPE = "channels:history"


def _stored_then_500(slack_api: SlackStandIn, times: int) -> None:
    slack_api.server_error(POST, times=times, after_handling=True)


def _stored_then_reset(slack_api: SlackStandIn, times: int) -> None:
    slack_api.drop_connection(POST, times=times, after_handling=True)


STORED_THEN_FAILED: dict[str, Callable[[SlackStandIn, int], None]] = {
    "stored-then-500": _stored_then_500,
    "stored-then-connection-reset": _stored_then_reset,
}


def run_deals(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    mode: str = "per_record",
    records: int = RECORDS,
    summary: str = "always",
    text: str = "{{ name }} is in contract",
) -> int:
    """Runs a workflow messaging ``records`` deals (and summarising to SUMMARY_CHANNEL)."""
    import_deals(sessions, [deal(f"D{n:03d}") for n in range(records)], clock.now())
    document = workflow_document(
        actions=[channel_message(text, mode=mode)],
        settings={"summary_channel": SUMMARY_CHANNEL, "summary": summary},
    )
    save(sessions, document, clock.now())
    clock.set(JUST_AFTER)
    [(run_id, status)] = processes.start().tick()
    assert status is RunStatus.SUCCEEDED
    return run_id


def marks(slack_api: SlackStandIn, channel: str) -> Counter[tuple[int, int, int, int]]:
    """How many messages stored in ``channel`` carry each (run, record, action, part) mark."""
    counted: Counter[tuple[int, int, int, int]] = Counter()
    for message in slack_api.posted_messages(channel):
        payload = message["metadata"]["event_payload"]
        counted[
            (
                int(payload["run_id"]),
                int(payload["record_id"]),
                int(payload["action_index"]),
                int(payload["part"]),
            )
        ] += 1
    return counted


def summary_text(slack_api: SlackStandIn) -> str:
    [summary] = slack_api.posted_messages(SUMMARY_CHANNEL)
    return str(summary["text"])


def refuse_history(slack_api: SlackStandIn) -> None:
    for method in ("conversations.history", "conversations.replies"):
        slack_api.fail("missing_scope", method=method, needed=NO_HISTORY_SCOPE)


# -- history readable ------------------------------------------------------------------------


@pytest.mark.parametrize("fault", list(STORED_THEN_FAILED))
def test_a_message_stored_before_an_error_is_found_in_history_and_not_posted_again(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    fault: str,
) -> None:
    # Every post fails once stored: each record's message and the summary.
    STORED_THEN_FAILED[fault](slack_api, RECORDS + 1)

    run_id = run_deals(sessions, clock, processes)

    ids = record_ids(sessions)
    assert marks(slack_api, DEALS_CHANNEL) == Counter(
        {(run_id, ids[f"D{n:03d}"], 0, 0): 1 for n in range(RECORDS)}
    )
    assert len(slack_api.calls(POST)) == RECORDS + 1
    assert len(slack_api.calls("conversations.history")) == RECORDS + 1
    stored = {m["ts"] for m in slack_api.posted_messages(DEALS_CHANNEL)}
    outcome = results(sessions, run_id)
    assert [(r.outcome, r.reason) for r in outcome] == [(ActionOutcome.OK.value, None)] * RECORDS
    assert {r.reference["ts"] for r in outcome if r.reference} == stored
    assert f"{RECORDS} ok, 0 failed, 0 skipped" in summary_text(slack_api)
    assert "unknown" not in summary_text(slack_api)


def test_a_post_failing_before_it_was_stored_is_posted_once_after_history_finds_nothing(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    slack_api.server_error(POST, times=1)  # the first record's post, not stored

    run_id = run_deals(sessions, clock, processes)

    assert set(marks(slack_api, DEALS_CHANNEL).values()) == {1}
    assert len(marks(slack_api, DEALS_CHANNEL)) == RECORDS
    assert len(slack_api.calls(POST)) == RECORDS + 2  # one post again, and the summary
    assert len(slack_api.calls("conversations.history")) == 1
    assert {r.outcome for r in results(sessions, run_id)} == {ActionOutcome.OK.value}


def test_a_rate_limited_post_is_retried_by_the_client_without_looking_in_history(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    slack_api.rate_limit(POST, times=1, retry_after=0)

    run_id = run_deals(sessions, clock, processes)

    assert set(marks(slack_api, DEALS_CHANNEL).values()) == {1}
    assert len(marks(slack_api, DEALS_CHANNEL)) == RECORDS
    assert len(slack_api.calls(POST)) == RECORDS + 2  # the retry, and the summary
    assert slack_api.calls("conversations.history") == []
    assert {r.outcome for r in results(sessions, run_id)} == {ActionOutcome.OK.value}


def test_a_digest_whose_posts_fail_once_stored_is_found_part_by_part(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    _stored_then_500(slack_api, 1_000)

    run_id = run_deals(sessions, clock, processes, mode="digest", records=400, text=LONG_LINE)

    parent, *replies = slack_api.posted_messages(DEALS_CHANNEL)
    assert len(replies) >= 2
    assert {reply["thread_ts"] for reply in replies} == {parent["ts"]}
    assert set(marks(slack_api, DEALS_CHANNEL).values()) == {1}
    assert len(slack_api.calls("conversations.replies")) == len(replies)
    outcome = results(sessions, run_id)
    assert len(outcome) == 400
    assert {(r.outcome, r.reference["ts"]) for r in outcome if r.reference} == {
        (ActionOutcome.OK.value, parent["ts"])
    }


# -- history unreadable ----------------------------------------------------------------------


@pytest.mark.parametrize("fault", list(STORED_THEN_FAILED))
def test_without_history_a_message_of_unknown_outcome_is_recorded_so_and_not_posted_again(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    fault: str,
) -> None:
    refuse_history(slack_api)
    STORED_THEN_FAILED[fault](slack_api, RECORDS)
    # Only problems are summarised: messages that may be missing are one.
    run_id = run_deals(sessions, clock, processes, summary="when_failed")

    assert set(marks(slack_api, DEALS_CHANNEL).values()) == {1}
    assert len(marks(slack_api, DEALS_CHANNEL)) == RECORDS
    # The records' messages, the summary, and the owner's alert (unknown counts as failed).
    assert len(slack_api.calls(POST)) == RECORDS + 2
    outcome = results(sessions, run_id)
    assert {r.outcome for r in outcome} == {ActionOutcome.UNKNOWN.value}
    [reason] = {r.reason for r in outcome}
    assert reason is not None
    assert "the message was sent" in reason
    assert "cannot read the channel's history" in reason and NO_HISTORY_SCOPE in reason
    assert "it was not posted again" in reason
    finished = run(sessions, run_id)
    assert finished.status == RunStatus.SUCCEEDED  # not all failed: they may well be there
    assert (finished.summary["ok"], finished.summary["unknown"]) == (0, RECORDS)
    line = RunLine.of(finished, ZoneInfo("UTC")).describe()
    assert f"0 ok, 0 failed, {RECORDS} unknown" in line
    text = summary_text(slack_api)
    assert f"0 ok, 0 failed, {RECORDS} unknown, 0 skipped" in text
    assert f"Outcome unknown for {RECORDS} actions" in text
    assert NO_HISTORY_SCOPE in text
    # Not "everything failed", but the owner is told, as of any failure.
    [alert] = [m["text"] for m in slack_api.posted_messages("D0OWNER")]
    assert f"{RECORDS} of {RECORDS} actions may not have been done" in alert


def test_without_history_a_digest_of_unknown_outcome_is_not_posted_again(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    refuse_history(slack_api)
    _stored_then_500(slack_api, 1)  # the digest's first message

    run_id = run_deals(sessions, clock, processes, mode="digest", records=300)

    # Its replies cannot be threaded under a message whose ts Slack never gave back.
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 1
    outcome = results(sessions, run_id)
    assert len(outcome) == 300
    assert {r.outcome for r in outcome} == {ActionOutcome.UNKNOWN.value}
    assert "300 unknown" in summary_text(slack_api)


def test_without_history_a_digest_reply_of_unknown_outcome_leaves_the_others_posted(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    refuse_history(slack_api)
    held = slack_api.hold(POST, nth=2, after_handling=True)  # the first reply

    def reset_when_stored() -> None:
        if held.reached.wait(30):
            held.drop()

    dropper = threading.Thread(target=reset_when_stored)
    dropper.start()
    try:
        run_id = run_deals(sessions, clock, processes, mode="digest", records=400, text=LONG_LINE)
    finally:
        dropper.join()

    parent, *replies = slack_api.posted_messages(DEALS_CHANNEL)
    assert len(replies) >= 2
    assert {reply["thread_ts"] for reply in replies} == {parent["ts"]}
    assert set(marks(slack_api, DEALS_CHANNEL).values()) == {1}
    outcome = results(sessions, run_id)
    assert {(r.outcome, r.reference["ts"]) for r in outcome if r.reference} == {
        (ActionOutcome.UNKNOWN.value, parent["ts"])
    }
    [reason] = {r.reason for r in outcome}
    assert reason is not None and reason.startswith("reply 1 of the digest: ")


def test_on_its_last_attempt_a_run_that_cannot_check_gives_up_without_posting_again(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(sessions, [deal("D1")], clock.now())
    save(sessions, workflow_document(actions=[channel_message()]), clock.now())
    bot = processes.start()
    clock.set(JUST_AFTER)
    for _ in range(MAX_ATTEMPTS - 1):
        slack_api.server_error(POST, times=POST_TRIES)  # never stored: postponed each time
        [(run_id, status)] = bot.tick()
        assert status is None
        clock.advance(DEFAULT_LEASE + timedelta(seconds=1))
    # The last attempt: its post is stored, then 500; its history, read fine at first (by the
    # resumed run's search), then fails.
    _stored_then_500(slack_api, 1)
    reads = Counter[str]()

    def history_then_down(standin: SlackStandIn, call: Call) -> dict[str, Any]:
        reads["history"] += 1
        if reads["history"] > 1:
            raise ApiError("internal_error")
        return conversations_history(standin, call)

    slack_api.handlers["conversations.history"] = history_then_down

    [(last, status)] = bot.tick()

    assert (last, status) == (run_id, RunStatus.SUCCEEDED)
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 1
    [result] = results(sessions, run_id)
    assert result.outcome == ActionOutcome.UNKNOWN.value
    assert result.reason is not None and "gave up without posting it again" in result.reason
