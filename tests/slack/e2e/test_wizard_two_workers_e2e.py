"""Two quick changes of a wizard step served by two web workers (WEB_WORKERS=2: two
processes, each with its own Slack app, sharing the database): the worker whose page Slack
refused for a stale hash (hash_conflict) learns the newer page's hash from the other worker
through the draft, and shows the page that holds both changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from tests.slack.e2e.test_wizard_dialog_behaviours_e2e import _tick
from tests.slack.e2e.test_wizard_schedule_e2e import preview
from tests.slack.harness import Bot, Modal, Slack, running_bot
from tests.slack_standin import SlackStandIn


@pytest.fixture
def second_worker(
    sessions: sessionmaker[Session], clock: FixedClock, slack_api: SlackStandIn
) -> Iterator[Slack]:
    """Slack sending to a second bot process on the same database."""
    other: Iterator[Bot] = running_bot(sessions, clock, slack_api)
    bot = next(other)
    yield Slack(bot.server.port, slack_api)
    next(other, None)


def test_friday_ticked_on_another_worker_while_wednesdays_page_is_on_its_way_shows_both(
    slack: Slack, second_worker: Slack, slack_api: SlackStandIn, schedule_step: Modal
) -> None:
    modal = schedule_step
    first = slack_api.hold("views.update", after_handling=False)
    second = slack_api.hold("views.update", after_handling=False)
    made_on = modal.view.hash

    _tick(slack, modal, "On", "Monday", "Wednesday")
    assert first.reached.wait(10)
    _tick(second_worker, modal, "On", "Monday", "Wednesday", "Friday")  # the other worker
    assert second.reached.wait(10)
    first.release()
    slack_api.wait_for(lambda api: api.view(modal.view_id).hash != made_on)
    second.release()  # refused: made on the older page, and its worker never showed the newer

    slack_api.wait_for(lambda api: "Wednesday and Friday" in preview(modal))
    modal.refresh()
    assert "Every week on Monday, Wednesday and Friday at 09:00" in preview(modal)
