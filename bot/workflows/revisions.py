"""Reading a workflow's past: its history of changes, one revision's document, and the diff
of two revisions as their workflow files. A deleted workflow's past is read under the name
it had, until it is purged."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.workflows.lifecycle import UnknownWorkflow, WorkflowError, get_workflow
from bot.workflows.workflow_files import dump_workflows
from storage.models import Workflow, WorkflowRevision
from storage.workflow_revisions import DeletedWorkflows, RevisionRepository


class UnknownRevision(WorkflowError, LookupError):
    def __init__(self, name: str, revision: int, kept: Sequence[int]) -> None:
        listing = (
            f"the revisions kept are {', '.join(str(number) for number in kept)}"
            if kept
            else "no revision of it is kept"
        )
        super().__init__(f"{name!r} has no revision {revision}: {listing}.")
        self.revision = revision


def workflow_with_past(session: Session, team_id: str, name: str) -> Workflow:
    """The workflow named ``name`` (as get_workflow finds it) or, when none is, the latest
    deleted one that had the name; UnknownWorkflow when neither exists."""
    try:
        return get_workflow(session, team_id, name)
    except UnknownWorkflow:
        deleted = DeletedWorkflows(session).named(team_id, name)
        if not deleted:
            raise
        return deleted[0]


def shown_name(workflow: Workflow) -> str:
    """The name people know the workflow by (a deleted one's row holds another)."""
    return workflow.deleted_name or workflow.name


@dataclass(frozen=True)
class SavedRevision:
    revision: int
    document: dict[str, Any]  # as a workflow file holds it
    author: str
    saved_at: datetime  # in the workflow's zone


def saved_revision(session: Session, team_id: str, name: str, revision: int) -> SavedRevision:
    """One revision of the workflow named ``name``: its document, who saved it and when."""
    workflow = workflow_with_past(session, team_id, name)
    found = _revision(session, workflow, revision)
    saved_at = found.saved_at.astimezone(ZoneInfo(workflow.timezone))
    return SavedRevision(revision, dict(found.document), found.author, saved_at)


def revision_diff(session: Session, team_id: str, name: str, before: int, after: int) -> str:
    """A unified diff of two revisions' workflow files (YAML as `workflows export` writes
    them); empty when they are the same."""
    workflow = workflow_with_past(session, team_id, name)
    old = dump_workflows([_revision(session, workflow, before).document])
    new = dump_workflows([_revision(session, workflow, after).document])
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"{shown_name(workflow)} revision {before}",
        tofile=f"{shown_name(workflow)} revision {after}",
    )
    return "".join(lines)


class NothingToCompare(WorkflowError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name!r} has one revision kept, so there is nothing to compare yet: every save "
            "keeps one."
        )


def latest_revisions(session: Session, team_id: str, name: str) -> tuple[int, int]:
    """The two latest revisions kept of the workflow named ``name``, older first."""
    workflow = workflow_with_past(session, team_id, name)
    kept = RevisionRepository(session).numbers(workflow.id)
    if len(kept) < 2:
        raise NothingToCompare(shown_name(workflow))
    return kept[-2], kept[-1]


def _revision(session: Session, workflow: Workflow, revision: int) -> WorkflowRevision:
    revisions = RevisionRepository(session)
    found = revisions.get(workflow.id, revision)
    if found is None:
        raise UnknownRevision(shown_name(workflow), revision, revisions.numbers(workflow.id))
    return found
