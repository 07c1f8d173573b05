"""What every command is given: the ``Context`` that builds storage and services lazily, and
``fail``, the one way a command reports a usage error."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import NoReturn

import click
from sqlalchemy import Engine
from sqlalchemy.exc import NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from bot.commands.environment import environment_variable
from bot.commands.failures import USAGE_ERROR, missing_driver, parse_database_url
from bot.console_notifier import ConsoleNotifier
from bot.hubspot.portal import PortalPool
from bot.settings import Settings
from bot.slack.channel_access import SlackChannelAccess
from bot.slack.installations import Installations, WorkspaceNotifiers
from bot.slack.notifier import SlackNotifier, make_web_client
from bot.slack.people_lookup import SlackPeopleLookup
from bot.workflows.channel_access import ChannelAccess
from bot.workflows.clock import Clock
from bot.workflows.engine import Engine as WorkflowEngine
from bot.workflows.notifier import Notifier
from bot.workflows.owners import PeopleLookup
from bot.workflows.run_observer import RunObserver
from bot.workflows.runner import NotifierFor
from bot.workflows.workspaces import UnknownWorkspace, open_workspace
from storage.database import (
    current_revision,
    make_engine,
    session_factory,
    upgrade,
)
from storage.unit_of_work import UnitOfWork

__all__ = ["USAGE_ERROR", "Context", "fail"]


@dataclass
class Context:
    """What every command needs, built lazily so ``--help`` never touches the database."""

    settings: Settings
    clock: Clock
    _engine: Engine | None = None
    _notifiers: NotifierFor | None = None
    _installations: Installations | None = None
    _migrated: bool = False

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            url = self.settings.database_url
            self.settings.prepare_database_directory()
            parse_database_url(url)  # a mistake in it is one line, not a driver's traceback
            try:
                self._engine = make_engine(
                    url,
                    connect_timeout=self.settings.database_connect_timeout,
                    statement_timeout=self.settings.database_statement_timeout,
                )
            except (ImportError, NoSuchModuleError) as error:
                raise missing_driver(url, error) from error
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    @property
    def work(self) -> UnitOfWork:
        """The unit of work commands hand to use cases, which open their own transaction
        with it."""
        return UnitOfWork(self.sessions)

    def migrate(self, note: bool = True) -> None:
        """Brings the database schema up to date, once per command: serve and the commands
        that open a workspace both ask. Upgrading a database that had a schema says so on
        stderr (``note``), since an older release cannot open it afterwards; a new one is
        only created."""
        if self._migrated:
            return
        before = current_revision(self.engine)
        upgrade(self.engine)
        self._migrated = True
        after = current_revision(self.engine)
        if note and before is not None and before != after:
            click.echo(f"note: upgraded the database from {before} to {after}.", err=True)

    @property
    def installations(self) -> Installations | None:
        """The workspaces that installed the app, when it serves several; else None."""
        if self.settings.slack_mode != "oauth":
            return None
        if self._installations is None:
            self._installations = Installations(self.settings, self.engine)
        return self._installations

    def workflow_engine(self, observer: RunObserver | None = None) -> WorkflowEngine:
        self._notifiers = self._notifiers or self._make_notifiers()  # before any thread asks
        return WorkflowEngine(
            self.sessions,
            self.clock,
            self.notifier_for,
            people_for=self.people_lookup,
            environment=environment_variable,
            observer=observer,
            # One rate limiter per private app for the process's syncs and runs.
            portals=PortalPool(),
        )

    def notifier_for(self, team_id: str) -> Notifier:
        """How runs of a workspace send messages: with the workspace's own bot token when
        the app serves several, else with SLACK_BOT_TOKEN, else to the console."""
        self._notifiers = self._notifiers or self._make_notifiers()
        return self._notifiers(team_id)

    def _make_notifiers(self) -> NotifierFor:
        installations = self.installations
        if installations is not None:
            return WorkspaceNotifiers.posting_to_slack(installations, self.settings)
        token = self.settings.slack_bot_token
        notifier: Notifier = (
            ConsoleNotifier()
            if token is None
            else SlackNotifier(make_web_client(token, self.settings.slack_api_url))
        )
        return lambda _team_id: notifier

    def channel_access(self, team_id: str) -> ChannelAccess | None:
        """Who may have the bot post where in the workspace, asked of Slack with its bot
        token; None without Slack (console mode) or without an installation there."""
        token = self._bot_token(team_id)
        if token is None:
            return None
        return SlackChannelAccess(make_web_client(token, self.settings.slack_api_url))

    def people_lookup(self, team_id: str) -> PeopleLookup | None:
        """Who people are in the workspace's Slack (owner emails, user groups), asked with
        its bot token; None without Slack (console mode) or without an installation there."""
        token = self._bot_token(team_id)
        if token is None:
            return None
        return SlackPeopleLookup(make_web_client(token, self.settings.slack_api_url))

    def _bot_token(self, team_id: str) -> str | None:
        installations = self.installations
        if installations is not None:
            return installations.bot_token(team_id)
        return self.settings.slack_bot_token

    def team(self, team: str | None, from_slack: bool = False) -> str:
        """The team a command acts on, on a migrated database, with its built-in object
        types. A team the database does not know yet is refused (UnknownWorkspace, as a
        usage error) unless Slack vouches for it (``from_slack``: auth.test named it; or it
        is installed) or SLACK_TEAM_ID names it; AmbiguousWorkspace when none is named and
        the database serves several."""
        self.migrate()
        explicit = team or self.settings.team_id
        vouched = self._vouched_teams(explicit, from_slack)
        try:
            return open_workspace(self.work, explicit, vouched, self.clock.now())
        except UnknownWorkspace as error:
            fail(str(error))

    def _vouched_teams(self, explicit: str | None, from_slack: bool) -> set[str]:
        # Asked before the transaction opens: the installation store reads on a connection
        # of its own.
        if not explicit:
            return set()
        return self.vouched_teams() | ({explicit} if from_slack else set())

    def vouched_teams(self) -> set[str]:
        """The workspaces known without data: SLACK_TEAM_ID's and, with several
        workspaces, those the app is installed in."""
        vouched = {self.settings.team_id} if self.settings.team_id else set()
        if self.installations is not None:
            vouched.update(self.installations.teams())
        return vouched


def fail(problems: list[str] | str) -> NoReturn:
    """Prints what was wrong and exits with the usage-error status, never a traceback."""
    for problem in [problems] if isinstance(problems, str) else problems:
        click.echo(f"error: {problem}", err=True)
    sys.exit(USAGE_ERROR)
