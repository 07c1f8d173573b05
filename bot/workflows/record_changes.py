"""The record-changing actions: set a property, create a linked task. Each runs inside the
transaction that records its result, so it happens exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.workflows.definitions import TASKS_OBJECT_TYPE, CreateTask, SetProperty, TaskPriority
from bot.workflows.templates import RenderContext
from bot.workflows.vocabulary import PropertyType, SourceKind
from storage.models import ObjectType, Record
from storage.object_types import ObjectTypeRepository
from storage.properties import FOLDED_NAME, StoredValue, fold
from storage.record_sources import RecordSourceRepository
from storage.record_versions import RecordVersions
from storage.records import RecordRepository


def undone_by_sync(source_name: str, changed: str) -> str:
    """Why changing the records a SQL source feeds does not last, as the end of a sentence
    (saving, running and adding a source each say it in their own words around it)."""
    return (
        f"the source {source_name!r}, a database query, whose next sync would set {changed} "
        "back to what the database holds"
    )


def retyped(action: SetProperty, declared: PropertyType) -> str:
    """Why a set_property of a property whose type changed since the workflow was saved
    is not done."""
    return (
        f"{action.property_name} is now a {declared} property, not "
        f"{action.property_type}: edit the workflow's set_property action"
    )


@dataclass(frozen=True)
class PropertySetter:
    """One set_property action on the records of one type, checked once (its type's source
    and the property's type) and then done record by record, each in its own transaction.

    ``refusal``, when set, is why no record of the type is changed."""

    action: SetProperty
    refusal: str | None

    @classmethod
    def checked(cls, session: Session, object_type_id: int, action: SetProperty) -> PropertySetter:
        """Declares the property when the type does not have it yet (in ``session``, which
        then changes the first record)."""
        source = RecordSourceRepository(session).feeding(object_type_id)
        if source is not None and source.kind == SourceKind.SQL.value:
            # Saving refuses this action, but the source may have come after the workflow.
            return cls(
                action,
                f"nothing was changed: the record comes from "
                f"{undone_by_sync(source.name, action.property_name)}. Change the value in "
                "that database instead, or remove the Set a property action from the workflow",
            )
        object_types = ObjectTypeRepository(session)
        declared = object_types.property_types(object_type_id).get(action.property_name)
        if declared is None:
            object_types.declare(object_type_id, {action.property_name: action.property_type})
        elif declared is not action.property_type:
            return cls(action, retyped(action, declared))
        return cls(action, None)

    def set(self, session: Session, record_id: int, run_date: date, now: datetime) -> str | None:
        """Sets the property of the record; returns why it could not, or None."""
        record = session.get(Record, record_id)
        if record is None:
            return "the record was deleted before the action ran"
        if self.refusal is not None:
            return self.refusal
        # Before the change is flushed: the row still holds the values it replaces.
        RecordVersions(session).keep([record.id], now)
        _change(record, self.action, self.action.value_on(run_date), now)
        return None


def set_property_many(
    session: Session,
    record_ids: Sequence[int],
    action: SetProperty,
    run_date: date,
    now: datetime,
) -> None:
    """set_property for many records of one type whose property type was checked already
    (HubSpot accepted the change for them): one read and one kept version for all."""
    if not record_ids:
        return
    records = RecordRepository(session).by_ids(record_ids)
    if not records:
        return
    object_types = ObjectTypeRepository(session)
    if action.property_name not in object_types.property_types(records[0].object_type_id):
        object_types.declare(
            records[0].object_type_id, {action.property_name: action.property_type}
        )
    RecordVersions(session).keep([record.id for record in records], now)
    value = action.value_on(run_date)
    for record in records:
        _change(record, action, value, now)


def _change(record: Record, action: SetProperty, value: StoredValue, now: datetime) -> None:
    record.properties = {**record.properties, action.property_name: value}
    if action.property_type.is_text and isinstance(value, str):
        record.folded = {**record.folded, action.property_name: fold(value)}
    record.updated_at = now
    # No longer what its source row says: the next sync compares it in full.
    record.source_digest = None


def create_task(
    session: Session,
    team_id: str,
    record_id: int,
    action: CreateTask,
    context: RenderContext,
    key: str,
    now: datetime,
) -> str | None:
    """Creates a task record linked to the enrolled record; ``key`` makes it unique."""
    record = session.get(Record, record_id)
    if record is None:
        return "the record was deleted before the action ran"
    object_types = ObjectTypeRepository(session)
    tasks = object_types.find(team_id, TASKS_OBJECT_TYPE) or object_types.create_custom(
        team_id, TASKS_OBJECT_TYPE, now
    )
    types = {
        "due_date": PropertyType.DATE,
        "status": PropertyType.ENUMERATION,
        "related_type": PropertyType.STRING,
        "related_id": PropertyType.STRING,
        "priority": PropertyType.ENUMERATION,
        "body": PropertyType.STRING,
    }
    priorities = [priority.value.lower() for priority in TaskPriority]
    object_types.declare(tasks.id, types, {"status": ["open"], "priority": priorities})
    properties: dict[str, str] = {
        "due_date": action.due_date(context.run_date).isoformat(),
        "status": "open",
        "related_type": _type_name(session, record.object_type_id),
        "related_id": record.external_id,
    }
    if action.priority is not None:
        properties["priority"] = action.priority.value.lower()
    if action.body is not None:
        properties["body"] = action.body.render_as_typed(context)
    # A task is a record, named as typed: escaped only where it is shown in mrkdwn.
    title = action.title.render_as_typed(context)
    folded = {name: fold(value) for name, value in properties.items() if name != "due_date"}
    session.add(
        Record(
            object_type_id=tasks.id,
            external_id=key,
            name=title,
            owner=action.owner or record.owner,
            properties=properties,
            folded={**folded, FOLDED_NAME: fold(title)},
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()
    return None


def _type_name(session: Session, object_type_id: int) -> str:
    object_type = session.get(ObjectType, object_type_id)
    return "" if object_type is None else object_type.name
