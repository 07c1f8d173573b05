"""/workflow over real HTTP: signed commands to the bot's endpoint, replies at the
response_url, changes in the database, and refusals that change nothing."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select, update

from bot.workflows.clock import FixedClock
from bot.workflows.lifecycle import NameTaken
from bot.workflows.vocabulary import RunSource
from storage.database import transaction
from storage.models import Run, Workflow
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.slack.e2e.conftest import ADMIN, LISTED_ADMIN, OTHER, OWNER
from tests.slack.harness import Bot, Slack
from tests.slack_standin import TEAM_ID, SlackStandIn

NAME = "Deal review"


@pytest.fixture
def deal_review(bot: Bot, clock: FixedClock) -> str:
    import_deals(bot.sessions, [deal("D1", "Acme"), deal("D2", "Globex")], clock.now(), TEAM_ID)
    save(bot.sessions, workflow_document(name=NAME, owner=OWNER), clock.now(), team=TEAM_ID)
    return NAME


def test_help_lists_every_subcommand(slack: Slack) -> None:
    reply = slack.reply_to(OWNER, "help")
    for subcommand in ("create", "list", "show", "edit", "pause", "activate", "delete", "run"):
        assert f"/workflow {subcommand}" in reply


@pytest.mark.parametrize("text", ["", "   ", "frobnicate"])
def test_an_empty_or_unknown_subcommand_shows_help(slack: Slack, text: str) -> None:
    reply = slack.reply_to(OWNER, text)
    assert "/workflow create" in reply
    if text.strip():
        assert "`frobnicate` is not a /workflow subcommand" in reply


def test_a_subcommand_without_its_name_says_how_to_call_it(slack: Slack) -> None:
    assert "`/workflow pause NAME`" in slack.reply_to(OWNER, "pause")


def test_the_command_is_acknowledged_at_once_with_an_empty_body(slack: Slack) -> None:
    answer = slack.command(OWNER, "list")
    assert answer.status == 200
    assert answer.body == b""


def test_list_shows_each_workflow_with_its_next_run(slack: Slack, deal_review: str) -> None:
    reply = slack.reply_to(OTHER, "list")
    assert "*Deal review* · active · deals · Every day at 09:00" in reply
    assert "next run Tue 01 Dec 2026 09:00 UTC" in reply


def test_a_list_that_fails_after_the_ack_tells_the_user_why(
    slack: Slack, bot: Bot, deal_review: str
) -> None:
    # A schedule no reader can take: the list fails after the command was acknowledged.
    with transaction(bot.sessions) as session:
        session.execute(update(Workflow).values(schedule=[]))

    reply = slack.reply_to(OWNER, "list")

    assert reply.startswith(":warning: Schedule: Schedule is not in a shape this form shows")


def test_list_says_how_to_start_when_there_are_none(slack: Slack) -> None:
    assert "No workflows yet" in slack.reply_to(OWNER, "list")


def test_show_describes_schedule_criteria_and_actions(slack: Slack, deal_review: str) -> None:
    reply = slack.reply_to(OTHER, f"show {NAME}")
    assert "Every day at 09:00" in reply
    assert "stage" in reply and "contract" in reply
    assert "C0DEALS" in reply
    assert "No runs yet." in reply


def test_a_name_in_another_case_finds_the_one_workflow_of_that_name(
    slack: Slack, bot: Bot, clock: FixedClock, deal_review: str
) -> None:
    assert "Every day at 09:00" in slack.reply_to(OTHER, "show deal REVIEW")
    # A second workflow whose name differs only in case, which made this ambiguous, is refused.
    document = workflow_document(name="DEAL REVIEW", owner=OWNER)
    with pytest.raises(NameTaken):
        save(bot.sessions, document, clock.now(), team=TEAM_ID)
    assert "Every day at 09:00" in slack.reply_to(OTHER, "show deal review")


def test_run_now_refuses_a_workflow_without_actions(
    slack: Slack, bot: Bot, clock: FixedClock, deal_review: str
) -> None:
    document = workflow_document(name="Empty", owner=OWNER, status="draft", actions=[])
    document["actions"] = []
    save(bot.sessions, document, clock.now(), team=TEAM_ID)
    reply = slack.reply_to(OWNER, "run Empty")
    assert "has no actions yet, so a run would do nothing" in reply
    with transaction(bot.sessions) as session:
        assert session.scalars(select(Run)).all() == []


def test_a_late_delete_confirmation_does_not_delete_a_new_workflow_of_that_name(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, clock: FixedClock, deal_review: str
) -> None:
    slack.reply_to(OWNER, f"delete {NAME}")
    question = slack_api.responses()[-1]
    with transaction(bot.sessions) as session:  # deleted and made again meanwhile
        session.delete(session.scalars(select(Workflow)).one())
    clock.advance(timedelta(minutes=1))
    save(bot.sessions, workflow_document(name=NAME, owner=OWNER), clock.now(), team=TEAM_ID)
    _, path = slack.click_in_message(OWNER, question.payload, "workflow_delete_confirm")
    slack_api.wait_for(lambda api: any(r.path == path for r in api.responses()))
    assert "nothing was deleted" in next(r for r in slack_api.responses() if r.path == path).text
    assert bot.stored_workflow(NAME) is not None


def test_a_command_that_fails_at_once_is_still_acknowledged(
    slack: Slack, slack_api: SlackStandIn, deal_review: str
) -> None:
    # An error a few milliseconds after ack() once turned Slack's answer into a 404.
    for number in range(5):
        assert slack.command(OWNER, f"pause No such workflow {number}").status == 200
    slack_api.wait_for(lambda api: len(api.responses()) == 5)
    assert all("There is no workflow" in r.text for r in slack_api.responses())


def test_an_unknown_name_lists_close_matches(slack: Slack, deal_review: str) -> None:
    reply = slack.reply_to(OWNER, "pause Deal reveiw")
    assert "There is no workflow named 'Deal reveiw'" in reply
    assert "Did you mean 'Deal review'?" in reply


def test_the_owner_pauses_and_activates(slack: Slack, bot: Bot, deal_review: str) -> None:
    reply = slack.reply_to(OWNER, f"pause {NAME}")
    assert "*Deal review* is paused: no scheduled runs until" in reply
    assert "`/workflow activate Deal review`" in reply
    paused = bot.stored_workflow(NAME)
    assert paused is not None and paused.status == "paused" and paused.next_run_at is None
    reply = slack.reply_to(OWNER, f"activate {NAME}")
    assert "*Deal review* is active; next run Tue 01 Dec 2026 09:00 UTC." in reply
    active = bot.stored_workflow(NAME)
    assert active is not None and active.status == "active"
    assert bot.wakes, "the scheduler was not told about the change"


@pytest.mark.parametrize("subcommand", ["pause", "activate", "delete", "run", "edit"])
def test_someone_else_is_refused_and_nothing_changes(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str, subcommand: str
) -> None:
    before = bot.stored_workflow(NAME)
    reply = slack.reply_to(OTHER, f"{subcommand} {NAME}") if subcommand != "edit" else None
    if subcommand == "edit":
        slack.command(OTHER, f"edit {NAME}")
        slack_api.wait_for(lambda api: any("owner" in json.dumps(v.view) for v in api.views()))
        reply = json.dumps(slack_api.views(OTHER)[-1].view)
    assert reply is not None
    assert "Only the owner of" in reply and "<@U0OWNER>" in reply
    after = bot.stored_workflow(NAME)
    assert after is not None and before is not None
    assert (after.status, after.revision, after.next_run_at) == (
        before.status,
        before.revision,
        before.next_run_at,
    )
    with transaction(bot.sessions) as session:
        assert session.scalars(select(Run)).all() == []


@pytest.mark.parametrize("admin", [ADMIN, LISTED_ADMIN])
def test_an_admin_may_change_any_workflow(
    slack: Slack, bot: Bot, deal_review: str, admin: str
) -> None:
    assert "is paused" in slack.reply_to(admin, f"pause {NAME}")


def test_run_now_starts_a_manual_run_that_the_scheduler_executes(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    reply = slack.reply_to(OWNER, f"run {NAME}")
    assert "Running *Deal review* now" in reply
    with transaction(bot.sessions) as session:
        run = session.scalars(select(Run)).one()
        assert run.source == RunSource.MANUAL.value and run.triggered_by == OWNER
    bot.engine().tick()
    texts = sorted(m["text"] for m in slack_api.posted_messages("C0DEALS"))
    assert texts == ["Acme is in contract", "Globex is in contract"]
    history = slack.reply_to(OWNER, f"history {NAME}")
    assert "manual, by <@U0OWNER> · :white_check_mark: succeeded" in history
    assert "2 enrolled · 2 ok, 0 failed" in history


def test_delete_asks_first_and_deletes_on_confirmation(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    slack.reply_to(OWNER, f"delete {NAME}")
    question = slack_api.responses()[-1]
    assert "Delete *Deal review*?" in question.all_text()
    assert bot.stored_workflow(NAME) is not None, "deleted before the user confirmed"
    answer, path = slack.click_in_message(OWNER, question.payload, "workflow_delete_confirm")
    assert answer.status == 200
    slack_api.wait_for(lambda api: any(r.path == path for r in api.responses()))
    done = next(r for r in slack_api.responses() if r.path == path)
    assert done.text.startswith("Deleted *Deal review*.") and done.payload["replace_original"]
    assert "`/workflow restore Deal review` brings it back within 30 days" in done.text
    assert bot.stored_workflow(NAME) is None


def test_cancelling_a_delete_keeps_the_workflow(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    slack.reply_to(OWNER, f"delete {NAME}")
    question = slack_api.responses()[-1]
    _, path = slack.click_in_message(OWNER, question.payload, "workflow_delete_cancel")
    slack_api.wait_for(lambda api: any(r.path == path for r in api.responses()))
    assert bot.stored_workflow(NAME) is not None


def test_names_in_replies_are_escaped(slack: Slack, bot: Bot, clock: FixedClock) -> None:
    import_deals(bot.sessions, [deal("D1", "Acme")], clock.now(), TEAM_ID)
    name = "<!channel> & <@U0OTHER>"
    save(bot.sessions, workflow_document(name=name, owner=OWNER), clock.now(), team=TEAM_ID)
    reply = slack.reply_to(OWNER, "list")
    assert "&lt;!channel&gt; &amp; &lt;@U0OTHER&gt;" in reply
    assert "<!channel>" not in reply


# -- the endpoint itself ------------------------------------------------------------------


def test_an_unsigned_request_is_refused_and_does_nothing(
    slack: Slack, slack_api: SlackStandIn
) -> None:
    form = slack.command_form(OWNER, "list")
    answer = slack.send(urlencode(form), signature="")
    assert answer.status == 401
    assert slack_api.responses() == []


def test_a_forged_signature_is_refused(slack: Slack, slack_api: SlackStandIn) -> None:
    body = urlencode(slack.command_form(OWNER, "list"))
    assert slack.send(body, signature="v0=" + "0" * 64).status == 401
    wrong_secret = Slack(slack.port, slack_api, secret="not-the-secret")
    assert wrong_secret.send(body).status == 401
    assert slack_api.responses() == []


def test_a_request_older_than_five_minutes_is_refused(slack: Slack) -> None:
    body = urlencode(slack.command_form(OWNER, "list"))
    stale = int(time.time()) - 6 * 60
    assert slack.send(body, timestamp=stale).status == 401


def test_healthz_reports_the_database(slack: Slack) -> None:
    answer = slack.get("/healthz")
    assert answer.status == 200
    assert answer.json["database"] == "ok"


def test_an_expired_trigger_is_explained_to_the_user(
    slack: Slack, clock: FixedClock, slack_api: SlackStandIn
) -> None:
    form = slack.command_form(OWNER, "create")
    clock.advance(timedelta(seconds=4))  # Slack's client was slow: the trigger expired
    slack.send(urlencode(form))
    slack_api.wait_for(lambda api: bool(api.responses()))
    assert "took too long to open the dialog" in slack_api.responses()[-1].text


def test_a_name_with_ampersand_and_angle_brackets_is_found_as_typed(
    slack: Slack, bot: Bot, clock: FixedClock
) -> None:
    """Slack sends "R&D <pipeline> review" typed after /workflow as
    "R&amp;D &lt;pipeline&gt; review"; the name is read back as the person typed it."""
    import_deals(bot.sessions, [deal("D1", "Acme")], clock.now(), TEAM_ID)
    name = "R&D <pipeline> review"
    save(bot.sessions, workflow_document(name=name, owner=OWNER), clock.now(), team=TEAM_ID)

    reply = slack.reply_to(OWNER, "pause R&amp;D &lt;pipeline&gt; review")

    assert "*R&amp;D &lt;pipeline&gt; review* is paused" in reply
    stored = bot.stored_workflow(name)
    assert stored is not None and stored.status == "paused"
