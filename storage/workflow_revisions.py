"""Repositories of what a workflow remembers: its saved revisions, its audit events, and
its deleted (restorable) state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.workflows.vocabulary import WorkflowEventKind
from storage.models import Workflow, WorkflowEvent, WorkflowRevision
from storage.properties import fold


class RevisionRepository:
    """Saved definitions of workflows, one row per revision. Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        workflow_id: int,
        revision: int,
        document: Mapping[str, Any],
        author: str,
        saved_at: datetime,
    ) -> None:
        self.session.add(
            WorkflowRevision(
                workflow_id=workflow_id,
                revision=revision,
                document=dict(document),
                author=author,
                saved_at=saved_at,
            )
        )
        self.session.flush()

    def get(self, workflow_id: int, revision: int) -> WorkflowRevision | None:
        query = select(WorkflowRevision).where(
            WorkflowRevision.workflow_id == workflow_id, WorkflowRevision.revision == revision
        )
        return self.session.scalars(query).one_or_none()

    def numbers(self, workflow_id: int) -> list[int]:
        """The revisions kept for the workflow, oldest first."""
        query = (
            select(WorkflowRevision.revision)
            .where(WorkflowRevision.workflow_id == workflow_id)
            .order_by(WorkflowRevision.revision)
        )
        return list(self.session.scalars(query))


class EventRepository:
    """The audit history of workflows. Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        workflow: Workflow,
        kind: WorkflowEventKind,
        actor: str,
        at: datetime,
        detail: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        """Records ``kind`` for ``workflow`` under ``name`` (default: its current name)."""
        self.session.add(
            WorkflowEvent(
                team_id=workflow.team_id,
                workflow_id=workflow.id,
                workflow_name=name or workflow.name,
                kind=kind.value,
                actor=actor,
                at=at,
                revision=workflow.revision,
                detail=dict(detail or {}),
            )
        )
        self.session.flush()

    def of_workflow(self, workflow_id: int, limit: int) -> list[WorkflowEvent]:
        """The workflow's latest ``limit`` events, newest first."""
        query = (
            select(WorkflowEvent)
            .where(WorkflowEvent.workflow_id == workflow_id)
            .order_by(WorkflowEvent.at.desc(), WorkflowEvent.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))


class DeletedWorkflows:
    """Workflows deleted but not yet purged. Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def named(self, team_id: str, name: str) -> list[Workflow]:
        """The team's deleted workflows that had ``name`` (in any case), latest deletion
        first. Compared in Python: few deleted workflows per team, and full case folding."""
        query = (
            select(Workflow)
            .where(Workflow.team_id == team_id, Workflow.deleted_at.is_not(None))
            .order_by(Workflow.deleted_at.desc(), Workflow.id.desc())
        )
        wanted = fold(name.strip())
        return [
            workflow
            for workflow in self.session.scalars(query)
            if fold(workflow.deleted_name or "") == wanted
        ]

    def names(self, team_id: str, deleted_since: datetime | None = None) -> list[str]:
        """The names the team's deleted workflows had (those deleted at or after
        ``deleted_since``, when given), by name."""
        query = (
            select(Workflow.deleted_name)
            .where(Workflow.team_id == team_id, Workflow.deleted_at.is_not(None))
            .order_by(Workflow.deleted_name)
        )
        if deleted_since is not None:
            query = query.where(Workflow.deleted_at >= deleted_since)
        return [name for name in self.session.scalars(query) if name is not None]

    def purge(self, team_id: str, deleted_before: datetime) -> int:
        """Deletes for good the team's workflows deleted before ``deleted_before``, with
        their runs and revisions (their events stay, without the workflow)."""
        statement = delete(Workflow).where(
            Workflow.team_id == team_id,
            Workflow.deleted_at.is_not(None),
            Workflow.deleted_at < deleted_before,
        )
        return int(self.session.execute(statement).rowcount)  # type: ignore[attr-defined]
