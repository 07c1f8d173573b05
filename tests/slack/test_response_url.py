"""CheckedRespond against the Slack stand-in: an answer a response URL refuses goes to the
user as a direct message, and quickly() keeps its time limit when that message is slow.
Telling a user of an error where there is no response URL raises nothing either."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator

import pytest
from slack_bolt import BoltContext
from slack_sdk.models.blocks import SectionBlock

from bot.slack.errors import tell_the_user
from bot.slack.notifier import make_web_client
from bot.slack.response_url import AnswerNotDelivered, AnswerUncertain, CheckedRespond
from tests.slack_standin import SlackStandIn

USER = "U0ASKER"


@pytest.fixture
def slack_api() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_user(USER, "asker")
        yield standin


def context_for(slack_api: SlackStandIn) -> BoltContext:
    # The client Bolt copies for each request: retries, Slack's 30 s timeout.
    client = make_web_client(slack_api.token, slack_api.url)
    return BoltContext(
        {"client": client, "response_url": slack_api.response_url(), "user_id": USER}
    )


def respond_for(slack_api: SlackStandIn) -> CheckedRespond:
    return CheckedRespond(context_for(slack_api))


def test_quickly_gives_up_on_a_slow_direct_message_within_its_limit(
    slack_api: SlackStandIn,
) -> None:
    slack_api.refuse_responses("expired_url")
    held = slack_api.hold("chat.postMessage", after_handling=False)
    respond = respond_for(slack_api)
    outcome: list[BaseException | None] = []

    def stopping_reply() -> None:
        try:
            respond.quickly("The bot is stopping", timeout=1)
            outcome.append(None)
        except Exception as error:
            outcome.append(error)

    teller = threading.Thread(target=stopping_reply, daemon=True)
    teller.start()
    try:
        assert held.reached.wait(5)
        teller.join(timeout=4)  # the 1 s limit, with room for a slow machine
        still_waiting = teller.is_alive()
    finally:
        held.release()
        teller.join(timeout=35)

    assert not still_waiting
    [error] = outcome
    assert isinstance(error, AnswerNotDelivered)
    assert USER in str(error) and "expired_url" in str(error)


def test_an_answer_the_response_url_refuses_comes_as_a_direct_message(
    slack_api: SlackStandIn,
) -> None:
    slack_api.refuse_responses("channel_is_archived")  # HTTP 410

    respond_for(slack_api)(text="Paused", response_type="ephemeral")

    [message] = slack_api.posted_messages()
    assert message["text"] == "Paused"


def test_an_error_whose_direct_message_slack_refuses_is_logged_with_its_user_not_raised(
    slack_api: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    # A modal or the Home tab has no response URL: the user is told by direct message.
    # Called after the ack (by ``reported``), an error raised here would tell no one.
    slack_api.fail("channel_not_found", method="chat.postMessage")
    client = make_web_client(slack_api.token, slack_api.url)
    context = BoltContext({"client": client, "user_id": USER})

    with caplog.at_level(logging.WARNING, logger="bot.slack.errors"):
        tell_the_user(RuntimeError("lost"), {"type": "block_actions"}, None, client, context)

    assert f"user {USER} got no answer about an error: channel_not_found" in caplog.text
    assert len(slack_api.calls("chat.postMessage")) == 1


def test_an_error_reply_slack_cannot_be_reached_for_is_logged_with_its_user_not_raised(
    slack_api: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    # The reply URL's host does not answer: an OSError from the webhook, which after the
    # ack must not leave tell_the_user either.
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    client = make_web_client(slack_api.token, slack_api.url)
    context = BoltContext(
        {
            "client": client,
            "response_url": f"http://127.0.0.1:{closed_port}/response",
            "user_id": USER,
        }
    )

    with caplog.at_level(logging.WARNING, logger="bot.slack.errors"):
        tell_the_user(
            RuntimeError("lost"),
            {"type": "block_actions"},
            CheckedRespond(context),
            client,
            context,
        )

    assert f"user {USER} got no answer about an error" in caplog.text


def test_a_whole_message_the_response_url_refuses_comes_as_a_direct_message(
    slack_api: SlackStandIn,
) -> None:
    # Bolt's respond() also takes the whole message as its one argument.
    slack_api.refuse_responses("expired_url")

    respond_for(slack_api)({"text": "Paused", "response_type": "ephemeral"})

    [message] = slack_api.posted_messages()
    assert message["text"] == "Paused"


@pytest.mark.parametrize("cut_short", [False, True], ids=["unanswered", "answer cut short"])
def test_an_answer_slack_kept_before_the_connection_broke_is_not_sent_again(
    slack_api: SlackStandIn, cut_short: bool
) -> None:
    # Slack has the answer; only its reply was lost. A retry would show it twice (and use
    # up one more of the URL's five answers).
    slack_api.drop_response_connections(times=1, cut_short=cut_short)
    context = context_for(slack_api)
    respond = CheckedRespond(context)

    with pytest.raises(AnswerUncertain) as uncertain:
        respond(text="Paused", response_type="ephemeral")
    # Nor is an error said in its place: the user would read "something went wrong, try
    # again" under an answer that came.
    tell_the_user(uncertain.value, {"type": "block_actions"}, respond, context.client, context)

    assert [response.payload["text"] for response in slack_api.responses()] == ["Paused"]
    assert slack_api.posted_messages() == []


def test_an_answer_reaches_the_response_url_as_bolts_respond_sends_it(
    slack_api: SlackStandIn,
) -> None:
    respond = respond_for(slack_api)

    respond("Paused", [SectionBlock(text="*Paused*")], response_type="ephemeral")
    respond(text="Done", blocks=[], replace_original=True)
    respond({"text": "Whole", "response_type": "in_channel"})

    assert [response.payload for response in slack_api.responses()] == [
        {
            "text": "Paused",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*Paused*"}}],
            "response_type": "ephemeral",
        },
        {"text": "Done", "replace_original": True},
        {"text": "Whole", "response_type": "in_channel"},
    ]


def test_an_answer_is_taken_as_bolts_respond_takes_it_or_refused_before_slack(
    slack_api: SlackStandIn,
) -> None:
    respond = respond_for(slack_api)

    respond("Paused", None, None, "ephemeral", False)
    with pytest.raises(TypeError, match="unexpected arguments"):
        respond(text="Paused", response_typ="ephemeral")
    with pytest.raises(TypeError, match="unexpected arguments"):
        respond({"text": "Paused", "colour": "red"})
    with pytest.raises(TypeError, match="by position and by name"):
        respond("Paused", text="Paused again")

    [response] = slack_api.responses()
    assert response.payload == {
        "text": "Paused",
        "response_type": "ephemeral",
        "replace_original": False,
    }
