"""Workflows a team shares, over real HTTP: /workflow history with who changed what,
transfer to a person (who is told), copy, delete then restore, show with suppression and
settings, and the App Home read-only for those who do not own a workflow."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.workflows.clock import FixedClock
from tests.block_kit import assert_valid_view
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.slack.e2e.conftest import ADMIN, OTHER, OWNER
from tests.slack.harness import Bot, Slack
from tests.slack_standin import TEAM_ID, SlackStandIn

NAME = "Deal review"
SUPPRESSED = {"any": [{"all": [{"property": "do_not_contact", "operator": "eq", "value": True}]}]}


@pytest.fixture
def deal_review(bot: Bot, clock: FixedClock) -> str:
    import_deals(bot.sessions, [deal("D1", "Acme", do_not_contact=False)], clock.now(), TEAM_ID)
    document = workflow_document(
        name=NAME,
        owner=OWNER,
        suppression=SUPPRESSED,
        settings={"pause_days": ["12-25"], "catch_up_minutes": 30},
    )
    save(bot.sessions, document, clock.now(), team=TEAM_ID)
    return NAME


def test_history_says_who_changed_and_ran_the_workflow_and_when(
    slack: Slack, slack_api: SlackStandIn, clock: FixedClock, deal_review: str
) -> None:
    clock.advance(timedelta(minutes=5))
    slack.reply_to(OWNER, f"pause {NAME}")
    reply = slack.reply_to(OTHER, f"history {NAME}")
    assert "*Changes* (newest first):" in reply
    assert "*Mon 30 Nov 2026 12:05 UTC* · paused · by <@U0OWNER>" in reply
    assert "*Mon 30 Nov 2026 12:00 UTC* · created (revision 1) · by cli" in reply


def test_the_owner_transfers_a_workflow_to_a_mentioned_person_who_is_told(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    reply = slack.reply_to(OWNER, f"transfer {NAME} <@{OTHER}|oscar>")
    assert reply.startswith("*Deal review* now belongs to <@U0OTHER> (it was <@U0OWNER>'s).")
    moved = bot.stored_workflow(NAME)
    assert moved is not None and moved.owner_user_id == OTHER
    [told] = slack_api.messages_in(slack_api.conversation_id(OTHER))
    assert told["text"].startswith("<@U0OWNER> made you the owner of the workflow *Deal review*")
    history = slack.reply_to(OTHER, f"history {NAME}")
    assert "transferred from <@U0OWNER> to <@U0OTHER> · by <@U0OWNER>" in history


@pytest.mark.parametrize(
    ("user", "text", "said"),
    [
        (OTHER, f"transfer {NAME} <@{ADMIN}|ada>", "Only the owner of *Deal review*"),
        (OWNER, f"transfer {NAME} <@U0BOT|bot>", "is not a person who can own a workflow"),
        # With a name and no person a dialog asks who (test_transfer_dialog_e2e.py).
        (OWNER, "transfer", "Say which workflow and who is to own it"),
    ],
)
def test_a_transfer_by_someone_else_or_to_a_bot_or_to_no_one_is_refused_saying_why(
    slack: Slack,
    bot: Bot,
    slack_api: SlackStandIn,
    deal_review: str,
    user: str,
    text: str,
    said: str,
) -> None:
    slack_api.add_user("U0BOT", "bot", is_bot=True)
    assert said in slack.reply_to(user, text)
    kept = bot.stored_workflow(NAME)
    assert kept is not None and kept.owner_user_id == OWNER


def test_anyone_copies_a_workflow_into_a_paused_one_of_their_own(
    slack: Slack, bot: Bot, deal_review: str
) -> None:
    reply = slack.reply_to(OTHER, f"copy {NAME.lower()} My review")
    assert reply.startswith("*My review* is a copy of *Deal review*, owned by <@U0OTHER>.")
    assert "It is paused: nothing runs until `/workflow activate My review`" in reply
    copy = bot.stored_workflow("My review")
    assert copy is not None and (copy.owner_user_id, copy.status) == (OTHER, "paused")
    refused = slack.reply_to(OTHER, f'copy "{NAME}" "my REVIEW"')
    assert "A workflow named 'My review' already exists" in refused
    assert "Say which workflow to copy" in slack.reply_to(OTHER, "copy Unknown thing")


def test_a_deleted_workflow_leaves_every_list_and_restore_brings_it_back_paused(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    slack.reply_to(OWNER, f"delete {NAME}")
    question = slack_api.responses()[-1]
    assert "Its runs and history are kept" in question.all_text()
    _, path = slack.click_in_message(OWNER, question.payload, "workflow_delete_confirm")
    slack_api.wait_for(lambda api: any(r.path == path for r in api.responses()))
    assert (
        "No workflows now. Deleted in the last 30 days and still restorable: *Deal review*. "
        "`/workflow restore NAME` brings one back (its owner or an admin can), not running "
        "until it is activated. Create one with `/workflow create`."
    ) in slack.reply_to(OTHER, "list")
    event = {"type": "app_home_opened", "user": OTHER, "channel": "D0HOME", "tab": "home"}
    assert slack.event(event, "EvDeleted").status == 200
    slack_api.wait_for(lambda api: api.home(OTHER) is not None)
    home = json.dumps(slack_api.home(OTHER), ensure_ascii=False)
    assert "Deleted in the last 30 days and still restorable: *Deal review*." in home
    assert "No workflows yet" not in home
    history = slack.reply_to(OWNER, f"history {NAME}")
    assert "Deleted. `/workflow restore Deal review` brings it back" in history
    assert "deleted · by <@U0OWNER>" in history

    assert "Only the owner of *Deal review*" in slack.reply_to(OTHER, f"restore {NAME}")
    reply = slack.reply_to(OWNER, f"restore {NAME}")
    assert reply.startswith("*Deal review* is back, with its runs and history (revision 1).")
    assert "It is paused: `/workflow activate Deal review`" in reply
    assert "*Deal review* · paused" in slack.reply_to(OTHER, "list")
    assert "No deleted workflow is named 'Deal review'." in slack.reply_to(OWNER, f"restore {NAME}")


def test_show_says_what_is_never_enrolled_and_every_setting(slack: Slack, deal_review: str) -> None:
    reply = slack.reply_to(OTHER, f"show {NAME}")
    assert "*Never enrolls:* do_not_contact" in reply
    assert "*Settings:*" in reply
    assert "• No run summary is posted to a channel" in reply
    assert "No runs on 12-25" in reply
    assert "up to 30 minutes late" in reply
    assert "a run goes on with the records as last synced" in reply
    assert "No pause days" not in reply  # it has one


def test_show_says_the_default_settings_too(slack: Slack, bot: Bot, clock: FixedClock) -> None:
    import_deals(bot.sessions, [deal("D1", "Acme")], clock.now(), TEAM_ID)
    document = workflow_document(name="Plain", owner=OWNER, settings={"summary_channel": "C0SUM"})
    save(bot.sessions, document, clock.now(), team=TEAM_ID)
    reply = slack.reply_to(OTHER, "show Plain")
    assert "*Never enrolls:* no record is kept out (no suppression criteria)" in reply
    assert "• Post a summary to <#C0SUM>" in reply
    assert "No run summary is posted" not in reply
    assert "• No pause days: it runs on every day its schedule names" in reply


def test_list_shows_everyone_every_workflow_with_its_owner(slack: Slack, deal_review: str) -> None:
    reply = slack.reply_to(OTHER, "list")
    assert "*Deal review* · active · deals · " in reply
    assert " · owner <@U0OWNER>" in reply


def test_help_names_history_transfer_copy_and_restore(slack: Slack) -> None:
    reply = slack.reply_to(OWNER, "help")
    for usage in ("history NAME", "transfer NAME @person", "copy NAME NEW NAME", "restore NAME"):
        assert f"/workflow {usage}" in reply


def test_the_home_shows_someone_elses_workflow_read_only_with_its_owner(
    slack: Slack, slack_api: SlackStandIn, deal_review: str
) -> None:
    event = {"type": "app_home_opened", "user": OTHER, "channel": "D0HOME", "tab": "home"}
    assert slack.event(event, "EvOther").status == 200
    slack_api.wait_for(lambda api: api.home(OTHER) is not None)
    view = slack_api.home(OTHER)
    assert view is not None
    assert_valid_view(view)
    home = json.dumps(view, ensure_ascii=False)
    assert "*Deal review* · :large_green_circle: active · deals · owner <@U0OWNER>" in home
    labels = [
        element["text"]["text"]
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert labels == ["History"]
