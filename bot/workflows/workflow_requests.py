"""What people ask of one workflow, or of their workspace's workflows, from Slack or the
command line: list, find, pause, activate, run, delete, enroll by id, read its past and its
revisions. Each is a use case: it opens its own short transaction on the unit of work it is
given and returns plain values, so its caller renders them with no session open.

Use cases that belong to one domain module live there instead (overview.workflow_details
and run_details, sharing.transfer_workflow and copy_workflow, trash.restore_workflow,
forecast, run_followups ...)."""

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
    RunLine,
    WorkflowLine,
    coming_run,
    list_workflows,
    run_history,
)
from bot.workflows.revisions import (
    SavedRevision,
    latest_revisions,
    revision_diff,
    saved_revision,
    shown_name,
    workflow_with_past,
)
from bot.workflows.stored import definition_of
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
    work: UnitOfWork, team_id: str, viewer: Actor | None = None, *, now: datetime
) -> list[WorkflowLine]:
    """The workspace's workflows in one line each (overview.list_workflows). Its reads
    need no one snapshot: a run finishing between them shows as a last run beside a next
    run worked out before it finished, which the next list mends."""
    with work.reads() as session:
        return list_workflows(session, team_id, viewer, now=now)


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


def delete_restorably(
    work: UnitOfWork,
    team_id: str,
    name: str,
    actor: Actor,
    asked_about: tuple[int, datetime] | None,
    now: datetime,
) -> None:
    """Deletes the workflow so that it can be restored for RESTORABLE_FOR (trash), as
    lifecycle.delete_workflow does."""
    with work.writing() as session:
        delete_workflow(session, team_id, name, actor, asked_about, now=now)


def pause_all(work: UnitOfWork, team_id: str, now: datetime, reason: str) -> list[str]:
    """Pauses every active workflow of the workspace (lifecycle.pause_workspace); the names."""
    with work.writing() as session:
        return pause_workspace(session, team_id, now, reason)


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
