"""The "Enroll in workflow" message shortcut over real HTTP: the modal on a message, its two
pickers' options, enrolling existing records and one made from the message, the actions
running at once, the confirmation naming each outcome, and refusals that enroll nothing."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from bot.slack.ids import EnrollAction, EnrollBlock, Shortcut
from bot.slack.views.enrollment import CREATE_VALUE, EnrollContext, records_block_id
from bot.workflows.clock import FixedClock
from bot.workflows.vocabulary import RunSource
from storage.database import transaction
from storage.models import Enrollment, Record, Run, Workflow
from tests.engine.builders import channel_message, deal, import_deals, save, workflow_document
from tests.slack.e2e.conftest import ADMIN, LISTED_ADMIN, OTHER, OWNER
from tests.slack.harness import CHANNEL, Bot, Slack
from tests.slack.views.state import State, state_from_blocks
from tests.slack_standin import TEAM_ID, OpenView, SlackStandIn

NAME = "Deal review"
LOCKED = "C0LOCKED"
ELSEWHERE = "T0ELSEWHERE"
MESSAGE = {
    "text": "Umbrella &lt;Corp&gt; &amp; co\nThey asked for a quote.",
    "user": OTHER,
    "ts": "1764504000.000100",
}
NEW_ID = "message-C0GENERAL-1764504000.000100"
NOT_IN_CHANNEL = "the bot is not a member of the channel"


@pytest.fixture
def deal_review(bot: Bot, clock: FixedClock) -> int:
    """An active deals workflow owned by OWNER: a message to #deals, one to a channel the
    bot is not in, and a DM to the record's owner."""
    deals = [deal("D1", "Acme"), deal("D2", "Globex", owner=OWNER), deal("D3", "Initech")]
    import_deals(bot.sessions, deals, clock.now(), TEAM_ID)
    actions = [
        channel_message(),
        channel_message("{{ name }} needs a look", channel=LOCKED),
        {"type": "send_owner_dm", "text": "Please update {{ name }}"},
    ]
    document = workflow_document(name=NAME, owner=OWNER, actions=actions)
    return save(bot.sessions, document, clock.now(), team=TEAM_ID).workflow_id


# What the user does --------------------------------------------------------------------------


def _open(slack: Slack, slack_api: SlackStandIn, user: str) -> OpenView:
    answer = slack.shortcut(user, MESSAGE, Shortcut.ENROLL)
    assert (answer.status, answer.body) == (200, b"")
    slack_api.wait_for(lambda api: bool(api.views(user)))
    return slack_api.views(user)[-1]


def _choose_workflow(
    slack: Slack,
    slack_api: SlackStandIn,
    user: str,
    view: OpenView,
    name: str = NAME,
    offered_to: str | None = None,
) -> OpenView:
    """Types part of the name in the workflow picker and picks it: the modal is updated.
    With ``offered_to``, the option is one that user's picker offered (a stale or forged
    choice)."""
    options = slack.suggest(
        offered_to or user, view, EnrollBlock.WORKFLOW, EnrollAction.WORKFLOW, name[:4]
    )
    option = next(o for o in options if o["text"]["text"].startswith(name))
    values = state_from_blocks(view.view["blocks"])
    values[EnrollBlock.WORKFLOW][EnrollAction.WORKFLOW]["selected_option"] = option
    action = {
        "type": "external_select",
        "action_id": EnrollAction.WORKFLOW,
        "selected_option": option,
    }
    assert slack.click_in_view(user, view, values, EnrollBlock.WORKFLOW, action).status == 200
    slack_api.wait_for(lambda api: api.view(view.view_id).hash != view.hash)
    return slack_api.view(view.view_id)


def _records_block(view: OpenView) -> str:
    return next(
        b["block_id"]
        for b in view.view["blocks"]
        if str(b.get("block_id", "")).startswith(f"{EnrollBlock.RECORDS}.")
    )


def _pick(
    slack: Slack, user: str, view: OpenView, typed: list[str], create: bool, name: str | None = None
) -> State:
    """The modal's state with the records found by each of ``typed`` (first match each),
    the create box ticked or not, and the name typed over when given."""
    values = state_from_blocks(view.view["blocks"])
    block_id = _records_block(view)
    chosen = []
    for text in typed:
        found = slack.suggest(user, view, block_id, EnrollAction.RECORDS, text)
        assert found, f"no record matches {text!r}"
        chosen.append(found[0])
    values[block_id][EnrollAction.RECORDS]["selected_options"] = chosen
    if create:
        box = next(b for b in view.view["blocks"] if b.get("block_id") == EnrollBlock.CREATE)
        options = box["element"]["options"]
        values[EnrollBlock.CREATE][EnrollAction.CREATE]["selected_options"] = options
    if name is not None:
        values[EnrollBlock.NAME][EnrollAction.NAME]["value"] = name
    return values


def _ephemeral_to(slack_api: SlackStandIn, user: str) -> dict[str, Any]:
    slack_api.wait_for(lambda api: any(m["user"] == user for m in api.ephemeral_messages()))
    return next(m for m in slack_api.ephemeral_messages() if m["user"] == user)


def _runs(bot: Bot) -> list[Run]:
    with transaction(bot.sessions) as session:
        runs = list(session.scalars(select(Run)))
        session.expunge_all()
        return runs


def _record(bot: Bot, external_id: str) -> Record | None:
    with transaction(bot.sessions) as session:
        found = session.scalars(select(Record).where(Record.external_id == external_id)).first()
        if found is not None:
            session.expunge(found)
        return found


def _texts(slack_api: SlackStandIn, channel: str) -> list[str]:
    return sorted(m["text"] for m in slack_api.posted_messages(channel))


# Enrolling -------------------------------------------------------------------------------------


def test_enrolling_two_records_and_one_made_from_the_message_runs_the_actions_now(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: int
) -> None:
    slack_api.fail("not_in_channel", channel=LOCKED)
    view = _choose_workflow(slack, slack_api, OWNER, _open(slack, slack_api, OWNER))
    values = _pick(slack, OWNER, view, ["acm", "GLOB"], create=True)

    answer = slack.submit(OWNER, view, values)

    assert answer.json["response_action"] == "update"
    assert "Enrolling 3 records in *Deal review*" in json.dumps(answer.json["view"])
    confirmation = _ephemeral_to(slack_api, OWNER)
    # The actions ran at once, not at the schedule's 09:00: no tick of the engine here.
    assert _texts(slack_api, "C0DEALS") == [
        "Acme is in contract",
        "Globex is in contract",
        "Umbrella &lt;Corp&gt; &amp; co is in contract",
    ]
    alert, update = _texts(slack_api, "D0OWNER")  # the owner hears of the failures too
    assert update == "Please update Globex"
    assert alert.startswith(":warning: *Deal review*: 3 of 9 actions failed")
    assert _texts(slack_api, "D0OTHER") == ["Please update Umbrella &lt;Corp&gt; &amp; co"]

    assert confirmation["channel"] == CHANNEL
    shown = confirmation["text"] + json.dumps(confirmation["blocks"], ensure_ascii=False)
    assert "*Deal review*: 3 records enrolled by hand; its actions ran now." in shown
    assert "*Acme* (`D1`)" in shown and "*Globex* (`D2`)" in shown
    assert f"*Umbrella &lt;Corp&gt; &amp; co* (`{NEW_ID}`) · new, made from the message" in shown
    assert "1. :white_check_mark: ok" in shown
    assert f"2. :x: failed: {NOT_IN_CHANNEL}" in shown
    assert "3. :heavy_minus_sign: skipped: the record has no owner" in shown  # Acme has none
    assert "actions 5 ok, 3 failed, 1 skipped" in confirmation["text"]

    created = _record(bot, NEW_ID)
    assert created is not None
    assert (created.name, created.owner) == ("Umbrella <Corp> & co", OTHER)
    assert created.properties == {
        "message_link": "https://standin.slack.com/archives/C0GENERAL/p1764504000000100",
        "message_author": OTHER,
    }
    (run,) = _runs(bot)
    assert (run.source, run.triggered_by, run.status) == (
        RunSource.MANUAL.value,
        OWNER,
        "succeeded",
    )
    with transaction(bot.sessions) as session:
        enrolled = session.scalars(
            select(Enrollment.enrolled_by).where(Enrollment.run_id == run.id)
        )
        assert list(enrolled) == [OWNER] * 3
    # The modal ends with the same outcome.
    outcome = slack_api.calls("views.update")[-1].params["view"]
    assert "enrolled by hand" in (outcome if isinstance(outcome, str) else json.dumps(outcome))


def test_the_confirmation_goes_to_a_dm_when_the_bot_cannot_post_in_the_channel(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: int
) -> None:
    slack_api.fail("not_in_channel", method="chat.postEphemeral")
    view = _choose_workflow(slack, slack_api, OWNER, _open(slack, slack_api, OWNER))
    slack.submit(OWNER, view, _pick(slack, OWNER, view, ["Initech"], create=False))
    slack_api.wait_for(
        lambda api: any("enrolled by hand" in m["text"] for m in api.posted_messages("D0OWNER"))
    )
    assert _texts(slack_api, "C0DEALS") == ["Initech is in contract"]
    assert _record(bot, NEW_ID) is None


def test_the_link_is_built_when_slack_will_not_give_it(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: int
) -> None:
    slack_api.fail("channel_not_found", method="chat.getPermalink")
    view = _choose_workflow(slack, slack_api, OWNER, _open(slack, slack_api, OWNER))
    slack.submit(OWNER, view, _pick(slack, OWNER, view, [], create=True, name="Umbrella"))
    _ephemeral_to(slack_api, OWNER)
    created = _record(bot, NEW_ID)
    assert created is not None and created.name == "Umbrella"
    link = created.properties["message_link"]
    assert link == "https://standin.slack.com/archives/C0GENERAL/p1764504000000100"


@pytest.mark.parametrize("admin", [ADMIN, LISTED_ADMIN])
def test_an_admin_may_enroll_in_any_workflow(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: int, admin: str
) -> None:
    view = _choose_workflow(slack, slack_api, admin, _open(slack, slack_api, admin))
    answer = slack.submit(admin, view, _pick(slack, admin, view, ["Acme"], create=False))
    assert answer.json["response_action"] == "update"
    _ephemeral_to(slack_api, admin)
    assert [r.triggered_by for r in _runs(bot)] == [admin]


# Refusals ------------------------------------------------------------------------------------


def test_the_picker_offers_only_workflows_the_person_may_enroll_in(
    slack: Slack, slack_api: SlackStandIn, deal_review: int
) -> None:
    for user, expected in (
        (OTHER, []),
        (OWNER, ["Deal review (deals)"]),
        (ADMIN, ["Deal review (deals)"]),
    ):
        view = _open(slack, slack_api, user)
        options = slack.suggest(user, view, EnrollBlock.WORKFLOW, EnrollAction.WORKFLOW, "Deal")
        assert [o["text"]["text"] for o in options] == expected, user


def test_someone_who_may_not_run_the_workflow_is_refused_and_nothing_is_enrolled(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: int
) -> None:
    opened = _open(slack, slack_api, OTHER)
    view = _choose_workflow(slack, slack_api, OTHER, opened, offered_to=OWNER)
    answer = slack.submit(OTHER, view, _pick(slack, OTHER, view, ["Acme"], create=True))

    assert answer.json["response_action"] == "errors"
    error = answer.json["errors"][EnrollBlock.WORKFLOW]
    assert "Only the owner of “Deal review” or an admin can enroll records in it" in error
    assert _runs(bot) == []
    assert _record(bot, NEW_ID) is None
    assert slack_api.posted_messages() == []
    assert slack_api.view(view.view_id).view == view.view  # the modal stays as it was


def test_a_workflow_paused_meanwhile_is_refused_next_to_the_picker(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: int
) -> None:
    view = _choose_workflow(slack, slack_api, OWNER, _open(slack, slack_api, OWNER))
    values = _pick(slack, OWNER, view, ["Acme"], create=False)
    assert "is paused" in slack.reply_to(OWNER, f"pause {NAME}")
    answer = slack.submit(OWNER, view, values)
    assert answer.json["response_action"] == "errors"
    assert "'Deal review' is paused" in answer.json["errors"][EnrollBlock.WORKFLOW]
    assert _runs(bot) == []


def test_missing_choices_are_errors_next_to_their_inputs(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: int
) -> None:
    opened = _open(slack, slack_api, OWNER)
    answer = slack.submit(OWNER, opened, state_from_blocks(opened.view["blocks"]))
    assert answer.json == {
        "response_action": "errors",
        "errors": {EnrollBlock.WORKFLOW: "Choose a workflow."},
    }

    view = _choose_workflow(slack, slack_api, OWNER, opened)
    block_id = records_block_id(deal_review)
    answer = slack.submit(OWNER, view, _pick(slack, OWNER, view, [], create=False))
    assert list(answer.json["errors"]) == [block_id]
    assert "Choose at least one record" in answer.json["errors"][block_id]

    answer = slack.submit(OWNER, view, _pick(slack, OWNER, view, [], create=True, name=" "))
    assert list(answer.json["errors"]) == [EnrollBlock.NAME]
    assert "Give the new record a name" in answer.json["errors"][EnrollBlock.NAME]
    assert _runs(bot) == []


# The pickers ---------------------------------------------------------------------------------


def test_the_workflow_picker_offers_the_team_s_active_workflows_matching_the_text(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, clock: FixedClock, deal_review: int
) -> None:
    now = clock.now()
    save(bot.sessions, workflow_document(name="Deal cleanup", status="paused"), now, team=TEAM_ID)
    contacts = workflow_document(name="Contact follow-up", object_type="contacts", criteria={})
    save(bot.sessions, contacts, now, team=TEAM_ID)
    import_deals(bot.sessions, [deal("E1", "Acme elsewhere")], now, ELSEWHERE)
    save(bot.sessions, workflow_document(name="Deal review too"), now, team=ELSEWHERE)
    view = _open(slack, slack_api, OWNER)

    def offered(typed: str) -> list[str]:
        options = slack.suggest(OWNER, view, EnrollBlock.WORKFLOW, EnrollAction.WORKFLOW, typed)
        return [o["text"]["text"] for o in options]

    assert offered("") == ["Contact follow-up (contacts)", "Deal review (deals)"]
    assert offered("DEAL") == ["Deal review (deals)"]
    assert offered("up") == ["Contact follow-up (contacts)"]
    assert offered("100%_") == []


def test_the_record_picker_offers_records_of_the_workflow_s_type_by_name_or_id(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, clock: FixedClock, deal_review: int
) -> None:
    now = clock.now()
    import_deals(bot.sessions, [deal("E1", "Acme elsewhere")], now, ELSEWHERE)
    elsewhere = save(bot.sessions, workflow_document(name="Theirs"), now, team=ELSEWHERE)
    view = _choose_workflow(slack, slack_api, OWNER, _open(slack, slack_api, OWNER))
    block_id = _records_block(view)

    def offered(typed: str, modal: OpenView = view) -> list[tuple[str, str]]:
        options = slack.suggest(OWNER, modal, block_id, EnrollAction.RECORDS, typed)
        return [(o["text"]["text"], o["value"]) for o in options]

    with transaction(bot.sessions) as session:
        ids = {e: i for e, i in session.execute(select(Record.external_id, Record.id))}
    assert offered("") == [
        ("Acme (D1)", str(ids["D1"])),
        ("Globex (D2)", str(ids["D2"])),
        ("Initech (D3)", str(ids["D3"])),
    ]
    assert offered("aCm") == [("Acme (D1)", str(ids["D1"]))]
    assert offered("D2") == [("Globex (D2)", str(ids["D2"]))]
    assert offered("elsewhere") == []
    # A modal claiming another team's workflow is offered nothing of it.
    context = EnrollContext.from_metadata(view.view["private_metadata"])
    forged = context.with_workflow(elsewhere.workflow_id).to_metadata()
    other = replace(view, view={**view.view, "private_metadata": forged})
    assert offered("", other) == []


def test_choosing_another_workflow_shows_its_records_afresh(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, clock: FixedClock, deal_review: int
) -> None:
    contacts = workflow_document(name="Contact follow-up", object_type="contacts", criteria={})
    second = save(bot.sessions, contacts, clock.now(), team=TEAM_ID).workflow_id
    view = _choose_workflow(slack, slack_api, OWNER, _open(slack, slack_api, OWNER))
    assert _records_block(view) == records_block_id(deal_review)
    view = _choose_workflow(slack, slack_api, OWNER, view, "Contact follow-up")
    assert _records_block(view) == records_block_id(second)
    assert "Create a new contacts record" in json.dumps(view.view["blocks"])
    with transaction(bot.sessions) as session:
        assert session.get(Workflow, second) is not None


def test_the_create_box_is_the_only_option_it_offers(
    slack: Slack, slack_api: SlackStandIn, deal_review: int
) -> None:
    view = _choose_workflow(slack, slack_api, OWNER, _open(slack, slack_api, OWNER))
    box = next(b for b in view.view["blocks"] if b.get("block_id") == EnrollBlock.CREATE)
    assert [o["value"] for o in box["element"]["options"]] == [CREATE_VALUE]
    name = next(b for b in view.view["blocks"] if b.get("block_id") == EnrollBlock.NAME)
    assert name["element"]["initial_value"] == "Umbrella <Corp> & co"
