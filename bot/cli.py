"""The ``workflow-bot`` command: the composition root that builds settings, storage and
services, then starts what was asked. Nothing outside it and its ``bot.commands`` starts anything.

This module reads the settings, gives every command its ``Context`` and registers the command
groups, each of which lives in its own module of ``bot.commands``; ``FailureReporting`` turns
what any of them raises into one or two lines and an exit status."""

from __future__ import annotations

import click

from bot.commands.context import Context, fail
from bot.commands.database import db
from bot.commands.failures import FailureReporting
from bot.commands.owners import owners
from bot.commands.record_removal import records_delete
from bot.commands.records import records
from bot.commands.samples import sample
from bot.commands.schedules import schedule
from bot.commands.serving import serve
from bot.commands.sources import sources
from bot.commands.workflows import workflows
from bot.commands.workspaces import workspaces
from bot.settings import DatabaseOrigin, Settings, SettingsError, database_help
from bot.workflows.clock import SystemClock

__all__ = ["Context", "fail", "main"]


class _Main(FailureReporting):
    """The top group, whose --help ends with where the database is (read when asked)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        sentence, path = database_help()
        formatter.write_paragraph()
        formatter.write_text(sentence)
        formatter.write(f"{'':>{formatter.current_indent + 2}}{path}\n")


@click.group(cls=_Main)
@click.version_option(package_name="workflow-bot", prog_name="workflow-bot")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Scheduled workflows for your records, run from Slack."""
    try:
        settings = Settings.from_environment()
    except SettingsError as error:
        fail(error.problems)
    settings.configure_logging()
    if settings.database_origin is DatabaseOrigin.WORKING_DIRECTORY:
        # Said each time: which file holds the data must not depend on a folder silently.
        click.echo(
            f"note: the database is {settings.database_url.removeprefix('sqlite:///')}, found "
            "in the current directory; elsewhere the default is the per-user one (see "
            "--help). Set DATABASE_URL to use one file from everywhere.",
            err=True,
        )
    ctx.obj = Context(settings=settings, clock=SystemClock())
    ctx.call_on_close(lambda: ctx.obj._engine and ctx.obj._engine.dispose())


main.add_command(db)
main.add_command(serve)
records.add_command(records_delete)
main.add_command(records)
main.add_command(schedule)
main.add_command(workflows)
main.add_command(workspaces)
main.add_command(sources)
main.add_command(owners)
main.add_command(sample)
