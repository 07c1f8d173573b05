"""Enrolling records by hand from a message: the active workflows and records one can pick,
a record made from the message, the enrollment itself, and what its run did to each record.

The run is a manual run (``lifecycle.enroll_record_ids``); executing it is the caller's
(``Engine.run_now``), and ``report`` reads its action results afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.workflows.lifecycle import (
    Actor,
    PermissionDenied,
    WorkflowError,
    enroll_record_ids,
    owned_by,
)
from bot.workflows.owners import SLACK_USER_ID
from bot.workflows.record_import import MAX_EXTERNAL_ID_LENGTH
from bot.workflows.vocabulary import ActionOutcome, PropertyType, RunStatus, WorkflowStatus
from storage.models import ObjectType, Run, Workflow
from storage.object_types import ObjectTypeRepository
from storage.properties import folded_copy, to_stored
from storage.records import NewRecord, RecordRepository
from storage.runs import RunRepository
from storage.unit_of_work import UnitOfWork
from storage.workflows import WorkflowRepository

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
class CheckedEnrollment:
    """What check_enrollment accepted: the workflow, and the chosen records' row ids in
    the order chosen (not the record made from the message)."""

    workflow: WorkflowChoice
    record_ids: tuple[int, ...]
    # The row id of the record the message made at an earlier enrollment, if it did.
    made_before: int | None = None

    @property
    def name(self) -> str:
        return self.workflow.name


@dataclass(frozen=True)
class Enrolled:
    run_id: int
    workflow_name: str
    created: str | None  # the external id of the record made from the message


# Choosing -----------------------------------------------------------------------------------


def active_workflows(
    session: Session,
    team_id: str,
    typed: str,
    viewer: Actor | None = None,
    limit: int = MAX_CHOICES,
) -> list[WorkflowChoice]:
    """The team's active workflows whose name contains ``typed`` (any case), by name: every
    one for no ``viewer`` or an admin, only their own for anyone else (what they may
    enroll in)."""
    found = WorkflowRepository(session).active_named_like(
        team_id, typed.strip(), owned_by(viewer), limit
    )
    return [WorkflowChoice(*row) for row in found]


def enrollable_workflow(session: Session, team_id: str, workflow_id: int) -> WorkflowChoice:
    """The team's active workflow with this id; NotEnrollable when it is gone or inactive."""
    workflow = session.get(Workflow, workflow_id)
    if workflow is None or workflow.team_id != team_id or workflow.deleted_at is not None:
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
    object_type_id = WorkflowRepository(session).object_type_id(team_id, workflow_id)
    if object_type_id is None:
        return []
    found = RecordRepository(session).live_named_like(object_type_id, typed.strip(), limit)
    return [RecordChoice(*row) for row in found]


# Enrolling ----------------------------------------------------------------------------------


def check_enrollment(
    session: Session, team_id: str, request: ManualEnrollment, actor: Actor
) -> CheckedEnrollment:
    """Refuses what enroll would refuse, writing nothing: PermissionDenied, or
    NotEnrollable, or UnknownRecords, or MessageRecordError (all but the permalink, which
    need not be known yet)."""
    workflow = session.get(Workflow, request.workflow_id)
    if workflow is not None and workflow.team_id == team_id and not actor.may_change(workflow):
        raise PermissionDenied(workflow.name, workflow.owner_user_id)
    choice = enrollable_workflow(session, team_id, request.workflow_id)
    assert workflow is not None  # enrollable_workflow refused a missing one
    record_ids = _chosen_records(session, workflow, request.record_ids)
    made_before = None
    if request.new_record is not None:
        made_before = _check_message_record(session, workflow.object_type, request.new_record)
    return CheckedEnrollment(choice, record_ids, made_before)


def _chosen_records(
    session: Session, workflow: Workflow, chosen: tuple[int, ...]
) -> tuple[int, ...]:
    """The chosen records' row ids, once each in the order chosen; UnknownRecords when
    some are gone or of another object type than the workflow's."""
    wanted = tuple(dict.fromkeys(chosen))
    if not wanted:
        return ()
    # A record removed since it was offered is missing.
    found = RecordRepository(session).live_among(workflow.object_type_id, wanted)
    missing = len([record_id for record_id in wanted if record_id not in found])
    if missing:
        raise UnknownRecords(
            f"{missing} of the chosen records no longer exist: choose the records again."
        )
    return wanted


def _check_message_record(
    session: Session, object_type: ObjectType, message: MessageRecord
) -> int | None:
    """Refuses with MessageRecordError a record ``message`` cannot make: no name, an id
    too long, or a message property the object type has with a type other than text.
    Returns the row id of the record the message already made, if any (its types do not
    matter then: nothing is stored)."""
    if not message.name.strip():
        raise MessageRecordError("Give the new record a name.")
    external_id = message_external_id(message)
    if len(external_id) > MAX_EXTERNAL_ID_LENGTH:
        raise MessageRecordError(
            "This message cannot make a record (its id is too long): untick “Create a new "
            "record” and enroll an existing record."
        )
    existing = RecordRepository(session).existing(object_type.id, [external_id])
    if existing:
        return existing[external_id].id
    declared = ObjectTypeRepository(session).property_types(object_type.id)
    for name in _message_values(message):
        if name in declared and not declared[name].is_text:
            raise MessageRecordError(
                f"The {object_type.name} property {name} is a {declared[name]} property, so "
                f"the message's {name.removeprefix('message_')} cannot be stored in it: untick "
                "“Create a new record” and enroll an existing record, or ask an admin."
            )
    return None


def message_external_id(message: MessageRecord) -> str:
    """The external id of the record ``message`` makes: the same for the same message."""
    return EXTERNAL_ID_PREFIX + message.message_id


def _message_values(message: MessageRecord) -> dict[str, str]:
    """The properties a record made from ``message`` gets: its link, and its author when
    that is a Slack user id."""
    values: dict[str, str] = {LINK_PROPERTY: message.permalink}
    if message.author and SLACK_USER_ID.fullmatch(message.author):
        values[AUTHOR_PROPERTY] = message.author
    return values


def _record_from_message(
    session: Session, object_type: ObjectType, message: MessageRecord, now: datetime
) -> int:
    """The row id of the record made from ``message`` (checked by _check_message_record),
    with the message's link and author as properties and the author as owner. Written like
    an import's new records (RecordRepository.insert_many)."""
    external_id = message_external_id(message)
    values = _message_values(message)
    types = _declare(ObjectTypeRepository(session), object_type, values)
    properties = {name: to_stored(value, types[name]) for name, value in values.items()}
    records = RecordRepository(session)
    records.insert_many(
        [
            NewRecord(
                object_type_id=object_type.id,
                external_id=external_id,
                name=message.name.strip(),
                owner=values.get(AUTHOR_PROPERTY),
                properties=properties,
                folded=folded_copy(properties, types),
                created_at=now,
                updated_at=now,
            )
        ]
    )
    # insert_many returns no ids (it may COPY): the new row is read back by its key.
    return records.existing(object_type.id, [external_id])[external_id].id


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
    actions: tuple[Mapping[str, Any], ...]  # the workflow's action documents, as stored
    records: tuple[RecordOutcome, ...]

    @property
    def finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)

    def count(self, outcome: ActionOutcome | None) -> int:
        return sum(
            1 for record in self.records for line in record.actions if line.outcome == outcome
        )


# Use cases: each opens its own transaction on the unit of work it is given -----------------


def workflow_choices(
    work: UnitOfWork, team_id: str, typed: str, viewer: Actor | None = None
) -> list[WorkflowChoice]:
    """The active workflows ``viewer`` may enroll in whose name contains ``typed``."""
    with work.reading() as session:
        return active_workflows(session, team_id, typed, viewer=viewer)


def record_choices(
    work: UnitOfWork, team_id: str, workflow_id: int, typed: str
) -> list[RecordChoice]:
    """The records of the workflow's object type that ``typed`` names (find_records)."""
    with work.reading() as session:
        return find_records(session, team_id, workflow_id, typed)


def chosen_workflow(work: UnitOfWork, team_id: str, workflow_id: int) -> WorkflowChoice:
    """The workflow picked, if records can be enrolled in it now; else NotEnrollable."""
    with work.reading() as session:
        return enrollable_workflow(session, team_id, workflow_id)


def checked_enrollment(
    work: UnitOfWork, team_id: str, request: ManualEnrollment, actor: Actor
) -> CheckedEnrollment:
    """What ``enroll`` would refuse, refused now, writing nothing (check_enrollment)."""
    with work.reading() as session:
        return check_enrollment(session, team_id, request, actor)


def enroll(
    work: UnitOfWork, team_id: str, request: ManualEnrollment, actor: Actor, now: datetime
) -> Enrolled:
    """Makes the record from the message if asked, and enrolls it with the chosen records
    in a manual run of the workflow, all or nothing; returns the run to execute now.

    Raises PermissionDenied, NotEnrollable, UnknownRecords or MessageRecordError, and
    writes nothing then.
    """
    with work.writing() as session:
        checked = check_enrollment(session, team_id, request, actor)
        workflow = session.get(Workflow, checked.workflow.id)  # loaded by the check: no query
        assert workflow is not None
        record_ids = list(checked.record_ids)
        created = None
        if request.new_record is not None:
            created = message_external_id(request.new_record)
            made = checked.made_before
            if made is None:
                made = _record_from_message(session, workflow.object_type, request.new_record, now)
            record_ids.append(made)
        run_id = enroll_record_ids(session, workflow, record_ids, actor, now)
        return Enrolled(run_id, workflow.name, created)


def report(work: UnitOfWork, run_id: int, created: str | None = None) -> EnrollmentReport | None:
    """Each enrolled record with each action's outcome, from the run's action results;
    None when the run (or its workflow) was deleted since."""
    with work.reading() as session:
        run = session.get(Run, run_id)
        workflow = session.get(Workflow, run.workflow_id) if run is not None else None
        if run is None or workflow is None:
            return None
        runs = RunRepository(session)
        # External ids tell the records apart: a run enrolls records of one object type only.
        results = {
            (row.external_id, row.action_index): (row.outcome, row.reason)
            for row in runs.results_with_records(run_id, limit=None)
        }
        # Few records (those picked by hand): sorted here by name, as the picker showed them.
        enrolled = sorted(runs.enrolled_records(run_id, limit=None))
        actions = tuple(workflow.actions)
        records = []
        for name, external_id in enrolled:
            lines = []
            for index in range(len(actions)):
                outcome, reason = results.get((external_id, index), (None, None))
                lines.append(
                    ActionOutcomeLine(
                        index + 1, ActionOutcome(outcome) if outcome else None, reason
                    )
                )
            records.append(RecordOutcome(external_id, name, external_id == created, tuple(lines)))
        return EnrollmentReport(
            run_id, workflow.name, RunStatus(run.status), actions, tuple(records)
        )
