"""``workflow-bot workflows``: workflows as YAML files, their state and history, and running
them or enrolling records by hand."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from pathlib import Path

import click

from bot.commands.context import Context, fail
from bot.commands.options import TEAM_OPTION
from bot.commands.run_followups import workflows_skip_next, workflows_snooze
from bot.commands.workflow_explanations import workflows_forecast, workflows_why
from bot.commands.workflow_sharing import (
    change_line,
    revision_head,
    workflows_copy,
    workflows_diff,
    workflows_restore,
    workflows_transfer,
)
from bot.workflows import workflow_requests
from bot.workflows.channel_access import check_channel_access
from bot.workflows.definitions import InvalidDefinition, to_document
from bot.workflows.lifecycle import CLI_ACTOR, RESTORABLE_FOR, WorkflowError
from bot.workflows.overview import workflow_details
from bot.workflows.preview import preview
from bot.workflows.problems import file_text
from bot.workflows.readable import instant_text, plural
from bot.workflows.trash import restorable_names
from bot.workflows.vocabulary import RunStatus, WorkflowStatus
from bot.workflows.workflow_files import (
    ImportedWorkflow,
    ImportOutcome,
    InvalidWorkflowFile,
    checked_documents,
    document_label,
    dump_workflows,
    export,
    import_all,
    read_workflow_file,
)
from bot.workflows.workspaces import AmbiguousWorkspace
from storage.object_types import UnknownObjectType
from storage.unit_of_work import UnitOfWork


@click.group()
def workflows() -> None:
    """Manage workflows as files, run them now, enroll records by hand."""


workflows.add_command(workflows_why)
workflows.add_command(workflows_forecast)
workflows.add_command(workflows_skip_next)
workflows.add_command(workflows_snooze)
for _sharing_command in (workflows_diff, workflows_restore, workflows_transfer, workflows_copy):
    workflows.add_command(_sharing_command)


@contextmanager
def workflow_errors() -> Iterator[None]:
    """Turns every error a user can fix into its message and exit status 2."""
    try:
        yield
    except InvalidDefinition as error:
        fail(error.messages)
    except InvalidWorkflowFile as error:
        fail(error.problems)
    except (WorkflowError, UnknownObjectType, AmbiguousWorkspace) as error:
        fail(str(error))


@workflows.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@TEAM_OPTION
@click.pass_obj
def workflows_import(context: Context, file: Path, team: str | None) -> None:
    """Create or update the workflows of a YAML file (all of them, or none)."""
    now = context.clock.now()
    zone = context.settings.default_timezone
    with workflow_errors():
        documents = read_workflow_file(file)
        if not documents:
            # What export writes for a workspace without workflows: importing it is a no-op.
            click.echo(f"{file} holds no workflow (an empty list): nothing to import.")
            return
        team_id = context.team(team)
        parsed = checked_documents(context.work, team_id, documents, zone, now)
        for number, (document, result) in enumerate(zip(documents, parsed, strict=True), 1):
            label = document_label(number, document)
            for warning in result.warnings:
                click.echo(f"warning: {label}: {file_text(warning)}", err=True)
        # Asked of Slack between transactions: no database lock waits on Slack's answers.
        access = context.channel_access(team_id)
        if access is not None:
            for result in parsed:
                check_channel_access(result.definition, access)
        imported = import_all(context.work, team_id, documents, CLI_ACTOR, zone, now)
        # Once committed: nothing is said of what was rolled back.
        for workflow, result in zip(imported, parsed, strict=True):
            line = _import_line(workflow, result.definition.schedule.zone)
            click.echo(f"{workflow.name}: {line}")
            if workflow.writes_to_hubspot:
                click.echo(f"{workflow.name}: {workflow.writes_to_hubspot}")


def _import_line(workflow: ImportedWorkflow, zone: tzinfo) -> str:
    what = {
        ImportOutcome.CREATED: "created",
        ImportOutcome.UPDATED: f"updated to revision {workflow.revision}",
        ImportOutcome.UNCHANGED: f"unchanged (revision {workflow.revision})",
    }[workflow.outcome]
    if workflow.finished:
        return f"{what}; finished: its schedule has no run left"
    return f"{what}; next run {_instant(workflow.next_run, zone)}"


@workflows.command("export")
@click.argument("name", required=False)
@TEAM_OPTION
@click.pass_obj
def workflows_export(context: Context, name: str | None, team: str | None) -> None:
    """Print one workflow (or all) in the YAML file format."""
    with workflow_errors():
        exported = export(context.work, context.team(team), name)
    click.echo(exported, nl=False)


@workflows.command("list")
@TEAM_OPTION
@click.pass_obj
def workflows_list(context: Context, team: str | None) -> None:
    """Every workflow with its status, schedule, next run and owner."""
    with workflow_errors():
        team_id = context.team(team)
        now = context.clock.now()
        found = workflow_requests.workflow_lines(context.work, team_id, now=now)
        restorable = [] if found else restorable_names(context.work, team_id, now)
    if restorable:
        click.echo(
            f"No workflows now. Deleted in the last {RESTORABLE_FOR.days} days and still "
            f"restorable: {', '.join(restorable)}. `workflow-bot workflows restore NAME` brings "
            "one back, not running until it is activated."
        )
    elif not found:
        click.echo("No workflows yet: import one with `workflow-bot workflows import FILE`.")
    for line in found:
        next_run = line.next_run.isoformat() if line.next_run else "none"
        click.echo(
            f"{line.name} [{line.status}] {line.object_type}: {line.schedule}; "
            f"next run {next_run}; owner {line.owner}"
        )


@workflows.command("show")
@click.argument("name")
@click.option(
    "--revision", type=click.IntRange(min=1), help="Show this earlier revision's definition."
)
@TEAM_OPTION
@click.pass_obj
def workflows_show(context: Context, name: str, revision: int | None, team: str | None) -> None:
    """A workflow's definition, its next runs and its latest runs."""
    with workflow_errors():
        team_id = context.team(team)
        if revision is not None:
            saved = workflow_requests.revision(context.work, team_id, name, revision)
            click.echo(dump_workflows([saved.document]), nl=False)
            click.echo(revision_head(saved))
            return
        details = workflow_details(context.work, team_id, name, context.clock.now())
        click.echo(dump_workflows([to_document(details.definition)]), nl=False)
        click.echo(f"# {details.line.schedule}; revision {details.line.revision}")
        if details.upcoming:
            click.echo("# next runs: " + " ".join(at.isoformat() for at in details.upcoming))
        for skip in details.skips:
            click.echo(f"# skipped once: {skip.scheduled_at.isoformat()} by {skip.skipped_by}")
        for snooze in details.snoozes:
            click.echo(
                f"# snoozed: {snooze.record_name} ({snooze.external_id}) until "
                f"{snooze.until.isoformat()} by {snooze.snoozed_by}"
            )
        for run in details.runs:
            click.echo(f"# run {run.id}: {run.describe()}")


@workflows.command("history")
@click.argument("name")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@TEAM_OPTION
@click.pass_obj
def workflows_history(context: Context, name: str, limit: int, team: str | None) -> None:
    """The latest runs of a workflow, then who changed, ran or deleted it: newest first. A
    deleted workflow's too, until it is purged."""
    with workflow_errors():
        team_id = context.team(team)
        past = workflow_requests.workflow_past(context.work, team_id, name, limit, limit)
    if past.deleted_at is not None:
        deleted = _instant(past.deleted_at, past.timezone)
        click.echo(f"{past.name} was deleted at {deleted}: `restore` brings it back")
    for run in past.runs:
        click.echo(f"run {run.id}: {run.describe()}")
    for change in past.changes:
        click.echo(change_line(change))


@workflows.command("run")
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Show what would happen; post and record nothing.")
@TEAM_OPTION
@click.pass_obj
def workflows_run(context: Context, name: str, dry_run: bool, team: str | None) -> None:
    """Run a workflow now for every record matching its criteria."""
    with workflow_errors():
        team_id, now = context.team(team), context.clock.now()
        if dry_run:
            shown = preview(context.work, team_id, name, now)
            matching = f"{plural(shown.matching, 'record')} {_match(shown.matching)} now"
            click.echo(f"{matching}. Dry run: nothing is posted.")
            for line in shown.lines:
                click.echo(line)
            return
        run_id = workflow_requests.run_all_matching(
            context.work, team_id, name, CLI_ACTOR, now
        ).run_id
    _run_and_report(context, run_id)


@workflows.command("enroll")
@click.argument("name")
@click.argument("record_ids", nargs=-1, required=True)
@TEAM_OPTION
@click.pass_obj
def workflows_enroll(
    context: Context, name: str, record_ids: tuple[str, ...], team: str | None
) -> None:
    """Enroll records by id: the workflow's actions run for them now."""
    with workflow_errors():
        team_id = context.team(team)
        run_id = workflow_requests.enroll_by_id(
            context.work, team_id, name, list(record_ids), CLI_ACTOR, context.clock.now()
        )
    _run_and_report(context, run_id)


def _status_command(status: WorkflowStatus, verb: str) -> click.Command:
    @click.argument("name")
    @TEAM_OPTION
    @click.pass_obj
    def command(context: Context, name: str, team: str | None) -> None:
        with workflow_errors():
            team_id, now = context.team(team), context.clock.now()
            changed = workflow_requests.change_status(
                context.work, team_id, name, status, CLI_ACTOR, now
            )
        next_run = _instant(changed.next_run, changed.timezone)
        click.echo(f"{changed.name} is {status}; next run {next_run}")

    command.__doc__ = f"{verb} a workflow; it takes effect at once."
    return click.command((status is WorkflowStatus.ACTIVE and "activate") or "pause")(command)


workflows.add_command(_status_command(WorkflowStatus.PAUSED, "Pause"))
workflows.add_command(_status_command(WorkflowStatus.ACTIVE, "Activate"))


@workflows.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@TEAM_OPTION
@click.pass_obj
def workflows_delete(context: Context, name: str, yes: bool, team: str | None) -> None:
    """Delete a workflow; `restore` brings it back, with its runs, for 30 days."""
    if not yes:
        click.confirm(f"Delete {name!r}?", abort=True)
    with workflow_errors():
        team_id = context.team(team)
        workflow_requests.delete_restorably(
            context.work, team_id, name, CLI_ACTOR, None, context.clock.now()
        )
    click.echo(
        f"{name} deleted; `workflow-bot workflows restore {name}` brings it back within 30 days."
    )


def _run_and_report(context: Context, run_id: int) -> None:
    engine = context.workflow_engine()
    status = engine.run_now(run_id)
    if status is None:
        status = finished_elsewhere(context.work, run_id, engine.owner, announce=click.echo)
    outcome = workflow_requests.run_outcome(context.work, run_id)
    summary, reason = outcome.summary, outcome.reason
    if status is None:
        why = reason or "Slack or a source is unavailable"
        click.echo(
            f"Run {run_id} could not finish now ({why}); it resumes by itself, and "
            "`workflow-bot workflows history` shows how it went."
        )
        sys.exit(1)
    click.echo(
        f"Run {run_id} {status}: {summary.get('enrolled', 0)} enrolled; actions "
        f"{summary.get('ok', 0)} ok, {summary.get('failed', 0)} failed, "
        f"{summary.get('skipped', 0)} skipped."
    )
    for record_name, action_number, reason in summary.get("failures", []):
        click.echo(f"  {record_name}, action {action_number}: {reason}")


# How long a command waits for a `serve` process that claimed its run first: a run's lease
# is two minutes, renewed while it works, so a live process finishes or gives it up by then.
PATIENCE_SECONDS = 150.0
_POLL_SECONDS = 0.5
_FINISHED = frozenset(set(RunStatus) - {RunStatus.PENDING, RunStatus.RUNNING})


def finished_elsewhere(
    work: UnitOfWork,
    run_id: int,
    own_lease: str,
    announce: Callable[[str], None],
    pause: Callable[[float], None] = time.sleep,
    patience: float = PATIENCE_SECONDS,
) -> RunStatus | None:
    """The run's final status once another process has finished it (a running ``serve``
    may claim a new manual run before the command does); None when no other process holds
    it (this one postponed it) or none finished it within ``patience`` seconds."""
    waited = 0.0
    while True:
        state = workflow_requests.run_state(work, run_id)
        status, holder = state.status, state.lease_owner
        if status in _FINISHED:
            return status
        if holder in (None, own_lease) or waited >= patience:
            return None
        if waited == 0:
            announce(f"Run {run_id} was taken by another workflow-bot process; waiting for it.")
        pause(_POLL_SECONDS)
        waited += _POLL_SECONDS


def _instant(instant: datetime | None, zone: tzinfo | str) -> str:
    """As every command writes an instant: in the workflow's zone, with its offset."""
    return instant_text(instant, zone)


def _match(count: int) -> str:
    return "matches" if count == 1 else "match"
