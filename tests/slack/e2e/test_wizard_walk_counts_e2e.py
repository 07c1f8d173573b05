"""A daily reminder walked through /workflow create as a person does it, counting what it
costs: the person's actions (a command, each input filled, each pick and click, each
submission) and the requests Slack's side sends the bot. bench/RESULTS.md keeps the figures
(python -m pytest tests/slack/e2e/test_wizard_walk_counts_e2e.py -s prints them)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.slack.ids import WizardAction, WizardBlock
from bot.workflows.clock import FixedClock
from tests.engine.builders import deal, import_deals
from tests.slack.e2e.conftest import OWNER
from tests.slack.e2e.test_wizard_schedule_e2e import block_labelled, option_shown
from tests.slack.harness import Bot, Modal, Slack, open_modal
from tests.slack_standin import TEAM_ID, SlackStandIn

NAME = "Daily call reminder"


@dataclass
class Cost:
    """What the walk cost so far: the person's actions, and the requests Slack sent."""

    slack: Slack
    actions: int = 0

    def act(self, times: int = 1) -> None:
        self.actions += times

    @property
    def requests(self) -> int:
        return len(self.slack.sent)


def _walk(slack: Slack, cost: Cost) -> Modal:
    """A task "Call {{ name }}" for each deal in contract, every day at 09:00."""
    cost.act()  # /workflow create
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    modal.enter(WizardBlock.NAME, NAME)
    modal.choose(WizardBlock.OBJECT_TYPE, "deals")
    cost.act(2)
    _next(modal, cost)

    runs = block_labelled(modal, "Runs")
    modal.pick(runs, option_shown(modal, "Runs", "Daily")["value"])
    cost.act()
    _next(modal, cost)  # 09:00 is already the time of day

    modal.press(WizardAction.ADD_FILTER, '"criteria"')
    modal.pick("criteria.g0.f0.property", "stage")
    modal.pick("criteria.g0.f0.operator", "eq", WizardAction.REFRESH)
    modal.enter("criteria.g0.f0.value", "contract")
    cost.act(4)
    _next(modal, cost)

    modal.pick("actions.add", "create_task")
    modal.enter("actions.a0.title", "Call {{ name }}")
    cost.act(2)
    return modal


def _next(modal: Modal, cost: Cost) -> None:
    answer = modal.submit()
    cost.act()
    assert answer.json.get("response_action") == "update", answer.json


def _finish(modal: Modal, cost: Cost) -> None:
    _next(modal, cost)  # the actions
    _next(modal, cost)  # the settings, as they are
    _next(modal, cost)  # the review: Activate


def test_a_daily_reminder_walk_costs_its_actions_and_requests(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, clock: FixedClock
) -> None:
    import_deals(bot.sessions, [deal("D1", "Acme", stage="contract")], clock.now(), TEAM_ID)
    cost = Cost(slack)
    modal = _walk(slack, cost)
    _finish(modal, cost)
    workflow = bot.stored_workflow(NAME)
    assert workflow is not None and workflow.status == "active", modal.text()
    calls = len(slack_api.calls())
    print(f"\ndaily reminder walk: {cost.actions} actions, {cost.requests} requests to the bot, ")
    print(f"{calls} Web API calls by the bot")
    assert (cost.actions, cost.requests) == (16, 12)
