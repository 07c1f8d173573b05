"""create_app as serve builds it: Bolt says nothing at start that is not news."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.errors import is_reported
from bot.slack.notifier import make_web_client
from bot.slack.services import Services
from bot.workflows.clock import FixedClock
from tests.slack.harness import SIGNING_SECRET
from tests.slack_standin import SlackStandIn


def test_bolt_gives_no_warning_about_the_token_it_reads_from_the_environment(
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with SlackStandIn() as slack_api:
        # serve's environment holds SLACK_BOT_TOKEN, which Bolt reads by itself.
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack_api.token)
        settings = Settings(
            slack_bot_token=slack_api.token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack_api.url,
        )
        clock = FixedClock(datetime(2026, 12, 7, tzinfo=UTC))
        services = Services.build(sessions, clock, settings)

        with caplog.at_level(logging.DEBUG, logger="slack_bolt"):
            app = create_app(services, make_web_client(slack_api.token, slack_api.url))
            logging.getLogger("slack_bolt").warning("any other warning")

    assert app.client.token == slack_api.token
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == ["any other warning"]  # only that one is dropped, only at start


def test_every_listener_hands_its_work_on_at_its_ack(sessions: sessionmaker[Session]) -> None:
    """A listener registered without errors.reported runs in the request's thread to its
    end before Slack has an answer (Bolt runs with process_before_response)."""
    with SlackStandIn() as slack_api:
        settings = Settings(
            slack_bot_token=slack_api.token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack_api.url,
        )
        clock = FixedClock(datetime(2026, 12, 7, tzinfo=UTC))
        app = create_app(
            Services.build(sessions, clock, settings),
            make_web_client(slack_api.token, slack_api.url),
        )

    # Bolt keeps its listeners private; each holds the function it calls as ack_function.
    functions = [listener.ack_function for listener in app._listeners]  # type: ignore[attr-defined]
    assert len(functions) > 30
    assert [f.__name__ for f in functions if not is_reported(f)] == []
