"""Use cases that query records by criteria: count them, list them, and index the
properties criteria filter on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import Session

from bot.workflows.criteria import Criteria, parse_criteria
from bot.workflows.owner_aliases import with_known_aliases
from bot.workflows.vocabulary import PropertyType
from storage.criteria_sql import criteria_clause
from storage.object_types import ObjectTypeRepository, UnknownObjectType
from storage.record_search import RecordSearch, counting, ensure_criteria_indexes
from storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class MatchingRecord:
    id: int
    external_id: str
    name: str
    owner: str | None
    properties: Mapping[str, Any]
    # The type of each property, so that a stored value is shown as what it is (a
    # datetime's stored text is not how the command line writes an instant).
    property_types: Mapping[str, PropertyType] = field(default_factory=dict)


@dataclass(frozen=True)
class _Query:
    object_type_id: int
    criteria: Criteria
    property_types: Mapping[str, PropertyType]


def _query(session: Session, team_id: str, object_type_name: str, criteria_json: object) -> _Query:
    """Raises UnknownObjectType or InvalidCriteria, both with a message for the user."""
    found = RecordSearch(session).object_type(team_id, object_type_name)
    if found is None:
        raise UnknownObjectType(object_type_name, ObjectTypeRepository(session).names(team_id))
    object_type_id, property_types = found
    criteria = parse_criteria(criteria_json, property_types)
    # Owners named in criteria stand for their other names too, as far as already known.
    criteria = with_known_aliases(session, team_id, criteria)
    return _Query(object_type_id, criteria, property_types)


def _clause(search: RecordSearch, query: _Query, now: datetime) -> ColumnElement[bool]:
    resolved = query.criteria.at(now, query.property_types)
    return criteria_clause(resolved, query.property_types, search.dialect)


def count_matching(
    session: Session, team_id: str, object_type_name: str, criteria_json: object, now: datetime
) -> int:
    """How many records of the type match the decoded JSON criteria at ``now``."""
    query = _query(session, team_id, object_type_name, criteria_json)
    search = RecordSearch(session)
    resolved = query.criteria.at(now, query.property_types)
    types = tuple(sorted(query.property_types.items()))
    return search.run_count(_counting(query.object_type_id, resolved, types, search.dialect))


# The same criteria are counted again and again (a workflow's preview, each run), and
# building and fingerprinting the statement takes a fair part of a fast indexed count
# (a third of SQLite's, for 200,000 records). Resolved criteria change once a day at
# most, so the statement is kept; it depends on nothing but the arguments.
@lru_cache(maxsize=256)
def _counting(
    object_type_id: int,
    criteria: Criteria,
    property_types: tuple[tuple[str, PropertyType], ...],
    dialect: str,
) -> Select[int]:
    types = dict(property_types)
    return counting(object_type_id, criteria_clause(criteria, types, dialect))


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
        MatchingRecord(
            r.id, r.external_id, r.name, r.owner, dict(r.properties), query.property_types
        )
        for r in records
    ]


def index_criteria_properties(
    session: Session, team_id: str, object_type_name: str, criteria_json: object
) -> list[str]:
    """Creates the indexes the criteria's queries can use (e.g. when a workflow is
    activated), one per group of filters, and refreshes the statistics the database plans
    them with; returns the index names. DDL: call it in a transaction of its own."""
    query = _query(session, team_id, object_type_name, criteria_json)
    return ensure_criteria_indexes(session, query.criteria, query.property_types)


def criteria_selection(
    session: Session, team_id: str, object_type_name: str, criteria_json: object, now: datetime
) -> tuple[int, ColumnElement[bool]]:
    """The object type's id and the clause its records match the criteria by at ``now``: for
    use cases that act on the matching records (records delete). Raises as count_matching."""
    query = _query(session, team_id, object_type_name, criteria_json)
    return query.object_type_id, _clause(RecordSearch(session), query, now)


# Use cases: each opens its own transaction on the unit of work it is given -----------------


@dataclass(frozen=True)
class Matching:
    total: int
    first: list[MatchingRecord]  # the first ones by name, then by id


def matching(
    work: UnitOfWork,
    team_id: str,
    object_type_name: str,
    criteria_json: object,
    now: datetime,
    limit: int,
) -> Matching:
    """How many records of the type match the criteria, and the first ``limit`` of them,
    read together (count_matching, list_matching)."""
    with work.reading() as session:
        total = count_matching(session, team_id, object_type_name, criteria_json, now)
        first = list_matching(session, team_id, object_type_name, criteria_json, now, limit)
        return Matching(total, first)


def matching_count(
    work: UnitOfWork, team_id: str, object_type_name: str, criteria_json: object, now: datetime
) -> int:
    """How many records of the type match the criteria (count_matching)."""
    with work.reading() as session:
        return count_matching(session, team_id, object_type_name, criteria_json, now)
