"""``workflow-bot db``: the database schema."""

from __future__ import annotations

import click

from bot.commands.context import Context
from storage.database import current_revision


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(context: Context) -> None:
    """Apply pending migrations (serve does this at start too)."""
    before = current_revision(context.engine)
    context.migrate(note=False)  # the summary below says it
    after = current_revision(context.engine)
    click.echo(upgrade_summary(before, after))


def upgrade_summary(before: str | None, after: str | None) -> str:
    """What ``db upgrade`` did, from the revisions before and after it."""
    if before == after:
        return f"Already at {after}, nothing to do."
    if before is None:
        return f"Created the schema at {after}."
    return f"Upgraded from {before} to {after}."
