"""``workflow-bot workflows diff``, ``restore``, ``transfer`` and ``copy``: a workflow's
revisions compared, a deleted workflow brought back, and workflows passed between people.
``show --revision`` and ``history`` (in workflows.py) read the same past."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from bot.commands.context import Context, fail
from bot.commands.options import TEAM_OPTION
from bot.workflows import workflow_requests
from bot.workflows.audit import ChangeLine
from bot.workflows.definitions import InvalidDefinition
from bot.workflows.lifecycle import CLI_ACTOR, WorkflowError
from bot.workflows.readable import instant_text
from bot.workflows.revisions import SavedRevision
from bot.workflows.sharing import copy_workflow, transfer_workflow
from bot.workflows.trash import restore_workflow
from bot.workflows.workspaces import AmbiguousWorkspace


@contextmanager
def _errors() -> Iterator[None]:
    """Turns every error a user can fix into its message and exit status 2."""
    try:
        yield
    except InvalidDefinition as error:
        # A copy is checked as a new workflow: the original may no longer pass (a property
        # it names changed type since).
        fail(error.messages)
    except (WorkflowError, AmbiguousWorkspace) as error:
        fail(str(error))


def change_line(change: ChangeLine) -> str:
    """One change as the history prints it: "change: 2026-12-03T07:00:00-05:00 edited
    (revision 2) by U0OWNER"."""
    when = instant_text(change.at, change.at.tzinfo or "UTC")
    return f"change: {when} {change.about} by {change.actor}"


def revision_head(saved: SavedRevision) -> str:
    """The comment under a revision's YAML: who saved it and when."""
    when = instant_text(saved.saved_at, saved.saved_at.tzinfo or "UTC")
    return f"# revision {saved.revision}, saved by {saved.author} at {when}"


@click.command("diff")
@click.argument("name")
@click.argument("before", type=click.IntRange(min=1))
@click.argument("after", type=click.IntRange(min=1))
@TEAM_OPTION
@click.pass_obj
def workflows_diff(context: Context, name: str, before: int, after: int, team: str | None) -> None:
    """A unified diff of two revisions of a workflow, as workflow files."""
    with _errors():
        team_id = context.team(team)
        diff = workflow_requests.unified_diff(context.work, team_id, name, before, after)
    click.echo(diff or f"Revisions {before} and {after} are the same.", nl=not diff)


@click.command("restore")
@click.argument("name")
@TEAM_OPTION
@click.pass_obj
def workflows_restore(context: Context, name: str, team: str | None) -> None:
    """Bring back a workflow deleted in the last 30 days, with its runs and history."""
    with _errors():
        team_id = context.team(team)
        now = context.clock.now()
        restored = restore_workflow(context.work, team_id, name, CLI_ACTOR, now)
    click.echo(
        f"{restored.name} restored (revision {restored.revision}); it is {restored.status}: "
        f"`workflow-bot workflows activate {restored.name}` runs it on its schedule again."
    )


@click.command("transfer")
@click.argument("name")
@click.argument("new_owner")
@TEAM_OPTION
@click.pass_obj
def workflows_transfer(context: Context, name: str, new_owner: str, team: str | None) -> None:
    """Make NEW_OWNER (a Slack user id, U...) the owner of a workflow."""
    with _errors():
        team_id = context.team(team)
        now = context.clock.now()
        done = transfer_workflow(context.work, team_id, name, new_owner, CLI_ACTOR, now)
    click.echo(f"{done.name} now belongs to {done.owner} (was {done.previous_owner}).")


@click.command("copy")
@click.argument("name")
@click.argument("new_name")
@click.option("--owner", help="The copy's owner (a Slack user id); default: the original's.")
@TEAM_OPTION
@click.pass_obj
def workflows_copy(
    context: Context, name: str, new_name: str, owner: str | None, team: str | None
) -> None:
    """Copy a workflow to a new one named NEW_NAME, paused (a draft stays a draft)."""
    zone = context.settings.default_timezone
    with _errors():
        team_id = context.team(team)
        now = context.clock.now()
        copied = copy_workflow(context.work, team_id, name, new_name, CLI_ACTOR, zone, now, owner)
    click.echo(
        f"{copied.name} created as a copy of {copied.copied_from}, owned by {copied.owner}; it "
        f"is {copied.status}: `workflow-bot workflows activate {copied.name}` to run it."
    )
