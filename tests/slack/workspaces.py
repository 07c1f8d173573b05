"""The bot installed into several workspaces of one distributed app (SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET), served over real HTTP against the stand-in for such an app, and Slack's
side for each workspace: its requests, and the admin's browser installing the app there."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.installations import Installations, WorkspaceNotifiers, app_client
from bot.slack.notifier import SlackNotifier, make_web_client
from bot.slack.request_gate import RequestGate
from bot.slack.server import Health, HttpServer, wsgi_application
from bot.slack.services import Services
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from tests.slack.harness import QUICK_RETRIES, SIGNING_SECRET, TEST_ACK_WAIT_S, Bot, Slack, Wakes
from tests.slack_standin import SlackStandIn, WorkspacesStandIn

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "e2e-client-secret"


@dataclass(frozen=True)
class Page:
    """The bot's answer to a browser: status, headers (names in lower case) and body."""

    status: int
    headers: dict[str, str]
    body: str


@dataclass
class WorkspacesBot(Bot):
    """The bot installed into several workspaces: runs post with each workspace's token."""

    installations: Installations | None = None

    def engine(self) -> Engine:
        assert self.installations is not None
        return workspaces_engine(self.sessions, self.clock, self.installations, self.slack_api)


def workspaces_settings(slack_api: SlackStandIn) -> Settings:
    return Settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.url,
        default_timezone="UTC",
    )


def workspaces_engine(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    installations: Installations,
    slack_api: SlackStandIn,
) -> Engine:
    """An engine whose runs post through the stand-in with their workspace's token, unpaced."""

    def notifier(token: str) -> SlackNotifier:
        client = make_web_client(token, slack_api.url, max_retries=1)
        return SlackNotifier(client, monotonic=lambda: 0.0, sleep=lambda _s: None)

    return Engine(sessions, clock, WorkspaceNotifiers(installations, notifier), owner="e2e")


def running_workspaces_bot(
    sessions: sessionmaker[Session], clock: FixedClock, slack_api: SlackStandIn
) -> Iterator[WorkspacesBot]:
    """The bot with SLACK_CLIENT_ID/SECRET settings, served over HTTP: no workspace is
    installed until a test installs one."""
    settings = workspaces_settings(slack_api)
    bind = sessions.kw["bind"]
    installations = Installations(settings, bind)
    wakes = Wakes()
    run_now = workspaces_engine(sessions, clock, installations, slack_api).run_now
    services = Services.build(sessions, clock, settings, wakes, run_now, installations)
    client = app_client(settings, max_retries=1, retry_interval=QUICK_RETRIES)
    app = create_app(services, client, ack_wait_s=TEST_ACK_WAIT_S)
    gate = RequestGate(SIGNING_SECRET, sessions)
    server = HttpServer(wsgi_application(app, Health(sessions, clock, None), gate), "127.0.0.1", 0)
    bot = WorkspacesBot(services, app, server.start(), slack_api, clock, wakes, installations)
    try:
        yield bot
    finally:
        bot.server.stop()
        bot.app.listener_runner.listener_executor.shutdown(wait=True)


class WorkspaceSlack(Slack):
    """Slack's side for one workspace of several: requests name ``team_id``. Also the browser
    of the admin who installs the app there, on the bot's OAuth pages."""

    def __init__(self, port: int, slack_api: WorkspacesStandIn, team_id: str) -> None:
        super().__init__(port, slack_api, team_id=team_id)
        self.workspaces = slack_api

    def browse(self, path: str, cookie: str | None = None) -> Page:
        """GET ``path`` as a browser would, carrying ``cookie`` (name=value) when given."""
        answer = self.get(path, {"Cookie": cookie} if cookie else None)
        return Page(answer.status, answer.headers, answer.body.decode())

    def install(self) -> Page:
        """Installs the app into this workspace as an admin does: /slack/install sends the
        browser to Slack's consent page with a state (and sets it as a cookie); the admin
        allows; Slack sends the browser back to /slack/oauth_redirect with a code and the
        state. Returns that last page."""
        start = self.browse("/slack/install")
        assert start.status == 302, start
        query = parse_qs(urlsplit(start.headers["location"]).query)
        cookie = start.headers["set-cookie"].split(";")[0]
        code = self.workspaces.authorize(self.team_id, query["scope"][0])
        redirect = urlencode({"code": code, "state": query["state"][0]})
        return self.browse(f"/slack/oauth_redirect?{redirect}", cookie)
