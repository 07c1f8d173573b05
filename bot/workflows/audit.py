"""What a workflow remembers of its past: each saved revision (its document, author and
time) and the audit events (who created, edited, paused, activated, ran, deleted, restored,
transferred or copied it, and when), written by the use cases that change workflows,
and read back as lines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.workflows.vocabulary import WorkflowEventKind
from storage.models import ObjectType, Workflow, WorkflowEvent
from storage.workflow_revisions import EventRepository, RevisionRepository

# Changes shown with a workflow's history.
RECENT_CHANGES = 20


def stored_document(workflow: Workflow, object_type: ObjectType | None = None) -> dict[str, Any]:
    """The workflow's definition as it is stored now, in the workflow file's form.
    ``object_type`` when the row's relationship may be out of date (it was just changed)."""
    return {
        "name": workflow.name,
        "object_type": (object_type or workflow.object_type).name,
        "status": workflow.status,
        "owner": workflow.owner_user_id,
        "schedule": workflow.schedule,
        "criteria": workflow.criteria,
        "suppression": workflow.suppression,
        "actions": workflow.actions,
        "settings": workflow.settings,
    }


def keep_revision(
    session: Session, workflow: Workflow, object_type: ObjectType, author: str, now: datetime
) -> None:
    """Keeps the workflow's definition as just saved as its current revision."""
    document = stored_document(workflow, object_type)
    RevisionRepository(session).add(workflow.id, workflow.revision, document, author, now)


def record(
    session: Session,
    workflow: Workflow,
    kind: WorkflowEventKind,
    actor: str,
    now: datetime,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Adds one event to the workflow's audit history, under its name as people know it
    (a deleted workflow's row holds a moved-aside name)."""
    name = workflow.deleted_name or workflow.name
    EventRepository(session).add(workflow, kind, actor, now, detail, name=name)


@dataclass(frozen=True)
class ChangeLine:
    """One event of a workflow's history, its time in the workflow's zone."""

    kind: str
    actor: str
    at: datetime
    revision: int | None
    detail: Mapping[str, Any]

    @classmethod
    def of(cls, event: WorkflowEvent, zone: ZoneInfo) -> ChangeLine:
        return cls(event.kind, event.actor, event.at.astimezone(zone), event.revision, event.detail)

    @property
    def about(self) -> str:
        """What the event was, in plain words without who and when, e.g. "edited
        (revision 3)", "transferred from U1 to U2", "ran (run 12)"."""
        detail = self.detail
        if self.kind == WorkflowEventKind.CREATED and detail.get("copied_from"):
            return f"created as a copy of {detail['copied_from']!r}"
        if self.kind in (WorkflowEventKind.CREATED, WorkflowEventKind.EDITED):
            return f"{self.kind} (revision {self.revision})"
        if self.kind == WorkflowEventKind.RAN and detail.get("retry_of"):
            retried = detail["retry_of"]
            return f"ran (run {detail.get('run_id')}, the failed actions of run {retried})"
        if self.kind == WorkflowEventKind.RAN:
            return f"ran (run {detail.get('run_id')})"
        if self.kind == WorkflowEventKind.TRANSFERRED:
            return f"transferred from {detail.get('from')} to {detail.get('to')}"
        if self.kind == WorkflowEventKind.COPIED:
            return f"copied to {detail.get('to')!r}"
        reason = detail.get("reason")
        return f"{self.kind} ({reason})" if reason else self.kind


def recent_changes(
    session: Session, workflow: Workflow, limit: int = RECENT_CHANGES
) -> list[ChangeLine]:
    """The workflow's latest ``limit`` events, newest first."""
    zone = ZoneInfo(workflow.timezone)
    events = EventRepository(session).of_workflow(workflow.id, limit)
    return [ChangeLine.of(event, zone) for event in events]


def revision_actions(session: Session, workflow: Workflow, revision: int) -> list[dict[str, Any]]:
    """The actions one revision of the workflow had; none when it is not kept."""
    found = RevisionRepository(session).get(workflow.id, revision)
    return list(found.document.get("actions") or []) if found is not None else []
