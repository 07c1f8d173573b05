"""criteria_values and criteria_shape: a clause whose values are bound by name binds exactly
the values criteria_values works out, and criteria of one shape compile to one SQL text (a
run batch's enrollment reuses it for every run of that shape, storage.enrollment_sql)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Dialect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

from bot.workflows.criteria import Criteria, InvalidCriteria, Operator, parse_criteria
from bot.workflows.vocabulary import PropertyType
from storage.criteria_sql import criteria_clause, criteria_shape, criteria_values

TYPES = {
    "amount": PropertyType.NUMBER,
    "stage": PropertyType.STRING,
    "touched_at": PropertyType.DATETIME,
    "due_on": PropertyType.DATE,
    "vip": PropertyType.BOOLEAN,
}
# The same properties, each of another type: of another shape.
OTHER_TYPES = {
    "amount": PropertyType.STRING,
    "stage": PropertyType.NUMBER,
    "touched_at": PropertyType.DATE,
    "due_on": PropertyType.DATETIME,
    "vip": PropertyType.STRING,
}
NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
SAMPLES: list[Any] = [
    None,
    7,
    "contract",
    [1, 2, 3, 4, 5],
    [1, 9],
    ["a", "b", "c"],
    "2026-01-01",
    "2026-01-01T00:00:00Z",
    "today",
]
DIALECTS: dict[str, Dialect] = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


def every_criteria(types: Mapping[str, PropertyType] = TYPES) -> list[Criteria]:
    """Criteria of two groups (the filter twice, then once) for every property or field,
    operator and sample value that parse with ``types``."""
    found = []
    for name in [*types, "name", "owner", "created_at", "id"]:
        for operator in Operator:
            for value in SAMPLES:
                one = {"property": name, "operator": operator.value}
                if value is not None:
                    one["value"] = value
                document = {"any": [{"all": [one, one]}, {"all": [one]}]}
                try:
                    found.append(parse_criteria(document, types))
                except InvalidCriteria:
                    continue
    return found


def binds(clause: Any) -> list[BindParameter[Any]]:
    return [e for e in visitors.iterate(clause) if isinstance(e, BindParameter)]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_clause_bound_by_name_binds_the_values_criteria_values_works_out(
    dialect: str,
) -> None:
    checked = 0
    for criteria in every_criteria():
        resolved = criteria.at(NOW, TYPES)
        clause = criteria_clause(resolved, TYPES, dialect, "c")
        named = {b.key: b.value for b in binds(clause) if b.key.startswith("c")}
        assert named == criteria_values(resolved, TYPES, "c"), criteria
        # What else it binds is no value of the criteria: the 1 substr starts at, the 0 a
        # substring's position is compared with.
        assert {b.value for b in binds(clause) if not b.key.startswith("c")} <= {0, 1}
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_criteria_of_one_shape_compile_to_one_sql_text(dialect: str) -> None:
    def document(stage: str, amounts: list[int], since: str) -> dict[str, Any]:
        return {
            "any": [
                {
                    "all": [
                        {"property": "stage", "operator": "starts_with", "value": stage},
                        {"property": "amount", "operator": "in", "value": amounts},
                    ]
                },
                {"all": [{"property": "touched_at", "operator": "after", "value": since}]},
            ]
        }

    def sql(criteria: Criteria) -> str:
        clause = criteria_clause(criteria.at(NOW, TYPES), TYPES, dialect, "c")
        return str(clause.compile(dialect=DIALECTS[dialect]))

    first = parse_criteria(document("con", [1, 2], "today"), TYPES)
    second = parse_criteria(document("lost", [7, 9], "yesterday"), TYPES)
    longer = parse_criteria(document("lost", [7, 9, 11], "yesterday"), TYPES)

    assert criteria_shape(first.at(NOW, TYPES), TYPES) == criteria_shape(
        second.at(NOW, TYPES), TYPES
    )
    assert sql(first) == sql(second)
    assert criteria_values(first.at(NOW, TYPES), TYPES, "c") != criteria_values(
        second.at(NOW, TYPES), TYPES, "c"
    )
    # One more value in a list is another shape, and another text.
    assert criteria_shape(longer.at(NOW, TYPES), TYPES) != criteria_shape(
        second.at(NOW, TYPES), TYPES
    )
    assert sql(longer) != sql(second)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_criteria_of_equal_shape_compile_to_equal_sql_and_parameter_names(dialect: str) -> None:
    # What the compiled query of a shape is reused for: criteria of every property type
    # (each property name under two types), operator and value.
    compiled_by_shape: dict[Any, set[tuple[str, tuple[str, ...]]]] = {}
    for types in (TYPES, OTHER_TYPES):
        for criteria in every_criteria(types):
            resolved = criteria.at(NOW, types)
            compiled = criteria_clause(resolved, types, dialect, "c").compile(
                dialect=DIALECTS[dialect]
            )
            shape = criteria_shape(resolved, types)
            # The names as the SQL binds them (an anonymous bind's numbered in the text).
            found = (compiled.string, tuple(sorted(set(compiled.bind_names.values()))))
            compiled_by_shape.setdefault(shape, set()).add(found)

    assert {shape: len(found) for shape, found in compiled_by_shape.items()} == {
        shape: 1 for shape in compiled_by_shape
    }
    # Shapes shared by several criteria of different values, or the test proves little.
    assert len(compiled_by_shape) > 100
