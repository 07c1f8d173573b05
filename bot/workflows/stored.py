"""Moves workflow definitions in and out of their table row: the one mapping between the
domain's WorkflowDefinition and storage's Workflow columns."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.workflows.definitions import WorkflowDefinition, load_definition, to_document
from bot.workflows.vocabulary import PropertyType
from storage.models import Workflow
from storage.object_types import ObjectTypeRepository
from storage.workflows import StoredWorkflow


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


def _stored_document(workflow: StoredWorkflow) -> dict[str, Any]:
    """The stored workflow as a workflow document, like ``document_of``."""
    return {
        "name": workflow.name,
        "object_type": workflow.object_type,
        "status": workflow.status,
        "owner": workflow.owner_user_id,
        "schedule": json.loads(workflow.schedule_json),
        "criteria": json.loads(workflow.criteria_json),
        "suppression": json.loads(workflow.suppression_json),
        "actions": json.loads(workflow.actions_json),
        "settings": json.loads(workflow.settings_json),
    }


class DefinitionCache:
    """Parsed definitions by what they were parsed from: the stored document (but its object
    type's name, which never changes for an id) and its type's property types. A burst of
    runs, and the planner before them, then parse each workflow once, not twice per run; a
    change to any column or property type is a new key, so nothing stale is ever returned.
    Thread-safe; bounded, the least recently used dropped first."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._parsed: OrderedDict[tuple[Any, ...], WorkflowDefinition] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> WorkflowDefinition | None:
        with self._lock:
            found = self._parsed.get(key)
            if found is not None:
                self._parsed.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], definition: WorkflowDefinition) -> None:
        with self._lock:
            self._parsed[key] = definition
            while len(self._parsed) > self._size:
                self._parsed.popitem(last=False)


# One workflow can hold two entries: its stored text's key (planning, claims, the
# parse-ahead) and its ORM object's (the use cases that read it as one), whose JSON differs.
# Both give the same definition, so the second costs one more parse and its memory, never a
# wrong answer; 4,096 keeps both for the PARSE_AHEAD_LIMIT (2,000) workflows a tick parses
# ahead.
_PARSED = DefinitionCache()


def definition_of(
    session: Session, workflow: Workflow, types: dict[str, PropertyType] | None = None
) -> WorkflowDefinition:
    """The workflow's definition; ``types`` are its object type's property types when the
    caller has read them already."""
    return DefinitionReader(session).definition(workflow, types)


class DefinitionReader:
    """Reads the definitions of many workflows in one transaction (a planning batch, a
    claim): each object type's property types, and each team's object type names when a
    definition is not cached, are read once."""

    def __init__(self, session: Session) -> None:
        self._object_types = ObjectTypeRepository(session)
        # Per object type: its property types, and them sorted as a cache key's part (built
        # once, beside them, rather than for every definition read).
        self._types: dict[int, tuple[dict[str, PropertyType], tuple[tuple[str, str], ...]]] = {}
        self._names: dict[str, list[str]] = {}
        self.parses = 0  # definitions this reader parsed, found in no cache

    def types(self, object_type_id: int) -> dict[str, PropertyType]:
        return self._read_types(object_type_id)[0]

    def _read_types(
        self, object_type_id: int
    ) -> tuple[dict[str, PropertyType], tuple[tuple[str, str], ...]]:
        if object_type_id not in self._types:
            types = self._object_types.property_types(object_type_id)
            key = tuple(sorted((name, kind.value) for name, kind in types.items()))
            self._types[object_type_id] = (types, key)
        return self._types[object_type_id]

    def stored_definition(self, workflow: StoredWorkflow) -> WorkflowDefinition:
        """Like ``definition``, from the columns' stored text: keyed by that text, so that
        one already parsed costs neither decoding its JSON nor encoding a key."""
        object_type_id = workflow.object_type_id
        types, types_key = self._read_types(object_type_id)
        key = (
            "stored",  # never equal to an ORM object's key (_cache_key), whose JSON differs
            workflow.team_id,
            object_type_id,
            workflow.name,
            workflow.status,
            workflow.owner_user_id,
            workflow.schedule_json,
            workflow.criteria_json,
            workflow.suppression_json,
            workflow.actions_json,
            workflow.settings_json,
            types_key,
        )
        return self._parsed(key, workflow.team_id, lambda: _stored_document(workflow), types)

    def definition(
        self, workflow: Workflow, types: dict[str, PropertyType] | None = None
    ) -> WorkflowDefinition:
        if types is None:
            types = self.types(workflow.object_type_id)
        key = _cache_key(workflow, types)
        return self._parsed(key, workflow.team_id, lambda: document_of(workflow), types)

    def _parsed(
        self,
        key: tuple[Any, ...],
        team_id: str,
        document: Callable[[], dict[str, Any]],
        types: dict[str, PropertyType],
    ) -> WorkflowDefinition:
        """The definition cached under ``key``, else ``document()`` parsed and cached (the
        document is built only then: building it is most of what a cache hit saves)."""
        cached = _PARSED.get(key)
        if cached is not None:
            return cached
        if team_id not in self._names:
            self._names[team_id] = self._object_types.names(team_id)
        definition = load_definition(document(), types, self._names[team_id])
        _PARSED.put(key, definition)
        self.parses += 1
        return definition


def _cache_key(workflow: Workflow, types: dict[str, PropertyType]) -> tuple[Any, ...]:
    columns = [
        workflow.name,
        workflow.status,
        workflow.owner_user_id,
        workflow.schedule,
        workflow.criteria,
        workflow.suppression,
        workflow.actions,
        workflow.settings,
    ]
    return (
        workflow.team_id,
        workflow.object_type_id,
        json.dumps(columns, sort_keys=True, default=str),
        tuple(sorted((name, kind.value) for name, kind in types.items())),
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
