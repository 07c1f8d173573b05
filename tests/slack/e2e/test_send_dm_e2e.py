"""A direct message to chosen people, walked through the create dialog over real HTTP: the
people picked in a users select, user groups typed by handle, the review in words, a user group
Slack does not have refused at save in one line, then a run that messages every person and
group member, mentioning each record's owner (given by email) as the Slack user it is."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.slack.ids import WizardBlock
from bot.slack.notifier import SlackNotifier, make_web_client
from bot.slack.people_lookup import SlackPeopleLookup
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from tests.engine.builders import deal, import_deals
from tests.slack.e2e.conftest import OTHER, OWNER
from tests.slack.harness import Bot, Modal, Slack, open_modal
from tests.slack_standin import TEAM_ID, SlackStandIn

NAME = "Deal desk"
LEAD = "U0LEAD"


@pytest.fixture
def deals(bot: Bot, clock: FixedClock, slack_api: SlackStandIn) -> None:
    slack_api.add_user(LEAD, "lee", email="lee@example.com")
    import_deals(
        bot.sessions,
        [deal("D1", "Acme", owner="lee@example.com"), deal("D2", "Globex", owner="x@example.com")],
        clock.now(),
        TEAM_ID,
    )


def engine(bot: Bot) -> Engine:
    """A scheduler's engine posting through the stand-in and asking it who people are."""
    client = make_web_client(bot.slack_api.token, bot.slack_api.url, max_retries=1)
    notifier = SlackNotifier(client, monotonic=lambda: 0.0, sleep=lambda _s: None)
    lookup = SlackPeopleLookup(client)
    return Engine(
        bot.sessions, bot.clock, lambda _t: notifier, owner="e2e", people_for=lambda _t: lookup
    )


def _step(modal: Modal) -> str:
    step = next(b for b in modal.blocks if b.get("block_id") == WizardBlock.STEP)
    return str(step["elements"][0]["text"])


def _problems(modal: Modal) -> str:
    found = [b for b in modal.blocks if b.get("block_id") == WizardBlock.PROBLEMS]
    return str(found[0]["text"]["text"]) if found else ""


def _next(modal: Modal) -> None:
    answer = modal.submit()
    assert answer.json.get("response_action") == "update", answer.json


def _to_actions(modal: Modal) -> None:
    modal.enter(WizardBlock.NAME, NAME)
    modal.choose(WizardBlock.OBJECT_TYPE, "deals")
    _next(modal)
    modal.enter(WizardBlock.TIME, "07:00")
    _next(modal)
    _next(modal)  # no filter: every deal
    assert "Step 4 of 6" in _step(modal)


def _block(modal: Modal, prefix: str) -> dict[str, object]:
    block_id = modal.block_id(prefix)
    return next(b for b in modal.blocks if b.get("block_id") == block_id)


def test_a_direct_message_to_people_and_a_user_group_is_made_in_the_dialog_and_sent(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, clock: FixedClock, deals: None
) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _to_actions(modal)

    modal.pick("actions.add", "send_dm")
    people = _block(modal, "actions.a0.users")
    assert people["label"] == {"type": "plain_text", "text": "People"}
    assert "Add user groups below" in json.dumps(people["hint"])
    assert "separated by commas" in json.dumps(_block(modal, "actions.a0.user_groups")["hint"])
    modal.enter("actions.a0.users", [OWNER, OTHER])
    modal.enter("actions.a0.user_groups", "@deal-desk")
    modal.enter("actions.a0.text", "{{ name }} is with {{ owner }}")
    modal.choose("actions.a0.mode", "per_record")
    _next(modal)
    _next(modal)  # settings as they are
    assert "Review" in _step(modal)
    assert (
        f"Send <@{OWNER}>, <@{OTHER}> and the user group @deal-desk a direct message, one "
        "message per record: “{{ name }} is with {{ owner }}”"
    ) in modal.text()

    modal.submit()  # Activate: @deal-desk does not exist yet
    slack_api.wait_for(lambda api: "no user group" in json.dumps(api.view(modal.view_id).view))
    modal.refresh()
    assert "Review" in _step(modal)
    assert (
        "there is no user group @deal-desk in this workspace (or it is disabled): check its "
        "handle in Slack (People, then User groups), or name the people themselves"
    ) in _problems(modal)
    assert bot.stored_workflow(NAME) is None

    slack_api.add_user_group("S0DESK", "deal-desk", [OTHER, LEAD])
    modal.submit()
    slack_api.wait_for(lambda api: "Workflow activated" in json.dumps(api.view(modal.view_id).view))
    stored = bot.stored_workflow(NAME)
    assert stored is not None and stored.actions == [
        {
            "type": "send_dm",
            "users": [OWNER, OTHER],
            "user_groups": ["@deal-desk"],
            "text": "{{ name }} is with {{ owner }}",
            "mode": "per_record",
        }
    ]

    clock.set(datetime(2026, 12, 7, 12, 0, tzinfo=UTC))  # Monday 07:00 in New York
    engine(bot).tick()
    for person in (OWNER, OTHER, LEAD):
        texts = sorted(m["text"] for m in slack_api.posted_messages(f"D{person[1:]}"))
        assert texts == ["Acme is with <@U0LEAD>", "Globex is with x@example.com"], person
