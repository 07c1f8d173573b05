"""Enrollment criteria: which records a workflow acts on, as an OR of groups of ANDed filters.

Parses and validates the JSON form against an object type's properties and built-in fields
(bot.workflows.fields), resolves relative dates ("today", "more than 14 days ago") to bounds
at the instant of evaluation, and evaluates criteria against one record in Python;
storage.criteria_sql compiles the same semantics.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from bot.workflows.fields import (
    FIELD_TEXT_COMPARISON,
    OWNER,
    TextComparison,
    criteria_fields,
    is_built_in,
)
from bot.workflows.problems import InvalidDocument, Location, Problem, ProblemCode
from bot.workflows.vocabulary import PropertyType
from storage.properties import (
    InvalidValue,
    StoredValue,
    ascii_lower,
    fold,
    parse_date,
    stored_datetime,
    to_stored,
)

MAX_GROUPS = 25
MAX_FILTERS = 250
MAX_DAYS = 36_600  # about a century: further windows are mistakes, and dates overflow


class Operator(StrEnum):
    EQ = "eq"
    NEQ = "neq"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    STARTS_WITH = "starts_with"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    BETWEEN = "between"
    BEFORE = "before"
    AFTER = "after"
    IN_LAST_DAYS = "in_last_days"
    IN_NEXT_DAYS = "in_next_days"
    MORE_THAN_DAYS_AGO = "more_than_days_ago"
    MORE_THAN_DAYS_FROM_NOW = "more_than_days_from_now"
    IS_KNOWN = "is_known"
    IS_UNKNOWN = "is_unknown"


_TEMPORAL_OPERATORS = frozenset(
    {
        Operator.EQ,
        Operator.NEQ,
        Operator.GT,
        Operator.GTE,
        Operator.LT,
        Operator.LTE,
        Operator.BETWEEN,
        Operator.BEFORE,
        Operator.AFTER,
        Operator.IN_LAST_DAYS,
        Operator.IN_NEXT_DAYS,
        Operator.MORE_THAN_DAYS_AGO,
        Operator.MORE_THAN_DAYS_FROM_NOW,
    }
)

# The operators that compare a value, per property type; is_known and is_unknown apply to
# every type. Text is compared case-insensitively and has no order: gt on text is refused.
VALUE_OPERATORS: Mapping[PropertyType, frozenset[Operator]] = {
    PropertyType.STRING: frozenset(
        {
            Operator.EQ,
            Operator.NEQ,
            Operator.IN,
            Operator.NOT_IN,
            Operator.CONTAINS,
            Operator.NOT_CONTAINS,
            Operator.STARTS_WITH,
        }
    ),
    PropertyType.ENUMERATION: frozenset({Operator.EQ, Operator.NEQ, Operator.IN, Operator.NOT_IN}),
    PropertyType.NUMBER: frozenset(
        {
            Operator.EQ,
            Operator.NEQ,
            Operator.IN,
            Operator.NOT_IN,
            Operator.GT,
            Operator.GTE,
            Operator.LT,
            Operator.LTE,
            Operator.BETWEEN,
        }
    ),
    PropertyType.BOOLEAN: frozenset({Operator.EQ, Operator.NEQ}),
    PropertyType.DATE: _TEMPORAL_OPERATORS,
    PropertyType.DATETIME: _TEMPORAL_OPERATORS,
}
# Built-in fields whose value operators are fewer than their type's: an owner is a person,
# not text to search in.
FIELD_VALUE_OPERATORS: Mapping[str, frozenset[Operator]] = {
    OWNER: frozenset({Operator.EQ, Operator.NEQ, Operator.IN, Operator.NOT_IN}),
}
PRESENCE_OPERATORS = frozenset({Operator.IS_KNOWN, Operator.IS_UNKNOWN})
LIST_OPERATORS = frozenset({Operator.IN, Operator.NOT_IN})
# The operators whose value is a number of days.
DAYS_OPERATORS = frozenset(
    {
        Operator.IN_LAST_DAYS,
        Operator.IN_NEXT_DAYS,
        Operator.MORE_THAN_DAYS_AGO,
        Operator.MORE_THAN_DAYS_FROM_NOW,
    }
)
# The operators whose values may be a day word (RelativeDay) besides a date.
DAY_WORD_OPERATORS = frozenset({Operator.BEFORE, Operator.AFTER, Operator.BETWEEN})
SUBSTRING_OPERATORS = frozenset({Operator.CONTAINS, Operator.NOT_CONTAINS, Operator.STARTS_WITH})
# The operators a record without the property passes: "not equal to x" holds for it.
PASS_WHEN_MISSING = frozenset(
    {Operator.IS_UNKNOWN, Operator.NEQ, Operator.NOT_IN, Operator.NOT_CONTAINS}
)


class RelativeDay(StrEnum):
    """A day named relative to today: a value of before, after and between on dates and
    datetimes. Today is the local date, in the zone of the instant of evaluation."""

    YESTERDAY = "yesterday"
    TODAY = "today"
    TOMORROW = "tomorrow"

    @property
    def offset(self) -> int:
        """Days from today."""
        return _DAY_OFFSETS[self]


_DAY_OFFSETS = {RelativeDay.YESTERDAY: -1, RelativeDay.TODAY: 0, RelativeDay.TOMORROW: 1}
_DAY_OFFSET_WORDS = [day.value for day in RelativeDay]
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
# Beyond the ends of the calendar Python has: a bound there matches everything or nothing.
_FIRST_INSTANT = datetime.min.replace(tzinfo=UTC)
_LAST_INSTANT = datetime.max.replace(tzinfo=UTC)

# A filter's value: one stored value, a tuple of them (in, not_in, between), a number of
# days (DAYS_OPERATORS) or None (is_known, is_unknown). Before, after and between may hold a
# RelativeDay (a str) and, on a datetime, a date ("YYYY-MM-DD") until Criteria.at resolves
# them to stored bounds.
FilterValue = StoredValue | tuple[StoredValue, ...] | None


def value_operators(name: str, property_type: PropertyType) -> frozenset[Operator]:
    """The operators that compare field or property ``name`` of ``property_type`` with a
    value (is_known and is_unknown apply to every one)."""
    return FIELD_VALUE_OPERATORS.get(name, VALUE_OPERATORS[property_type])


def operators_for(name: str, property_type: PropertyType) -> tuple[Operator, ...]:
    """Every operator that applies to ``name``, in the order of Operator: what a picker offers."""
    applicable = value_operators(name, property_type) | PRESENCE_OPERATORS
    return tuple(operator for operator in Operator if operator in applicable)


class InvalidCriteria(InvalidDocument):
    """Criteria that cannot be used: one Problem per problem found, located by group and
    filter index (from 0) and the filter's part ("property", "operator", "value", "key")."""


@dataclass(frozen=True)
class Filter:
    property: str
    operator: Operator
    value: FilterValue = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"property": self.property, "operator": self.operator.value}
        if self.operator not in PRESENCE_OPERATORS:
            value = self.value
            data["value"] = (
                [_plain(v) for v in value] if isinstance(value, tuple) else _plain(value)
            )
        return data


def _plain(value: StoredValue | None) -> StoredValue | None:
    # A day word as a plain str: YAML's safe dumper refuses str subclasses.
    return value.value if isinstance(value, RelativeDay) else value


@dataclass(frozen=True)
class Group:
    filters: tuple[Filter, ...]


@dataclass(frozen=True)
class Criteria:
    """Matches a record when any group matches; a group matches when all its filters do.

    No groups matches every record. Values are held in their stored form (see
    storage.properties), text as written: folding happens when comparing.
    """

    groups: tuple[Group, ...] = ()

    def properties_used(self) -> frozenset[str]:
        return frozenset(f.property for group in self.groups for f in group.filters)

    def to_json(self) -> dict[str, Any]:
        """The JSON form that parse_criteria reads back to equal criteria."""
        if not self.groups:
            return {}
        return {"any": [{"all": [f.to_json() for f in group.filters]} for group in self.groups]}

    def at(self, now: datetime, property_types: Mapping[str, PropertyType]) -> Criteria:
        """The same criteria with every relative value turned into stored bounds at the
        instant ``now`` (aware, in the zone whose calendar days count): what the SQL and the
        Python evaluation compare.

        - in_last_days / in_next_days: ``between`` (see relative_window).
        - before / after / between a day word, or on a datetime a date: the day (today is
          ``now``'s local date), and a datetime compared by its local date in ``now``'s zone:
          ``before D`` is ``< start of D``, ``after D`` is ``>= start of the day after D``,
          ``between [A, B]`` runs from the start of A to the last microsecond of B.
        - more_than_days_ago N: ``before`` today minus N days; more_than_days_from_now N:
          ``after`` today plus N days, each as above.

        ``property_types`` are the object type's properties (built-in fields are added).
        """
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("criteria are evaluated at an aware instant; got a naive datetime")
        types = criteria_fields(property_types)
        return Criteria(
            tuple(
                Group(tuple(_resolved(f, types[f.property], now) for f in group.filters))
                for group in self.groups
            )
        )

    def with_owner_aliases(self, aliases: Mapping[str, Collection[str]]) -> Criteria:
        """The same criteria where an owner value of eq, neq, in and not_in also stands for
        its ``aliases`` (e.g. an email for the Slack user it resolves to, and back): eq
        becomes in, neq not_in, over the value and its aliases. Keys are looked up ignoring
        A-Z case, as owners compare; criteria without such filters come back equal."""
        if not aliases:
            return self
        lowered: dict[str, list[str]] = {}
        for key, others in aliases.items():
            lowered.setdefault(ascii_lower(key), []).extend(others)
        return Criteria(
            tuple(
                Group(tuple(_with_aliases(f, lowered) for f in group.filters))
                for group in self.groups
            )
        )


_ALIASED = {
    Operator.EQ: Operator.IN,
    Operator.NEQ: Operator.NOT_IN,
    Operator.IN: Operator.IN,
    Operator.NOT_IN: Operator.NOT_IN,
}


def _with_aliases(filter_: Filter, aliases: Mapping[str, list[str]]) -> Filter:
    if filter_.property != OWNER or filter_.operator not in _ALIASED:
        return filter_
    written = filter_.value if isinstance(filter_.value, tuple) else (filter_.value,)
    values: dict[str, str] = {}  # by the form owners compare in, first spelling kept
    for value in written:
        for owner in (str(value), *sorted(aliases.get(ascii_lower(str(value)), ()))):
            values.setdefault(ascii_lower(owner), owner)
    if len(values) == len(written):
        return filter_
    return Filter(filter_.property, _ALIASED[filter_.operator], tuple(values.values()))


def _resolved(filter_: Filter, property_type: PropertyType, now: datetime) -> Filter:
    name, operator, value = filter_.property, filter_.operator, filter_.value
    if operator in (Operator.IN_LAST_DAYS, Operator.IN_NEXT_DAYS):
        assert isinstance(value, int)
        window = relative_window(operator, value, property_type, now)
        return Filter(name, Operator.BETWEEN, window)
    today = now.date()
    zone = now.tzinfo
    assert zone is not None
    if operator is Operator.MORE_THAN_DAYS_AGO:
        assert isinstance(value, int)
        return _before_day(name, property_type, _shifted(today, -value), zone)
    if operator is Operator.MORE_THAN_DAYS_FROM_NOW:
        assert isinstance(value, int)
        return _after_day(name, property_type, _shifted(today, value), zone)
    if operator in (Operator.BEFORE, Operator.AFTER) and _is_day(value, property_type):
        assert isinstance(value, str)
        day = _day(value, today)
        if operator is Operator.BEFORE:
            return _before_day(name, property_type, day, zone)
        return _after_day(name, property_type, day, zone)
    if operator is Operator.BETWEEN and isinstance(value, tuple):
        low, high = value
        if _is_day(low, property_type) or _is_day(high, property_type):
            bounds = (
                _low_bound(low, property_type, today, zone),
                _high_bound(high, property_type, today, zone),
            )
            return Filter(name, Operator.BETWEEN, bounds)
    return filter_


def _is_day(value: object, property_type: PropertyType) -> bool:
    """Whether a before/after/between value names a day to resolve: a day word, or a date
    compared with a datetime property."""
    if isinstance(value, RelativeDay):
        return True
    return (
        property_type is PropertyType.DATETIME
        and isinstance(value, str)
        and _DATE_TEXT.fullmatch(value) is not None
    )


def _day(value: str, today: date) -> date:
    if isinstance(value, RelativeDay):
        return _shifted(today, value.offset)
    return date.fromisoformat(value)


def _shifted(day: date, days: int) -> date:
    """``day`` moved by ``days``, held within the calendar (a bound beyond it is at its end)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def day_start(day: date, zone: tzinfo) -> datetime:
    """The first instant whose local date in ``zone`` is ``day``: its midnight, or the end
    of a daylight-saving gap that skips midnight (fold 0 reads a skipped time with the
    offset before the gap, which lands on the gap's end)."""
    try:
        return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    except OverflowError:
        return _FIRST_INSTANT if day.year == 1 else _LAST_INSTANT


def _next_day_start(day: date, zone: tzinfo) -> datetime | None:
    """The start of the day after ``day``; None past the end of the calendar."""
    if day == date.max:
        return None
    return day_start(day + timedelta(days=1), zone)


def _before_day(name: str, property_type: PropertyType, day: date, zone: tzinfo) -> Filter:
    """``name`` is on a local date before ``day``."""
    if property_type is PropertyType.DATE:
        return Filter(name, Operator.BEFORE, day.isoformat())
    return Filter(name, Operator.BEFORE, stored_datetime(day_start(day, zone)))


def _after_day(name: str, property_type: PropertyType, day: date, zone: tzinfo) -> Filter:
    """``name`` is on a local date after ``day``."""
    if property_type is PropertyType.DATE:
        return Filter(name, Operator.AFTER, day.isoformat())
    start = _next_day_start(day, zone)
    if start is None:  # nothing comes after the last instant
        return Filter(name, Operator.AFTER, stored_datetime(_LAST_INSTANT))
    return Filter(name, Operator.GTE, stored_datetime(start))


def _low_bound(value: StoredValue, property_type: PropertyType, today: date, zone: tzinfo) -> str:
    assert isinstance(value, str)
    if not _is_day(value, property_type):
        return value
    day = _day(value, today)
    if property_type is PropertyType.DATE:
        return day.isoformat()
    return stored_datetime(day_start(day, zone))


def _high_bound(value: StoredValue, property_type: PropertyType, today: date, zone: tzinfo) -> str:
    assert isinstance(value, str)
    if not _is_day(value, property_type):
        return value
    day = _day(value, today)
    if property_type is PropertyType.DATE:
        return day.isoformat()
    start = _next_day_start(day, zone)
    # Stored datetimes have microseconds: the last one of the day is the inclusive bound.
    last = _LAST_INSTANT if start is None else start - timedelta(microseconds=1)
    return stored_datetime(last)


def relative_window(
    operator: Operator, days: int, property_type: PropertyType, now: datetime
) -> tuple[str, str]:
    """The inclusive stored bounds of in_last_days / in_next_days ``days`` at ``now``.

    Dates count calendar days from today in now's zone. Datetimes run from now back (or
    forward) to the same wall-clock time ``days`` days away in now's zone, so a one-day
    window across a daylight-saving change lasts 23 or 25 hours, as a person expects.
    """
    sign = -1 if operator is Operator.IN_LAST_DAYS else 1
    if property_type is PropertyType.DATE:
        today = now.date()
        other_day = _shifted(today, sign * days)
        low_day, high_day = sorted((today, other_day))
        return low_day.isoformat(), high_day.isoformat()
    try:
        other = now + timedelta(days=sign * days)  # wall-clock arithmetic in now's zone
    except OverflowError:
        other = _LAST_INSTANT if sign > 0 else _FIRST_INSTANT
    low, high = sorted((now, other))
    return stored_datetime(low), stored_datetime(high)


def matches(
    criteria: Criteria,
    values: Mapping[str, StoredValue],
    property_types: Mapping[str, PropertyType],
    now: datetime,
) -> bool:
    """Whether a record whose stored ``values`` (properties and built-in fields, see
    bot.workflows.fields.record_values) are these satisfies ``criteria`` at ``now``."""
    resolved = criteria.at(now, property_types)
    if not resolved.groups:
        return True
    types = criteria_fields(property_types)
    return any(
        all(_filter_matches(f, values.get(f.property), types[f.property]) for f in group.filters)
        for group in resolved.groups
    )


def _filter_matches(
    filter_: Filter, stored: StoredValue | None, property_type: PropertyType
) -> bool:
    operator = filter_.operator
    if stored is None:
        return operator in PASS_WHEN_MISSING
    if operator is Operator.IS_KNOWN:
        return True
    if operator is Operator.IS_UNKNOWN:
        return False
    comparison = FIELD_TEXT_COMPARISON.get(filter_.property, TextComparison.FOLDED)
    actual = _comparable(stored, property_type, comparison)
    if isinstance(filter_.value, tuple):
        values = [_comparable(v, property_type, comparison) for v in filter_.value]
        if operator is Operator.BETWEEN:
            return bool(values[0] <= actual <= values[1])
        return (actual in values) == (operator is Operator.IN)
    assert filter_.value is not None
    return _compare(operator, actual, _comparable(filter_.value, property_type, comparison))


def _comparable(
    value: StoredValue,
    property_type: PropertyType,
    comparison: TextComparison = TextComparison.FOLDED,
) -> Any:
    """The stored value as the database compares it (see storage.criteria_sql)."""
    match property_type:
        case PropertyType.NUMBER:
            return float(value)
        case PropertyType.BOOLEAN:
            return bool(value)
        case PropertyType.STRING | PropertyType.ENUMERATION:
            if comparison is TextComparison.EXACT:
                return str(value)
            if comparison is TextComparison.ASCII_CASE:
                return ascii_lower(str(value))
            return fold(str(value))
        case PropertyType.DATE | PropertyType.DATETIME:
            return str(value)


def _compare(operator: Operator, actual: Any, expected: Any) -> bool:
    match operator:
        case Operator.EQ:
            return bool(actual == expected)
        case Operator.NEQ:
            return bool(actual != expected)
        case Operator.CONTAINS:
            return bool(expected in actual)
        case Operator.NOT_CONTAINS:
            return expected not in actual
        case Operator.STARTS_WITH:
            return bool(actual.startswith(expected))
        case Operator.GT | Operator.AFTER:
            return bool(actual > expected)
        case Operator.GTE:
            return bool(actual >= expected)
        case Operator.LT | Operator.BEFORE:
            return bool(actual < expected)
        case Operator.LTE:
            return bool(actual <= expected)
    raise ValueError(f"operator {operator} takes no single value")


# --- Parsing and validation -------------------------------------------------------------

_SHAPE_HINT = (
    'write criteria as {"any": [{"all": [{"property": "stage", "operator": "eq", '
    '"value": "won"}]}]}, or {} for every record'
)
_FILTER_KEYS = ("property", "operator", "value")
_OPERATOR_NAMES = frozenset(operator.value for operator in Operator)
_EXPECTED_JSON = {
    PropertyType.NUMBER: "a number without quotes, such as 5000",
    PropertyType.BOOLEAN: "true or false without quotes",
    PropertyType.DATE: 'a date in quotes, such as "2026-03-01"',
    PropertyType.DATETIME: 'a datetime with a UTC offset, such as "2026-03-01T09:00:00Z"',
    PropertyType.STRING: "text in quotes",
    PropertyType.ENUMERATION: "one of its options, in quotes",
}
_DAY_WORDS = ", ".join(f'"{word}"' for word in RelativeDay)
# What before, after and each end of between take (DAY_WORD_OPERATORS).
_EXPECTED_DAY = {
    PropertyType.DATE: f'a date in quotes, such as "2026-03-01", or {_DAY_WORDS}',
    PropertyType.DATETIME: (
        'a datetime with a UTC offset, such as "2026-03-01T09:00:00Z", a date such as '
        f'"2026-03-01" (compared with the local date), or {_DAY_WORDS}'
    ),
}


C = ProblemCode


class _Problems:
    """Collects the problems of one place in the criteria (a group, or a filter of one)."""

    def __init__(self, sink: list[Problem], place: Location) -> None:
        self.sink = sink
        self.place = place
        self.count = 0

    def add(
        self, part: str, code: ProblemCode, head: str, tail: str = "", **params: object
    ) -> None:
        """A problem with ``part`` of the place ("property", "operator", "value", "key")."""
        self.sink.append(Problem((*self.place, part), code, head, tail, params))
        self.count += 1


def parse_criteria(data: object, property_types: Mapping[str, PropertyType]) -> Criteria:
    """Validates decoded JSON criteria against an object type's properties and the built-in
    fields (bot.workflows.fields), which ``property_types`` need not hold.

    Raises InvalidCriteria listing every problem, each naming its group and filter
    (counted from 1) and saying how to fix it.
    """
    property_types = criteria_fields(property_types)
    problems: list[Problem] = []
    raw_groups = _raw_groups(data, problems)
    _check_limits(raw_groups, problems)
    groups = []
    for group_number, raw_group in enumerate(raw_groups, start=1):
        group = _parse_group(raw_group, group_number, property_types, problems)
        if group is not None:
            groups.append(group)
    if problems:
        raise InvalidCriteria(problems)
    return Criteria(tuple(groups))


def _raw_groups(data: object, problems: list[Problem]) -> list[object]:
    if not isinstance(data, dict):
        head = f"criteria must be a JSON object, not {_kind(data)}"
        problems.append(Problem((), C.NOT_A_MAPPING, head, f"; {_SHAPE_HINT}"))
        return []
    if "all" in data and "any" not in data:
        head = 'a top-level "all" needs wrapping in a group'
        tail = ': write {"any": [{"all": [...]}]}'
        problems.append(Problem((), C.NOT_VALID, head, tail))
        return []
    for key in sorted(set(data) - {"any"}):
        head = f"unknown top-level key {_show(key)}"
        problems.append(Problem((), C.UNKNOWN_FIELD, head, '; criteria have only "any"'))
    groups = data.get("any", [])
    if not isinstance(groups, list):
        head = f'"any" must be a list of groups, not {_kind(groups)}'
        problems.append(Problem((), C.NOT_A_LIST, head, f"; {_SHAPE_HINT}"))
        return []
    return groups


def _check_limits(raw_groups: list[object], problems: list[Problem]) -> None:
    if len(raw_groups) > MAX_GROUPS:
        head = f"{len(raw_groups)} groups is more than the {MAX_GROUPS} allowed"
        tail = "; merge groups with in / not_in or split the workflow"
        params = {"count": len(raw_groups), "limit": MAX_GROUPS}
        problems.append(Problem((), C.TOO_MANY, head, tail, params))
    total = sum(
        len(g["all"]) for g in raw_groups if isinstance(g, dict) and isinstance(g.get("all"), list)
    )
    if total > MAX_FILTERS:
        head = f"{total} filters in all is more than the {MAX_FILTERS} allowed"
        tail = "; combine filters on one property with in / not_in or between"
        params = {"count": total, "limit": MAX_FILTERS}
        problems.append(Problem((), C.TOO_MANY, head, tail, params))


def _parse_group(
    raw: object, number: int, types: Mapping[str, PropertyType], problems: list[Problem]
) -> Group | None:
    place = _Problems(problems, (number - 1,))
    if not isinstance(raw, dict) or not isinstance(raw.get("all"), list):
        head = f'must be an object with an "all" list of filters, not {_show(raw)}'
        place.add("key", C.NOT_A_MAPPING, head)
        return None
    for key in sorted(set(raw) - {"all"}):
        place.add("key", C.UNKNOWN_FIELD, f"unknown key {_show(key)}", '; a group has only "all"')
    if not raw["all"]:
        place.add("key", C.EMPTY, "has no filters", "; add a filter or remove the group")
        return None
    filters = [
        _parse_filter(raw_filter, _Problems(problems, (number - 1, index)), types)
        for index, raw_filter in enumerate(raw["all"])
    ]
    if place.count or any(f is None for f in filters):
        return None
    return Group(tuple(f for f in filters if f is not None))


def _parse_filter(
    raw: object, place: _Problems, property_types: Mapping[str, PropertyType]
) -> Filter | None:
    if not isinstance(raw, dict):
        head = f'must be an object with "property", "operator" and "value", not {_show(raw)}'
        place.add("key", C.NOT_A_MAPPING, head)
        return None
    for key in sorted(set(raw) - set(_FILTER_KEYS)):
        tail = '; a filter has "property", "operator" and "value"'
        place.add("key", C.UNKNOWN_FIELD, f"unknown key {_show(key)}", tail)
    name = _parse_property(raw.get("property"), place, property_types)
    property_type = property_types.get(name) if name is not None else None
    operator = _parse_operator(raw.get("operator"), place, name, property_type)
    if name is None or property_type is None or operator is None:
        return None
    value = _parse_value(raw, operator, name, property_type, place)
    if place.count:
        return None
    return Filter(name, operator, value)


def _parse_property(
    raw: object, place: _Problems, property_types: Mapping[str, PropertyType]
) -> str | None:
    if not isinstance(raw, str):
        what = "is missing" if raw is None else f"{_show(raw)} is not a property name"
        code = C.MISSING if raw is None else C.NOT_VALID
        place.add("property", code, f'"property" {what}', f"; {_property_hint('', property_types)}")
        return None
    if raw not in property_types:
        head = f"unknown property {_name(raw)}"
        tail = f"; {_property_hint(raw, property_types)}"
        place.add("property", C.UNKNOWN_PROPERTY, head, tail, property=raw)
    return raw


def _property_hint(name: str, property_types: Mapping[str, PropertyType]) -> str:
    close = difflib.get_close_matches(name, list(property_types), n=1)
    guess = f"did you mean {_name(close[0])}? " if close else ""
    own = [n for n in property_types if not is_built_in(n)]
    if not own:
        return (
            f"{guess}the built-in fields are {_known_list(list(property_types))}; this object "
            "type has no properties yet: import records first"
        )
    return f"{guess}known fields and properties: {_known_list(list(property_types))}"


def _known_list(names: list[str], limit: int = 30) -> str:
    """The names in their order (built-in fields first, then properties by name)."""
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _parse_operator(
    raw: object, place: _Problems, name: str | None, property_type: PropertyType | None
) -> Operator | None:
    applicable = _applicable(name, property_type)
    if not isinstance(raw, str) or raw not in _OPERATOR_NAMES:
        what = "is missing" if raw is None else f"{_show(raw)} is not an operator"
        code = C.MISSING if raw is None else C.UNKNOWN_OPERATOR
        place.add("operator", code, f'"operator" {what}', f"; use {_choices(applicable)}")
        return None
    operator = Operator(raw)
    if name is not None and property_type is not None and operator not in applicable:
        kind = "built-in field" if is_built_in(name) else f"{property_type} property"
        head = f"operator {_name(raw)} does not apply to {kind} {_name(name)}"
        tail = f"; use {_choices(value_operators(name, property_type))}"
        params = {"operator": operator, "property": name, "property_type": property_type}
        place.add("operator", C.OPERATOR_NOT_APPLICABLE, head, tail, **params)
        return None
    return operator


def _applicable(name: str | None, property_type: PropertyType | None) -> frozenset[Operator]:
    if name is None or property_type is None:
        return frozenset(Operator)
    return value_operators(name, property_type) | PRESENCE_OPERATORS


def _choices(operators: frozenset[Operator]) -> str:
    ordered = [o.value for o in Operator if o in operators]
    if len(ordered) == 1:
        return ordered[0]
    return f"{', '.join(ordered[:-1])} or {ordered[-1]}"


def _parse_value(
    raw: dict[str, object],
    operator: Operator,
    name: str,
    property_type: PropertyType,
    place: _Problems,
) -> FilterValue:
    if operator in PRESENCE_OPERATORS:
        if "value" in raw:
            head = f"{_name(operator)} takes no value"
            place.add("value", C.TAKES_NO_VALUE, head, '; remove "value"', operator=operator)
        return None
    if "value" not in raw:
        head = f'{_name(operator)} needs a "value"'
        tail = f": {_value_shape(operator, property_type)}"
        params = {"operator": operator, "property_type": property_type}
        place.add("value", C.NEEDS_VALUE, head, tail, **params)
        return None
    value = raw["value"]
    if operator in DAYS_OPERATORS:
        return _parse_days(value, operator, place)
    if operator in LIST_OPERATORS:
        return _parse_list(value, operator, name, property_type, place)
    if operator is Operator.BETWEEN:
        return _parse_between(value, name, property_type, place)
    if operator in DAY_WORD_OPERATORS:
        return _day_or_stored(value, name, property_type, place)
    stored = _stored(value, name, property_type, place)
    if operator in SUBSTRING_OPERATORS and stored == "":
        head = f"{_name(operator)} needs at least one character"
        tail = "; use is_known to test presence"
        place.add("value", C.EMPTY, head, tail, operator=operator)
    return stored


def _value_shape(operator: Operator, property_type: PropertyType) -> str:
    if operator in DAYS_OPERATORS:
        return f"a whole number of days from 0 to {MAX_DAYS}"
    if operator in LIST_OPERATORS:
        return f"a non-empty list, each {_EXPECTED_JSON[property_type]}"
    if operator is Operator.BETWEEN:
        return f"a list of two bounds [low, high], each {_expected(operator, property_type)}"
    return _expected(operator, property_type)


def _expected(operator: Operator, property_type: PropertyType) -> str:
    if operator in DAY_WORD_OPERATORS and property_type in _EXPECTED_DAY:
        return _EXPECTED_DAY[property_type]
    return _EXPECTED_JSON[property_type]


def _parse_days(value: object, operator: Operator, place: _Problems) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        head = f"{_show(value)} is not a number of days"
        tail = f"; {_name(operator)} needs {_value_shape(operator, PropertyType.DATE)}"
        code = C.OUT_OF_RANGE if isinstance(value, int) else C.NOT_A_NUMBER
        place.add("value", code, head, tail, operator=operator, low=0, high=MAX_DAYS)
        return None
    return value


def _parse_list(
    value: object, operator: Operator, name: str, property_type: PropertyType, place: _Problems
) -> tuple[StoredValue, ...] | None:
    if not isinstance(value, list) or not value:
        head = f"{_show(value)} is not a list of values"
        tail = f"; {_name(operator)} needs {_value_shape(operator, property_type)}"
        code = C.EMPTY if value == [] else C.NOT_A_LIST
        place.add("value", code, head, tail, operator=operator, property_type=property_type)
        return None
    items = [
        _stored(item, name, property_type, place, f"item {index} of the list: ")
        for index, item in enumerate(value, start=1)
    ]
    return tuple(item for item in items if item is not None)


def _parse_between(
    value: object, name: str, property_type: PropertyType, place: _Problems
) -> tuple[StoredValue, ...] | None:
    if not isinstance(value, list) or len(value) != 2:
        head = f"{_show(value)} is not two bounds"
        tail = f"; 'between' needs {_value_shape(Operator.BETWEEN, property_type)}"
        params = {"operator": Operator.BETWEEN, "property_type": property_type}
        place.add("value", C.NOT_VALID, head, tail, **params)
        return None
    low = _day_or_stored(value[0], name, property_type, place, "low bound: ")
    high = _day_or_stored(value[1], name, property_type, place, "high bound: ")
    if low is None or high is None:
        return None
    low_key, high_key = _order_key(low, name, property_type), _order_key(high, name, property_type)
    # Bounds of different kinds (a day word and a date, a date and an instant) compare only
    # once resolved: reversed ones then match nothing, in SQL as in Python.
    if low_key[0] == high_key[0] and low_key[1] > high_key[1]:
        head = f"the bounds are reversed ({_show(value[0])} comes after {_show(value[1])})"
        tail = f"; write [{_show(value[1])}, {_show(value[0])}]"
        place.add("value", C.REVERSED, head, tail, low=value[0], high=value[1])
    return low, high


def _order_key(value: StoredValue, name: str, property_type: PropertyType) -> tuple[str, Any]:
    """A bound's kind and its place in the order of bounds of that kind."""
    if isinstance(value, RelativeDay):
        return "day word", value.offset
    if _is_day(value, property_type):
        return "date", value
    comparison = FIELD_TEXT_COMPARISON.get(name, TextComparison.FOLDED)
    return "value", _comparable(value, property_type, comparison)


def _day_or_stored(
    value: object, name: str, property_type: PropertyType, place: _Problems, prefix: str = ""
) -> StoredValue | None:
    """A value of before, after or an end of between: on a date or a datetime it may be a
    day word (RelativeDay), and on a datetime a date, compared with the local date."""
    if not property_type.is_temporal:
        return _stored(value, name, property_type, place, prefix)
    expected = _EXPECTED_DAY[property_type]
    params = {"property": name, "property_type": property_type, "value": value, "day_words": True}
    if not isinstance(value, str):
        head = f"{prefix}{_show(value)} is {_kind(value)}"
        tail = f", but {property_type} property {_name(name)} needs {expected}"
        place.add("value", C.BAD_VALUE, head, tail, **params)
        return None
    word = value.strip().lower()
    if word in _DAY_OFFSET_WORDS:
        return RelativeDay(word)
    try:
        if property_type is PropertyType.DATETIME and _DATE_TEXT.fullmatch(value.strip()):
            return parse_date(value).isoformat()
        return to_stored(value, property_type)
    except InvalidValue as error:
        close = difflib.get_close_matches(word, _DAY_OFFSET_WORDS, n=1)
        guess = f' (did you mean "{close[0]}"?)' if close else ""
        tail = f"{guess}; {property_type} property {_name(name)} needs {expected}"
        place.add("value", C.BAD_VALUE, f"{prefix}{error}", tail, **params)
        return None


def _stored(
    value: object, name: str, property_type: PropertyType, place: _Problems, prefix: str = ""
) -> StoredValue | None:
    """The value converted to the property's stored form, or None after adding a problem."""
    expected = _EXPECTED_JSON[property_type]
    params = {"property": name, "property_type": property_type, "value": value}
    if not _has_json_kind(value, property_type):
        head = f"{prefix}{_show(value)} is {_kind(value)}"
        tail = f", but {property_type} property {_name(name)} needs {expected}"
        place.add("value", C.BAD_VALUE, head, tail, **params)
        return None
    if isinstance(value, str) and not _storable_text(value):
        head = f"{prefix}text cannot contain NUL characters or unpaired surrogates"
        place.add("value", C.BAD_TEXT, head)
        return None
    try:
        return to_stored(value, property_type)
    except InvalidValue as error:
        tail = f"; {property_type} property {_name(name)} needs {expected}"
        place.add("value", C.BAD_VALUE, f"{prefix}{error}", tail, **params)
        return None


def _has_json_kind(value: object, property_type: PropertyType) -> bool:
    # Stricter than to_stored on purpose: in hand-written criteria, "5000" for a number or
    # 1 for a boolean is more likely a mistake than an intent.
    if property_type is PropertyType.NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if property_type is PropertyType.BOOLEAN:
        return isinstance(value, bool)
    return isinstance(value, str)


def _storable_text(text: str) -> bool:
    # Neither database can hold NUL in text, and UTF-8 cannot encode lone surrogates.
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _kind(value: object) -> str:
    match value:
        case None:
            return "null"
        case bool():
            return "a boolean"
        case int() | float():
            return "a number"
        case str():
            return "text"
        case list():
            return "a list"
        case dict():
            return "an object"
    return type(value).__name__


def _name(text: str | None, limit: int = 60) -> str:
    """A property or operator name, quoted as in the messages' examples."""
    text = text or ""
    return f"'{text}'" if len(text) <= limit else f"'{text[: limit - 1]}…'"


def _show(value: object, limit: int = 60) -> str:
    """A value as the user wrote it in JSON, shortened."""
    try:
        shown = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
