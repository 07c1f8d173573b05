"""Repository of workspaces (Slack teams) as the database holds them: which teams have rows,
what each holds, and a team's rows moved or removed across the tables keyed by team id."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from storage.models import (
    HandledEvent,
    ObjectType,
    OwnerDirectory,
    PropertyDefinition,
    Record,
    RecordSource,
    WizardDraft,
    Workflow,
    WorkflowEvent,
)


class HeldRows(NamedTuple):
    """What a team holds, counted; records count removed ones too (runs name them)."""

    workflows: int
    records: int
    custom_object_types: int
    sources: int
    drafts: int
    workflow_events: int


class WorkspaceRepository:
    """Reads and changes a team's rows across tables. Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def teams_with_data(self) -> list[str]:
        """The teams with an object type (every command makes the built-in ones), sorted."""
        return sorted(set(self.session.scalars(select(ObjectType.team_id).distinct())))

    def has_object_types(self, team_id: str) -> bool:
        found = self.session.scalar(select(ObjectType.id).where(ObjectType.team_id == team_id))
        return found is not None

    def held_rows(self, team_id: str) -> HeldRows:
        def count(table: type, *where: ColumnElement[bool]) -> int:
            return self.session.scalar(select(func.count()).select_from(table).where(*where)) or 0

        in_team = ObjectType.team_id == team_id
        records = self.session.scalar(
            select(func.count(Record.id))
            .join(ObjectType, Record.object_type_id == ObjectType.id)
            .where(in_team)
        )
        return HeldRows(
            workflows=count(Workflow, Workflow.team_id == team_id),
            records=records or 0,
            custom_object_types=count(ObjectType, in_team, ObjectType.built_in.is_(False)),
            sources=count(RecordSource, RecordSource.team_id == team_id),
            drafts=count(WizardDraft, WizardDraft.team_id == team_id),
            workflow_events=count(WorkflowEvent, WorkflowEvent.team_id == team_id),
        )

    def move_team(self, from_team: str, to_team: str) -> None:
        """Moves the team's object types, workflows, their history of changes and its
        sources to ``to_team``: a type's records and definitions follow the type."""
        for table in (ObjectType, Workflow, WorkflowEvent, RecordSource):
            self.session.execute(
                update(table).where(table.team_id == from_team).values(team_id=to_team)
            )

    def remove_team(self, team_id: str) -> None:
        """Removes the team's object types with their property definitions, and what the
        bot cached for it (its owner directory, the Slack events it handled)."""
        types = select(ObjectType.id).where(ObjectType.team_id == team_id).scalar_subquery()
        self.session.execute(
            delete(PropertyDefinition).where(PropertyDefinition.object_type_id.in_(types))
        )
        for table in (OwnerDirectory, HandledEvent, ObjectType):
            self.session.execute(delete(table).where(table.team_id == team_id))
