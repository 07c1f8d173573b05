"""Runs that speak up: the owner gets one direct message per run with failed actions (as
settings.alert_owner says: any_failure by default, all_failed, never), naming the records
that failed and why, with a Details button, exactly once even when the run is resumed after
its process died; and every summary policy covers runs started by hand."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.ids import HistoryAction
from bot.slack.notifier import REASONS
from bot.workflows.clock import FixedClock
from bot.workflows.engine import DEFAULT_LEASE
from bot.workflows.lifecycle import CLI_ACTOR, request_run
from bot.workflows.runner import ALERT_MARK_INDEX, SUMMARY_MARK_INDEX
from bot.workflows.vocabulary import RunStatus
from storage.database import write_transaction
from tests.block_kit import assert_valid_blocks
from tests.engine.builders import (
    SUMMARY_CHANNEL,
    TEAM,
    channel_message,
    deal,
    import_deals,
    run,
    runs,
    save,
    workflow_document,
)
from tests.engine.conftest import Crash, DyingNotifier, Processes
from tests.slack_standin import SlackStandIn

JUST_AFTER = datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC)
OWNER_DM = "D0OWNER"  # the stand-in's conversation with the workflow's owner, U0OWNER
GONE, FOUND = "U0GONE", "U0FOUND"  # record owners: Slack refuses one, reaches the other
OWNER_DMS = [{"type": "send_owner_dm", "text": "Please update {{ name }}"}]


def five_of_eight_fail(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    """Eight deals, five of whose owners Slack does not know: 5 of 8 actions fail."""
    owners = [GONE] * 5 + [FOUND] * 3
    deals = [deal(f"D{n}", f"Deal {n}", owner=o) for n, o in enumerate(owners, start=1)]
    import_deals(sessions, deals, clock.now())


def run_once(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    settings: dict[str, Any],
) -> int:
    save(sessions, workflow_document(actions=OWNER_DMS, settings=settings), clock.now())
    clock.set(JUST_AFTER)
    [(run_id, status)] = processes.start().tick()
    assert status is not None
    return run_id


def alerts(slack_api: SlackStandIn) -> list[dict[str, Any]]:
    return slack_api.posted_messages(OWNER_DM)


ALERT_SETTINGS = [
    ({}, True),  # a workflow saved before the setting existed: any_failure
    ({"alert_owner": "any_failure"}, True),
    ({"alert_owner": "all_failed"}, False),
    ({"alert_owner": "never"}, False),
]


@pytest.mark.parametrize(("setting", "alerted"), ALERT_SETTINGS)
def test_a_run_where_5_of_8_actions_failed_alerts_the_owner_as_the_setting_says(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    setting: dict[str, Any],
    alerted: bool,
) -> None:
    slack_api.fail("user_not_found", method="chat.postMessage", channel=GONE)
    five_of_eight_fail(sessions, clock)

    run_id = run_once(sessions, clock, processes, setting)

    finished = run(sessions, run_id)
    assert finished.status == RunStatus.SUCCEEDED  # some actions did what they should
    assert (finished.summary["ok"], finished.summary["failed"]) == (3, 5)
    assert len(alerts(slack_api)) == (1 if alerted else 0)
    assert finished.owner_alerted is alerted


def test_the_alert_names_the_failed_records_and_why_with_a_details_button(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    slack_api.fail("user_not_found", method="chat.postMessage", channel=GONE)
    five_of_eight_fail(sessions, clock)

    run_id = run_once(sessions, clock, processes, {})

    [alert] = alerts(slack_api)
    assert alert["text"].startswith(":warning: *Deal review*: 5 of 8 actions failed in the run")
    for failed in range(1, 6):
        assert f"• Deal {failed}, action 1: {REASONS['user_not_found']}" in alert["text"]
    for reached in range(6, 9):
        assert f"Deal {reached}" not in alert["text"]
    assert_valid_blocks(alert["blocks"])
    buttons = [e for b in alert["blocks"] if b["type"] == "actions" for e in b["elements"]]
    details = [b for b in buttons if b["action_id"] == HistoryAction.DETAILS]
    assert [b["value"] for b in details] == [str(run_id)]


def test_the_alert_says_how_many_more_failed_than_it_lists(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    slack_api.fail("user_not_found", method="chat.postMessage", channel=GONE)
    deals = [deal(f"D{n}", f"Deal {n}", owner=GONE) for n in range(1, 10)]
    import_deals(sessions, deals, clock.now())

    run_id = run_once(sessions, clock, processes, {"alert_owner": "all_failed"})

    assert run(sessions, run_id).status == RunStatus.FAILED
    [alert] = alerts(slack_api)
    assert "9 of 9 actions failed" in alert["text"]
    assert "…and 4 more: see Details." in alert["text"]


def test_a_run_without_failures_alerts_nobody(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    import_deals(sessions, [deal("D1", "Acme", owner=FOUND)], clock.now())

    run_id = run_once(sessions, clock, processes, {})

    assert run(sessions, run_id).status == RunStatus.SUCCEEDED
    assert alerts(slack_api) == []


# -- exactly once, when a process dies ------------------------------------------------------

# Posts in order: D1 and D2 to their owner (refused), D3 to its owner, the summary, the alert.
DIES_AFTER = {"after-the-summary": 4, "after-the-alert": 5, "before-the-alert": None}


@pytest.mark.parametrize("crash", list(DIES_AFTER))
def test_a_run_resumed_after_its_process_died_alerts_the_owner_exactly_once(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    crash: str,
) -> None:
    slack_api.fail("user_not_found", method="chat.postMessage", channel=GONE)
    owners = [GONE, GONE, FOUND]
    deals = [deal(f"D{n}", f"Deal {n}", owner=o) for n, o in enumerate(owners, start=1)]
    import_deals(sessions, deals, clock.now())
    settings = {"summary_channel": SUMMARY_CHANNEL, "summary": "always"}
    save(sessions, workflow_document(actions=OWNER_DMS, settings=settings), clock.now())
    after = DIES_AFTER[crash]
    dies = {"after_post": after} if after is not None else {"before_post": 5}
    dying = processes.start("host-1", DyingNotifier(processes.slack(), **dies))
    clock.set(JUST_AFTER)

    with pytest.raises(Crash):
        dying.tick()
    [interrupted] = runs(sessions)
    assert interrupted.status == RunStatus.RUNNING
    clock.advance(DEFAULT_LEASE + timedelta(seconds=1))
    [(run_id, status)] = processes.start("host-2").tick()

    assert (run_id, status) == (interrupted.id, RunStatus.SUCCEEDED)
    assert run(sessions, run_id).owner_alerted is True
    reports = Counter(
        int(m["metadata"]["event_payload"]["action_index"])
        for m in slack_api.posted_messages()
        if "metadata" in m
        and int(m["metadata"]["event_payload"]["run_id"]) == run_id
        and int(m["metadata"]["event_payload"]["action_index"]) < 0
    )
    assert reports == {SUMMARY_MARK_INDEX: 1, ALERT_MARK_INDEX: 1}
    [alert] = alerts(slack_api)
    assert "2 of 3 actions failed" in alert["text"]


# -- runs started by hand --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "summarised"),
    [("always", True), ("when_enrolled_or_failed", True), ("when_failed", False)],
)
def test_a_run_started_by_hand_is_summarised_as_the_policy_says(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
    policy: str,
    summarised: bool,
) -> None:
    import_deals(sessions, [deal("D1", "Acme")], clock.now())
    settings = {"summary_channel": SUMMARY_CHANNEL, "summary": policy}
    document = workflow_document(actions=[channel_message()], settings=settings)
    save(sessions, document, clock.now())
    with write_transaction(sessions) as session:
        requested = request_run(session, TEAM, document["name"], CLI_ACTOR, clock.now())

    assert processes.start().run_now(requested.run_id) == RunStatus.SUCCEEDED

    summaries = [m["text"] for m in slack_api.posted_messages(SUMMARY_CHANNEL)]
    assert len(summaries) == (1 if summarised else 0)
    if summarised:
        assert "1 record enrolled · actions: 1 ok, 0 failed" in summaries[0]
