"""What people ask of one workflow, or of their workspace's workflows, from Slack or the
command line: list, show, pause, activate, run, delete, transfer, copy, restore, and read its
past. Each is a use case: it opens its own short transaction on the unit of work it is given
and returns plain values, so its caller renders them with no session open.

The session-taking functions they call (bot.workflows.lifecycle, overview, revisions,
sharing, trash) stay for domain code that composes them inside a bigger transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.workflows.audit import RECENT_CHANGES, ChangeLine, recent_changes
from bot.workflows.lifecycle import (
    Actor,
    RunRequested,
    changeable_workflow,
    delete_workflow,
    enroll_records,
    get_workflow,
    pause_workspace,
    request_run,
    set_status,
)
from bot.workflows.overview import (
    RunDetails,
    RunLine,
    WorkflowDetails,
    WorkflowLine,
    coming_run,
    list_workflows,
    run_details,
    run_history,
    workflow_details,
)
from bot.workflows.revisions import (
    SavedRevision,
    latest_revisions,
    revision_diff,
    saved_revision,
    shown_name,
    workflow_with_past,
)
from bot.workflows.sharing import Copied, Transferred, copy_workflow, transfer_workflow
from bot.workflows.stored import definition_of
from bot.workflows.trash import Restored, restore_workflow
from bot.workflows.vocabulary import RunStatus, WorkflowStatus
from storage.models import Run, Workflow
from storage.runs import RunRepository
from storage.unit_of_work import UnitOfWork
from storage.workflows import WorkflowRepository


@dataclass(frozen=True)
class WorkflowRef:
    """A workflow as a surface names it: its id, name and owner, when it was created."""

    id: int
    name: str
    owner: str
    created_at: datetime


@dataclass(frozen=True)
class StatusChanged:
    name: str
    status: WorkflowStatus
    timezone: str
    next_run: datetime | None  # as the engine will run it; None when it does not run


@dataclass(frozen=True)
class WorkflowPast:
    """A workflow's latest runs and changes, newest first; a deleted one's too."""

    name: str
    timezone: str
    deleted_at: datetime | None
    runs: tuple[RunLine, ...]
    more_runs: bool  # older runs exist beyond these
    changes: tuple[ChangeLine, ...]


@dataclass(frozen=True)
class RevisionDiff:
    name: str
    before: int
    after: SavedRevision
    diff: str  # unified, of the two revisions' workflow files; empty when the same


def workflow_names(work: UnitOfWork, team_id: str) -> list[str]:
    """The names of the workspace's workflows, for reading what someone typed."""
    with work.reading() as session:
        return WorkflowRepository(session).names(team_id)


def schedule_timezone(work: UnitOfWork, team_id: str, name: str) -> str:
    """The zone of the schedule of the workflow called ``name``."""
    with work.reading() as session:
        return definition_of(session, get_workflow(session, team_id, name)).schedule.timezone


def workflow_lines(
    work: UnitOfWork, team_id: str, viewer: Actor | None = None, now: datetime | None = None
) -> list[WorkflowLine]:
    """The workspace's workflows in one line each (overview.list_workflows)."""
    with work.reading() as session:
        return list_workflows(session, team_id, viewer, now)


def details(work: UnitOfWork, team_id: str, name: str, now: datetime) -> WorkflowDetails:
    with work.reading() as session:
        return workflow_details(session, team_id, name, now)


def named_workflow(work: UnitOfWork, team_id: str, name: str) -> WorkflowRef:
    """The workflow called ``name``, which anyone may see; UnknownWorkflow when none is."""
    with work.reading() as session:
        return _ref(get_workflow(session, team_id, name))


def changeable(work: UnitOfWork, team_id: str, name: str, actor: Actor) -> WorkflowRef:
    """The workflow called ``name`` if ``actor`` may change it; else the refusal."""
    with work.reading() as session:
        return _ref(changeable_workflow(session, team_id, name, actor))


def _ref(workflow: Workflow) -> WorkflowRef:
    return WorkflowRef(workflow.id, workflow.name, workflow.owner_user_id, workflow.created_at)


def change_status(
    work: UnitOfWork, team_id: str, name: str, status: WorkflowStatus, actor: Actor, now: datetime
) -> StatusChanged:
    """Pauses or activates the workflow (lifecycle.set_status) and says when it runs next."""
    with work.writing() as session:
        workflow = set_status(session, team_id, name, status, actor, now)
        next_run = coming_run(session, workflow, now)
        return StatusChanged(workflow.name, status, workflow.timezone, next_run)


def run_all_matching(
    work: UnitOfWork, team_id: str, name: str, actor: Actor, now: datetime
) -> RunRequested:
    """A manual run now of every record matching the criteria (lifecycle.request_run)."""
    with work.writing() as session:
        return request_run(session, team_id, name, actor, now)


def delete(
    work: UnitOfWork,
    team_id: str,
    name: str,
    actor: Actor,
    asked_about: tuple[int, datetime] | None,
    now: datetime,
) -> None:
    """Deletes the workflow, restorable for a while (lifecycle.delete_workflow)."""
    with work.writing() as session:
        delete_workflow(session, team_id, name, actor, asked_about, now=now)


def pause_all(work: UnitOfWork, team_id: str, now: datetime, reason: str) -> list[str]:
    """Pauses every active workflow of the workspace (lifecycle.pause_workspace); the names."""
    with work.writing() as session:
        return pause_workspace(session, team_id, now, reason)


def transfer(
    work: UnitOfWork, team_id: str, name: str, new_owner: str, actor: Actor, now: datetime
) -> Transferred:
    with work.writing() as session:
        return transfer_workflow(session, team_id, name, new_owner, actor, now)


def copy(
    work: UnitOfWork,
    team_id: str,
    name: str,
    new_name: str,
    actor: Actor,
    default_timezone: str,
    now: datetime,
    owner: str | None = None,
) -> Copied:
    with work.writing() as session:
        return copy_workflow(
            session, team_id, name, new_name, actor, default_timezone, now, owner=owner
        )


def restore(work: UnitOfWork, team_id: str, name: str, actor: Actor, now: datetime) -> Restored:
    with work.writing() as session:
        return restore_workflow(session, team_id, name, actor, now)


def workflow_past(
    work: UnitOfWork, team_id: str, name: str, runs: int, changes: int = RECENT_CHANGES
) -> WorkflowPast:
    """The latest ``runs`` runs and ``changes`` changes of the workflow called ``name`` or,
    when none is, of the latest deleted one that was."""
    with work.reading() as session:
        workflow = workflow_with_past(session, team_id, name)
        # One more run than shown says whether older ones exist.
        lines = run_history(session, workflow, runs + 1)
        return WorkflowPast(
            name=shown_name(workflow),
            timezone=workflow.timezone,
            deleted_at=workflow.deleted_at,
            runs=tuple(lines[:runs]),
            more_runs=len(lines) > runs,
            changes=tuple(recent_changes(session, workflow, changes)),
        )


def run(work: UnitOfWork, team_id: str, run_id: int) -> RunDetails:
    """One run of the workspace, with its records and results (overview.run_details)."""
    with work.reading() as session:
        return run_details(session, team_id, run_id)


def compare_revisions(
    work: UnitOfWork, team_id: str, name: str, revisions: tuple[int, int] | None
) -> RevisionDiff:
    """What changed between two revisions (``revisions``, else the latest two), with the
    newer one and the name people know the workflow by, for Slack to show."""
    with work.reading() as session:
        before, after = revisions or latest_revisions(session, team_id, name)
        text = revision_diff(session, team_id, name, before, after)
        newer = saved_revision(session, team_id, name, after)
        shown = shown_name(workflow_with_past(session, team_id, name))
        return RevisionDiff(shown, before, newer, text)


def unified_diff(work: UnitOfWork, team_id: str, name: str, before: int, after: int) -> str:
    """The unified diff of two revisions' workflow files; empty when they are the same."""
    with work.reading() as session:
        return revision_diff(session, team_id, name, before, after)


def revision(work: UnitOfWork, team_id: str, name: str, number: int) -> SavedRevision:
    """One revision of the workflow called ``name`` (saved_revision)."""
    with work.reading() as session:
        return saved_revision(session, team_id, name, number)


def enroll_by_id(
    work: UnitOfWork,
    team_id: str,
    name: str,
    external_ids: Sequence[str],
    actor: Actor,
    now: datetime,
) -> int:
    """Enrolls the records with these ids in a manual run now (enroll_records); its id."""
    with work.writing() as session:
        return enroll_records(session, team_id, name, external_ids, actor, now)


@dataclass(frozen=True)
class RunState:
    status: RunStatus
    lease_owner: str | None  # the process running it, while one is


def run_state(work: UnitOfWork, run_id: int) -> RunState:
    with work.reading() as session:
        run = _existing_run(session, run_id)
        return RunState(RunStatus(run.status), run.lease_owner)


@dataclass(frozen=True)
class RunOutcome:
    summary: dict[str, Any]  # its counts and failures
    reason: str | None  # why it was skipped, missed, deferred, cancelled or stopped


def run_outcome(work: UnitOfWork, run_id: int) -> RunOutcome:
    """What the run recorded of how it went."""
    with work.reading() as session:
        run = _existing_run(session, run_id)
        return RunOutcome(dict(run.summary), run.reason)


def _existing_run(session: Session, run_id: int) -> Run:
    run = RunRepository(session).get(run_id)
    assert run is not None  # runs are never deleted while a command waits on one
    return run
