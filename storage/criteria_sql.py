"""Compiles enrollment criteria (OR of groups, AND of filters) into one SQL boolean clause
over the records table, with every value bound as a parameter. Filters name properties or
built-in fields (storage.property_expressions.FIELD_COLUMNS).

A clause may bind its values under names given by their place in the criteria (group,
filter, value), so that one compiled statement serves all criteria of the same shape
(criteria_shape), each run binding its own values (criteria_values): a burst's runs then
build no SQL expression of their own."""

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
    bindparam,
    false,
    func,
    literal,
    not_,
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
    criteria: CriteriaLike,
    property_types: Mapping[str, PropertyType],
    dialect: str,
    names: str | None = None,
) -> ColumnElement[bool]:
    """The WHERE clause selecting the records that match ``criteria`` on ``dialect``.

    ``property_types`` are the object type's properties; built-in fields need not be in it
    (a built-in field's name always means the field). No groups means every record matches.
    A record without a property yields NULL in the filter's comparison, which fails it; neq,
    not_in and not_contains test for NULL first so that such a record passes them, as in the
    Python evaluation. With ``names``, each value is bound under that prefix and its place
    (see criteria_values); else under a name of its own, unique in any statement.
    """
    if not criteria.groups:
        return true()
    return or_(
        *(
            _group_clause(group, property_types, dialect, _Binder(names, place))
            for place, group in enumerate(criteria.groups)
        )
    )


def enrollment_criteria_clause(
    criteria: CriteriaLike,
    suppression: CriteriaLike,
    property_types: Mapping[str, PropertyType],
    dialect: str,
    names: str | None = None,
) -> ColumnElement[bool]:
    """Records matching the criteria and not the suppression criteria, both resolved to
    stored bounds (Criteria.at); with ``names``, their values are bound under ``names``
    followed by "c" (criteria) and "s" (suppression), see criteria_clause.

    Empty suppression suppresses nothing (while empty criteria match everything). A record
    whose suppression filters compare with a missing property yields NULL there, which
    coalesce turns into "not suppressed" rather than letting NOT NULL drop the record.
    A removed record (records delete, its source) is never enrolled again.
    """
    clause = and_(
        Record.deleted_at.is_(None),
        criteria_clause(criteria, property_types, dialect, _named(names, "c")),
    )
    if not suppression.groups:
        return clause
    suppressed = criteria_clause(suppression, property_types, dialect, _named(names, "s"))
    return and_(clause, not_(func.coalesce(suppressed, false())))


def _named(names: str | None, part: str) -> str | None:
    return None if names is None else names + part


def criteria_shape(
    criteria: CriteriaLike, property_types: Mapping[str, PropertyType]
) -> tuple[tuple[tuple[str, str, PropertyType, int], ...], ...]:
    """What criteria_clause's clause for ``criteria`` is made of but its values: each
    filter's property, operator, type and how many values it binds. Criteria of one shape
    compile (with ``names``) to the same SQL; only their bound values differ."""
    return tuple(
        tuple(
            (f.property, f.operator, _property_type(f.property, property_types), len(_values(f)))
            for f in group.filters
        )
        for group in criteria.groups
    )


def criteria_values(
    criteria: CriteriaLike, property_types: Mapping[str, PropertyType], names: str
) -> dict[str, Any]:
    """The values criteria_clause's clause for ``criteria`` binds with ``names``, by name,
    as it binds them: without building the clause."""
    values: dict[str, Any] = {}
    for place, group in enumerate(criteria.groups):
        binder = _Binder(names, place)
        for index, filter_ in enumerate(group.filters):
            name = filter_.property
            property_type = _property_type(name, property_types)
            for number, value in enumerate(_values(filter_)):
                bound, _type = _stored_bound(name, value, property_type)
                values[binder.name(index, number)] = bound
    return values


def _property_type(name: str, property_types: Mapping[str, PropertyType]) -> PropertyType:
    return FIELD_TYPES[name] if is_field(name) else property_types[name]


def _values(filter_: FilterLike) -> Sequence[StoredValue]:
    """The values the filter's clause binds, in the order _filter_clause numbers them."""
    operator = filter_.operator
    if operator in ("is_known", "is_unknown"):
        return ()
    if operator in ("in", "not_in", "between"):
        return cast(Sequence[StoredValue], filter_.value)
    return (cast(StoredValue, filter_.value),)


class _Binder:
    """Binds one group's values: each under a name of its own (no ``names``), or under
    ``names`` and its place: group, filter, value."""

    def __init__(self, names: str | None, group: int) -> None:
        self.names = names
        self.group = group

    def name(self, filter_index: int, number: int) -> str:
        return f"{self.names}{self.group}_{filter_index}_{number}"

    def bind(
        self, filter_index: int, number: int, value: Any, sql_type: TypeEngine[Any]
    ) -> ColumnElement[Any]:
        if self.names is None:
            return literal(value, sql_type)
        return bindparam(self.name(filter_index, number), value, type_=sql_type)


def _group_clause(
    group: GroupLike, property_types: Mapping[str, PropertyType], dialect: str, binder: _Binder
) -> ColumnElement[bool]:
    if not group.filters:
        raise ValueError("a criteria group has no filters")
    return and_(
        *(
            _filter_clause(f, index, property_types, dialect, binder)
            for index, f in enumerate(group.filters)
        )
    )


def _filter_clause(
    filter_: FilterLike,
    index: int,
    property_types: Mapping[str, PropertyType],
    dialect: str,
    binder: _Binder,
) -> ColumnElement[bool]:
    name = filter_.property
    property_type = _property_type(name, property_types)
    column = property_expression(RECORDS, name, property_type, dialect)
    operator = filter_.operator
    # Numbered as _values lists them, which criteria_values follows.
    bound = [
        binder.bind(index, number, *_stored_bound(name, value, property_type))
        for number, value in enumerate(_values(filter_))
    ]

    if operator == "is_known":
        return column.is_not(None)
    if operator == "is_unknown":
        return column.is_(None)
    if operator == "in":
        return column.in_(bound)
    if operator == "not_in":
        return or_(column.is_(None), column.not_in(bound))
    if operator == "between":
        low, high = bound
        return column.between(low, high)
    return _comparison(column, operator, bound[0], dialect)


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


def _stored_bound(
    name: str, value: StoredValue, property_type: PropertyType
) -> tuple[Any, TypeEngine[Any]]:
    """The value a filter on ``name`` binds for the stored ``value``, and its SQL type."""
    return _field_bound(name, value) if is_field(name) else _bound(value, property_type)


def _field_bound(name: str, value: StoredValue) -> tuple[Any, TypeEngine[Any]]:
    """The stored value as bound to compare with a built-in field's expression."""
    if FIELD_TYPES[name] is PropertyType.DATETIME:
        # The column's own type binds it: SQLite's text form or PostgreSQL's timestamptz.
        return parse_datetime(value), _DATETIME
    text = str(value)
    if name == "name":
        text = fold(text)
    elif name == "owner":
        text = ascii_lower(text)
    return text, _TEXT


def _bound(value: StoredValue, property_type: PropertyType) -> tuple[Any, TypeEngine[Any]]:
    """The stored value as bound, with the type the property's expression has."""
    match property_type:
        case PropertyType.NUMBER:
            return float(value), _DOUBLE
        case PropertyType.BOOLEAN:
            return bool(value), _BOOLEAN
        case PropertyType.STRING | PropertyType.ENUMERATION:
            # Compared with the folded copy: folding both sides is the case-insensitivity.
            return fold(str(value)), _TEXT
        case PropertyType.DATE | PropertyType.DATETIME:
            return str(value), _TEXT
    raise ValueError(f"no bound value for a {property_type!r} property")


# The bound values' types, made once: types are immutable, and every filter of a burst's
# criteria made its own.
_DATETIME = UTCDateTime()
_TEXT = Text()
_DOUBLE: Double[float] = Double()
_BOOLEAN = Boolean()
