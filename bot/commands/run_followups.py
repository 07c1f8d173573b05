"""``workflow-bot workflows skip-next`` and ``workflows snooze``: the command line's Skip next
run and Snooze a record, as a run summary's buttons do them in Slack."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from bot.commands.context import Context, fail
from bot.commands.options import TEAM_OPTION
from bot.workflows.lifecycle import CLI_ACTOR, WorkflowError
from bot.workflows.readable import instant_text
from bot.workflows.run_followups import (
    MAX_SNOOZE_DAYS,
    MIN_SNOOZE_DAYS,
    skip_next_of,
    snooze_named,
)
from bot.workflows.workspaces import AmbiguousWorkspace


@contextmanager
def _errors() -> Iterator[None]:
    """Turns every error a user can fix into its message and exit status 2."""
    try:
        yield
    except (WorkflowError, AmbiguousWorkspace) as error:
        fail(str(error))


@click.command("skip-next")
@click.argument("name")
@TEAM_OPTION
@click.pass_obj
def workflows_skip_next(context: Context, name: str, team: str | None) -> None:
    """Skip the workflow's next run, once: the runs after it happen as usual."""
    with _errors():
        team_id = context.team(team)
        skipped = skip_next_of(context.work, team_id, name, CLI_ACTOR, context.clock.now())
    when = instant_text(skipped.scheduled_at, skipped.scheduled_at.tzinfo or "UTC")
    if skipped.already:
        who = skipped.skipped_by
        click.echo(f"{skipped.workflow_name}: the run of {when} was already skipped by {who}")
        return
    click.echo(f"{skipped.workflow_name} skips its run of {when}, once")


@click.command("snooze")
@click.argument("name")
@click.argument("record_id")
@click.option(
    "--days",
    type=click.IntRange(MIN_SNOOZE_DAYS, MAX_SNOOZE_DAYS),
    required=True,
    help=f"Days the record is left out of the runs ({MIN_SNOOZE_DAYS}-{MAX_SNOOZE_DAYS}).",
)
@TEAM_OPTION
@click.pass_obj
def workflows_snooze(
    context: Context, name: str, record_id: str, days: int, team: str | None
) -> None:
    """Keep the record RECORD_ID (its id in the records file) out of the workflow's runs
    for DAYS days, even when it matches."""
    with _errors():
        team_id = context.team(team)
        snoozed = snooze_named(
            context.work, team_id, name, record_id, days, CLI_ACTOR, context.clock.now()
        )
    click.echo(
        f"{snoozed.record_name} is snoozed in {snoozed.workflow_name} until "
        f"{snoozed.until.isoformat()}: its runs enroll it again from that day"
    )
