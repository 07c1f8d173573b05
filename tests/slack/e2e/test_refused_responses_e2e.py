"""Answers the response URL refuses (expired after 30 minutes or five messages, or the app
gone from the workspace): the user reads them as a direct message from the bot, and when
that fails too the log says who got no answer."""

from __future__ import annotations

import logging
import time

import pytest

from tests.slack.e2e.conftest import OWNER
from tests.slack.harness import Slack
from tests.slack_standin import SlackStandIn

OWNER_DM = "D0OWNER"


def direct_messages(slack_api: SlackStandIn) -> list[dict[str, object]]:
    return slack_api.posted_messages(OWNER_DM)


def test_a_list_whose_response_url_expired_comes_as_a_direct_message(
    slack: Slack, slack_api: SlackStandIn
) -> None:
    slack.reply_to(OWNER, "list")
    [answered] = slack_api.responses()
    slack_api.refuse_responses("expired_url")

    assert slack.command(OWNER, "list").status == 200

    slack_api.wait_for(lambda api: bool(direct_messages(api)))
    [refused] = slack_api.refused_responses()  # tried at the response URL first
    [message] = direct_messages(slack_api)
    assert refused.payload["text"] == message["text"] == answered.text
    assert message["blocks"] == answered.blocks


def test_a_refusal_answered_at_once_comes_as_a_direct_message_too(
    slack: Slack, slack_api: SlackStandIn
) -> None:
    slack_api.refuse_responses("invalid_token")  # HTTP 403, where expired_url is 404

    assert slack.command(OWNER, "pause Nothing such").status == 200

    slack_api.wait_for(lambda api: bool(direct_messages(api)))
    [message] = direct_messages(slack_api)
    assert "Nothing such" in str(message["text"])


def test_an_answer_no_way_of_telling_takes_is_logged_with_its_user(
    slack: Slack, slack_api: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    slack_api.refuse_responses("no_service")
    slack_api.fail("channel_not_found", method="chat.postMessage")
    caplog.set_level(logging.WARNING)

    assert slack.command(OWNER, "list").status == 200

    deadline = time.monotonic() + 10
    while not _told_nobody(caplog) and time.monotonic() < deadline:
        time.sleep(0.01)  # the answer is worked out after the ack, on a thread of its own
    [logged] = _told_nobody(caplog)
    assert "no_service" in logged and "channel_not_found" in logged
    assert len(slack_api.calls("chat.postMessage")) == 1  # not again to say it failed


def test_a_command_whose_error_reaches_no_one_keeps_its_acknowledgement(
    slack: Slack, slack_api: SlackStandIn
) -> None:
    # pause answers before its listener returns: an error telling the user that escaped
    # the listener would be logged, and nobody told.
    slack_api.refuse_responses("no_service")
    slack_api.fail("channel_not_found", method="chat.postMessage")

    statuses = [slack.command(OWNER, "pause Nothing such").status for _ in range(15)]

    assert statuses == [200] * 15


def test_an_answer_slack_calls_malformed_is_logged_as_a_bug_not_sent_again(
    slack: Slack, slack_api: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    slack_api.refuse_responses("invalid_payload")  # HTTP 400: the bot's bug, not Slack's no
    caplog.set_level(logging.WARNING)

    assert slack.command(OWNER, "list").status == 200

    deadline = time.monotonic() + 10
    while len(_bugs(caplog)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # the answer is worked out after the ack, on a thread of its own
    bug, unsent = _bugs(caplog)
    assert bug.getMessage().startswith("error ") and bug.exc_info is not None  # id, traceback
    assert "invalid_payload" in str(bug.exc_info[1])
    assert unsent.exc_info is not None  # the reply giving the error id was refused too
    assert slack_api.calls("chat.postMessage") == []  # the same payload fails as a message


def _bugs(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def _told_nobody(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if f"user {OWNER} got no answer" in record.getMessage()
    ]
