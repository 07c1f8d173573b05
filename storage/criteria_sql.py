"""Compiles enrollment criteria (OR of groups, AND of filters) into one SQL boolean clause
over the records table, with every value bound as a parameter. Filters name properties or
built-in fields (storage.property_expressions.FIELD_COLUMNS)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Double,
    Table,
    Text,
    and_,
    func,
    literal,
    or_,
    true,
)
from sqlalchemy.types import TypeEngine

from bot.workflows.vocabulary import PropertyType
from storage.columns import UTCDateTime
from storage.models import Record
from storage.properties import StoredValue, ascii_lower, fold, parse_datetime
from storage.property_expressions import FIELD_TYPES, is_field, property_expression

RECORDS = cast(Table, Record.__table__)


class FilterLike(Protocol):
    """One filter: a property, an operator name and the value in its stored form."""

    @property
    def operator(self) -> str: ...

    @property
    def value(self) -> object: ...

    # Declared last: inside this class body the name shadows the ``property`` decorator.
    @property
    def property(self) -> str: ...


class GroupLike(Protocol):
    @property
    def filters(self) -> Sequence[FilterLike]: ...


class CriteriaLike(Protocol):
    """Criteria whose relative date operators are already resolved to absolute bounds."""

    @property
    def groups(self) -> Sequence[GroupLike]: ...


def criteria_clause(
    criteria: CriteriaLike, property_types: Mapping[str, PropertyType], dialect: str
) -> ColumnElement[bool]:
    """The WHERE clause selecting the records that match ``criteria`` on ``dialect``.

    ``property_types`` are the object type's properties; built-in fields need not be in it
    (a built-in field's name always means the field). No groups means every record matches.
    A record without a property yields NULL in the filter's comparison, which fails it; neq,
    not_in and not_contains test for NULL first so that such a record passes them, as in the
    Python evaluation.
    """
    if not criteria.groups:
        return true()
    return or_(*(_group_clause(group, property_types, dialect) for group in criteria.groups))


# Bound values one filter's clause holds at most, an `in` list's aside: a comparison binds
# one, between two, starts_with three (its bound, twice, and the start).
FILTER_BOUND_VALUES = 3


def bound_values(criteria: CriteriaLike) -> int:
    """At most how many bound values criteria_clause's clause for ``criteria`` holds (an
    ``in`` or ``not_in`` list binds each of its values), counted from the criteria (resolved
    or not: a relative date resolves to at most two bounds), not from the clause, whose
    traversal cost a burst more CPU than the statements it split."""
    return sum(
        max(len(cast(Sequence[object], f.value)), FILTER_BOUND_VALUES)
        if f.operator in ("in", "not_in")
        else FILTER_BOUND_VALUES
        for group in criteria.groups
        for f in group.filters
    )


def _group_clause(
    group: GroupLike, property_types: Mapping[str, PropertyType], dialect: str
) -> ColumnElement[bool]:
    if not group.filters:
        raise ValueError("a criteria group has no filters")
    return and_(*(_filter_clause(f, property_types, dialect) for f in group.filters))


def _filter_clause(
    filter_: FilterLike, property_types: Mapping[str, PropertyType], dialect: str
) -> ColumnElement[bool]:
    name = filter_.property
    property_type = FIELD_TYPES[name] if is_field(name) else property_types[name]
    column = property_expression(RECORDS, name, property_type, dialect)
    operator, value = filter_.operator, filter_.value

    def bound(stored: StoredValue) -> ColumnElement[Any]:
        return _field_bound(name, stored) if is_field(name) else _bound(stored, property_type)

    if operator == "is_known":
        return column.is_not(None)
    if operator == "is_unknown":
        return column.is_(None)
    if operator in ("in", "not_in"):
        values = [bound(v) for v in cast(Sequence[StoredValue], value)]
        if operator == "in":
            return column.in_(values)
        return or_(column.is_(None), column.not_in(values))
    if operator == "between":
        low, high = cast(Sequence[StoredValue], value)
        return column.between(bound(low), bound(high))
    return _comparison(column, operator, bound(cast(StoredValue, value)), dialect)


def _comparison(
    column: ColumnElement[Any], operator: str, bound: ColumnElement[Any], dialect: str
) -> ColumnElement[bool]:
    match operator:
        case "eq":
            return column == bound
        case "neq":
            return or_(column.is_(None), column != bound)
        case "gt" | "after":
            return column > bound
        case "gte":
            return column >= bound
        case "lt" | "before":
            return column < bound
        case "lte":
            return column <= bound
        case "contains":
            return _position(column, bound, dialect) > 0
        case "not_contains":
            return or_(column.is_(None), _position(column, bound, dialect) == 0)
        case "starts_with":
            # Character counts agree between Python, SQLite and PostgreSQL (code points).
            return func.substr(column, 1, func.length(bound)) == bound
    raise ValueError(
        f"operator {operator!r} cannot be compiled; relative date operators must be "
        "resolved to bounds before compiling"
    )


def _position(
    column: ColumnElement[Any], needle: ColumnElement[Any], dialect: str
) -> ColumnElement[int]:
    # A plain substring search rather than LIKE: no wildcard escaping, and no SQLite LIKE
    # case rules on top of the folded texts.
    if dialect == "postgresql":
        return func.strpos(column, needle)
    return func.instr(column, needle)


def _field_bound(name: str, value: StoredValue) -> ColumnElement[Any]:
    """The stored value as a bound parameter compared with a built-in field's expression."""
    if FIELD_TYPES[name] is PropertyType.DATETIME:
        # The column's own type binds it: SQLite's text form or PostgreSQL's timestamptz.
        return literal(parse_datetime(value), UTCDateTime())
    text = str(value)
    if name == "name":
        text = fold(text)
    elif name == "owner":
        text = ascii_lower(text)
    return literal(text, Text())


def _bound(value: StoredValue, property_type: PropertyType) -> ColumnElement[Any]:
    """The stored value as a bound parameter of the type the property's expression has."""
    sql_type: TypeEngine[Any]
    match property_type:
        case PropertyType.NUMBER:
            value, sql_type = float(value), Double()
        case PropertyType.BOOLEAN:
            value, sql_type = bool(value), Boolean()
        case PropertyType.STRING | PropertyType.ENUMERATION:
            # Compared with the folded copy: folding both sides is the case-insensitivity.
            value, sql_type = fold(str(value)), Text()
        case PropertyType.DATE | PropertyType.DATETIME:
            value, sql_type = str(value), Text()
    return literal(value, sql_type)
