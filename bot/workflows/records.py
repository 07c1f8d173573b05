"""Use cases that query records by criteria: count them, list them, and index the
properties criteria filter on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from bot.workflows.criteria import Criteria, parse_criteria
from storage.criteria_sql import criteria_clause
from storage.object_types import ObjectTypeRepository
from storage.properties import PropertyType
from storage.record_search import RecordSearch, ensure_property_indexes


@dataclass(frozen=True)
class MatchingRecord:
    id: int
    external_id: str
    name: str
    owner: str | None
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class _Query:
    object_type_id: int
    criteria: Criteria
    property_types: Mapping[str, PropertyType]


def _query(session: Session, team_id: str, object_type_name: str, criteria_json: object) -> _Query:
    """Raises UnknownObjectType or InvalidCriteria, both with a message for the user."""
    object_types = ObjectTypeRepository(session)
    object_type = object_types.get(team_id, object_type_name)
    property_types = object_types.property_types(object_type.id)
    return _Query(object_type.id, parse_criteria(criteria_json, property_types), property_types)


def _clause(search: RecordSearch, query: _Query, now: datetime) -> ColumnElement[bool]:
    resolved = query.criteria.at(now, query.property_types)
    return criteria_clause(resolved, query.property_types, search.dialect)


def count_matching(
    session: Session, team_id: str, object_type_name: str, criteria_json: object, now: datetime
) -> int:
    """How many records of the type match the decoded JSON criteria at ``now``."""
    query = _query(session, team_id, object_type_name, criteria_json)
    search = RecordSearch(session)
    return search.count(query.object_type_id, _clause(search, query, now))


def list_matching(
    session: Session,
    team_id: str,
    object_type_name: str,
    criteria_json: object,
    now: datetime,
    limit: int,
) -> list[MatchingRecord]:
    """The first ``limit`` matching records by name, then by id."""
    query = _query(session, team_id, object_type_name, criteria_json)
    search = RecordSearch(session)
    records = search.list(query.object_type_id, _clause(search, query, now), limit)
    return [
        MatchingRecord(r.id, r.external_id, r.name, r.owner, dict(r.properties)) for r in records
    ]


def index_criteria_properties(
    session: Session, team_id: str, object_type_name: str, criteria_json: object
) -> list[str]:
    """Creates the indexes the criteria's queries can use (e.g. when a workflow is
    activated); returns the index names. DDL: call it in a transaction of its own."""
    query = _query(session, team_id, object_type_name, criteria_json)
    used = {name: query.property_types[name] for name in query.criteria.properties_used()}
    return ensure_property_indexes(session, used)
