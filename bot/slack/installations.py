"""Installing into several workspaces: slack_sdk's installation and OAuth state stores on the
bot's own database (tables made by migration 0003), the OAuth settings with which Bolt serves
/slack/install and /slack/oauth_redirect, and a notifier per workspace that posts with that
workspace's bot token."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.http_retry import RetryIntervalCalculator
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, desc, select

from bot.settings import Settings
from bot.slack.notifier import DEFAULT_MAX_RETRIES, SlackNotifier, make_web_client
from bot.workflows.notifier import ActionMark, DeliveryFailed, Message, Notifier, Posted
from storage.database import (
    SLACK_BOTS_TABLE,
    SLACK_INSTALLATIONS_TABLE,
    SLACK_OAUTH_STATES_TABLE,
)

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# What an install asks for: defined here once, and tests/test_manifest.py checks that these
# are manifest.yml's bot scopes. Read from code, not from manifest.yml at start: the manifest
# is not part of the installed package, and operators edit their copy (URLs, names).
BOT_SCOPES = (
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "groups:history",
    "groups:read",
    "im:history",
    "im:write",
    "usergroups:read",
    "users:read",
    "users:read.email",
)
# How long an installer has between /slack/install and Slack's redirect back.
STATE_SECONDS = 600

NOT_INSTALLED = "not_installed"
NOT_INSTALLED_REASON = (
    "workflow-bot is not installed in this workspace: an admin can install it again at "
    f"{INSTALL_PATH} on the bot's host"
)
NOT_INSTALLED_MESSAGE = (
    ":warning: workflow-bot is not installed in this workspace (any more): ask an admin to "
    f"install it at {INSTALL_PATH} on the bot's host."
)


class _PurgingStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's state store deletes a state when it is used; one whose install was
    abandoned would stay for ever. Each new state removes the expired ones first."""

    def issue(self, *args: Any, **kwargs: Any) -> str:
        # The wall clock, as the store's own expiry check reads it (not the bot's Clock).
        now = normalize_datetime_for_db(datetime.now(tz=UTC))
        with self.engine.begin() as connection:
            states = self.oauth_states
            connection.execute(states.delete().where(states.c.expire_at <= now))
        return str(super().issue(*args, **kwargs))


class Installations:
    """The workspaces the app is installed in, as slack_sdk's SQLAlchemy stores keep them in
    the bot's database. Needs settings with a client id and secret (slack_mode "oauth")."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        if not (settings.slack_client_id and settings.slack_client_secret):
            raise ValueError("installing into several workspaces needs a client id and secret")
        self.client_id = settings.slack_client_id
        self.client_secret = settings.slack_client_secret
        self.store = SQLAlchemyInstallationStore(
            client_id=self.client_id,
            engine=engine,
            bots_table_name=SLACK_BOTS_TABLE,
            installations_table_name=SLACK_INSTALLATIONS_TABLE,
            logger=log,
        )
        self.states = _PurgingStateStore(
            expiration_seconds=STATE_SECONDS,
            engine=engine,
            logger=log,
            table_name=SLACK_OAUTH_STATES_TABLE,
        )

    def oauth_settings(self) -> OAuthSettings:
        """Bolt's OAuth flow: GET /slack/install redirects the installer to Slack's consent
        page at once (with a state, also set as a cookie), and GET /slack/oauth_redirect
        trades Slack's code for the bot token (oauth.v2.access) and saves the installation.
        Everything is passed, so nothing is read from SLACK_* variables."""
        oauth = OAuthSettings(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scopes=list(BOT_SCOPES),
            user_scopes=[],
            install_path=INSTALL_PATH,
            install_page_rendering_enabled=False,
            redirect_uri_path=REDIRECT_PATH,
            installation_store=self.store,
            # Every event and command names its team: the bot token is all Bolt needs.
            installation_store_bot_only=True,
            state_store=self.states,
            state_expiration_seconds=STATE_SECONDS,
            logger=log,
        )
        # OAuthSettings takes a redirect_uri it was not given from $SLACK_REDIRECT_URI. None is
        # meant: Slack then redirects to the app's redirect URL (manifest.yml's).
        oauth.redirect_uri = None
        oauth.authorize_url_generator.redirect_uri = None
        return oauth

    def bot_token(self, team_id: str) -> str | None:
        """The workspace's current bot token; None when the app is not installed there.

        Looked up by team id alone, unlike the store's find_bot: a workspace of an Enterprise
        Grid organization is stored with its enterprise id, which our workspace-scoped data
        does not keep."""
        bots = self.store.bots
        query = (
            select(bots.c.bot_token)
            .where(
                bots.c.client_id == self.client_id,
                bots.c.team_id == team_id,
                bots.c.bot_token.is_not(None),
            )
            .order_by(desc(bots.c.installed_at))
            .limit(1)
        )
        with self.store.engine.connect() as connection:
            token = connection.execute(query).scalar()
        return None if token is None else str(token)

    def teams(self) -> list[str]:
        """The workspaces with a bot token, by team id."""
        bots = self.store.bots
        query = (
            select(bots.c.team_id)
            .where(
                bots.c.client_id == self.client_id,
                bots.c.team_id.is_not(None),
                bots.c.bot_token.is_not(None),
            )
            .distinct()
        )
        with self.store.engine.connect() as connection:
            return sorted(str(team) for team in connection.execute(query).scalars())


def app_client(
    settings: Settings,
    *,
    max_retries: int = DEFAULT_MAX_RETRIES,
    retry_interval: RetryIntervalCalculator | None = None,
) -> WebClient:
    """The App's client in multi-workspace mode: make_web_client's base URL and retry
    handlers, without a token. Bolt copies it into each request's client and sets the token
    of the request's workspace; its OAuth flow calls oauth.v2.access with it."""
    client = make_web_client(
        "", settings.slack_api_url, max_retries=max_retries, retry_interval=retry_interval
    )
    client.token = None
    return client


class NotInstalledNotifier:
    """The notifier of a workspace without an installation: every post fails with the reason
    to reinstall, which the run records; there is nothing to find either."""

    def post(self, message: Message) -> Posted:
        raise DeliveryFailed(NOT_INSTALLED, NOT_INSTALLED_REASON)

    def find_marked(
        self, channel: str, mark: ActionMark, since: datetime, thread_ts: str | None = None
    ) -> Posted | None:
        return None


class WorkspaceNotifiers:
    """notifier_for(team_id) in multi-workspace mode: the notifier that posts with the
    workspace's bot token, one per token (with its own channel pacing), made by
    ``make_notifier``. A workspace's old notifier is dropped when its token changes (after a
    reinstall). Thread-safe: the scheduler and listeners running enrollments ask at once."""

    def __init__(
        self,
        installations: Installations,
        make_notifier: Callable[[str], Notifier],
    ) -> None:
        self._installations = installations
        self._make_notifier = make_notifier
        self._by_token: dict[str, Notifier] = {}
        self._token_of_team: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def posting_to_slack(
        cls, installations: Installations, settings: Settings
    ) -> WorkspaceNotifiers:
        return cls(
            installations,
            lambda token: SlackNotifier(make_web_client(token, settings.slack_api_url)),
        )

    def __call__(self, team_id: str) -> Notifier:
        token = self._installations.bot_token(team_id)
        with self._lock:
            previous = self._token_of_team.pop(team_id, None)
            if previous is not None and previous != token:
                self._by_token.pop(previous, None)
            if token is None:
                return NotInstalledNotifier()
            self._token_of_team[team_id] = token
            notifier = self._by_token.get(token)
            if notifier is None:
                notifier = self._by_token[token] = self._make_notifier(token)
            return notifier
