"""Use cases that change workflows: save (create or edit), pause, activate, delete, run now
and enroll by hand. Each takes effect at once: the next run is recomputed from ``now`` and
runs planned under an older revision are cancelled. Each is recorded in the workflow's
history (bot.workflows.audit)."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.workflows.audit import keep_revision, record
from bot.workflows.definitions import ParsedDefinition, WorkflowDefinition, parse_definition
from bot.workflows.hubspot_writes import write_back_rules
from bot.workflows.planner import next_run_after
from bot.workflows.problems import Problem
from bot.workflows.records import index_criteria_properties
from bot.workflows.stored import definition_of, write_definition
from bot.workflows.vocabulary import (
    PropertyType,
    RunSource,
    RunStatus,
    WorkflowEventKind,
    WorkflowStatus,
)
from storage.models import ObjectType, Workflow
from storage.object_types import ObjectTypeRepository
from storage.records import RecordRepository
from storage.runs import NewRun, RunRepository
from storage.workflow_revisions import DeletedWorkflows
from storage.workflows import WorkflowRepository


class WorkflowError(Exception):
    """A request about workflows that cannot be done; the message says what to do instead."""


class UnknownWorkflow(WorkflowError, LookupError):
    def __init__(self, name: str, known: Collection[str]) -> None:
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        listing = (
            ""
            if close
            else (
                f" Workflows: {', '.join(sorted(known))}."
                if known
                else " There are no workflows yet."
            )
        )
        super().__init__(f"There is no workflow named {name!r}.{hint}{listing}")
        self.name = name
        self.close_matches = close


class NameTaken(WorkflowError):
    """Another workflow of the workspace already has the name, in this case or another:
    ``name`` is the other workflow's, ``requested`` the name asked for when it differs."""

    def __init__(self, name: str, requested: str | None = None) -> None:
        # ``problem`` is the file wording of the name's problem (the wizard's steps make it
        # a NAME_TAKEN Problem, worded by the dialog); the message is it as a sentence.
        in_case = (
            ", and names that differ only in case are the same name"
            if requested is not None and requested != name
            else ""
        )
        self.problem = f"a workflow named {name!r} already exists{in_case}: choose another name"
        super().__init__(self.problem[0].upper() + self.problem[1:] + ".")
        self.name = name


class PermissionDenied(WorkflowError):
    def __init__(self, name: str, owner: str) -> None:
        super().__init__(
            f"Only the owner of {name!r} (user {owner}) or an admin can change it. "
            "Ask them or an admin to transfer it to you, or copy it to make your own."
        )
        self.name = name
        self.owner = owner


@dataclass(frozen=True)
class Actor:
    """Who asks: a Slack user id (or "cli" for the command line), and whether an admin."""

    user_id: str
    is_admin: bool = False

    def may_change(self, workflow: Workflow) -> bool:
        return self.may_change_one_owned_by(workflow.owner_user_id)

    def may_change_one_owned_by(self, owner_user_id: str) -> bool:
        return self.is_admin or self.user_id == owner_user_id


CLI_ACTOR = Actor("cli", is_admin=True)
# How long a deleted workflow can be restored; it is purged afterwards.
RESTORABLE_FOR = timedelta(days=30)
# Who the history names for what the bot did by itself (pausing an uninstalled workspace).
SYSTEM_ACTOR = "workflow-bot"


def owned_by(viewer: Actor | None) -> str | None:
    """The owner whose workflows ``viewer`` is shown: None (every workflow) for no viewer
    or an admin, else the viewer's own user id."""
    return None if viewer is None or viewer.is_admin else viewer.user_id


@dataclass(frozen=True)
class RunRequested:
    """A manual run asked for: its id, and the workflow's name as stored (the name asked
    for may differ in case)."""

    run_id: int
    workflow_name: str


@dataclass(frozen=True)
class TeamDefinition:
    """A workflow document parsed against its workspace: the definition with its warnings,
    the object type it names, and that type's property types."""

    parsed: ParsedDefinition
    object_type: ObjectType
    property_types: dict[str, PropertyType]

    @property
    def definition(self) -> WorkflowDefinition:
        return self.parsed.definition

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return self.parsed.warnings


@dataclass(frozen=True)
class Saved:
    workflow_id: int
    created: bool
    revision: int
    # The stored wake-up hint (_schedule); what a person is shown is overview.coming_run.
    next_run_at: datetime | None
    warnings: tuple[Problem, ...]
    # Which of its actions write to HubSpot (bot.workflows.hubspot_writes), when some do.
    writes_to_hubspot: str | None = None


def get_workflow(session: Session, team_id: str, name: str) -> Workflow:
    """The workflow named ``name``; a name typed in another case finds it when no other
    workflow has that name in any case."""
    repository = WorkflowRepository(session)
    workflow = repository.find(team_id, name)
    if workflow is not None:
        return workflow
    same = repository.same_name(team_id, name.strip())
    if len(same) == 1:
        return same[0]
    raise UnknownWorkflow(name, repository.names(team_id))


def changeable_workflow(session: Session, team_id: str, name: str, actor: Actor) -> Workflow:
    """The workflow named ``name`` (as get_workflow finds it) when ``actor`` may change it;
    UnknownWorkflow or PermissionDenied otherwise."""
    workflow = get_workflow(session, team_id, name)
    if not actor.may_change(workflow):
        raise PermissionDenied(workflow.name, workflow.owner_user_id)
    return workflow


def save_workflow(
    session: Session,
    team_id: str,
    document: Mapping[str, object],
    actor: Actor,
    default_timezone: str,
    now: datetime,
    editing_id: int | None = None,
    index: bool = True,
    ended_ok: bool = False,
    detail: Mapping[str, object] | None = None,
) -> Saved:
    """Creates the workflow or, when its name exists, edits it as a new revision.

    ``index=False`` leaves the criteria indexes of an active workflow to a later
    index_workflow call in a transaction of its own (creating them can take seconds on a
    large table, longer than someone waiting in Slack should).

    With ``editing_id`` it edits that workflow, renaming it when the document names it
    otherwise. A name another workflow has, in any case, is refused with NameTaken, also
    when a concurrent save took it first.

    Raises InvalidDefinition with every problem, or PermissionDenied; nothing is written
    then. An edit cancels the runs planned under the old revision (a run already executing
    finishes) and recomputes the next run from ``now``. With ``ended_ok`` a schedule that
    has run its course is saved with no next run (a workflow file exported after it ran).

    Each save keeps the definition as a revision with its author, and is recorded in the
    workflow's history (created or edited, with ``detail`` when given).
    """
    parsed = parse_for_team(session, team_id, document, default_timezone, now, ended_ok)
    definition = parsed.definition
    rules = write_back_rules(
        session, parsed.object_type.id, parsed.object_type.name, definition.actions
    )
    if rules.refusal is not None:
        raise WorkflowError(rules.refusal)
    if editing_id is None:
        workflow = WorkflowRepository(session).find_for_update(team_id, definition.name)
        if workflow is not None and not actor.may_change(workflow):
            raise PermissionDenied(workflow.name, workflow.owner_user_id)
        if workflow is None:
            _refuse_taken_name(session, team_id, definition.name, None)
    else:
        workflow = _edited(session, team_id, editing_id, definition.name, actor)
    created = workflow is None
    if workflow is None:
        workflow = Workflow(team_id=team_id, revision=1, created_at=now)
    else:
        workflow.revision += 1
    try:
        # A savepoint, so that after a concurrent save took the name (the unique index on
        # names refuses this one) the transaction can still ask who has it.
        with session.begin_nested():
            session.add(workflow)
            write_definition(workflow, definition, parsed.object_type.id, now)
            session.flush()
    except IntegrityError:
        _refuse_taken_name(session, team_id, definition.name, None if created else workflow.id)
        raise
    if not created:
        RunRepository(session).cancel_pending(workflow.id, now, "the workflow was edited")
    keep_revision(session, workflow, parsed.object_type, actor.user_id, now)
    kind = WorkflowEventKind.CREATED if created else WorkflowEventKind.EDITED
    record(session, workflow, kind, actor.user_id, now, detail)
    _schedule(session, workflow, definition, now, index)
    return Saved(
        workflow.id, created, workflow.revision, workflow.next_run_at, parsed.warnings, rules.note
    )


def parse_for_team(
    session: Session,
    team_id: str,
    document: Mapping[str, object],
    default_timezone: str,
    now: datetime,
    ended_ok: bool = False,
) -> TeamDefinition:
    """``document`` checked for saving in the workspace: against the object types there
    and the property types of the one it names. Raises InvalidDefinition with every
    problem (parse_definition)."""
    object_types = ObjectTypeRepository(session)
    type_name = document.get("object_type")
    object_type = object_types.find(team_id, type_name) if isinstance(type_name, str) else None
    types = object_types.property_types(object_type.id) if object_type else {}
    # The workspace's other types matter only to say what an unknown one could have been.
    known = [object_type.name] if object_type else object_types.names(team_id)
    parsed = parse_definition(document, types, known, default_timezone, now, ended_ok)
    assert object_type is not None  # parse_definition refused an unknown type
    return TeamDefinition(parsed, object_type, types)


def _edited(session: Session, team_id: str, workflow_id: int, name: str, actor: Actor) -> Workflow:
    """The workflow being edited, locked; refused when it is gone, not the actor's to
    change, or being renamed onto another workflow's name."""
    workflow = session.get(Workflow, workflow_id, with_for_update=True)
    if workflow is None or workflow.team_id != team_id:
        raise WorkflowError(
            "The workflow you were editing was deleted in the meantime: "
            "create it again with /workflow create."
        )
    if workflow.deleted_at is not None:
        raise WorkflowError(
            f"{workflow.deleted_name!r} was deleted while you were editing it: nothing was "
            f"saved. /workflow restore {workflow.deleted_name} brings it back, to edit it again."
        )
    if not actor.may_change(workflow):
        raise PermissionDenied(workflow.name, workflow.owner_user_id)
    _refuse_taken_name(session, team_id, name, workflow.id)
    return workflow


def _refuse_taken_name(session: Session, team_id: str, name: str, own_id: int | None) -> None:
    """Raises NameTaken when a workflow other than ``own_id`` has ``name`` in any case."""
    for other in WorkflowRepository(session).same_name(team_id, name):
        if other.id != own_id:
            raise NameTaken(other.name, name)


def _schedule(
    session: Session,
    workflow: Workflow,
    definition: WorkflowDefinition,
    now: datetime,
    index: bool = True,
) -> None:
    if workflow.status != WorkflowStatus.ACTIVE.value:
        workflow.next_run_at = None
        return
    # The schedule's next occurrence: only when the scheduler wakes up to look. Pause days,
    # holidays and skips are applied when it runs; what a person is shown as the next run
    # comes from overview.coming_run, never from this column.
    workflow.next_run_at = next_run_after(definition.schedule, now)
    if index:
        _index(session, workflow, definition)


def _index(session: Session, workflow: Workflow, definition: WorkflowDefinition) -> None:
    # The queries of active workflows get indexes on the properties they filter on. Not
    # suppression criteria: they are applied negated, which no index can serve.
    if definition.criteria.groups:
        index_criteria_properties(
            session, workflow.team_id, definition.object_type, definition.criteria.to_json()
        )


def index_workflow(session: Session, team_id: str, workflow_id: int) -> None:
    """Creates the criteria indexes of an active workflow saved with ``index=False``; a
    workflow since deleted or no longer active needs none."""
    workflow = session.get(Workflow, workflow_id)
    if workflow is None or workflow.team_id != team_id or workflow.deleted_at is not None:
        return
    if workflow.status == WorkflowStatus.ACTIVE.value:
        _index(session, workflow, definition_of(session, workflow))


def set_status(
    session: Session,
    team_id: str,
    name: str,
    status: WorkflowStatus,
    actor: Actor,
    now: datetime,
) -> Workflow:
    """Pauses, activates or drafts a workflow. Activating starts from ``now``: no burst of
    runs for the time it was paused."""
    workflow = changeable_workflow(session, team_id, name, actor)
    if workflow.status == status.value:
        return workflow
    if status is WorkflowStatus.ACTIVE:
        _refuse_undone_changes(session, workflow)
    workflow.status = status.value
    workflow.updated_at = now
    if status is not WorkflowStatus.ACTIVE:
        RunRepository(session).cancel_pending(workflow.id, now, f"the workflow was set to {status}")
    _schedule(session, workflow, definition_of(session, workflow), now)
    session.flush()
    record(session, workflow, _STATUS_EVENTS[status], actor.user_id, now, _status_detail(status))
    return workflow


def _refuse_undone_changes(session: Session, workflow: Workflow) -> None:
    """Activating checks what saving checks of the type's source: one may have come since."""
    object_type = session.get(ObjectType, workflow.object_type_id)
    assert object_type is not None
    rules = write_back_rules(
        session,
        object_type.id,
        object_type.name,
        definition_of(session, workflow).actions,
        doing="activated",
    )
    if rules.refusal is not None:
        raise WorkflowError(rules.refusal)


_STATUS_EVENTS = {
    WorkflowStatus.ACTIVE: WorkflowEventKind.ACTIVATED,
    WorkflowStatus.PAUSED: WorkflowEventKind.PAUSED,
    # A draft does not run, as a paused workflow does not: the history says which.
    WorkflowStatus.DRAFT: WorkflowEventKind.PAUSED,
}


def _status_detail(status: WorkflowStatus) -> dict[str, str] | None:
    return {"reason": "set to draft"} if status is WorkflowStatus.DRAFT else None


def pause_workspace(session: Session, team_id: str, now: datetime, reason: str) -> list[str]:
    """Pauses every active workflow of a workspace the bot can no longer post in (it was
    uninstalled, or its token revoked), cancelling their pending runs with ``reason``.
    Returns the names paused. Reinstalling does not undo this: each is activated again
    by hand, and then runs from that moment on."""
    active = [
        workflow
        for workflow in WorkflowRepository(session).in_team(team_id)
        if workflow.status == WorkflowStatus.ACTIVE.value
    ]
    for workflow in active:
        workflow.status = WorkflowStatus.PAUSED.value
        workflow.updated_at = now
        workflow.next_run_at = None
    RunRepository(session).cancel_pending_of([workflow.id for workflow in active], now, reason)
    session.flush()
    for workflow in active:
        record(session, workflow, WorkflowEventKind.PAUSED, SYSTEM_ACTOR, now, {"reason": reason})
    return [workflow.name for workflow in active]


def delete_workflow(
    session: Session,
    team_id: str,
    name: str,
    actor: Actor,
    asked_about: tuple[int, datetime] | None = None,
    *,
    now: datetime,
) -> None:
    """Deletes the workflow; with ``asked_about`` (the id and creation time of the workflow
    a confirmation showed) only if the name still belongs to that workflow. Both, because
    SQLite may give a new workflow the id of a deleted one.

    The deletion can be undone for RESTORABLE_FOR (bot.workflows.trash): the workflow stops
    (its pending runs are cancelled, an active one is paused), disappears from every list
    and frees its name, but keeps its runs, revisions and history until it is purged."""
    workflow = changeable_workflow(session, team_id, name, actor)
    if asked_about is not None and (workflow.id, workflow.created_at) != asked_about:
        raise WorkflowError(
            f"{workflow.name!r} is not the workflow you were asked about (it was deleted and "
            "another one took its name): nothing was deleted. Ask to delete it again."
        )
    RunRepository(session).cancel_pending(workflow.id, now, "the workflow was deleted")
    if workflow.status == WorkflowStatus.ACTIVE.value:
        workflow.status = WorkflowStatus.PAUSED.value
    workflow.next_run_at = None
    workflow.deleted_name, workflow.deleted_at = workflow.name, now
    # A typed name never starts with a space (names are stripped), and the id is unique.
    workflow.name = f" deleted #{workflow.id}"
    session.flush()
    record(session, workflow, WorkflowEventKind.DELETED, actor.user_id, now)
    # A cheap moment to forget the team's deletions too old to restore.
    DeletedWorkflows(session).purge(team_id, now - RESTORABLE_FOR)


def request_run(
    session: Session, team_id: str, name: str, actor: Actor, now: datetime
) -> RunRequested:
    """A manual run now of every record matching the criteria."""
    workflow = changeable_workflow(session, team_id, name, actor)
    if not workflow.actions:
        raise WorkflowError(
            f"{workflow.name!r} has no actions yet, so a run would do nothing: edit it and add "
            "an action first."
        )
    run_id = _manual_run(session, workflow, actor, now, evaluates_all_records=True)
    return RunRequested(run_id, workflow.name)


def enroll_records(
    session: Session,
    team_id: str,
    name: str,
    external_ids: Sequence[str],
    actor: Actor,
    now: datetime,
) -> int:
    """Enrolls the given records by hand: their actions run at once, whether or not they
    match the criteria. Returns the run id; unknown ids are refused together."""
    workflow = changeable_workflow(session, team_id, name, actor)
    wanted = list(dict.fromkeys(external_ids))
    if not wanted:
        raise WorkflowError("Name at least one record to enroll.")
    found = RecordRepository(session).live_ids(workflow.object_type_id, wanted)
    missing = [external_id for external_id in wanted if external_id not in found]
    if missing:
        raise WorkflowError(
            f"No {workflow.object_type.name} record has the id {', '.join(missing)}: "
            f"check the ids with `workflow-bot records list --type {workflow.object_type.name}`."
        )
    return enroll_record_ids(session, workflow, [found[e] for e in wanted], actor, now)


def enroll_record_ids(
    session: Session,
    workflow: Workflow,
    record_ids: Sequence[int],
    actor: Actor,
    now: datetime,
) -> int:
    """Enrolls records (by row id, already checked to be of the workflow's object type)
    in a new manual run of ``workflow``, which ``actor`` may change; returns the run id."""
    wanted = list(dict.fromkeys(record_ids))
    if not wanted:
        raise WorkflowError("Name at least one record to enroll.")
    run_id = _manual_run(session, workflow, actor, now)
    runs = RunRepository(session)
    runs.enroll(run_id, wanted, RunSource.MANUAL, actor.user_id, now)
    run = runs.get(run_id)
    assert run is not None
    run.enrolled_at = now
    return run_id


def _manual_run(
    session: Session,
    workflow: Workflow,
    actor: Actor,
    now: datetime,
    *,
    evaluates_all_records: bool = False,
) -> int:
    run_id = RunRepository(session).add(
        NewRun(
            workflow_id=workflow.id,
            revision=workflow.revision,
            occurrence_key=f"manual-{uuid.uuid4().hex}",
            scheduled_at=now,
            source=RunSource.MANUAL,
            status=RunStatus.PENDING,
            triggered_by=actor.user_id,
            evaluates_all_records=evaluates_all_records,
        ),
        now,
    )
    assert run_id is not None
    session.flush()
    record(session, workflow, WorkflowEventKind.RAN, actor.user_id, now, {"run_id": run_id})
    return run_id
