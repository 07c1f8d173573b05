"""SlackChannelAccess against the Slack stand-in: who may have the bot post where."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.slack.channel_access import SlackChannelAccess
from bot.slack.notifier import make_web_client
from tests.slack_standin import SlackStandIn

OWNER = "U0OWNER"


@pytest.fixture
def slack_api() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def access(slack_api: SlackStandIn) -> SlackChannelAccess:
    return SlackChannelAccess(make_web_client(slack_api.token, slack_api.url, max_retries=0))


def test_anyone_may_have_the_bot_post_to_a_public_channel(access: SlackChannelAccess) -> None:
    assert access.refusal("C0PUBLIC", OWNER) is None


def test_a_member_of_a_private_channel_may_have_the_bot_post_there(
    slack_api: SlackStandIn, access: SlackChannelAccess
) -> None:
    # Past the first page of members: the check follows Slack's cursor.
    members = [f"U{n:07d}" for n in range(1500)] + [OWNER]
    slack_api.add_channel("G0SECRET", "deal-desk", private=True, members=members)
    assert access.refusal("G0SECRET", OWNER) is None
    assert len(slack_api.calls("conversations.members")) == 2


def test_someone_outside_a_private_channel_may_not(
    slack_api: SlackStandIn, access: SlackChannelAccess
) -> None:
    slack_api.add_channel("G0SECRET", "deal-desk", private=True, members=["U0OTHER"])
    reason = access.refusal("G0SECRET", OWNER)
    assert reason == (
        "#deal-desk is a private channel and the workflow's owner U0OWNER is not a member "
        "of it: pick a channel the owner is in, or have a member of #deal-desk own the workflow"
    )


def test_a_private_channel_the_bot_is_not_in_is_refused_with_how_to_invite_it(
    slack_api: SlackStandIn, access: SlackChannelAccess
) -> None:
    slack_api.add_channel("G0HIDDEN", "board", private=True, members=[OWNER], bot_is_member=False)
    reason = access.refusal("G0HIDDEN", OWNER)
    assert reason is not None
    assert reason.startswith("the bot cannot see the channel G0HIDDEN")
    assert "/invite @workflow-bot" in reason


def test_without_the_scope_to_read_channels_the_answer_is_no_and_says_why(
    slack_api: SlackStandIn, access: SlackChannelAccess
) -> None:
    slack_api.fail("missing_scope", method="conversations.info", needed="groups:read")
    reason = access.refusal("G0SECRET", OWNER)
    assert reason is not None and "channels:read and groups:read" in reason


def test_a_direct_message_asks_slack_nothing(
    slack_api: SlackStandIn, access: SlackChannelAccess
) -> None:
    assert access.refusal("U0SOMEONE", OWNER) is None
    assert slack_api.calls() == []
