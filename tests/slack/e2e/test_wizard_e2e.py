"""The create/edit wizard over real HTTP: from /workflow create through every step to an
active workflow that then fires and posts; fields in error; edits; refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.slack.ids import WizardAction, WizardBlock
from bot.workflows.clock import FixedClock
from storage.database import transaction
from storage.models import WizardDraft
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.slack.e2e.conftest import OTHER, OWNER
from tests.slack.harness import Bot, Modal, Slack, open_modal
from tests.slack_standin import TEAM_ID, SlackStandIn

NAME = "Contract reminders"


@pytest.fixture
def deals(bot: Bot, clock: FixedClock) -> None:
    import_deals(
        bot.sessions,
        [
            deal("D1", "Acme", owner=OWNER),
            deal("D2", "Globex", owner=OWNER),
            deal("D3", "Initech", stage="won"),
        ],
        clock.now(),
        TEAM_ID,
    )


def _step(modal: Modal) -> str:
    step = next(b for b in modal.blocks if b.get("block_id") == WizardBlock.STEP)
    return str(step["elements"][0]["text"])


def _fill_name(modal: Modal, name: str = NAME) -> None:
    modal.enter(WizardBlock.NAME, name)
    modal.choose(WizardBlock.OBJECT_TYPE, "deals")


def _fill_schedule(modal: Modal) -> None:
    """Every Thursday at 07:00 in the creator's zone (New York, from users.info)."""
    modal.enter(WizardBlock.WEEKDAYS, [_option(modal, WizardBlock.WEEKDAYS, "thu")])
    modal.enter(WizardBlock.TIME, "07:00")


def _option(modal: Modal, block_id: str, value: str) -> dict[str, Any]:
    block = next(b for b in modal.blocks if b.get("block_id") == block_id)
    return next(o for o in block["element"]["options"] if o["value"] == value)


def _fill_criteria(modal: Modal) -> None:
    modal.press(WizardAction.ADD_FILTER, '"criteria"')
    modal.pick("criteria.g0.f0.property", "stage")
    modal.pick("criteria.g0.f0.operator", "eq", WizardAction.REFRESH)
    modal.enter("criteria.g0.f0.value", "contract")


def _fill_actions(modal: Modal) -> None:
    modal.pick("actions.add", "send_channel_message")
    modal.enter("actions.a0.channel", "C0DEALS")
    modal.enter("actions.a0.text", "{{ name }} is still in contract")


def _through_review(modal: Modal) -> None:
    for fill in (_fill_name, _fill_schedule, _fill_criteria, _fill_actions):
        fill(modal)
        answer = modal.submit()
        assert answer.json.get("response_action") == "update", answer.json
    modal.enter(WizardBlock.SUMMARY_CHANNEL, "C0SUMMARY")
    assert modal.submit().json.get("response_action") == "update"
    assert "Review" in _step(modal)


def test_a_wizard_session_creates_a_workflow_that_fires_and_posts(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, clock: FixedClock, deals: None
) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    assert "Step 1 of 6" in _step(modal)
    _through_review(modal)
    review = modal.text()
    assert "Every week on Thursday at 07:00" in review
    assert "2 records match" in review and "Acme" in review and "Initech" not in review
    assert "<#C0DEALS>" in review
    assert bot.stored_workflow(NAME) is None, "saved before the last step"

    answer = modal.submit()  # Activate
    assert answer.json["response_action"] == "update"
    workflow = bot.stored_workflow(NAME)
    assert workflow is not None and workflow.status == "active"
    assert workflow.owner_user_id == OWNER and workflow.timezone == "America/New_York"
    # Thursday 3 December 2026, 07:00 in New York (EST) is 12:00 UTC.
    assert workflow.next_run_at == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    with transaction(bot.sessions) as session:
        assert session.scalars(select(WizardDraft)).all() == [], "the draft outlived the save"

    clock.set(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    bot.engine().tick()
    posted = sorted(m["text"] for m in slack_api.posted_messages("C0DEALS"))
    assert posted == ["Acme is still in contract", "Globex is still in contract"]
    summary = slack_api.posted_messages("C0SUMMARY")
    assert len(summary) == 1 and "2 records enrolled" in summary[0]["text"]


def test_each_invalid_input_is_shown_beside_its_field(
    slack: Slack, bot: Bot, clock: FixedClock, deals: None
) -> None:
    save(bot.sessions, workflow_document(name="Taken", owner=OWNER), clock.now(), team=TEAM_ID)
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _fill_name(modal, "Taken")
    answer = modal.submit()
    assert answer.json["response_action"] == "errors"
    assert "already" in answer.json["errors"][WizardBlock.NAME]
    _fill_name(modal)
    assert modal.submit().json["response_action"] == "update"

    modal.pick(WizardBlock.FREQUENCY, "once")  # the form changes in place
    assert WizardBlock.DATE in {b.get("block_id") for b in modal.blocks}
    modal.enter(WizardBlock.DATE, "2020-01-01")
    answer = modal.submit()
    assert answer.json["response_action"] == "errors"
    assert list(answer.json["errors"]) == [WizardBlock.DATE]
    assert bot.stored_workflow(NAME) is None


def test_back_keeps_what_was_typed(slack: Slack, deals: None) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _fill_name(modal)
    modal.submit()
    modal.enter(WizardBlock.TIME, "06:30")
    modal.press(WizardAction.BACK)
    assert "Step 1 of 6" in _step(modal)
    assert modal.values[WizardBlock.NAME]
    assert NAME in modal.text()
    modal.submit()
    assert '"initial_time": "06:30"' in modal.text()


def test_an_edit_changes_the_next_run_and_bumps_the_revision(
    slack: Slack, bot: Bot, clock: FixedClock, deals: None
) -> None:
    document = workflow_document(name=NAME, owner=OWNER)  # daily at 09:00 UTC
    save(bot.sessions, document, clock.now(), team=TEAM_ID)
    before = bot.stored_workflow(NAME)
    assert before is not None and before.next_run_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    modal = open_modal(slack, OWNER, f"edit {NAME}", WizardBlock.NAME)
    assert NAME in modal.text()
    modal.submit()  # name and type unchanged
    modal.enter(WizardBlock.TIME, "13:30")
    for _ in range(4):  # schedule, criteria, actions, settings
        assert modal.submit().json["response_action"] == "update"
    assert "Save and keep active" in modal.text()
    modal.submit()
    after = bot.stored_workflow(NAME)
    assert after is not None and after.id == before.id
    assert after.revision == before.revision + 1
    assert after.next_run_at == datetime(2026, 11, 30, 13, 30, tzinfo=UTC)


def test_someone_else_cannot_edit(slack: Slack, bot: Bot, clock: FixedClock, deals: None) -> None:
    save(bot.sessions, workflow_document(name=NAME, owner=OWNER), clock.now(), team=TEAM_ID)
    modal = open_modal(slack, OTHER, f"edit {NAME}", "Only the owner")
    assert "<@U0OWNER>" in modal.text()
    with transaction(bot.sessions) as session:
        assert session.scalars(select(WizardDraft)).all() == []
