"""Enrolling records by hand from a message: the active workflows and records one can pick,
a record made from the message, the enrollment itself, and what its run did to each record.

The run is the manual run of ``lifecycle.enroll_records``; executing it is the caller's
(``Engine.run_now``), and ``enrollment_report`` reads its action results afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

from bot.workflows.definitions import Action
from bot.workflows.lifecycle import Actor, PermissionDenied, WorkflowError, enroll_records
from bot.workflows.record_import import MAX_EXTERNAL_ID_LENGTH, SLACK_USER_ID
from bot.workflows.stored import definition_of
from storage.models import (
    ActionOutcome,
    ActionResult,
    Enrollment,
    ObjectType,
    Record,
    Run,
    RunStatus,
    Workflow,
    WorkflowStatus,
)
from storage.object_types import ObjectTypeRepository
from storage.properties import InvalidValue, PropertyType, StoredValue, folded_copy, to_stored
from storage.records import NewRecord, RecordRepository

MAX_CHOICES = 100
# The properties a record made from a message gets: where the message is, and who wrote it.
LINK_PROPERTY = "message_link"
AUTHOR_PROPERTY = "message_author"
EXTERNAL_ID_PREFIX = "message-"


class NotEnrollable(WorkflowError):
    """The chosen workflow was deleted or is no longer active."""


class UnknownRecords(WorkflowError):
    """Some chosen records were deleted (or belong to another object type) since."""


class MessageRecordError(WorkflowError):
    """The record cannot be made from the message; the message says what to change."""


@dataclass(frozen=True)
class WorkflowChoice:
    id: int
    name: str
    object_type: str


@dataclass(frozen=True)
class RecordChoice:
    id: int
    external_id: str
    name: str


@dataclass(frozen=True)
class MessageRecord:
    """A record to make from a message. ``message_id`` names the message uniquely in the
    workspace (its channel and timestamp): the same message always makes the same record."""

    name: str
    message_id: str
    permalink: str
    author: str | None


@dataclass(frozen=True)
class ManualEnrollment:
    """What the person chose: a workflow, records of its type (by row id), and perhaps a
    new record made from the message."""

    workflow_id: int
    record_ids: tuple[int, ...]
    new_record: MessageRecord | None = None


@dataclass(frozen=True)
class Enrolled:
    run_id: int
    workflow_name: str
    created: str | None  # the external id of the record made from the message


# Choosing -----------------------------------------------------------------------------------


def _contains(column: QueryableAttribute[str], text: str) -> ColumnElement[bool]:
    # lower() on both sides: PostgreSQL folds every letter, SQLite's lower() only A-Z.
    return func.lower(column).contains(text.lower(), autoescape=True)


def active_workflows(
    session: Session,
    team_id: str,
    typed: str,
    owner: str | None = None,
    limit: int = MAX_CHOICES,
) -> list[WorkflowChoice]:
    """The team's active workflows whose name contains ``typed`` (any case), by name; only
    ``owner``'s when given (what someone who is not an admin may enroll in)."""
    query = (
        select(Workflow.id, Workflow.name, ObjectType.name)
        .join(ObjectType, ObjectType.id == Workflow.object_type_id)
        .where(Workflow.team_id == team_id, Workflow.status == WorkflowStatus.ACTIVE.value)
        .order_by(Workflow.name, Workflow.id)
        .limit(limit)
    )
    if typed.strip():
        query = query.where(_contains(Workflow.name, typed.strip()))
    if owner is not None:
        query = query.where(Workflow.owner_user_id == owner)
    return [WorkflowChoice(*row) for row in session.execute(query)]


def enrollable_workflow(session: Session, team_id: str, workflow_id: int) -> WorkflowChoice:
    """The team's active workflow with this id; NotEnrollable when it is gone or inactive."""
    workflow = session.get(Workflow, workflow_id)
    if workflow is None or workflow.team_id != team_id:
        raise NotEnrollable("That workflow was deleted in the meantime: choose another one.")
    if workflow.status != WorkflowStatus.ACTIVE.value:
        raise NotEnrollable(
            f"{workflow.name!r} is {workflow.status}: activate it with "
            f"/workflow activate {workflow.name}, or choose another workflow."
        )
    return WorkflowChoice(workflow.id, workflow.name, workflow.object_type.name)


def find_records(
    session: Session, team_id: str, workflow_id: int, typed: str, limit: int = MAX_CHOICES
) -> list[RecordChoice]:
    """Records of the workflow's object type whose name contains ``typed`` (any case), or
    whose id is ``typed``, by name; none when the workflow is not the team's."""
    object_type_id = session.scalar(
        select(Workflow.object_type_id).where(
            Workflow.id == workflow_id, Workflow.team_id == team_id
        )
    )
    if object_type_id is None:
        return []
    query = (
        select(Record.id, Record.external_id, Record.name)
        .where(Record.object_type_id == object_type_id)
        .order_by(Record.name, Record.id)
        .limit(limit)
    )
    text = typed.strip()
    if text:
        query = query.where(or_(_contains(Record.name, text), Record.external_id == text))
    return [RecordChoice(*row) for row in session.execute(query)]


# Enrolling ----------------------------------------------------------------------------------


def check_enrollment(
    session: Session, team_id: str, request: ManualEnrollment, actor: Actor
) -> WorkflowChoice:
    """Refuses what enroll_by_hand would refuse, writing nothing: PermissionDenied, or
    NotEnrollable, or UnknownRecords."""
    workflow = session.get(Workflow, request.workflow_id)
    if workflow is not None and workflow.team_id == team_id and not actor.may_change(workflow):
        raise PermissionDenied(workflow.name, workflow.owner_user_id)
    choice = enrollable_workflow(session, team_id, request.workflow_id)
    _external_ids(session, request)
    return choice


def _external_ids(session: Session, request: ManualEnrollment) -> list[str]:
    """The external ids of the chosen records, in the order chosen."""
    wanted = list(dict.fromkeys(request.record_ids))
    if not wanted:
        return []
    object_type_id = select(Workflow.object_type_id).where(Workflow.id == request.workflow_id)
    query = select(Record.id, Record.external_id).where(
        Record.id.in_(wanted), Record.object_type_id == object_type_id.scalar_subquery()
    )
    found: dict[int, str] = {
        record_id: external_id for record_id, external_id in session.execute(query)
    }
    missing = len([record_id for record_id in wanted if record_id not in found])
    if missing:
        raise UnknownRecords(
            f"{missing} of the chosen records no longer exist: choose the records again."
        )
    return [found[record_id] for record_id in wanted]


def enroll_by_hand(
    session: Session, team_id: str, request: ManualEnrollment, actor: Actor, now: datetime
) -> Enrolled:
    """Makes the record from the message if asked, and enrolls it with the chosen records
    in a manual run of the workflow, all or nothing; returns the run to execute now.

    Raises PermissionDenied, NotEnrollable, UnknownRecords or MessageRecordError, and
    writes nothing then.
    """
    choice = check_enrollment(session, team_id, request, actor)
    external_ids = _external_ids(session, request)
    created = None
    if request.new_record is not None:
        created = record_from_message(session, team_id, choice.object_type, request.new_record, now)
        external_ids.append(created)
    run_id = enroll_records(session, team_id, choice.name, external_ids, actor, now)
    return Enrolled(run_id, choice.name, created)


def record_from_message(
    session: Session, team_id: str, type_name: str, message: MessageRecord, now: datetime
) -> str:
    """The external id of the record made from ``message``: created with the message's
    link and author as properties and the author as owner, or the record this message
    already made. Written like an import's new records (RecordRepository.insert_many)."""
    name = message.name.strip()
    if not name:
        raise MessageRecordError("Give the new record a name.")
    external_id = EXTERNAL_ID_PREFIX + message.message_id
    if len(external_id) > MAX_EXTERNAL_ID_LENGTH:
        raise MessageRecordError("This message cannot make a record: its id is too long.")
    object_types = ObjectTypeRepository(session)
    object_type = object_types.get(team_id, type_name)
    records = RecordRepository(session)
    if records.existing(object_type.id, [external_id]):
        return external_id
    values: dict[str, str] = {LINK_PROPERTY: message.permalink}
    author = message.author if message.author and SLACK_USER_ID.fullmatch(message.author) else None
    if author is not None:
        values[AUTHOR_PROPERTY] = author
    types = _declare(object_types, object_type, values)
    properties = _stored(values, types, type_name)
    records.insert_many(
        [
            NewRecord(
                object_type_id=object_type.id,
                external_id=external_id,
                name=name,
                owner=author,
                properties=properties,
                folded=folded_copy(properties, types),
                created_at=now,
                updated_at=now,
            )
        ]
    )
    return external_id


def _declare(
    object_types: ObjectTypeRepository, object_type: ObjectType, values: dict[str, str]
) -> dict[str, PropertyType]:
    """Declares the message properties as text where the type does not have them yet (and
    the values as options where it has them as enumerations); returns every property type
    of the object type."""
    declared = object_types.property_types(object_type.id)
    new = {name: PropertyType.STRING for name in values if name not in declared}
    options = {
        name: [value]
        for name, value in values.items()
        if declared.get(name) is PropertyType.ENUMERATION
    }
    if new or options:
        enumerations = dict.fromkeys(options, PropertyType.ENUMERATION)
        object_types.declare(object_type.id, {**new, **enumerations}, options)
    return {**declared, **new}


def _stored(
    values: dict[str, str], types: dict[str, PropertyType], type_name: str
) -> dict[str, StoredValue]:
    stored: dict[str, StoredValue] = {}
    for name, value in values.items():
        try:
            stored[name] = to_stored(value, types[name])
        except InvalidValue:
            raise MessageRecordError(
                f"The {type_name} property {name} is a {types[name]} property, so the "
                f"message's {name.removeprefix('message_')} cannot be stored in it: untick "
                "“Create a new record” and enroll an existing record, or ask an admin."
            ) from None
    return stored


# What the run did ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionOutcomeLine:
    number: int  # 1-based, as the workflow lists its actions
    outcome: ActionOutcome | None  # None: the action has not run for the record (yet)
    reason: str | None


@dataclass(frozen=True)
class RecordOutcome:
    external_id: str
    name: str
    created: bool  # made from the message
    actions: tuple[ActionOutcomeLine, ...]


@dataclass(frozen=True)
class EnrollmentReport:
    run_id: int
    workflow_name: str
    status: RunStatus
    actions: tuple[Action, ...]
    records: tuple[RecordOutcome, ...]

    @property
    def finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)

    def count(self, outcome: ActionOutcome | None) -> int:
        return sum(
            1 for record in self.records for line in record.actions if line.outcome == outcome
        )


def enrollment_report(
    session: Session, run_id: int, created: str | None = None
) -> EnrollmentReport | None:
    """Each enrolled record with each action's outcome, from the run's action results;
    None when the run (or its workflow) was deleted since."""
    run = session.get(Run, run_id)
    workflow = session.get(Workflow, run.workflow_id) if run is not None else None
    if run is None or workflow is None:
        return None
    definition = definition_of(session, workflow)
    results: dict[tuple[int, int], tuple[str, str | None]] = {
        (record_id, index): (outcome, reason)
        for record_id, index, outcome, reason in session.execute(
            select(
                ActionResult.record_id,
                ActionResult.action_index,
                ActionResult.outcome,
                ActionResult.reason,
            ).where(ActionResult.run_id == run_id)
        )
    }
    enrolled = session.execute(
        select(Record.id, Record.external_id, Record.name)
        .join(Enrollment, Enrollment.record_id == Record.id)
        .where(Enrollment.run_id == run_id)
        .order_by(Record.name, Record.id)
    )
    records = []
    for record_id, external_id, name in enrolled:
        lines = []
        for index in range(len(definition.actions)):
            outcome, reason = results.get((record_id, index), (None, None))
            lines.append(
                ActionOutcomeLine(index + 1, ActionOutcome(outcome) if outcome else None, reason)
            )
        records.append(RecordOutcome(external_id, name, external_id == created, tuple(lines)))
    return EnrollmentReport(
        run_id,
        workflow.name,
        RunStatus(run.status),
        tuple(definition.actions),
        tuple(records),
    )
