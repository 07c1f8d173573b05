"""Uninstalls in one workspace (SLACK_BOT_TOKEN, no installation store): the token is dead,
so the workspace's workflows are paused and their pending runs cancelled."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.slack.listeners.revocation import UNINSTALLED
from bot.workflows.clock import FixedClock
from bot.workflows.vocabulary import RunStatus, WorkflowStatus
from tests.engine.builders import deal, import_deals, runs, save, workflow, workflow_document
from tests.slack.e2e.conftest import OWNER
from tests.slack.harness import Bot, Slack
from tests.slack_standin import BOT_USER_ID, TEAM_ID, SlackStandIn

NAME = "Deal review"


@pytest.fixture
def planned(bot: Bot, clock: FixedClock) -> None:
    """An active workflow whose run of tomorrow 09:00 is planned, not yet run."""
    import_deals(bot.sessions, [deal("D1", "Acme")], clock.now(), TEAM_ID)
    save(bot.sessions, workflow_document(name=NAME, owner=OWNER), clock.now(), team=TEAM_ID)
    clock.set(clock.now().replace(hour=9) + timedelta(days=1))
    bot.engine().plan()


@pytest.mark.usefixtures("planned")
def test_an_uninstall_pauses_the_workflows_and_cancels_their_runs(
    bot: Bot, slack: Slack, slack_api: SlackStandIn
) -> None:
    slack_api.reject_token()
    assert slack.event({"type": "app_uninstalled"}, "EvUNINSTALL").status == 200
    bot.wait_for_wakes(1)  # the listener wakes the scheduler once the pause is committed
    found = workflow(bot.sessions, NAME)
    assert found is not None and found.status == WorkflowStatus.PAUSED
    [cancelled] = runs(bot.sessions)
    assert (cancelled.status, cancelled.reason) == (RunStatus.CANCELLED, UNINSTALLED)
    assert bot.engine().tick() == []
    assert slack_api.calls("chat.postMessage") == []
    assert bot.wakes  # the scheduler is told at once


@pytest.mark.usefixtures("planned")
def test_a_revoked_bot_token_pauses_the_workflows(bot: Bot, slack: Slack) -> None:
    event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [BOT_USER_ID]}}
    assert slack.event(event, "EvREVOKED").status == 200
    bot.wait_for_wakes(1)  # the listener wakes the scheduler once the pause is committed
    assert len(bot.wakes) == 1
    found = workflow(bot.sessions, NAME)
    assert found is not None and found.status == WorkflowStatus.PAUSED
