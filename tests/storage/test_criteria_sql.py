from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Select, func, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.criteria import (
    DAY_WORD_OPERATORS,
    DAYS_OPERATORS,
    LIST_OPERATORS,
    PRESENCE_OPERATORS,
    SUBSTRING_OPERATORS,
    Criteria,
    Operator,
    RelativeDay,
    matches,
    operators_for,
    parse_criteria,
)
from bot.workflows.fields import BUILT_IN_FIELDS, criteria_fields, record_values
from bot.workflows.vocabulary import PropertyType
from storage.criteria_sql import criteria_clause
from storage.models import Record
from storage.object_types import ObjectTypeRepository
from storage.properties import StoredValue, folded_copy, parse_datetime, to_stored
from storage.property_expressions import FIELD_TYPES
from storage.record_search import (
    RecordSearch,
    ensure_criteria_indexes,
    ensure_property_indexes,
    group_index_key,
    group_index_name,
    matching,
)
from storage.records import NewRecord, RecordRepository

NOW = datetime(2026, 3, 29, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
TYPES = {
    "city": PropertyType.STRING,
    "stage": PropertyType.ENUMERATION,
    "amount": PropertyType.NUMBER,
    "active": PropertyType.BOOLEAN,
    "close_date": PropertyType.DATE,
    "seen_at": PropertyType.DATETIME,
}
INJECTION = "'; DROP TABLE records; --"


@pytest.fixture
def deals(sessions: sessionmaker[Session]) -> int:
    """The id of a deals object type that declares TYPES."""
    with sessions.begin() as session:
        repository = ObjectTypeRepository(session)
        repository.ensure_built_ins("T1", NOW)
        object_type_id = repository.get("T1", "deals").id
        repository.declare(object_type_id, TYPES)
    return object_type_id


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session
        session.rollback()


def add_records(
    session: Session, object_type_id: int, records: list[dict[str, StoredValue]]
) -> list[int]:
    rows = [
        Record(
            object_type_id=object_type_id,
            external_id=f"r{index}",
            name=f"record {index}",
            owner=None,
            properties=properties,
            folded=folded_copy(properties, TYPES),
            created_at=NOW,
            updated_at=NOW,
        )
        for index, properties in enumerate(records)
    ]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def stored(**raw: object) -> dict[str, StoredValue]:
    return {name: to_stored(value, TYPES[name]) for name, value in raw.items()}


def sql_matches(
    session: Session, object_type_id: int, criteria: Criteria, now: datetime = NOW
) -> set[int]:
    search = RecordSearch(session)
    clause = criteria_clause(criteria.at(now, TYPES), TYPES, search.dialect)
    found = {record.id for record in search.list(object_type_id, clause, limit=10_000)}
    assert search.count(object_type_id, clause) == len(found)
    return found


def one_filter(prop: str, operator: str, value: object = None) -> Criteria:
    the_filter: dict[str, Any] = {"property": prop, "operator": operator}
    if value is not None:
        the_filter["value"] = value
    return parse_criteria({"any": [{"all": [the_filter]}]}, TYPES)


# --- Behaviour on the databases ----------------------------------------------------------


def test_an_injection_attempt_is_compared_as_data_and_the_table_survives(
    session: Session, deals: int
) -> None:
    ids = add_records(session, deals, [stored(city=INJECTION), stored(city="Paris")])
    criteria = one_filter("city", "eq", INJECTION)
    dialect = RecordSearch(session).dialect
    sql = str(criteria_clause(criteria, TYPES, dialect).compile(session.get_bind()))
    assert "DROP" not in sql.upper()
    assert sql_matches(session, deals, criteria) == {ids[0]}
    assert inspect(session.connection()).has_table("records")
    assert session.query(Record).count() == 2


def test_a_record_without_the_property_passes_neq_in_sql(session: Session, deals: int) -> None:
    without, with_other, _with_same = add_records(
        session, deals, [stored(amount=1), stored(stage="open"), stored(stage="WON")]
    )
    assert sql_matches(session, deals, one_filter("stage", "neq", "won")) == {without, with_other}


def test_sql_text_equality_uses_full_unicode_case_folding(session: Session, deals: int) -> None:
    strasse, _other = add_records(session, deals, [stored(city="STRASSE"), stored(city="Strase")])
    assert sql_matches(session, deals, one_filter("city", "eq", "straße")) == {strasse}


FIXED_RECORDS = [
    stored(
        city="Hauptstraße",
        amount=5000,
        active=True,
        close_date="2026-03-27",
        seen_at="2026-03-28T12:00:00Z",
        stage="Won",
    ),
    stored(city="STRASSE 2", amount=4999.5, active=False, close_date="2026-04-02", stage="lost"),
    stored(),
]


@pytest.mark.parametrize(
    ("prop", "operator", "value", "expected"),
    [
        ("city", "starts_with", "strasse", {1}),
        ("city", "contains", "STRASSE", {0, 1}),
        ("city", "not_contains", "haupt", {1, 2}),
        ("amount", "between", [4999.5, 5000], {0, 1}),
        ("amount", "gt", 4999.5, {0}),
        ("active", "neq", True, {1, 2}),
        ("close_date", "in_last_days", 7, {0}),
        ("close_date", "in_next_days", 7, {1}),
        ("seen_at", "in_last_days", 1, {0}),
        ("stage", "in", ["WON", "open"], {0}),
        ("stage", "not_in", ["won"], {1, 2}),
        ("stage", "is_unknown", None, {2}),
    ],
)
def test_sql_selects_what_each_operator_means(
    session: Session, deals: int, prop: str, operator: str, value: object, expected: set[int]
) -> None:
    ids = add_records(session, deals, FIXED_RECORDS)
    criteria = one_filter(prop, operator, value)
    assert sql_matches(session, deals, criteria) == {ids[i] for i in expected}
    in_python = {i for i, r in enumerate(FIXED_RECORDS) if matches(criteria, r, TYPES, NOW)}
    assert in_python == expected


def test_empty_criteria_select_every_record_of_the_type_only(session: Session, deals: int) -> None:
    ids = add_records(session, deals, [stored(), stored(city="x")])
    contacts = ObjectTypeRepository(session).get("T1", "contacts").id
    add_records(session, contacts, [stored(city="y")])
    assert sql_matches(session, deals, Criteria(())) == set(ids)


def test_records_are_listed_by_name_then_id_up_to_the_limit(session: Session, deals: int) -> None:
    _first, second, third = add_records(session, deals, [stored(), stored(), stored()])
    rows = session.query(Record).order_by(Record.id).all()
    rows[0].name, rows[1].name, rows[2].name = "b", "a", "a"
    session.flush()
    search = RecordSearch(session)
    everything = criteria_clause(Criteria(()), TYPES, search.dialect)
    assert [r.id for r in search.list(deals, everything, limit=2)] == [second, third]
    assert search.count(deals, everything) == 3


# --- Built-in fields on the databases ----------------------------------------------------


def add_people(session: Session, object_type_id: int, rows: list[dict[str, Any]]) -> list[int]:
    """Records written as imports write them, with their built-in fields; their row ids."""
    repository = RecordRepository(session)
    records = [
        NewRecord(
            object_type_id=object_type_id,
            external_id=row.get("id", f"r{index}"),
            name=row.get("name", f"record {index}"),
            owner=row.get("owner"),
            properties=row.get("properties", {}),
            folded=folded_copy(row.get("properties", {}), TYPES),
            created_at=row.get("created_at", NOW),
            updated_at=row.get("updated_at", NOW),
        )
        for index, row in enumerate(rows)
    ]
    repository.insert_many(records)
    found = repository.existing(object_type_id, [r["external_id"] for r in records])
    return [found[r["external_id"]].id for r in records]


def test_owner_is_unknown_finds_the_unassigned_records(session: Session, deals: int) -> None:
    _assigned, unassigned = add_people(session, deals, [{"owner": "U0ANN"}, {}])
    assert sql_matches(session, deals, one_filter("owner", "is_unknown")) == {unassigned}


def test_owners_match_whatever_the_case_of_an_email(session: Session, deals: int) -> None:
    ann, _bob, _nobody = add_people(
        session, deals, [{"owner": "Ann@Example.com"}, {"owner": "U0BOB"}, {}]
    )
    assert sql_matches(session, deals, one_filter("owner", "eq", "ann@EXAMPLE.com")) == {ann}
    assert sql_matches(session, deals, one_filter("owner", "in", ["u0bob", "x"])) == {_bob}


def test_names_match_with_full_case_folding_in_sql(session: Session, deals: int) -> None:
    strasse, _other = add_people(session, deals, [{"name": "Hauptstraße"}, {"name": "Haupt"}])
    assert sql_matches(session, deals, one_filter("name", "eq", "HAUPTSTRASSE")) == {strasse}
    assert sql_matches(session, deals, one_filter("name", "contains", "STRASSE")) == {strasse}


def test_ids_match_exactly_in_sql(session: Session, deals: int) -> None:
    upper, _lower = add_people(session, deals, [{"id": "D-1"}, {"id": "d-1"}])
    assert sql_matches(session, deals, one_filter("id", "eq", "D-1")) == {upper}


def test_records_not_updated_in_14_days_are_found_by_their_local_date(
    session: Session, deals: int
) -> None:
    paris = ZoneInfo("Europe/Paris")
    now = datetime(2026, 12, 6, 8, 0, tzinfo=paris)
    # Midnight of 22 November in Paris is 23:00 UTC on the 21st.
    stale, _fresh = add_people(
        session,
        deals,
        [
            {"updated_at": datetime(2026, 11, 21, 22, 59, 59, 999_999, tzinfo=UTC)},
            {"updated_at": datetime(2026, 11, 21, 23, 0, tzinfo=UTC)},
        ],
    )
    criteria = one_filter("updated_at", "more_than_days_ago", 14)
    assert sql_matches(session, deals, criteria, now) == {stale}


def test_created_today_counts_the_local_day_on_both_databases(session: Session, deals: int) -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    now = datetime(2026, 12, 6, 8, 0, tzinfo=tokyo)
    _before, today, _after = add_people(
        session,
        deals,
        [
            {"created_at": datetime(2026, 12, 5, 14, 59, 59, 999_999, tzinfo=UTC)},
            {"created_at": datetime(2026, 12, 5, 15, 0, tzinfo=UTC)},
            {"created_at": datetime(2026, 12, 6, 15, 0, tzinfo=UTC)},
        ],
    )
    criteria = one_filter("created_at", "between", ["today", "today"])
    assert sql_matches(session, deals, criteria, now) == {today}


# --- Indexes -----------------------------------------------------------------------------


def explain(session: Session, statement: Select[Any]) -> str:
    """The database's plan for ``statement``, run with its real bound parameters."""
    compiled = statement.compile(session.get_bind())
    params = compiled.construct_params()
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        positional = tuple(params[name] for name in compiled.positiontup or ())
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled.string}", positional)
        return "\n".join(str(row[-1]) for row in rows)
    # The planner rightly prefers a sequential scan of a tiny table; forbid it in this
    # transaction only, so the plan shows whether the index can serve the query at all.
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    rows = connection.exec_driver_sql(f"EXPLAIN {compiled.string}", params)
    return "\n".join(str(row[0]) for row in rows)


@pytest.mark.parametrize(
    ("prop", "operator", "value"),
    [
        ("city", "eq", "Paris"),
        ("stage", "in", ["won", "lost"]),
        ("amount", "gte", 5000),
        ("active", "eq", True),
        ("close_date", "before", "2026-01-01"),
        ("seen_at", "between", ["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"]),
        ("close_date", "in_last_days", 30),
        ("close_date", "more_than_days_ago", 14),
        ("close_date", "before", "today"),
        ("updated_at", "more_than_days_ago", 14),
        ("created_at", "between", ["yesterday", "today"]),
        ("owner", "eq", "U0ANN"),
        ("name", "eq", "Acme"),
    ],
)
def test_a_criteria_query_on_an_indexed_property_uses_its_index(
    session: Session, deals: int, prop: str, operator: str, value: object
) -> None:
    add_people(
        session,
        deals,
        [
            {
                "name": f"n{i}",
                "owner": f"U{i}",
                "created_at": NOW - timedelta(days=i),
                "updated_at": NOW - timedelta(days=i),
                "properties": stored(city=f"c{i}", amount=i),
            }
            for i in range(50)
        ],
    )
    [index_name] = ensure_property_indexes(session, {prop: FIELD_TYPES.get(prop) or TYPES[prop]})
    if session.get_bind().dialect.name == "postgresql":
        # Without statistics PostgreSQL may as well take the unique (type, id) index, which
        # also fixes the type: with them, it sees which index narrows the scan.
        session.execute(text("ANALYZE records"))
    criteria = one_filter(prop, operator, value)
    clause = criteria_clause(criteria.at(NOW, TYPES), TYPES, RecordSearch(session).dialect)
    plan = explain(session, matching(deals, clause))
    assert index_name.startswith("ixp_")
    assert index_name in plan, plan


def property_indexes(session: Session) -> list[str]:
    # SQLAlchemy does not reflect expression indexes on SQLite: ask the catalogs.
    if session.get_bind().dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    names = session.connection().exec_driver_sql(query).scalars()
    return sorted(name for name in names if name.startswith("ixp_"))


def test_ensuring_indexes_twice_creates_each_once(session: Session) -> None:
    wanted = {"amount": PropertyType.NUMBER, "city": PropertyType.STRING}
    first = ensure_property_indexes(session, wanted)
    assert ensure_property_indexes(session, wanted) == first
    assert property_indexes(session) == sorted(first)


def test_an_index_name_stays_within_postgresql_identifier_length(session: Session) -> None:
    [name] = ensure_property_indexes(session, {"p" * 63: PropertyType.DATETIME})
    assert len(name) <= 63
    assert property_indexes(session) == [name]


def criteria(*groups: list[tuple[str, str, object]]) -> Criteria:
    return parse_criteria(
        {
            "any": [
                {"all": [{"property": p, "operator": o, "value": v} for p, o, v in group]}
                for group in groups
            ]
        },
        TYPES,
    )


DEAL_GROUP = [
    ("amount", "gte", 5000),
    ("stage", "eq", "Won"),
    ("close_date", "in_last_days", 30),
]


def test_a_group_index_keys_equalities_then_two_sided_then_one_sided_ranges() -> None:
    [group] = criteria(DEAL_GROUP).groups
    assert group_index_key(group, TYPES) == (
        ("stage", PropertyType.ENUMERATION),
        ("close_date", PropertyType.DATE),
        ("amount", PropertyType.NUMBER),
    )


def test_a_one_sided_range_bounded_on_both_sides_ranks_as_two_sided() -> None:
    [group] = criteria(
        [("seen_at", "after", "2026-01-01T00:00:00Z"), ("amount", "gt", 1), ("amount", "lt", 9)]
    ).groups
    assert [name for name, _ in group_index_key(group, TYPES)] == ["amount", "seen_at"]


def test_filters_no_btree_serves_stay_out_of_the_key() -> None:
    [group] = criteria([("city", "contains", "x"), ("stage", "neq", "won")]).groups
    assert group_index_key(group, TYPES) == ()


def test_a_group_query_is_one_index_scan_that_answers_every_filter(
    session: Session, deals: int
) -> None:
    add_records(
        session, deals, [stored(stage="won", amount=i, close_date="2026-03-20") for i in range(50)]
    )
    wanted = criteria(DEAL_GROUP)
    # Statistics of a tiny table rightly favour any index; this test is about the shape.
    [name] = ensure_criteria_indexes(session, wanted, TYPES, analyze=False)
    clause = criteria_clause(wanted.at(NOW, TYPES), TYPES, RecordSearch(session).dialect)
    count = select(func.count()).select_from(Record).where(Record.object_type_id == deals, clause)
    plan = explain(session, count)
    assert name in plan, plan
    if session.get_bind().dialect.name == "postgresql":
        # Every filter is an index condition: only matching records are read from the table.
        assert "Filter" not in plan, plan
    else:
        # The stage equality and the close date range both bound the scan.
        assert "<expr>=? AND <expr>>? AND <expr><?" in plan, plan


def test_each_group_gets_an_index_unless_a_longer_key_serves_it(session: Session) -> None:
    wanted = criteria(DEAL_GROUP, [("stage", "eq", "lost")], [("city", "eq", "Paris")])
    names = ensure_criteria_indexes(session, wanted, TYPES)
    assert len(names) == 2
    assert property_indexes(session) == sorted(names)
    assert ensure_criteria_indexes(session, wanted, TYPES) == names


def test_no_index_is_built_when_some_group_would_scan_every_record_anyway(
    session: Session,
) -> None:
    wanted = criteria(DEAL_GROUP, [("city", "contains", "x")])
    assert ensure_criteria_indexes(session, wanted, TYPES) == []
    assert property_indexes(session) == []


def test_group_index_names_tell_types_apart_and_fit_postgresql() -> None:
    key = (("a" * 63, PropertyType.NUMBER), ("b" * 63, PropertyType.DATE))
    as_text = (("a" * 63, PropertyType.STRING), ("b" * 63, PropertyType.DATE))
    names = {group_index_name(k, "postgresql") for k in (key, as_text)}
    assert len(names) == 2
    assert all(len(name) <= 63 and name.startswith("ixp_aaa") for name in names)


def test_postgresql_has_statistics_for_a_new_group_index(session: Session, deals: int) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite plans these queries without statistics")
    add_records(session, deals, [stored(stage="won", amount=i) for i in range(20)])
    [name] = ensure_criteria_indexes(session, criteria(DEAL_GROUP), TYPES)
    query = "SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() AND tablename = %s"
    found = session.connection().exec_driver_sql(query, (name,)).scalar()
    assert found == 3


# --- SQL and Python agree ----------------------------------------------------------------

SCHEMA = {
    "s": PropertyType.STRING,
    "e": PropertyType.ENUMERATION,
    "n": PropertyType.NUMBER,
    "b": PropertyType.BOOLEAN,
    "d": PropertyType.DATE,
    "t": PropertyType.DATETIME,
}
# The properties and the built-in fields every record has.
FIELDS = criteria_fields(SCHEMA)
# Letters whose case folding differs from lower-casing or changes length, SQL-looking text,
# LIKE wildcards and the empty string, so that generated values often collide.
TRICKY_TEXTS = ["", "a", "A", "ß", "SS", "ss", "straße", "STRASSE", "İ", "i̇", "ς", "Σ", "\u03c3"]
TRICKY_TEXTS += ["ﬁ", "FI", "K", "\u212a", "%", "_", "a%", INJECTION, "😀", "Ǆ", "ǆ"]
TEXTS = st.one_of(
    st.sampled_from(TRICKY_TEXTS[:9]),
    st.sampled_from(TRICKY_TEXTS),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=4),
)
# Slack user ids and emails in several cases, with letters beyond ASCII that A-Z folding
# leaves alone.
OWNERS = st.one_of(
    st.sampled_from(
        ["U0ANN", "u0ann", "Ann@Example.com", "ann@example.com", "Änn@x.io", "änn@x.io", "ß@x"]
    ),
    TEXTS,
)
NUMBERS = st.one_of(
    st.integers(-2, 2),
    st.sampled_from([0.5, 0.1, 0.2, 0.30000000000000004, 5000, 4999.999, 1e-7, -0.0]),
    st.sampled_from([2**53, -(2**53), 2**53 - 1, 5e-324, 1e15 + 0.3]),
    st.floats(min_value=-(2**53), max_value=2**53, allow_nan=False, allow_infinity=False),
)
NOWS = st.sampled_from(
    [
        NOW,  # a 23-hour day in Berlin
        datetime(2026, 3, 29, 0, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(2026, 4, 1, 23, 59, 59, 999_999, tzinfo=ZoneInfo("America/New_York")),
        datetime(2026, 3, 31, 0, 0, tzinfo=UTC),
        # Far east and far west of UTC: the local date is a day ahead of or behind UTC's.
        datetime(2026, 3, 30, 0, 15, tzinfo=ZoneInfo("Pacific/Kiritimati")),
        datetime(2026, 3, 30, 9, 45, tzinfo=ZoneInfo("Asia/Kolkata")),
        datetime(2026, 3, 29, 20, 0, tzinfo=ZoneInfo("Pacific/Pago_Pago")),
        datetime(2026, 3, 30, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles")),
        # A day of 24 hours that starts at 01:00: Chile leaves summer time on 5 April 2026.
        datetime(2026, 4, 4, 23, 30, tzinfo=ZoneInfo("America/Santiago")),
    ]
)
DATES = st.dates(min_value=date(2026, 3, 25), max_value=date(2026, 4, 3)).map(date.isoformat)
DATETIMES = st.one_of(
    st.datetimes(
        min_value=datetime(2026, 3, 25),  # noqa: DTZ001 (hypothesis wants naive bounds)
        max_value=datetime(2026, 4, 3),  # noqa: DTZ001
        timezones=st.just(UTC),
    ).map(datetime.isoformat),
    # Instants on the edges of the relative windows at the candidate instants above, and
    # local midnights of the zones.
    st.sampled_from(
        [
            "2026-03-28T11:00:00Z",
            "2026-03-28T10:59:59.999999Z",
            "2026-03-29T10:00:00Z",
            "2026-03-29T10:00:00.000001Z",
            "2026-03-31T00:00:00Z",
            "2026-03-28T23:00:00Z",
            "2026-03-28T22:59:59.999999Z",
            "2026-03-29T10:00:00Z",
            "2026-03-30T04:00:00Z",
            "2026-03-29T11:00:00Z",
            "2026-04-05T04:00:00Z",
        ]
    ),
)
VALUES: Mapping[PropertyType, st.SearchStrategy[Any]] = {
    PropertyType.STRING: TEXTS,
    PropertyType.ENUMERATION: TEXTS,
    PropertyType.NUMBER: NUMBERS,
    PropertyType.BOOLEAN: st.booleans(),
    PropertyType.DATE: DATES,
    PropertyType.DATETIME: DATETIMES,
}
FIELD_VALUES: Mapping[str, st.SearchStrategy[Any]] = {
    "id": st.sampled_from(["D-1", "d-1", "ß", "SS", "x"]),
    "name": TEXTS,
    "owner": OWNERS,
    "created_at": DATETIMES,
    "updated_at": DATETIMES,
}


def values_of(name: str) -> st.SearchStrategy[Any]:
    return FIELD_VALUES.get(name, VALUES[FIELDS[name]])


def order_key(value: object, property_type: PropertyType) -> Any:
    stored_value = to_stored(value, property_type)
    return float(stored_value) if property_type is PropertyType.NUMBER else stored_value


RAW_RECORD = st.fixed_dictionaries(
    {
        "id": FIELD_VALUES["id"],
        "name": TEXTS,
        "owner": st.one_of(st.none(), OWNERS),
        "created_at": DATETIMES,
        "updated_at": DATETIMES,
    },
    optional={name: VALUES[t] for name, t in SCHEMA.items()},
)
RECORDS = st.lists(RAW_RECORD, min_size=2, max_size=8)


def case_variants(value: str) -> st.SearchStrategy[str]:
    """A text as held or in another case: "straße" may come back as "STRASSE"."""
    return st.sampled_from([value, value.upper(), value.lower(), value.swapcase()])


def day_bounds(property_type: PropertyType) -> st.SearchStrategy[str]:
    """What before, after and between take besides a value: a day word, or for a datetime
    a date (compared with its local date)."""
    words = st.sampled_from([day.value for day in RelativeDay])
    if property_type is PropertyType.DATETIME:
        return st.one_of(words, DATES)
    return words


def bound_key(value: Any, property_type: PropertyType) -> tuple[int, Any]:
    """The kind of a between bound, and its order among bounds of that kind."""
    if value in {day.value for day in RelativeDay}:
        return 0, RelativeDay(value).offset
    if property_type is PropertyType.DATETIME and len(value) == 10:
        return 1, value
    return 2, order_key(value, property_type)


@st.composite
def filters(draw: st.DrawFn, seen: Mapping[str, list[Any]]) -> dict[str, Any]:
    """A valid filter whose values are often ones the records hold, so that it splits them."""
    # Half the filters on built-in fields, half on properties: each kind is often drawn.
    prop = draw(st.one_of(st.sampled_from(list(BUILT_IN_FIELDS)), st.sampled_from(list(SCHEMA))))
    property_type = FIELDS[prop]
    operator = draw(st.sampled_from(operators_for(prop, property_type)))
    the_filter: dict[str, Any] = {"property": prop, "operator": operator.value}
    values = values_of(prop)
    if seen.get(prop):
        held = st.sampled_from(seen[prop])
        held = held.flatmap(case_variants) if property_type.is_text else held
        values = st.one_of(held, held, values)
    if operator in DAY_WORD_OPERATORS and property_type.is_temporal:
        values = st.one_of(values, day_bounds(property_type))
    if operator in PRESENCE_OPERATORS:
        return the_filter
    if operator in DAYS_OPERATORS:
        the_filter["value"] = draw(st.integers(0, 12))
    elif operator in LIST_OPERATORS:
        the_filter["value"] = draw(st.lists(values, min_size=1, max_size=3))
    elif operator is Operator.BETWEEN:
        low, high = draw(st.lists(values, min_size=2, max_size=2))
        (low_kind, low_key), (high_kind, high_key) = (
            bound_key(low, property_type),
            bound_key(high, property_type),
        )
        if low_kind == high_kind and low_key > high_key:
            low, high = high, low
        the_filter["value"] = [low, high]
    elif operator in SUBSTRING_OPERATORS:
        # A piece of a value: contains and starts_with then match some records.
        whole = draw(values.filter(bool))
        the_filter["value"] = whole[: draw(st.integers(1, len(whole)))]
    else:
        the_filter["value"] = draw(values)
    return the_filter


def criteria_over(raw_records: list[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    seen: dict[str, list[Any]] = {}
    for raw in raw_records:
        for name, value in raw.items():
            if value is not None:
                seen.setdefault(name, []).append(value)
    group = st.lists(filters(seen), min_size=1, max_size=2).map(lambda fs: {"all": fs})
    return st.lists(group, max_size=3).map(lambda groups: {"any": groups})


def new_record(object_type_id: int, index: int, raw: Mapping[str, Any]) -> NewRecord:
    properties = {k: to_stored(v, SCHEMA[k]) for k, v in raw.items() if k in SCHEMA}
    return NewRecord(
        object_type_id=object_type_id,
        # Unique within the type, as the store wants, and still often alike.
        external_id=f"{raw['id']}{index}",
        name=raw["name"],
        owner=raw["owner"],
        properties=properties,
        folded=folded_copy(properties, SCHEMA),
        created_at=parse_datetime(raw["created_at"]),
        updated_at=parse_datetime(raw["updated_at"]),
    )


@settings(max_examples=300)
@given(raw_records=RECORDS, now=NOWS, data=st.data())
def test_sql_and_python_select_the_same_records(
    sessions: sessionmaker[Session],
    deals: int,
    raw_records: list[dict[str, Any]],
    now: datetime,
    data: st.DataObject,
) -> None:
    criteria = parse_criteria(data.draw(criteria_over(raw_records), label="criteria"), SCHEMA)
    rows = [new_record(deals, index, raw) for index, raw in enumerate(raw_records)]
    with sessions() as session:
        repository = RecordRepository(session)
        repository.insert_many(rows)
        stored = repository.existing(deals, [row["external_id"] for row in rows])
        ids = {external_id: record.id for external_id, record in stored.items()}
        search = RecordSearch(session)
        clause = criteria_clause(criteria.at(now, SCHEMA), SCHEMA, search.dialect)
        in_sql = {record.id for record in search.list(deals, clause, limit=100)}
        session.rollback()  # each example starts from an empty records table
    in_python = {
        ids[row["external_id"]]
        for row in rows
        if matches(criteria, python_values(row), SCHEMA, now)
    }
    # Shown by --hypothesis-show-statistics: examples where the criteria split the records
    # are the ones that can reveal a disagreement.
    event("some records match, not all" if 0 < len(in_python) < len(rows) else "all or none")
    assert in_sql == in_python


def python_values(row: NewRecord) -> dict[str, StoredValue]:
    properties = row["properties"]
    assert isinstance(properties, dict)
    return record_values(
        properties,
        external_id=row["external_id"],
        name=row["name"],
        owner=row["owner"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def test_the_agreement_test_can_draw_every_operator() -> None:
    # filters() draws from the operators of each field: an operator no field had would
    # never be checked against SQL.
    drawable = {operator for name, t in FIELDS.items() for operator in operators_for(name, t)}
    assert drawable == set(Operator)


def test_the_agreement_test_draws_every_built_in_field() -> None:
    assert set(BUILT_IN_FIELDS) <= set(FIELDS) and set(BUILT_IN_FIELDS) == set(FIELD_VALUES)


def test_a_group_on_the_id_alone_gets_no_index_of_its_own(session: Session) -> None:
    # The records' unique (object_type_id, external_id) index serves it already.
    wanted = criteria([("id", "in", ["D-1", "D-2"])], [("owner", "eq", "U0ANN")])
    assert ensure_criteria_indexes(session, wanted, TYPES, analyze=False) == ["ixp_field_owner"]
    assert property_indexes(session) == ["ixp_field_owner"]


def test_a_count_of_live_records_is_answered_by_the_group_index_alone(
    session: Session, deals: int
) -> None:
    add_records(
        session, deals, [stored(stage="won", amount=i, close_date="2026-03-20") for i in range(50)]
    )
    wanted = criteria(DEAL_GROUP)
    [name] = ensure_criteria_indexes(session, wanted, TYPES, analyze=False)
    clause = criteria_clause(wanted.at(NOW, TYPES), TYPES, RecordSearch(session).dialect)
    live = Record.deleted_at.is_(None)
    count = (
        select(func.count()).select_from(Record).where(Record.object_type_id == deals, live, clause)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Whether the record is live is an index condition too, checked before its row is read.
        plan = explain(session, count)
        assert name in plan and "Filter" not in plan, plan
    else:
        assert name in explain(session, count)
        assert sqlite_table_columns_read(session, count) == []


def sqlite_table_columns_read(session: Session, statement: Select[Any]) -> list[int]:
    """The records columns SQLite's program for ``statement`` reads from the table itself
    (rather than from an index), by position."""
    compiled = statement.compile(session.get_bind())
    params = compiled.construct_params()
    positional = tuple(params[name] for name in compiled.positiontup or ())
    connection = session.connection()
    root = connection.exec_driver_sql(
        "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'records'"
    ).scalar_one()
    program = connection.exec_driver_sql(f"EXPLAIN {compiled.string}", positional).all()
    # Rows: addr, opcode, p1, p2, p3, p4, p5, comment.
    cursors = {row[2] for row in program if row[1] == "OpenRead" and row[3] == root}
    return [row[3] for row in program if row[1] == "Column" and row[2] in cursors]


def test_an_index_an_earlier_version_built_without_deleted_at_is_built_again(
    session: Session,
) -> None:
    dialect = RecordSearch(session).dialect
    stage = "json_extract(folded, '$.stage')" if dialect == "sqlite" else "(folded ->> 'stage')"
    session.execute(text(f"CREATE INDEX ixp_text_stage ON records (object_type_id, {stage})"))
    assert ensure_property_indexes(session, {"stage": PropertyType.STRING}) == ["ixp_text_stage"]
    if dialect == "sqlite":
        query = "SELECT sql FROM sqlite_master WHERE name = 'ixp_text_stage'"
    else:
        query = (
            "SELECT indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND indexname = 'ixp_text_stage'"
        )
    assert "deleted_at" in session.execute(text(query)).scalar_one()
