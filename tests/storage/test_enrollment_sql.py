"""storage.enrollment_sql without a database: how a run batch's queries become one statement
per shape with each run's own parameters, and what the compiled queries refuse."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Dialect, bindparam, column, func, select, union_all
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg

from bot.workflows.criteria import parse_criteria
from bot.workflows.vocabulary import PropertyType
from storage.enrollment_sql import (
    KEPT_SHAPE_PARAMETERS,
    CompiledQueries,
    EnrollmentQuery,
    EnrollmentStatement,
    bound_constants,
    enrollment_statements,
    selected_records,
)

TYPES = {"amount": PropertyType.NUMBER, "stage": PropertyType.STRING}
NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
# The dialects of the test databases' drivers.
DIALECTS: dict[str, Dialect] = {"sqlite": sqlite.dialect(), "postgresql": psycopg.dialect()}


def listing(run_id: int, values: int) -> EnrollmentQuery:
    """A run whose criteria list ``values`` amounts: each one a bound parameter."""
    document = {"any": [{"all": [{"property": "amount", "operator": "in", "value": []}]}]}
    document["any"][0]["all"][0]["value"] = list(range(values))
    criteria = parse_criteria(document, TYPES).at(NOW, TYPES)
    nothing = parse_criteria({}, TYPES).at(NOW, TYPES)
    return EnrollmentQuery(run_id, 1, 1, NOW, criteria, nothing, TYPES)


def stage_is(run_id: int, workflow_id: int, stage: str) -> EnrollmentQuery:
    """A run whose criteria compare the stage with one value: one shape, whatever the value."""
    document = {"any": [{"all": [{"property": "stage", "operator": "eq", "value": stage}]}]}
    criteria = parse_criteria(document, TYPES).at(NOW, TYPES)
    nothing = parse_criteria({}, TYPES).at(NOW, TYPES)
    return EnrollmentQuery(run_id, 1, workflow_id, NOW, criteria, nothing, TYPES)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_runs_of_one_shape_share_a_statement_each_with_its_own_parameters(dialect: str) -> None:
    database = DIALECTS[dialect]
    queries = [
        stage_is(1, 11, "contract"),
        listing(2, 3),
        stage_is(3, 13, "lost"),
        listing(4, 40),
        listing(5, 3),
    ]

    statements = enrollment_statements(queries, database, NOW, 99)

    # One statement per shape, in the order the shapes first come; its runs in their order.
    alone = [enrollment_statements([query], database, NOW, 99) for query in queries]
    assert [s.sql for s in statements] == [alone[n][0].sql for n in (0, 1, 3)]
    assert [s.runs for s in statements] == [
        alone[0][0].runs + alone[2][0].runs,
        alone[1][0].runs + alone[4][0].runs,
        alone[3][0].runs,
    ]
    # Each run binds its own values, as many as its SQL has placeholders.
    placeholder = "?" if dialect == "sqlite" else "%s"
    for statement in statements:
        assert {len(run) for run in statement.runs} == {statement.sql.count(placeholder)}
    [stages] = [s for s in statements if s.sql == alone[0][0].sql]
    assert [("contract" in run, "lost" in run, 11 in run, 13 in run) for run in stages.runs] == [
        (True, False, True, False),
        (False, True, False, True),
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_runs_of_a_shape_of_more_values_than_kept_each_have_a_statement(dialect: str) -> None:
    # Prepared for all its runs, its plan would stay in every pooled connection's session.
    database = DIALECTS[dialect]
    large = KEPT_SHAPE_PARAMETERS + 1
    queries = [listing(1, large), listing(2, 3), listing(3, large), listing(4, 3)]

    statements = enrollment_statements(queries, database, NOW, 99)

    # The small shape's two runs together, then each large run alone, in their order.
    alone = [enrollment_statements([query], database, NOW, 99)[0] for query in queries]
    assert statements == [
        EnrollmentStatement(alone[1].sql, alone[1].runs + alone[3].runs),
        alone[0],
        alone[2],
    ]
    assert len(alone[0].runs[0]) > large


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_value_bound_by_name_that_no_run_gives_is_refused_not_kept(dialect: str) -> None:
    # As the first run's stage would be kept for every run of the shape, were it compiled in.
    selected = select(column("id")).where(
        column("stage") == bindparam("stage", "contract"),
        column("amount") > bindparam("amount", 7),
    )
    compiled = selected.compile(dialect=DIALECTS[dialect])

    with pytest.raises(ValueError, match="'stage'"):
        bound_constants(compiled, {"amount": 7})


@pytest.mark.parametrize("dialect", DIALECTS)
def test_an_anonymous_constant_is_kept_for_every_run_of_the_shape(dialect: str) -> None:
    selected = select(column("id")).where(
        func.substr(column("stage"), 1, bindparam("length", 3)) == bindparam("start", "con")
    )
    compiled = selected.compile(dialect=DIALECTS[dialect])

    assert list(bound_constants(compiled, {"length": 3, "start": "con"}).values()) == [1]


@pytest.mark.parametrize("paramstyle", ["numeric", "numeric_dollar", "named"])
def test_a_parameter_style_no_driver_here_uses_is_refused(paramstyle: str) -> None:
    numbered = sqlite.dialect(paramstyle=paramstyle)

    with pytest.raises(ValueError, match=paramstyle):
        enrollment_statements([listing(1, 2), listing(2, 2)], numbered, NOW, 0)


def test_a_shape_of_more_parameters_than_kept_is_compiled_each_time_and_not_kept() -> None:
    database = DIALECTS["sqlite"]
    compiled = CompiledQueries(shape_parameters=100)
    small, large = listing(1, 10), listing(2, 200)

    for _ in range(2):
        compiled.enrolled_rows(small, database)
        compiled.enrolled_rows(large, database)

    assert compiled.compilations == 3  # the small shape once, the large one each time
    assert compiled.held()[0] == 1


def test_the_shapes_kept_hold_at_most_so_many_parameters_the_least_recently_used_dropped() -> None:
    database = DIALECTS["sqlite"]
    compiled = CompiledQueries(parameters=40)
    first, second, third = (listing(n, 10 + n) for n in range(3))  # 18, 19 and 20 parameters
    compiled.enrolled_rows(first, database)
    compiled.enrolled_rows(second, database)
    compiled.enrolled_rows(first, database)  # the second is now the least recently used
    before = compiled.compilations

    compiled.enrolled_rows(third, database)  # 57 with the others

    shapes, held = compiled.held()
    assert (shapes, held) == (2, 38)
    compiled.enrolled_rows(first, database)
    assert compiled.compilations == before + 1  # the first kept
    compiled.enrolled_rows(second, database)
    assert compiled.compilations == before + 2  # the second dropped


@pytest.mark.parametrize("dialect", DIALECTS)
def test_two_runs_queries_in_one_statement_each_bind_their_own_values(dialect: str) -> None:
    # Same-named parameters of two queries would be merged into one value by SQLAlchemy.
    query = listing(1, 2)
    first = EnrollmentQuery(1, 101, 201, NOW, query.criteria, query.suppression, TYPES)
    second = EnrollmentQuery(2, 107, 208, NOW, query.criteria, query.suppression, TYPES)
    both = union_all(selected_records(first, dialect), selected_records(second, dialect))

    values = list(both.compile(dialect=DIALECTS[dialect]).params.values())

    # Each query's object type and workflow.
    assert [values.count(v) for v in (101, 201, 107, 208)] == [1, 1, 1, 1]
