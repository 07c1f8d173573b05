from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Record
from storage.object_types import ObjectTypeRepository
from storage.properties import StoredValue
from storage.records import (
    NewRecord,
    RecordRepository,
    RecordUpdate,
    json_member_key,
    json_scalar,
    json_text,
)

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _type_ids(session: Session) -> tuple[int, int]:
    types = ObjectTypeRepository(session)
    types.ensure_built_ins("T1", NOW)
    return types.get("T1", "deals").id, types.get("T1", "contacts").id


def _new(object_type_id: int, external_id: str, **properties: StoredValue) -> NewRecord:
    return NewRecord(
        object_type_id=object_type_id,
        external_id=external_id,
        name=f"Record {external_id}",
        owner=None,
        properties=dict(properties),
        folded={k: v.casefold() for k, v in properties.items() if isinstance(v, str)},
        created_at=NOW,
        updated_at=NOW,
    )


def test_existing_finds_only_the_given_ids_of_the_given_type(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        deals, contacts = _type_ids(session)
        records = RecordRepository(session)
        records.insert_many([_new(deals, "1", stage="Won"), _new(deals, "2"), _new(contacts, "1")])
        found = records.existing(deals, ["1", "3"])
    assert list(found) == ["1"]
    assert found["1"].name == "Record 1"
    assert found["1"].properties == {"stage": "Won"}


def test_existing_with_no_ids_asks_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert RecordRepository(session).existing(1, []) == {}


def test_inserted_records_keep_typed_values_and_aware_timestamps(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        deals, _ = _type_ids(session)
        RecordRepository(session).insert_many(
            [_new(deals, "7", stage="Straße", amount=1500, hot=True, ratio=0.25)]
        )
    with sessions() as session:
        record = session.scalars(select(Record)).one()
    assert record.properties == {"stage": "Straße", "amount": 1500, "hot": True, "ratio": 0.25}
    # The folded name goes with every record written: criteria on name compare it.
    assert record.folded == {"stage": "strasse", "_name": "record 7"}
    assert record.created_at == NOW and record.updated_at == NOW


def test_update_many_replaces_the_changing_columns_by_record_id(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        deals, _ = _type_ids(session)
        records = RecordRepository(session)
        records.insert_many([_new(deals, "1", stage="Open"), _new(deals, "2", stage="Open")])
        stored = records.existing(deals, ["1"])["1"]
        records.update_many(
            [
                RecordUpdate(
                    record_id=stored.id,
                    name="Renamed",
                    owner="U123ABC",
                    properties={"stage": "Won"},
                    folded={"stage": "won"},
                    updated_at=LATER,
                )
            ],
            LATER,
        )
    with sessions() as session:
        rows = {r.external_id: r for r in session.scalars(select(Record))}
    assert (rows["1"].name, rows["1"].owner, rows["1"].properties) == (
        "Renamed",
        "U123ABC",
        {"stage": "Won"},
    )
    assert rows["1"].folded == {"stage": "won", "_name": "renamed"}
    assert (rows["1"].created_at, rows["1"].updated_at) == (NOW, LATER)
    assert rows["2"].properties == {"stage": "Open"}


def test_the_repository_never_commits(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        deals, _ = _type_ids(session)
        RecordRepository(session).insert_many([_new(deals, "1")])
        session.rollback()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Record)) == 0


def test_many_batches_in_one_transaction_stay_findable(sessions: sessionmaker[Session]) -> None:
    # PostgreSQL has no statistics for rows this transaction wrote.
    with sessions.begin() as session:
        deals, _ = _type_ids(session)
        records = RecordRepository(session)
        for batch in range(6):
            records.insert_many([_new(deals, f"{batch}-{i}") for i in range(2_000)])
        found = records.existing(deals, [f"5-{i}" for i in range(0, 2_000, 7)] + ["nope"])
    assert len(found) == len(range(0, 2_000, 7))


def test_a_bulk_write_restores_the_connection_settings(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        connection = session.connection()
        if connection.dialect.name != "sqlite":
            pytest.skip("only SQLite changes settings for bulk writes")
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        with RecordRepository(session).bulk_writes():
            during = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        after = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    assert during != before
    assert after == before


def test_inserted_records_keep_text_that_needs_escaping(sessions: sessionmaker[Session]) -> None:
    tricky = 'quote " backslash \\ tab \t newline \n é 漢 \u2028 😀'
    with sessions.begin() as session:
        deals, _ = _type_ids(session)
        RecordRepository(session).insert_many([_new(deals, "1", note=tricky, amount=0.1)])
    with sessions() as session:
        stored = session.scalars(select(Record)).one()
    assert stored.properties == {"note": tricky, "amount": 0.1}
    assert stored.folded == {"note": tricky.casefold(), "_name": "record 1"}


flat_values = (
    st.text()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
)


@given(st.dictionaries(st.text(), flat_values))
def test_json_text_reads_back_as_the_document(document: dict[str, StoredValue]) -> None:
    assert json.loads(json_text(document)) == document
    assert json_text(document) == json.dumps(document, separators=(",", ":"))


@given(st.dictionaries(st.text(), flat_values))
def test_a_document_assembled_from_members_is_the_one_json_text_writes(
    document: dict[str, StoredValue],
) -> None:
    members = [json_member_key(key) + json_scalar(value) for key, value in document.items()]
    assert "{" + ",".join(members) + "}" == json_text(document)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_json_text_refuses_what_json_cannot_hold(value: float) -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        json_text({"amount": value})
    with pytest.raises(ValueError, match="JSON compliant"):
        json_scalar(value)
