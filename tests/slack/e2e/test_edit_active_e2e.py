"""Editing an active workflow through the dialog, as a person does: the review offers "Save"
(it stays active) and "Save and pause" (it says it pauses); nothing deactivates it silently."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.slack.ids import WizardAction, WizardBlock
from bot.workflows.clock import FixedClock
from bot.workflows.vocabulary import WorkflowStatus
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.slack.e2e.conftest import OWNER
from tests.slack.harness import Bot, Modal, Slack, open_modal
from tests.slack_standin import TEAM_ID, SlackStandIn

NAME = "Contract reminders"


@pytest.fixture
def active(bot: Bot, clock: FixedClock) -> None:
    import_deals(bot.sessions, [deal("D1", "Acme", owner=OWNER)], clock.now(), TEAM_ID)
    save(bot.sessions, workflow_document(name=NAME, owner=OWNER), clock.now(), team=TEAM_ID)
    stored = bot.stored_workflow(NAME)
    assert stored is not None and stored.status == WorkflowStatus.ACTIVE.value


def _to_review(slack: Slack) -> Modal:
    modal = open_modal(slack, OWNER, f"edit {NAME}", WizardBlock.NAME)
    modal.submit()  # name and type unchanged
    modal.enter(WizardBlock.TIME, "13:30")
    for _ in range(4):  # schedule, criteria, actions, settings
        assert modal.submit().json["response_action"] == "update"
    return modal


def _text(api: SlackStandIn, modal: Modal) -> str:
    return json.dumps(api.view(modal.view_id).view, ensure_ascii=False)


def _navigation(modal: Modal) -> list[dict[str, Any]]:
    block = next(b for b in modal.blocks if b.get("block_id") == WizardBlock.NAVIGATION)
    return list(block["elements"])


def test_the_review_of_an_active_workflow_offers_save_and_save_and_pause(
    slack: Slack, active: None
) -> None:
    modal = _to_review(slack)
    assert modal.view.view["submit"]["text"] == "Save"
    labels = [element["text"]["text"] for element in _navigation(modal)]
    assert labels == ["Back", "Save and pause"]


def test_save_keeps_an_edited_workflow_active(slack: Slack, bot: Bot, active: None) -> None:
    modal = _to_review(slack)
    modal.submit()
    assert "is active. Next run:" in modal.text()
    stored = bot.stored_workflow(NAME)
    assert stored is not None and stored.status == WorkflowStatus.ACTIVE.value
    assert stored.next_run_at is not None


def test_save_and_pause_pauses_and_says_so(slack: Slack, bot: Bot, active: None) -> None:
    modal = _to_review(slack)
    modal.press(WizardAction.SAVE_DRAFT)  # the action's answer is empty: "Saving…" follows
    slack.slack_api.wait_for(lambda api: "is saved and paused" in _text(api, modal))
    assert f"activate {NAME}" in _text(slack.slack_api, modal)
    stored = bot.stored_workflow(NAME)
    assert stored is not None
    assert (stored.status, stored.next_run_at) == (WorkflowStatus.PAUSED.value, None)
    assert stored.schedule["time"] == "13:30"  # the edit itself was saved
