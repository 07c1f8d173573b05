"""The dialog's behaviours a person meets between submissions, walked over real HTTP: two
quick changes whose views.update race (Slack refuses the stale one with hash_conflict),
presets that a new choice replaces, the live count of the criteria step, and fields the
dialog calls optional."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.slack.ids import WizardBlock
from tests.slack.e2e.conftest import OWNER
from tests.slack.e2e.test_wizard_schedule_e2e import (
    block_labelled,
    option_shown,
    preview,
)
from tests.slack.harness import Modal, Slack, open_modal
from tests.slack_standin import SlackStandIn


@pytest.fixture
def schedule_step(slack: Slack) -> Modal:
    """The schedule step of a new workflow: weekly on Monday at 09:00, as it starts."""
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    modal.enter(WizardBlock.NAME, "Check-ins")
    modal.choose(WizardBlock.OBJECT_TYPE, "deals")
    assert modal.submit().json.get("response_action") == "update"
    return modal


def _tick(slack: Slack, modal: Modal, label: str, *texts: str) -> None:
    """Ticks exactly ``texts`` among the checkboxes labelled ``label``, as Slack sends the
    change at once, without waiting for the bot's page."""
    block_id = block_labelled(modal, label)
    values = copy.deepcopy(modal.values)
    [(action_id, state)] = values[block_id].items()
    state["selected_options"] = [option_shown(modal, label, text) for text in texts]
    action: dict[str, Any] = {"type": state["type"], "action_id": action_id, **state}
    answer = slack.click_in_view(modal.user_id, modal.view, values, block_id, action)
    assert answer.status == 200, answer


def test_friday_ticked_while_wednesdays_page_is_on_its_way_shows_both(
    slack: Slack, slack_api: SlackStandIn, schedule_step: Modal
) -> None:
    modal = schedule_step
    assert "Every week on Monday at 09:00" in preview(modal)
    first = slack_api.hold("views.update", after_handling=False)
    second = slack_api.hold("views.update", after_handling=False)
    made_on = modal.view.hash

    _tick(slack, modal, "On", "Monday", "Wednesday")
    assert first.reached.wait(10)
    _tick(slack, modal, "On", "Monday", "Wednesday", "Friday")  # on the same page
    assert second.reached.wait(10)
    first.release()  # Wednesday's page lands first...
    slack_api.wait_for(lambda api: api.view(modal.view_id).hash != made_on)
    assert "Every week on Monday and Wednesday" in preview(modal)
    second.release()  # ...then Friday's, made on the older page: Slack refuses it

    def shows_friday(api: SlackStandIn) -> bool:
        return "Wednesday and Friday" in preview(modal)

    slack_api.wait_for(shows_friday)
    refused = [c for c in slack_api.calls("views.update") if c.params.get("hash") == made_on]
    assert len(refused) == 2, "both changes were made on the same page"
    modal.refresh()
    shown = preview(modal)
    assert "Every week on Monday, Wednesday and Friday at 09:00" in shown
    next_runs = [line for line in shown.splitlines() if line.startswith("•")]
    assert next_runs[:4] == [
        "• Mon 30 Nov 2026 09:00 EST",
        "• Wed 02 Dec 2026 09:00 EST",
        "• Fri 04 Dec 2026 09:00 EST",
        "• Mon 07 Dec 2026 09:00 EST",
    ]
