"""Three ways of selecting a scheduled run's records agree, on generated criteria and
suppression: a run batch's statements, one per shape of query compiled once and run for
each of its runs (storage.enrollment_sql.enrollment_statements), one run's query
(selected_records), and the preview's clause
(storage.criteria_sql.enrollment_criteria_clause)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.criteria import (
    DAYS_OPERATORS,
    FIELD_VALUE_OPERATORS,
    LIST_OPERATORS,
    PRESENCE_OPERATORS,
    VALUE_OPERATORS,
    Criteria,
    InvalidCriteria,
    Operator,
    parse_criteria,
)
from storage.criteria_sql import enrollment_criteria_clause
from storage.enrollment_sql import (
    EnrollmentQuery,
    EnrollmentStatement,
    enrollment_statements,
    selected_records,
)
from storage.models import ObjectType, Record
from storage.property_expressions import FIELD_TYPES
from tests.engine.builders import DEAL_TYPES, deal, import_deals

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
# Values that fold alike or not (case, ß, dotted İ), LIKE's wildcards, the empty string.
STAGES = ["contract", "Contract", "STRASSE", "straße", "lost", "İx", "a%b", "a_b", ""]
OWNERS = ["u1@x.com", "U1@X.COM", "", "bob"]
AMOUNTS = [0, 1, 2.5, -3, 100, 1e15]
PROPERTIES = [
    "stage",
    "amount",
    "touched_at",
    "do_not_contact",
    "name",
    "owner",
    "id",
    "created_at",
]
TYPES = {**FIELD_TYPES, **DEAL_TYPES}
# The operators each property takes (criteria of others are refused, not worth generating).
OPERATORS = {
    name: sorted(FIELD_VALUE_OPERATORS.get(name, VALUE_OPERATORS[TYPES[name]]) | PRESENCE_OPERATORS)
    for name in PROPERTIES
}
TEXTS = st.sampled_from([*STAGES, *OWNERS, "D1", "D12", "con", "a"])
DATES = st.sampled_from(
    ["today", "yesterday", "tomorrow", "2026-10-30", (NOW - timedelta(days=3)).isoformat()]
)


def deals() -> list[dict[str, Any]]:
    """Deals each missing some properties, with values of every kind above."""
    found = []
    for n in range(40):
        properties: dict[str, Any] = {}
        if n % 5:
            properties["stage"] = STAGES[n % len(STAGES)]
        if n % 3:
            properties["amount"] = AMOUNTS[n % len(AMOUNTS)]
        if n % 4:
            properties["touched_at"] = (NOW - timedelta(hours=17 * n)).isoformat()
        if n % 7:
            properties["do_not_contact"] = bool(n % 2)
        name = STAGES[(n * 3) % len(STAGES)] or "n"
        found.append(deal(f"D{n}", name=name, owner=OWNERS[n % 4], **properties))
    return found


def one_value(name: str) -> st.SearchStrategy[Any]:
    if name in ("stage", "name", "owner", "id"):
        return TEXTS
    if name == "amount":
        return st.sampled_from([*AMOUNTS, 7])
    if name == "do_not_contact":
        return st.booleans()
    return DATES


@st.composite
def filters(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(PROPERTIES))
    operator = draw(st.sampled_from(OPERATORS[name]))
    found: dict[str, Any] = {"property": name, "operator": operator.value}
    if operator in DAYS_OPERATORS:
        found["value"] = draw(st.integers(0, 40))
    elif operator in LIST_OPERATORS:
        found["value"] = draw(st.lists(one_value(name), min_size=1, max_size=4))
    elif operator == Operator.BETWEEN:
        found["value"] = [draw(one_value(name)), draw(one_value(name))]
    elif operator not in PRESENCE_OPERATORS:
        found["value"] = draw(one_value(name))
    return found


# Criteria documents, most of which parse (those that do not are left out).
DOCUMENTS = st.lists(st.lists(filters(), min_size=1, max_size=3), max_size=2).map(
    lambda groups: {"any": [{"all": group} for group in groups]} if groups else {}
)
RUNS = st.lists(st.tuples(DOCUMENTS, DOCUMENTS, st.integers(0, 72)), min_size=1, max_size=6)


def parsed(document: dict[str, Any]) -> Criteria | None:
    try:
        return parse_criteria(document, DEAL_TYPES)
    except InvalidCriteria:
        return None


def batch_selected(
    connection: Connection, statements: list[EnrollmentStatement]
) -> dict[int, set[int]]:
    """The (run, record) pairs the statements would enroll: their SELECTs run alone, for
    no run here is in the runs table the enrollments refer to."""
    found: dict[int, set[int]] = {}
    for statement in statements:
        sql = statement.sql[statement.sql.index("SELECT") :]
        sql = sql.removesuffix(" ON CONFLICT DO NOTHING")
        for parameters in statement.runs:
            for run_id, record_id, *_ in connection.exec_driver_sql(sql, parameters):
                found.setdefault(run_id, set()).add(record_id)
    return found


def test_a_batch_selects_what_each_runs_query_and_the_preview_select(
    sessions: sessionmaker[Session],
) -> None:
    import_deals(sessions, deals(), NOW)
    with sessions() as session:
        deals_type = session.scalars(select(ObjectType.id).where(ObjectType.name == "deals")).one()
    types = dict(DEAL_TYPES)

    @settings(max_examples=300, deadline=None)
    @given(runs=RUNS)
    def check(runs: list[tuple[dict[str, Any], dict[str, Any], int]]) -> None:
        queries = []
        expected: dict[int, set[int]] = {}
        with sessions() as session:
            dialect = session.get_bind().dialect
            for run_id, (criteria_document, suppression_document, hours) in enumerate(runs):
                criteria, suppression = parsed(criteria_document), parsed(suppression_document)
                if criteria is None or suppression is None:
                    continue
                at = NOW + timedelta(hours=hours)
                query = EnrollmentQuery(
                    run_id,
                    deals_type,
                    1,
                    at,
                    criteria.at(at, types),
                    suppression.at(at, types),
                    types,
                )
                one_run = set(session.scalars(selected_records(query, dialect.name)))
                preview = select(Record.id).where(
                    Record.object_type_id == deals_type,
                    enrollment_criteria_clause(
                        criteria.at(at, types), suppression.at(at, types), types, dialect.name
                    ),
                )
                assert one_run == set(session.scalars(preview)), runs[run_id]
                queries.append(query)
                if one_run:
                    expected[run_id] = one_run
            statements = enrollment_statements(queries, dialect, NOW, 10**9)
            assert batch_selected(session.connection(), statements) == expected

    check()
