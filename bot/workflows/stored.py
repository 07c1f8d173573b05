"""Moves workflow definitions in and out of their table row: the one mapping between the
domain's WorkflowDefinition and storage's Workflow columns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.workflows.definitions import WorkflowDefinition, load_definition, to_document
from storage.models import Workflow
from storage.object_types import ObjectTypeRepository


def document_of(workflow: Workflow) -> dict[str, Any]:
    """The stored workflow as a workflow document (the YAML file form)."""
    return {
        "name": workflow.name,
        "object_type": workflow.object_type.name,
        "status": workflow.status,
        "owner": workflow.owner_user_id,
        "schedule": workflow.schedule,
        "criteria": workflow.criteria,
        "suppression": workflow.suppression,
        "actions": workflow.actions,
        "settings": workflow.settings,
    }


def definition_of(session: Session, workflow: Workflow) -> WorkflowDefinition:
    object_types = ObjectTypeRepository(session)
    return load_definition(
        document_of(workflow),
        object_types.property_types(workflow.object_type_id),
        object_types.names(workflow.team_id),
    )


def write_definition(
    workflow: Workflow, definition: WorkflowDefinition, object_type_id: int, now: datetime
) -> None:
    """Copies a definition onto a workflow row (new or existing); revision is the caller's."""
    document = to_document(definition)
    workflow.name = definition.name
    workflow.object_type_id = object_type_id
    workflow.status = definition.status.value
    workflow.owner_user_id = definition.owner
    workflow.timezone = definition.schedule.timezone
    workflow.schedule = document["schedule"]
    workflow.criteria = document["criteria"]
    workflow.suppression = document["suppression"]
    workflow.actions = document["actions"]
    workflow.settings = document["settings"]
    workflow.updated_at = now
