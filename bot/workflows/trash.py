"""Deleted workflows: restoring one within RESTORABLE_FOR of its deletion, under the name it
had, and finding one by that name for its history. Deleting is lifecycle.delete_workflow,
which also purges what is too old to restore."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.workflows.audit import record
from bot.workflows.lifecycle import (
    RESTORABLE_FOR,
    Actor,
    PermissionDenied,
    WorkflowError,
)
from bot.workflows.readable import instant_text
from bot.workflows.vocabulary import WorkflowEventKind
from storage.models import Workflow
from storage.unit_of_work import UnitOfWork
from storage.workflow_revisions import DeletedWorkflows
from storage.workflows import WorkflowRepository


class NotRestorable(WorkflowError, LookupError):
    """No deleted workflow of that name can be restored; the message says why."""


@dataclass(frozen=True)
class Restored:
    name: str
    status: str  # paused or draft: a deleted workflow never comes back running
    revision: int


def deleted_workflow(session: Session, team_id: str, name: str) -> Workflow:
    """The latest deleted workflow that had ``name`` (in any case); NotRestorable when
    there is none."""
    deleted = DeletedWorkflows(session)
    found = deleted.named(team_id, name)
    if not found:
        known = deleted.names(team_id)
        listing = f" Deleted workflows: {', '.join(known)}." if known else ""
        raise NotRestorable(f"No deleted workflow is named {name!r}.{listing}")
    return found[0]


def restore_workflow(
    work: UnitOfWork, team_id: str, name: str, actor: Actor, now: datetime
) -> Restored:
    """Brings back the latest deleted workflow named ``name``, with its runs and history,
    under its name. It comes back paused (or draft), as it was stopped when deleted: it
    runs again once activated. Refused when deleted longer ago than RESTORABLE_FOR, when
    another workflow has the name now, or when ``actor`` may not change it."""
    with work.writing() as session:
        workflow = deleted_workflow(session, team_id, name)
        assert workflow.deleted_at is not None and workflow.deleted_name is not None
        original = workflow.deleted_name
        if not actor.may_change(workflow):
            raise PermissionDenied(original, workflow.owner_user_id)
        if workflow.deleted_at < now - RESTORABLE_FOR:
            deleted_on = instant_text(workflow.deleted_at, workflow.timezone)
            raise NotRestorable(
                f"{original!r} was deleted at {deleted_on}, more than {RESTORABLE_FOR.days} days "
                "ago: it can no longer be restored."
            )
        for other in WorkflowRepository(session).same_name(team_id, original):
            raise NotRestorable(
                f"Another workflow is named {other.name!r} now, so {original!r} cannot come back "
                "under its name: rename or delete that one first, then restore again."
            )
        workflow.name, workflow.deleted_name, workflow.deleted_at = original, None, None
        workflow.updated_at = now
        session.flush()
        record(session, workflow, WorkflowEventKind.RESTORED, actor.user_id, now)
        return Restored(workflow.name, workflow.status, workflow.revision)


def restorable_names(work: UnitOfWork, team_id: str, now: datetime) -> list[str]:
    """The names of the workspace's deleted workflows restore_workflow can still bring
    back (deleted within RESTORABLE_FOR), by name, each once."""
    with work.reading() as session:
        names = DeletedWorkflows(session).names(team_id, now - RESTORABLE_FOR)
    return list(dict.fromkeys(names))
