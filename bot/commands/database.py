"""``workflow-bot db``: the database schema."""

from __future__ import annotations

import click

from bot.commands.context import Context


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(context: Context) -> None:
    """Apply pending migrations (serve does this at start too)."""
    context.migrate()
    click.echo("Database is up to date.")
