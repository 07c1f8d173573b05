"""Fixtures of the Slack tests: the bot served over HTTP on a real database, the Web API
stand-in it calls, Slack's side that calls it, and the people of the stand-in workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.ids import WizardBlock
from bot.workflows.clock import FixedClock
from tests.slack.harness import TEST_ACK_WAIT_S, Bot, Modal, Slack, Trap, open_modal, running_bot
from tests.slack_standin import SlackStandIn

# A Monday morning in New York.
START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
OWNER = "U0OWNER"
OTHER = "U0OTHER"
ADMIN = "U0ADMIN"
LISTED_ADMIN = "U0LISTED"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def slack_api(clock: FixedClock) -> Iterator[SlackStandIn]:
    # Trigger ids expire on the test's clock: a test steps it to let one expire.
    with SlackStandIn(clock=lambda: clock.now().timestamp()) as standin:
        standin.add_user(OWNER, "olivia", tz="America/New_York")
        standin.add_user(OTHER, "oscar", tz="Europe/Paris")
        standin.add_user(ADMIN, "ada", tz="UTC", is_admin=True)
        standin.add_user(LISTED_ADMIN, "lee", tz="UTC")
        yield standin


@pytest.fixture
def ack_wait_s() -> float:
    """How long the bot waits for a listener's ack (a module may wait longer)."""
    return TEST_ACK_WAIT_S


@pytest.fixture
def bot(
    sessions: sessionmaker[Session], clock: FixedClock, slack_api: SlackStandIn, ack_wait_s: float
) -> Iterator[Bot]:
    yield from running_bot(
        sessions, clock, slack_api, admins=frozenset({LISTED_ADMIN}), ack_wait_s=ack_wait_s
    )


@pytest.fixture
def trap() -> Iterator[Trap]:
    """A loopback listener where a forged response_url would send the bot."""
    listener = Trap()
    yield listener
    listener.close()


@pytest.fixture
def slack(bot: Bot, slack_api: SlackStandIn) -> Slack:
    return Slack(bot.server.port, slack_api)


@pytest.fixture
def schedule_step(slack: Slack) -> Modal:
    """The schedule step of a new workflow: weekly on Monday at 09:00, as it starts."""
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    modal.enter(WizardBlock.NAME, "Check-ins")
    modal.choose(WizardBlock.OBJECT_TYPE, "deals")
    assert modal.submit().json.get("response_action") == "update"
    return modal
