"""How long a request waits for its listener's ack, from create_app through errors.reported:
a listener that has not acked by then is answered as unhandled, and carries on."""

from __future__ import annotations

import inspect
import threading

import pytest
from slack_bolt import Ack

from bot.slack import handoff
from bot.slack.app import create_app
from bot.slack.errors import reported
from tests.slack.e2e.conftest import OWNER
from tests.slack.harness import Bot, Slack

WAIT_S = 10  # only ever reached when the code under test is broken


@pytest.fixture
def ack_wait_s() -> float:
    return 0.05  # stands for Slack's 3 s, in place of waiting it out


def test_a_command_not_acked_within_the_wait_is_answered_as_unhandled(
    bot: Bot, slack: Slack
) -> None:
    release, acked = threading.Event(), threading.Event()

    def slow(ack: Ack) -> None:
        assert release.wait(WAIT_S)
        ack()
        acked.set()

    bot.app.command("/slow")(reported(slow))
    # It acks within Slack's 3 s in any case: an app that waited that long, not the wait it
    # was given, would answer 200.
    within_slacks_limit = threading.Timer(2.0, release.set)
    within_slacks_limit.start()
    answer = slack.command(OWNER, "", command="/slow")
    release.set()
    within_slacks_limit.cancel()
    assert answer.status == 404, answer
    assert answer.json == {"error": "unhandled request"}
    assert acked.wait(WAIT_S), "the listener carried on past the wait"


def test_an_app_waits_slacks_limit_unless_given_another() -> None:
    # Slack's limit itself: test_handoff.
    assert inspect.signature(create_app).parameters["ack_wait_s"].default == handoff.ACK_WAIT_S
