"""Repository of workflows: their stored definition, status, revision and next run. A
deleted workflow (``deleted_at`` set) is found only by id and by storage.workflow_revisions'
DeletedWorkflows: every query here is of live workflows."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    Integer,
    Select,
    String,
    Text,
    Update,
    bindparam,
    cast,
    func,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session, joinedload

from bot.workflows.vocabulary import WorkflowStatus
from storage.columns import UTCDateTime, among_ids, contains_in_any_case
from storage.models import ObjectType, Workflow
from storage.properties import fold

# Not deleted: a deleted workflow keeps its row (and runs) until it is purged. Deleting also
# pauses it and clears its next run, but the reads of active or due workflows say LIVE too:
# a row changed outside the use cases must not bring a deleted workflow back to run.
LIVE = Workflow.deleted_at.is_(None)


def team_live_ids() -> Select[int]:
    """The ids of the live workflows of the team bound as ``team_id``, as a subquery: a
    statement about all of a team's workflows binds one parameter where a list of their ids
    binds one per workflow (50 of them cost more to bind than the query to run), and can
    be built once."""
    return select(Workflow.id).where(Workflow.team_id == bindparam("team_id"), LIVE)


class ListedWorkflow(NamedTuple):
    """A workflow as a list of them shows it (WorkflowRepository.listed)."""

    id: int
    name: str
    status: str
    object_type: str  # its type's name
    owner_user_id: str
    schedule_json: str  # as stored
    settings_json: str
    revision: int
    next_run_at: datetime | None


class StoredWorkflow(NamedTuple):
    """A workflow's definition as stored, its JSON columns as their text, with what planning
    and claiming read besides: the ORM object decoded all five JSON columns on every read
    (twice per run in a burst, planning and claiming), where a reader keyed by the text
    (bot.workflows.stored) decodes them only when the text is new to it."""

    id: int
    team_id: str
    object_type_id: int
    object_type: str  # its type's name
    name: str
    status: str
    owner_user_id: str
    revision: int
    next_run_at: datetime | None
    schedule_json: str
    criteria_json: str
    suppression_json: str
    actions_json: str
    settings_json: str


def stored_columns() -> tuple[Any, ...]:
    """StoredWorkflow's columns, in its order (ObjectType joined on the workflow's type)."""
    return (
        Workflow.id,
        Workflow.team_id,
        Workflow.object_type_id,
        ObjectType.name,
        Workflow.name,
        Workflow.status,
        Workflow.owner_user_id,
        Workflow.revision,
        Workflow.next_run_at,
        cast(Workflow.schedule, Text),
        cast(Workflow.criteria, Text),
        cast(Workflow.suppression, Text),
        cast(Workflow.actions, Text),
        cast(Workflow.settings, Text),
    )


class WorkflowRepository:
    """Finds, adds and removes workflows of a workspace. Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, workflow: Workflow) -> Workflow:
        self.session.add(workflow)
        self.session.flush()
        return workflow

    def get(self, workflow_id: int) -> Workflow | None:
        return self.session.get(Workflow, workflow_id)

    def find(self, team_id: str, name: str) -> Workflow | None:
        query = select(Workflow).where(Workflow.team_id == team_id, Workflow.name == name, LIVE)
        return self.session.scalars(query).one_or_none()

    def find_for_update(self, team_id: str, name: str) -> Workflow | None:
        """Like find, but locks the row (PostgreSQL) so a concurrent edit waits for this one."""
        query = select(Workflow).where(Workflow.team_id == team_id, Workflow.name == name, LIVE)
        return self.session.scalars(query.with_for_update()).one_or_none()

    def same_name(self, team_id: str, name: str) -> list[Workflow]:
        """The team's workflows named ``name`` in any case, by full Unicode case folding (in
        Python: SQLite's lower() folds ASCII only) or by the database's own lower(), which
        the unique index on (team_id, lower(name)) compares."""
        folded = fold(name)
        rows = self.session.execute(_same_name(), {"team_id": team_id, "name": name})
        ids = [
            workflow_id
            for workflow_id, known, same_lower in rows
            if same_lower or fold(known) == folded
        ]
        return self.many(ids)

    def active_named_like(
        self, team_id: str, typed: str, owner: str | None, limit: int
    ) -> list[tuple[int, str, str]]:
        """(id, name, object type name) of the team's active workflows whose name contains
        ``typed`` in any case (any name for a blank one), by name; only ``owner``'s when
        given."""
        query = (
            select(Workflow.id, Workflow.name, ObjectType.name)
            .join(ObjectType, ObjectType.id == Workflow.object_type_id)
            .where(
                Workflow.team_id == team_id, Workflow.status == WorkflowStatus.ACTIVE.value, LIVE
            )
            .order_by(Workflow.name, Workflow.id)
            .limit(limit)
        )
        if typed:
            query = query.where(contains_in_any_case(Workflow.name, typed))
        if owner is not None:
            query = query.where(Workflow.owner_user_id == owner)
        return [(id_, name, type_name) for id_, name, type_name in self.session.execute(query)]

    def object_type_id(self, team_id: str, workflow_id: int) -> int | None:
        """The object type of the team's workflow ``workflow_id``; None when it is not the
        team's (or there is none)."""
        query = select(Workflow.object_type_id).where(
            Workflow.id == workflow_id, Workflow.team_id == team_id
        )
        return self.session.scalar(query)

    def names(self, team_id: str) -> list[str]:
        query = (
            select(Workflow.name).where(Workflow.team_id == team_id, LIVE).order_by(Workflow.name)
        )
        return list(self.session.scalars(query))

    def in_team(self, team_id: str, owner: str | None = None) -> list[Workflow]:
        """The team's workflows by name; only ``owner``'s when given."""
        query = (
            select(Workflow)
            .where(Workflow.team_id == team_id, LIVE)
            .options(joinedload(Workflow.object_type))
            .order_by(Workflow.name)
        )
        if owner is not None:
            query = query.where(Workflow.owner_user_id == owner)
        return list(self.session.scalars(query))

    def listed(self, team_id: str) -> list[ListedWorkflow]:
        """The live workflows of ``team_id`` by name, with only what a list of them shows,
        as plain rows (no ORM objects: a list of 50 built 50 objects, and their type's, on
        every request). The schedule and settings come as their stored JSON text, which a
        reader can keep what it parsed from (the same text parses the same)."""
        rows = self.session.connection().execute(_listed(), {"team_id": team_id})
        return [ListedWorkflow(*row) for row in rows]

    def due_stored(self, now: datetime, limit: int) -> list[StoredWorkflow]:
        """Active workflows whose next occurrence has come, earliest first, locked against
        other planners, as stored rows (no ORM objects). SKIP LOCKED lets several processes
        plan different workflows at once on PostgreSQL (SQLite has one writer, taken by the
        caller's BEGIN IMMEDIATE); only the workflows' rows are locked, not their object
        types' (planners of other processes must not skip every workflow of a type another
        one is planning)."""
        query = _due_stored(self.session.get_bind().dialect.name == "postgresql")
        rows = self.session.connection().execute(query, {"now": now, "limit": limit})
        return [StoredWorkflow(*row) for row in rows]

    def stored(self, workflow_ids: Collection[int], *, live: bool = True) -> list[StoredWorkflow]:
        """The live workflows of these ids as stored rows, by id; deleted ones too when not
        ``live`` (a run of a workflow deleted since it was claimed)."""
        if not workflow_ids:
            return []
        query = (
            select(*stored_columns())
            .join(ObjectType, ObjectType.id == Workflow.object_type_id)
            .where(among_ids(self.session, Workflow.id, workflow_ids), LIVE if live else true())
            .order_by(Workflow.id)
        )
        return [StoredWorkflow(*row) for row in self.session.connection().execute(query)]

    def move_next_runs(self, next_runs: Sequence[tuple[int, datetime | None]]) -> None:
        """Sets each (workflow id, next run) in one statement (an ORM object's change would
        be flushed the same way, but costs the object)."""
        if next_runs:
            self.session.connection().execute(
                _move_next_run(),
                [{"workflow_id": id_, "moved_to": at} for id_, at in next_runs],
            )

    def coming(self, until: datetime, limit: int) -> list[tuple[int, datetime]]:
        """(id, updated_at) of the active workflows whose next occurrence comes by
        ``until``, earliest first; read without locking them (planning locks them, later)."""
        query = (
            select(Workflow.id, Workflow.updated_at)
            .where(
                Workflow.status == WorkflowStatus.ACTIVE.value,
                Workflow.next_run_at <= until,
                LIVE,
            )
            .order_by(Workflow.next_run_at, Workflow.id)
            .limit(limit)
        )
        return [(id_, updated_at) for id_, updated_at in self.session.execute(query)]

    def many(self, workflow_ids: Collection[int]) -> list[Workflow]:
        """The live workflows of these ids, by id: on PostgreSQL, one listed by an earlier
        statement of the same transaction may have been deleted since."""
        if not workflow_ids:
            return []
        query = select(Workflow).where(Workflow.id.in_(workflow_ids), LIVE).order_by(Workflow.id)
        return list(self.session.scalars(query))

    def earliest_next_run(self) -> datetime | None:
        query = select(func.min(Workflow.next_run_at)).where(
            Workflow.status == WorkflowStatus.ACTIVE.value, LIVE
        )
        return self.session.scalar(query)

    def delete(self, workflow: Workflow) -> None:
        self.session.delete(workflow)
        self.session.flush()


@cache
def _due_stored(locking: bool) -> Select[Any]:
    """WorkflowRepository.due_stored's query, built once: ``now`` and ``limit`` bound."""
    query = (
        select(*stored_columns())
        .join(ObjectType, ObjectType.id == Workflow.object_type_id)
        .where(
            Workflow.status == WorkflowStatus.ACTIVE.value,
            Workflow.next_run_at <= bindparam("now", type_=UTCDateTime()),
            LIVE,
        )
        .order_by(Workflow.next_run_at, Workflow.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if locking:
        query = query.with_for_update(skip_locked=True, of=Workflow)
    return query


@cache
def _move_next_run() -> Update:
    return (
        update(Workflow)
        .where(Workflow.id == bindparam("workflow_id"))
        .values(next_run_at=bindparam("moved_to"))
    )


@cache
def _listed() -> Select[int, str, str, str, str, str, str, int, datetime | None]:
    """WorkflowRepository.listed's query, built once (building it cost more than running
    it): its team bound as ``team_id``."""
    return (
        select(
            Workflow.id,
            Workflow.name,
            Workflow.status,
            ObjectType.name,
            Workflow.owner_user_id,
            cast(Workflow.schedule, Text),
            cast(Workflow.settings, Text),
            Workflow.revision,
            Workflow.next_run_at,
        )
        .join(ObjectType, ObjectType.id == Workflow.object_type_id)
        .where(Workflow.team_id == bindparam("team_id"), LIVE)
        .order_by(Workflow.name)
    )


@cache
def _same_name() -> Select[int, str, bool]:
    """WorkflowRepository.same_name's query (on every step of the wizard), built once: the
    team and the name bound as ``team_id`` and ``name``."""
    same_lower = func.lower(Workflow.name) == func.lower(bindparam("name", type_=String))
    return select(Workflow.id, Workflow.name, same_lower).where(
        Workflow.team_id == bindparam("team_id"), LIVE
    )
