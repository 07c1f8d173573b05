"""The commands answered after the ack when their pool cannot take them: too many answers
already waiting, or the bot stopping. The user is told at the response URL what to do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.after_ack import AfterAck
from bot.workflows.clock import FixedClock
from tests.slack.e2e.conftest import OWNER
from tests.slack.harness import Bot, Slack, running_bot
from tests.slack_standin import SlackStandIn


@pytest.fixture
def after_ack() -> AfterAck:
    return AfterAck(threads=1, waiting=0)  # every answer would have to wait: none may


@pytest.fixture
def bot(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    slack_api: SlackStandIn,
    after_ack: AfterAck,
) -> Iterator[Bot]:
    yield from running_bot(sessions, clock, slack_api, after_ack=after_ack)


def test_a_list_asked_for_while_too_many_answers_wait_is_told_to_try_again(
    slack: Slack, slack_api: SlackStandIn
) -> None:
    said = slack.reply_to(OWNER, "list")

    assert said.startswith(
        "workflow-bot is busy answering other requests and did not run `/workflow list`. "
        "Try it again in a moment."
    )
    [response] = slack_api.responses()
    assert response.payload["response_type"] == "ephemeral"


def test_a_show_asked_for_as_the_bot_stops_is_told_to_run_it_again(
    slack: Slack, after_ack: AfterAck
) -> None:
    after_ack.stop()

    said = slack.reply_to(OWNER, "show Weekly check-in")

    assert said.startswith(
        "workflow-bot was stopping and did not run `/workflow show Weekly check-in`. "
        "Run the command again."
    )


def test_a_list_dropped_as_the_bot_stops_past_its_response_url_is_told_by_direct_message(
    slack: Slack, slack_api: SlackStandIn, after_ack: AfterAck
) -> None:
    after_ack.stop()
    slack_api.refuse_responses("expired_url")

    assert slack.command(OWNER, "list").status == 200

    slack_api.wait_for(lambda api: bool(api.posted_messages("D0OWNER")))
    [message] = slack_api.posted_messages("D0OWNER")
    assert str(message["text"]).startswith(
        "workflow-bot was stopping and did not run `/workflow list`."
    )
