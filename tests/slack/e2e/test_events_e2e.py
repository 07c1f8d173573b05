"""Events over real HTTP: the App Home tab, and redeliveries that must not act twice."""

from __future__ import annotations

import json

import pytest

from bot.workflows.clock import FixedClock
from tests.block_kit import assert_valid_view
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.slack.e2e.conftest import ADMIN, OTHER, OWNER
from tests.slack.harness import Bot, Slack
from tests.slack_standin import TEAM_ID, SlackStandIn


@pytest.fixture
def ack_wait_s() -> float:
    """Longer than Slack's side here waits for an answer. An event answered only once its
    work ended (a views.publish held at Slack) then gets no answer; with a shorter wait,
    Bolt would ack it itself at the wait's end, and that regression would pass."""
    return 600.0


def _home_opened(user_id: str) -> dict[str, object]:
    return {"type": "app_home_opened", "user": user_id, "channel": "D0HOME", "tab": "home"}


@pytest.fixture
def two_workflows(bot: Bot, clock: FixedClock) -> None:
    import_deals(bot.sessions, [deal("D1", "Acme")], clock.now(), TEAM_ID)
    save(bot.sessions, workflow_document(name="Olivia's", owner=OWNER), clock.now(), team=TEAM_ID)
    save(bot.sessions, workflow_document(name="Oscar's", owner=OTHER), clock.now(), team=TEAM_ID)


def _published(slack_api: SlackStandIn, user_id: str) -> str:
    slack_api.wait_for(lambda api: api.home(user_id) is not None)
    view = slack_api.home(user_id)
    assert view is not None
    assert_valid_view(view)
    return json.dumps(view)


def test_home_shows_a_user_every_workflow_of_the_workspace(
    slack: Slack, slack_api: SlackStandIn, two_workflows: None
) -> None:
    assert slack.event(_home_opened(OWNER), "Ev1").status == 200
    home = _published(slack_api, OWNER)
    assert "Workflows" in home and "Olivia's" in home and "Oscar's" in home
    assert "the others are read-only" in home


def test_home_shows_an_admin_every_workflow(
    slack: Slack, slack_api: SlackStandIn, two_workflows: None
) -> None:
    slack.event(_home_opened(ADMIN), "Ev2")
    home = _published(slack_api, ADMIN)
    assert "All workflows" in home and "Olivia's" in home and "Oscar's" in home


def test_a_redelivered_event_has_one_effect(
    slack: Slack, slack_api: SlackStandIn, two_workflows: None
) -> None:
    slack.event(_home_opened(OWNER), "Ev3")
    _published(slack_api, OWNER)
    answer = slack.event(_home_opened(OWNER), "Ev3", retry_num=1)
    assert answer.status == 200
    slack.event(_home_opened(OTHER), "Ev4")  # a later event is still handled
    _published(slack_api, OTHER)
    assert [c.params["user_id"] for c in slack_api.calls("views.publish")] == [OWNER, OTHER]


def test_an_event_is_answered_while_its_work_waits_for_slack(
    slack: Slack, slack_api: SlackStandIn, two_workflows: None
) -> None:
    """Slack retries an event it has no answer to within 3 seconds: the Home tab's
    views.publish, held at Slack, does not hold up the answer (ack_wait_s above)."""
    held = slack_api.hold("views.publish", after_handling=False)
    assert slack.event(_home_opened(OWNER), "Ev9").status == 200
    assert held.reached.wait(10), "the tab was not published after the answer"
    assert slack_api.home(OWNER) is None
    held.release()
    assert "Olivia's" in _published(slack_api, OWNER)
