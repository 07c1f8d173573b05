"""The ``workflow-bot`` command: the composition root that builds settings, storage and
services, then starts what was asked. Nothing else in the project starts anything."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings, SettingsError
from bot.workflows.clock import Clock, SystemClock
from bot.workflows.workspaces import resolve_team
from storage.database import make_engine, session_factory, transaction, upgrade
from storage.object_types import ObjectTypeRepository

USAGE_ERROR = 2


@dataclass
class Context:
    """What every command needs, built lazily so ``--help`` never touches the database."""

    settings: Settings
    clock: Clock
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    def migrate(self) -> None:
        upgrade(self.engine)

    @contextmanager
    def workspace(self, team: str | None) -> Iterator[tuple[Session, str]]:
        """A transaction on a migrated database and the team it acts on."""
        self.migrate()
        with transaction(self.sessions) as session:
            team_id = resolve_team(session, team or self.settings.team_id)
            ObjectTypeRepository(session).ensure_built_ins(team_id, self.clock.now())
            yield session, team_id


def fail(problems: list[str] | str) -> None:
    """Prints what was wrong and exits with the usage-error status, never a traceback."""
    for problem in [problems] if isinstance(problems, str) else problems:
        click.echo(f"error: {problem}", err=True)
    sys.exit(USAGE_ERROR)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Scheduled workflows for your records, run from Slack."""
    try:
        settings = Settings.from_environment()
    except SettingsError as error:
        fail(error.problems)
    settings.configure_logging()
    ctx.obj = Context(settings=settings, clock=SystemClock())
    ctx.call_on_close(lambda: ctx.obj._engine and ctx.obj._engine.dispose())


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(context: Context) -> None:
    """Apply pending migrations (serve does this at start too)."""
    context.migrate()
    click.echo("Database is up to date.")


@main.command()
@click.pass_obj
def serve(context: Context) -> None:
    """Run the bot."""
    context.migrate()
    with context.workspace(None) as (session, team_id):
        types = ObjectTypeRepository(session).names(team_id)
    click.echo(banner(context.settings, team_id, types))


def banner(settings: Settings, team_id: str, types: list[str]) -> str:
    lines = [
        "workflow-bot",
        f"  database: {settings.database_url}",
        f"  workspace: {team_id}; object types: {', '.join(types)}",
    ]
    if settings.slack_mode == "console":
        lines += [
            "",
            "No Slack credentials are set: messages would be printed here instead of posted.",
            "To connect Slack:",
            "  1. Create an app at api.slack.com/apps from manifest.yml (see README).",
            "  2. Install it to your workspace and copy the bot token (xoxb-...).",
            "  3. Put SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode) or",
            "     SLACK_SIGNING_SECRET (HTTP) in .env, then run `make run` again.",
        ]
    else:
        lines.append(f"  Slack: {settings.slack_mode} mode configured.")
    lines += [
        "",
        "The schedule engine and the Slack listeners are not built yet: this release sets up",
        "the database and the records store, then exits. Import records with",
        "`workflow-bot records import FILE --type deals`.",
    ]
    return "\n".join(lines)


@main.group()
def records() -> None:
    """Import, list and count records."""
