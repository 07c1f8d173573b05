"""bound_values: at most how many values a criteria clause binds, counted from the criteria
(a run batch splits its enrollment statement by it, without walking each clause)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

from bot.workflows.criteria import InvalidCriteria, Operator, parse_criteria
from bot.workflows.vocabulary import PropertyType
from storage.criteria_sql import bound_values, criteria_clause

TYPES = {
    "amount": PropertyType.NUMBER,
    "stage": PropertyType.STRING,
    "touched_at": PropertyType.DATETIME,
    "due_on": PropertyType.DATE,
    "vip": PropertyType.BOOLEAN,
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


def bound(clause: Any) -> int:
    return sum(
        len(element.value or ()) if element.expanding else 1
        for element in visitors.iterate(clause)
        if isinstance(element, BindParameter)
    )


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_no_criteria_clause_binds_more_values_than_counted(dialect: str) -> None:
    checked = 0
    for name in [*TYPES, "name", "owner", "created_at", "id"]:
        for operator in Operator:
            for value in SAMPLES:
                one = {"property": name, "operator": operator.value}
                if value is not None:
                    one["value"] = value
                try:
                    criteria = parse_criteria({"any": [{"all": [one, one]}]}, TYPES)
                except InvalidCriteria:
                    continue
                clause = criteria_clause(criteria.at(NOW, TYPES), TYPES, dialect)
                assert bound(clause) <= bound_values(criteria), (name, operator, value)
                checked += 1
    assert checked > 100
