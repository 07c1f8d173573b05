"""A dry run: which records a workflow would enroll now and what each action would do,
without posting, recording or changing anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_
from sqlalchemy.orm import Session

from bot.workflows.definitions import (
    CreateTask,
    SendChannelMessage,
    SendDm,
    SendOwnerDm,
    SetProperty,
    WorkflowDefinition,
)
from bot.workflows.lifecycle import get_workflow
from bot.workflows.owner_aliases import with_known_aliases
from bot.workflows.readable import mrkdwn_as_typed, plural, shown_value
from bot.workflows.stored import definition_of
from bot.workflows.templates import RenderContext
from bot.workflows.vocabulary import PropertyType
from storage.criteria_sql import enrollment_criteria_clause
from storage.followups import not_snoozed
from storage.models import ObjectType, Record
from storage.object_types import ObjectTypeRepository
from storage.record_search import RecordSearch
from storage.unit_of_work import UnitOfWork

SHOWN_RECORDS = 20


@dataclass(frozen=True)
class Preview:
    matching: int
    lines: tuple[str, ...]


def matching_now(
    session: Session,
    definition: WorkflowDefinition,
    object_type_id: int,
    types: dict[str, PropertyType],
    now: datetime,
    limit: int,
    workflow_id: int | None = None,
) -> tuple[int, list[Record]]:
    """How many records a run of ``definition`` would enroll at ``now`` (criteria and not
    suppression, relative days counted in the schedule's zone, and not snoozed in the saved
    workflow ``workflow_id``), and the first ``limit`` by name."""
    search = RecordSearch(session)
    zone_now = now.astimezone(definition.schedule.zone)
    object_type = session.get(ObjectType, object_type_id)
    assert object_type is not None
    # Owners named in criteria stand for their other names too, as far as already known.
    criteria, suppression = (
        with_known_aliases(session, object_type.team_id, each)
        for each in (definition.criteria, definition.suppression)
    )
    clause = enrollment_criteria_clause(
        criteria.at(zone_now, types), suppression.at(zone_now, types), types, search.dialect
    )
    if workflow_id is not None:
        clause = and_(clause, not_snoozed(workflow_id, now))
    return search.count(object_type_id, clause), search.list(object_type_id, clause, limit)


def _describe(action: object, context: RenderContext) -> str:
    """What ``action`` would do, in plain text: messages as typed, not as Slack escapes them."""
    if isinstance(action, SendChannelMessage):
        return f"post to {action.channel}: {mrkdwn_as_typed(action.text.render(context))}"
    if isinstance(action, SendOwnerDm):
        if context.owner is None:
            return "skip the direct message: the record has no owner"
        return f"message {context.owner}: {mrkdwn_as_typed(action.text.render(context))}"
    if isinstance(action, SendDm):
        people = ", ".join([*action.users, *action.user_groups])
        return f"message {people}: {mrkdwn_as_typed(action.text.render(context))}"
    if isinstance(action, SetProperty):
        return f"set {action.property_name} to {shown_value(action.value_on(context.run_date))}"
    if isinstance(action, CreateTask):
        due = action.due_date(context.run_date).isoformat()
        title = action.title.render_as_typed(context)
        said = f"create the task {shown_value(title)}, due {due}"
        if action.priority is not None:
            said += f", priority {action.priority.label}"
        return said if action.owner is None else f"{said}, for {action.owner}"
    raise TypeError(f"unknown action {action!r}")


def preview(work: UnitOfWork, team_id: str, name: str, now: datetime) -> Preview:
    """A dry run of the workflow called ``name`` now: how many records match, and what its
    actions would do to the first SHOWN_RECORDS of them. Writes nothing."""
    with work.reading() as session:
        workflow = get_workflow(session, team_id, name)
        definition = definition_of(session, workflow)
        types = ObjectTypeRepository(session).property_types(workflow.object_type_id)
        zone_now = now.astimezone(definition.schedule.zone)
        matching, records = matching_now(
            session, definition, workflow.object_type_id, types, now, SHOWN_RECORDS, workflow.id
        )
        lines: list[str] = []
        for record in records:
            context = RenderContext(
                record.external_id,
                record.name,
                record.owner,
                record.properties,
                zone_now.date(),
                definition.name,
                created_at=record.created_at,
                updated_at=record.updated_at,
                zone=definition.schedule.zone,
            )
            lines.append(f"{record.external_id} {record.name}")
            for number, action in enumerate(definition.actions, start=1):
                lines.append(f"  {number}. {_describe(action, context)}")
        if matching > SHOWN_RECORDS:
            lines.append(f"... and {plural(matching - SHOWN_RECORDS, 'more record')}")
        return Preview(matching, tuple(lines))
