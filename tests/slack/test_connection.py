"""Which endpoint serve starts: Socket Mode with an app token (HTTP then serves /healthz
only), HTTP with the signing secret otherwise."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.slack.connection import SlackConnection
from bot.slack.notifier import make_web_client
from bot.slack.server import GIL_SWITCH_SECONDS, Health, HttpServer, wsgi_application
from bot.slack.services import Services
from bot.workflows.clock import FixedClock
from tests.slack.harness import Slack
from tests.slack_standin import SlackStandIn

START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _connection(
    sessions: sessionmaker[Session], slack_api: SlackStandIn, settings: Settings
) -> SlackConnection:
    clock = FixedClock(START)
    services = Services.build(sessions, clock, settings)
    client = make_web_client(slack_api.token, slack_api.url)
    return SlackConnection(services, Health(sessions, clock, None), client, port=0)


def test_socket_mode_serves_only_healthz_over_http(
    sessions: sessionmaker[Session], slack_api: SlackStandIn
) -> None:
    settings = Settings(slack_bot_token=slack_api.token, slack_app_token="xapp-1-test")
    connection = _connection(sessions, slack_api, settings)
    assert connection.socket is not None
    connection.http.start()
    try:
        slack = Slack(connection.http.port, slack_api)
        assert slack.get("/healthz").status == 200
        assert slack.command("U0OWNER", "list").status == 404
    finally:
        connection.http.stop()


def test_http_mode_serves_slack_events(
    sessions: sessionmaker[Session], slack_api: SlackStandIn
) -> None:
    settings = Settings(slack_bot_token=slack_api.token, slack_signing_secret="s3cret")
    connection = _connection(sessions, slack_api, settings)
    assert connection.socket is None
    connection.http.start()
    try:
        slack = Slack(connection.http.port, slack_api, secret="s3cret")
        assert "/workflow create" in slack.reply_to("U0OWNER", "help")
    finally:
        connection.http.stop()


def test_only_a_process_answering_slack_shortens_the_gil_switch_interval(
    sessions: sessionmaker[Session], slack_api: SlackStandIn
) -> None:
    # A scheduler's /healthz server keeps CPython's interval: its burst spent 11% more CPU
    # switching between its posting threads at Slack's.
    before = sys.getswitchinterval()
    default = 0.005  # CPython's
    sys.setswitchinterval(default)
    try:
        health = HttpServer(
            wsgi_application(None, Health(sessions, FixedClock(START), None), None), "127.0.0.1", 0
        )
        health.start()
        health.stop()
        assert sys.getswitchinterval() == default

        settings = Settings(slack_bot_token=slack_api.token, slack_signing_secret="s3cret")
        connection = _connection(sessions, slack_api, settings)
        try:
            connection.start()
            assert sys.getswitchinterval() == pytest.approx(GIL_SWITCH_SECONDS)
        finally:
            connection.stop()
    finally:
        sys.setswitchinterval(before)
