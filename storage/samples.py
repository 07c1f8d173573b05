"""The sample's marks in the database: whether a database is new enough to receive the
sample, that it once did, and the records and workflows it installed."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from storage.models import ObjectType, Record, SampleInstallation, Workflow, WorkflowEvent


@dataclass(frozen=True)
class SampleContents:
    """What the sample still has in the database."""

    workflow_names: tuple[str, ...]
    record_count: int

    @property
    def empty(self) -> bool:
        return not self.workflow_names and not self.record_count


class SampleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def is_brand_new(self, team_id: str) -> bool:
        """No record (not even a removed one) and no workflow anywhere, no workspace but
        ``team_id``'s, and the sample never installed before."""
        other_team = select(ObjectType.id).where(ObjectType.team_id != team_id)
        anything = (
            exists(select(Record.id)),
            exists(select(Workflow.id)),
            exists(other_team),
            exists(select(SampleInstallation.id)),
        )
        return not any(self.session.scalar(select(found)) for found in anything)

    def record_installation(self, team_id: str, now: datetime) -> None:
        self.session.add(SampleInstallation(team_id=team_id, installed_at=now))
        self.session.flush()

    def mark(self, object_type_id: int, external_ids: Collection[str], workflow_id: int) -> None:
        self.session.execute(
            update(Record)
            .where(Record.object_type_id == object_type_id, Record.external_id.in_(external_ids))
            .values(is_sample=True)
        )
        self.session.execute(
            update(Workflow).where(Workflow.id == workflow_id).values(is_sample=True)
        )

    def contents(self) -> SampleContents:
        # A deleted sample workflow is named as it was (its row's name is moved aside).
        name = func.coalesce(Workflow.deleted_name, Workflow.name)
        names = self.session.scalars(
            select(name).where(Workflow.is_sample.is_(True)).order_by(name)
        )
        records = self.session.scalar(
            select(func.count()).select_from(Record).where(Record.is_sample.is_(True))
        )
        return SampleContents(tuple(names), records or 0)

    def delete(self, now: datetime) -> SampleContents:
        """Deletes the sample's workflows (their runs and history of changes go with them)
        and records (with what runs recorded about them); returns what was deleted."""
        deleted = self.contents()
        # History is kept when a workflow of the user's is purged; the sample's is not the
        # user's, and left behind it would keep its workspace from ever being removed.
        sample_workflows = select(Workflow.id).where(Workflow.is_sample.is_(True))
        self.session.execute(
            delete(WorkflowEvent).where(WorkflowEvent.workflow_id.in_(sample_workflows))
        )
        self.session.execute(delete(Workflow).where(Workflow.is_sample.is_(True)))
        self.session.execute(delete(Record).where(Record.is_sample.is_(True)))
        self.session.execute(
            update(SampleInstallation)
            .where(SampleInstallation.removed_at.is_(None))
            .values(removed_at=now)
        )
        return deleted
