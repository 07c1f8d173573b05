"""Giving a workflow to someone from a dialog (the App Home's Transfer button, or /workflow
transfer NAME without a person) with Slack's people picker, and the changes between two
revisions in Slack (/workflow diff), over real HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.slack.ids import HomeAction, TransferAction, TransferBlock
from bot.workflows.clock import FixedClock
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.slack.e2e.conftest import ADMIN, OTHER, OWNER
from tests.slack.e2e.test_home_history_e2e import _click_on_home, _open_home
from tests.slack.harness import Bot, Modal, Slack
from tests.slack_standin import TEAM_ID, SlackStandIn

NAME = "Deal review"
BOT_PERSON = "U0SOMEBOT"


@pytest.fixture
def deal_review(bot: Bot, clock: FixedClock, slack_api: SlackStandIn) -> str:
    slack_api.add_user(BOT_PERSON, "somebot", is_bot=True)
    import_deals(bot.sessions, [deal("D1", "Acme")], clock.now(), TEAM_ID)
    save(bot.sessions, workflow_document(name=NAME, owner=OWNER), clock.now(), team=TEAM_ID)
    return NAME


def _transfer_modal(slack: Slack, slack_api: SlackStandIn, user_id: str) -> Modal:
    slack_api.wait_for(
        lambda api: any("Transfer a workflow" in json.dumps(v.view) for v in api.views(user_id))
    )
    view = next(v for v in slack_api.views(user_id) if "Transfer a workflow" in json.dumps(v.view))
    return Modal(slack, user_id, view.view_id)


def _choose(modal: Modal, user_id: str) -> None:
    modal.values[TransferBlock.NEW_OWNER][TransferAction.NEW_OWNER]["selected_user"] = user_id


def test_the_owner_transfers_from_the_home_with_the_people_picker(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    _open_home(slack, slack_api, OWNER)
    _click_on_home(slack, slack_api, OWNER, HomeAction.TRANSFER)
    modal = _transfer_modal(slack, slack_api, OWNER)
    asked = modal.text()
    assert "*Deal review* belongs to <@U0OWNER>" in asked and "New owner" in asked

    _choose(modal, OTHER)
    answer = modal.submit()

    assert answer.json["response_action"] == "update"
    assert "*Deal review* now belongs to <@U0OTHER> (it was <@U0OWNER>'s)" in modal.text()
    moved = bot.stored_workflow(NAME)
    assert moved is not None and moved.owner_user_id == OTHER
    # The new owner is told after the answer.
    dm = slack_api.conversation_id(OTHER)
    slack_api.wait_for(lambda api: bool(api.messages_in(dm)))
    [told] = slack_api.messages_in(dm)
    assert told["text"].startswith("<@U0OWNER> made you the owner of the workflow *Deal review*")
    # The Home is published again: Olivia now reads it with its owner, and cannot transfer it.
    slack_api.wait_for(lambda api: "owner <@U0OTHER>" in json.dumps(api.home(OWNER) or {}))
    assert HomeAction.TRANSFER not in json.dumps(slack_api.home(OWNER))


def test_a_bot_is_refused_beside_the_picker_and_nothing_changes(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    assert slack.command(OWNER, f"transfer {NAME}").status == 200
    modal = _transfer_modal(slack, slack_api, OWNER)
    _choose(modal, BOT_PERSON)

    answer = modal.submit()

    assert answer.json["response_action"] == "errors"
    assert "not a person who can own a workflow" in answer.json["errors"][TransferBlock.NEW_OWNER]
    kept = bot.stored_workflow(NAME)
    assert kept is not None and kept.owner_user_id == OWNER


def test_a_rate_limited_check_of_the_new_owner_asks_to_try_again_and_nothing_changes(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    assert slack.command(OWNER, f"transfer {NAME}").status == 200
    modal = _transfer_modal(slack, slack_api, OWNER)
    _choose(modal, OTHER)
    slack_api.fail("ratelimited", method="users.info")

    answer = modal.submit()

    assert answer.json["response_action"] == "errors"
    assert answer.json["errors"][TransferBlock.NEW_OWNER] == (
        "Slack could not say whether they are a person who can own a workflow (ratelimited): "
        "nothing was changed. Try again in a minute."
    )
    kept = bot.stored_workflow(NAME)
    assert kept is not None and kept.owner_user_id == OWNER
    slack_api.stop_failing()
    assert modal.submit().json["response_action"] == "update"
    moved = bot.stored_workflow(NAME)
    assert moved is not None and moved.owner_user_id == OTHER


def test_someone_else_gets_no_transfer_dialog(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    assert HomeAction.TRANSFER not in _open_home(slack, slack_api, OTHER)
    reply = slack.reply_to(OTHER, f"transfer {NAME}")
    assert "Only the owner of *Deal review* (<@U0OWNER>) or an admin can change it" in reply
    assert not [v for v in slack_api.views(OTHER) if "Transfer a workflow" in json.dumps(v.view)]


def test_an_admin_transfers_with_the_dialog(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    assert slack.command(ADMIN, f"transfer {NAME}").status == 200
    modal = _transfer_modal(slack, slack_api, ADMIN)
    _choose(modal, OTHER)
    assert modal.submit().json["response_action"] == "update"
    moved = bot.stored_workflow(NAME)
    assert moved is not None and moved.owner_user_id == OTHER


def test_diff_shows_what_an_edit_changed_as_the_workflow_files(
    slack: Slack, bot: Bot, clock: FixedClock, deal_review: str
) -> None:
    assert "nothing to compare yet" in slack.reply_to(OTHER, f"diff {NAME}")
    clock.advance(timedelta(minutes=5))
    edited = workflow_document(
        name=NAME, owner=OWNER, schedule={"frequency": "daily", "time": "10:30", "timezone": "UTC"}
    )
    save(bot.sessions, edited, clock.now(), team=TEAM_ID)

    reply = slack.reply_to(OTHER, f"diff {NAME}")  # anyone who sees it may read it

    assert "*Deal review*: revision 1 to 2, saved by" in reply
    assert "-  time: 09:00" in reply and "+  time: '10:30'" in reply
    assert reply == slack.reply_to(OTHER, f"diff {NAME} 2 1")
    same = slack.reply_to(OTHER, f"diff {NAME} 2 2")
    assert "The two revisions are the same." in same
    assert "has no revision 7: the revisions kept are 1, 2" in slack.reply_to(
        OTHER, f"diff {NAME} 1 7"
    )


def test_choosing_the_owner_again_is_said_beside_the_picker(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    assert slack.command(OWNER, f"transfer {NAME}").status == 200
    modal = _transfer_modal(slack, slack_api, OWNER)
    _choose(modal, OWNER)

    answer = modal.submit()

    assert answer.json["errors"] == {
        TransferBlock.NEW_OWNER: "They own it already: choose someone else."
    }
