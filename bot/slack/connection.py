"""How this process meets Slack: Socket Mode with an app token, else HTTP on $PORT with the
signing secret (and the OAuth install paths when the app serves several workspaces); /healthz
is served over HTTP in every mode (and alone without Slack)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack.after_ack import AfterAck
from bot.slack.app import create_app
from bot.slack.notifier import make_web_client
from bot.slack.request_gate import RequestGate
from bot.slack.server import Health, HttpServer, answer_slack_promptly, wsgi_application
from bot.slack.services import Services

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

log = logging.getLogger(__name__)

HOST = "0.0.0.0"


class SlackUnreachable(RuntimeError):
    """The bot token was refused or Slack could not be reached at start."""


class SlackCredentialsRefused(SlackUnreachable):
    """Slack refused a token of the settings: the configuration must change."""


def single_bot_token(settings: Settings) -> str | None:
    """SLACK_BOT_TOKEN, when the app serves one workspace with it (not the console, and not
    several workspaces, each with its own token)."""
    return None if settings.slack_mode in ("console", "oauth") else settings.slack_bot_token


def workspace_of(settings: Settings) -> tuple[WebClient, str] | None:
    """The bot's Web API client and the workspace its token belongs to (auth.test); None
    without Slack credentials, and when the app serves several workspaces (each has its own
    token, found per request)."""
    token = single_bot_token(settings)
    if token is None:
        return None
    client = make_web_client(token, settings.slack_api_url)
    try:
        team_id = str(client.auth_test()["team_id"])
    except SlackApiError as error:
        code = error.response.get("error")
        raise SlackCredentialsRefused(
            f"Slack refused SLACK_BOT_TOKEN ({code}): copy the Bot User OAuth Token (xoxb-...) "
            "from the app's OAuth & Permissions page again"
        ) from error
    except OSError as error:
        raise _unreachable(error) from error
    return client, team_id


def check_app_token(client: WebClient, app_token: str) -> None:
    """Asks Slack for a Socket Mode URL with the app token, as connecting will: a wrong
    token then stops serve before it starts anything, not in Socket Mode's thread."""
    try:
        client.apps_connections_open(app_token=app_token)
    except SlackApiError as error:
        code = error.response.get("error")
        raise SlackCredentialsRefused(
            f"Slack refused SLACK_APP_TOKEN ({code}): copy the app-level token (xapp-..., "
            "with the connections:write scope) from the app's Basic Information page again"
        ) from error
    except OSError as error:
        raise _unreachable(error) from error


def _unreachable(error: OSError) -> SlackUnreachable:
    return SlackUnreachable(
        f"could not reach Slack's Web API ({error}): check the network or proxy, and "
        "SLACK_API_URL if it is set"
    )


def http_application(
    services: Services,
    health: Health,
    client: WebClient | None,
    metrics: Metrics | None = None,
    after_ack: AfterAck | None = None,
) -> WSGIApplication:
    """What answers HTTP in HTTP modes: Slack's signed requests through the request gate to
    the Bolt app, and /healthz and /metrics (only those without Slack). ``after_ack``: the
    pool answering after the ack, for whoever stops the process to stop it."""
    if client is None:
        return wsgi_application(None, health, None, metrics)
    gate = RequestGate(services.settings.slack_signing_secret or "", services.sessions)
    app = create_app(services, client, after_ack=after_ack)
    return wsgi_application(app, health, gate, metrics)


class SlackConnection:
    """Starts and stops the endpoint the settings ask for."""

    def __init__(
        self,
        services: Services,
        health: Health,
        client: WebClient | None,
        port: int,
        metrics: Metrics | None = None,
    ) -> None:
        self.socket: SocketModeHandler | None = None
        self.after_ack = AfterAck()
        if client is not None and services.settings.slack_mode == "socket":
            app = create_app(services, client, after_ack=self.after_ack)
            self.socket = SocketModeHandler(app, services.settings.slack_app_token)
            # Requests come over the socket; HTTP serves /healthz and /metrics only.
            application = wsgi_application(None, health, None, metrics)
        else:
            application = http_application(services, health, client, metrics, self.after_ack)
        self.http = HttpServer(application, HOST, port)

    def start(self) -> None:
        answer_slack_promptly()
        self.http.start()
        if self.socket is not None:
            self.socket.connect()  # type: ignore[no-untyped-call]

    def stop(self) -> None:
        """Takes no more requests, then stops the answers after the ack: those not started
        are dropped, their users told to ask again (AfterAck.stop)."""
        if self.socket is not None:
            self.socket.close()  # type: ignore[no-untyped-call]
        self.http.stop()
        self.after_ack.stop()
