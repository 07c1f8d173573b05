"""Batch reads and writes of records for imports: statements compiled once and run by the
driver with bound parameters, and COPY for new records on PostgreSQL.

Rows travel as plain dicts (typed below): an ORM object per row would cost more than the SQL
itself when a million rows are imported. Never commits.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from json import encoder as json_encoder
from typing import Any, NewType, TypedDict

from sqlalchemy import (
    JSON,
    Dialect,
    Table,
    bindparam,
    false,
    func,
    insert,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

from storage.columns import contains_in_any_case
from storage.models import Record
from storage.properties import FOLDED_NAME, StoredValue, fold
from storage.record_versions import RecordVersions

RECORDS: Table = Record.__table__  # type: ignore[assignment]
# SQLite's page cache while an import writes (KiB). The default 2 MB cannot hold the
# (object_type_id, external_id) index of a large type, so every lookup and insert would
# read its pages back from the file, and dirty pages evicted mid-transaction would be
# written to the WAL more than once. 64 MB holds that index for a few million records;
# SQLite allocates the pages only as they are used.
BULK_CACHE_KIB = 64 * 1024


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """What an import compares a row with: the record's current state."""

    id: int
    name: str
    owner: str | None
    properties: dict[str, StoredValue]
    # Removed (records delete, a prune, its source): writing it again brings it back.
    deleted: bool = False
    # Its built-in dates, which a file may give (created_at and updated_at columns).
    created_at: datetime | None = None
    updated_at: datetime | None = None


# A JSON document already encoded (see json_member_key and json_scalar): written as is. Plain
# text at run time: the driver binds exact str fastest, a subclass goes through adaptation.
JSONText = NewType("JSONText", str)


class NewRecord(TypedDict):
    object_type_id: int
    external_id: str
    name: str
    owner: str | None
    properties: dict[str, StoredValue] | JSONText
    folded: dict[str, str] | JSONText
    created_at: datetime
    updated_at: datetime


class RecordUpdate(TypedDict):
    record_id: int
    name: str
    owner: str | None
    properties: dict[str, StoredValue]
    folded: dict[str, str]
    updated_at: datetime


class DatedRecordUpdate(RecordUpdate):
    """An update that sets the record's created_at too: from a file that gives it."""

    created_at: datetime


NEW_RECORD_COLUMNS = tuple(NewRecord.__annotations__)
# One probe of the unique index per id, whatever the statistics say: a bulk load inside
# one transaction outgrows them (autovacuum cannot see uncommitted rows), and from stale
# ones PostgreSQL plans "object_type_id = ? AND external_id = ANY(?)" as a read of every
# record of the type. A LATERAL subquery can only run once per id; the table's real size
# (which the planner reads from the file) makes each run an index scan.
_EXISTING_POSTGRESQL = (
    "SELECT r.id, r.external_id, r.name, r.owner, r.properties, r.deleted_at IS NOT NULL, "
    "r.created_at, r.updated_at "
    "FROM unnest(%s::text[]) AS wanted (external_id) "
    "CROSS JOIN LATERAL (SELECT * FROM records WHERE object_type_id = %s "
    "AND external_id = wanted.external_id LIMIT 1) AS r"
)
_EXISTING_SQLITE = (
    "SELECT id, external_id, name, owner, properties, deleted_at IS NOT NULL, created_at, "
    "updated_at FROM records "
    "WHERE object_type_id = ? AND external_id IN (SELECT value FROM json_each(?))"
)
UPDATED_COLUMNS = tuple(key for key in RecordUpdate.__annotations__ if key != "record_id")
DATED_UPDATE_COLUMNS = (*UPDATED_COLUMNS, "created_at")


class RecordRepository:
    """Finds records by external id and writes them in batches. Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._statements: dict[str, _ExecuteMany] = {}

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Settings for writing many records in this transaction, restored afterwards.

        On SQLite a larger page cache; durability settings (WAL, synchronous) stay as
        they are.
        """
        if self._dialect().name != "sqlite":
            yield
            return
        connection = self.session.connection()
        previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        connection.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        try:
            yield
        finally:
            connection.exec_driver_sql(f"PRAGMA cache_size = {int(previous or 0)}")

    def existing(
        self, object_type_id: int, external_ids: Collection[str]
    ) -> dict[str, StoredRecord]:
        """The stored records of this type among ``external_ids``, keyed by external id."""
        if not external_ids:
            return {}
        ids = list(external_ids)
        connection = self.session.connection()
        if self._dialect().name == "postgresql":
            # One array parameter: PostgreSQL parses and plans a list of thousands of
            # parameters about three times slower. JSONB arrives decoded.
            found = connection.exec_driver_sql(_EXISTING_POSTGRESQL, (ids, object_type_id))
            return {
                external_id: StoredRecord(id_, name, owner, properties, deleted, *dates)
                for id_, external_id, name, owner, properties, deleted, *dates in found
            }
        # The ids as one JSON array: one prepared statement whatever the batch size and no
        # limit on the number of parameters, where a Core IN would be expanded and compiled
        # again on every batch.
        found = connection.exec_driver_sql(_EXISTING_SQLITE, (object_type_id, json_text(ids)))
        return {
            external_id: StoredRecord(
                id_,
                name,
                owner,
                json.loads(properties),
                bool(deleted),
                _sqlite_instant(created_at),
                _sqlite_instant(updated_at),
            )
            for id_, external_id, name, owner, properties, deleted, created_at, updated_at in found
        }

    def by_ids(self, record_ids: Collection[int]) -> list[Record]:
        """The records with these ids, loaded to be changed (those gone are left out)."""
        return list(self.session.scalars(select(Record).where(Record.id.in_(list(record_ids)))))

    def live_count(self, object_type_id: int) -> int:
        """How many records of this type are not in the trash."""
        query = (
            select(func.count())
            .select_from(Record)
            .where(Record.object_type_id == object_type_id, Record.deleted_at.is_(None))
        )
        return self.session.scalar(query) or 0

    def live(self, object_type_id: int, external_id: str) -> Record | None:
        """The record of this type with ``external_id``, unless it is in the trash."""
        query = select(Record).where(
            Record.object_type_id == object_type_id,
            Record.external_id == external_id,
            Record.deleted_at.is_(None),
        )
        return self.session.scalars(query).one_or_none()

    def live_named_like(
        self, object_type_id: int, typed: str, limit: int
    ) -> list[tuple[int, str, str]]:
        """(id, external id, name) of the live records of this type whose name contains
        ``typed`` in any case or whose external id is ``typed`` (any for a blank one), by
        name."""
        query = (
            select(Record.id, Record.external_id, Record.name)
            .where(Record.object_type_id == object_type_id, Record.deleted_at.is_(None))
            .order_by(Record.name, Record.id)
            .limit(limit)
        )
        if typed:
            query = query.where(
                or_(contains_in_any_case(Record.name, typed), Record.external_id == typed)
            )
        return [(id_, external_id, name) for id_, external_id, name in self.session.execute(query)]

    def live_among(self, object_type_id: int, record_ids: Collection[int]) -> set[int]:
        """Those of ``record_ids`` that are live records of this type."""
        query = select(Record.id).where(
            Record.id.in_(list(record_ids)),
            Record.object_type_id == object_type_id,
            Record.deleted_at.is_(None),
        )
        return set(self.session.scalars(query))

    def of_type(self, object_type_id: int, external_id: str) -> Record | None:
        """The record of this type with ``external_id``, even one in the trash."""
        query = select(Record).where(
            Record.object_type_id == object_type_id, Record.external_id == external_id
        )
        return self.session.scalars(query).first()

    def live_named_containing(self, object_type_id: int, text: str, limit: int) -> list[Record]:
        """The live records of this type whose name contains ``text`` in any case, by name."""
        query = (
            select(Record)
            .where(
                Record.object_type_id == object_type_id,
                Record.deleted_at.is_(None),
                Record.name.icontains(text, autoescape=True),
            )
            .order_by(Record.name, Record.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def live_ids(self, object_type_id: int, external_ids: Collection[str]) -> dict[str, int]:
        """The ids of the records of this type among ``external_ids`` that are not in the
        trash, keyed by external id: a removed record is never enrolled again."""
        query = select(Record.external_id, Record.id).where(
            Record.object_type_id == object_type_id,
            Record.external_id.in_(list(external_ids)),
            Record.deleted_at.is_(None),
        )
        return {external_id: record_id for external_id, record_id in self.session.execute(query)}

    def _dialect(self) -> Dialect:
        return self.session.connection().dialect

    def insert_many(self, rows: Sequence[NewRecord]) -> None:
        if not rows:
            return
        # inline(): no RETURNING of generated ids, which nothing here needs.
        statement = insert(RECORDS).inline()
        if self._dialect().name == "postgresql":
            self._copy(self._prepared("insert", statement, NEW_RECORD_COLUMNS), rows)
        else:
            self._run("insert", statement, NEW_RECORD_COLUMNS, rows)

    def _copy(self, prepared: _ExecuteMany, rows: Sequence[NewRecord]) -> None:
        """Inserts with COPY: about twice as fast as an executemany of INSERTs.

        COPY runs inside the transaction like any statement: rows it wrote are rolled back
        with it, and a row that breaks a constraint fails the COPY as it would the INSERT.
        """
        dbapi_connection: Any = self.session.connection().connection.dbapi_connection
        columns = ", ".join(prepared.names)
        with (
            dbapi_connection.cursor() as cursor,
            cursor.copy(f"COPY records ({columns}) FROM STDIN") as copy,
        ):
            for row in prepared.tuples(rows):
                copy.write_row(row)

    def update_many(self, rows: Sequence[RecordUpdate], now: datetime) -> None:
        """Replaces name, owner, properties and folded copies of each record by its id, and
        brings a removed record back: what is written again is in its source again. The
        record is no longer what a source row made it: its digest is cleared; nor the
        sample's, if it was: `sample remove` leaves it. The values replaced are kept as
        valid until ``now`` (record_versions)."""
        if rows:
            RecordVersions(self.session).keep([row["record_id"] for row in rows], now)
            statement = (
                update(RECORDS)
                .where(RECORDS.c.id == bindparam("record_id"))
                .values(deleted_at=null(), source_digest=null(), is_sample=false())
            )
            if "created_at" in rows[0]:
                self._run("update_dated", statement, DATED_UPDATE_COLUMNS, rows)
            else:
                self._run("update", statement, UPDATED_COLUMNS, rows)

    def _run(
        self,
        name: str,
        statement: UpdateBase,
        columns: Sequence[str],
        rows: Sequence[NewRecord] | Sequence[RecordUpdate],
    ) -> None:
        prepared = self._prepared(name, statement, columns)
        self.session.connection().exec_driver_sql(prepared.sql, prepared.parameters(rows))

    def _prepared(self, name: str, statement: UpdateBase, columns: Sequence[str]) -> _ExecuteMany:
        prepared = self._statements.get(name)
        if prepared is None:
            prepared = self._statements[name] = _ExecuteMany(statement, columns, self._dialect())
        return prepared


Processor = Callable[[Any], Any]


class _ExecuteMany:
    """A Core statement compiled once, run as one driver executemany per batch.

    SQLAlchemy's own executemany passes every value of every row through generic per-row
    machinery that costs more than SQLite's insert itself. This applies the bind processors
    SQLAlchemy would (aware-UTC datetimes) column by column, converting a value repeated from
    the row before (an import's timestamp) only once, and writes JSON columns as JSON text.
    """

    def __init__(self, statement: UpdateBase, columns: Sequence[str], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self.names = list(compiled.binds)
        self.positional = compiled.positional
        if self.positional and compiled.positiontup is not None:
            self.names = list(compiled.positiontup)
        self.processors: dict[str, Processor | None] = {
            name: _processor(bind.type, dialect) for name, bind in compiled.binds.items()
        }

    def parameters(
        self, rows: Sequence[NewRecord] | Sequence[RecordUpdate]
    ) -> list[tuple[Any, ...]] | list[dict[str, Any]]:
        if self.positional:
            return self.tuples(rows)
        return [dict(zip(self.names, row, strict=True)) for row in self.tuples(rows)]

    def tuples(self, rows: Sequence[NewRecord] | Sequence[RecordUpdate]) -> list[tuple[Any, ...]]:
        """Each row's processed values in the order of ``names``."""
        return list(zip(*(self._column(name, rows) for name in self.names), strict=True))

    def _column(self, name: str, rows: Sequence[Any]) -> list[Any]:
        process = self.processors[name]
        if name == "folded":
            # Every row written here carries its folded name, what criteria on the built-in
            # field name compare (storage.property_expressions.field_expression).
            documents = [with_folded_name(row["folded"], row["name"]) for row in rows]
            return list(map(process, documents)) if process is not None else documents
        if process is None:
            return [row[name] for row in rows]
        return list(map(process, (row[name] for row in rows)))


def _sqlite_instant(text: str) -> datetime:
    # What UTCDateTime stores on SQLite: naive UTC text, read here without the ORM.
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def with_folded_name(folded: Mapping[str, str] | JSONText, name: str) -> dict[str, str] | JSONText:
    """A record's folded document (``records.folded``) with its folded name (FOLDED_NAME)."""
    member = json_member_key(FOLDED_NAME) + json_scalar(fold(name))
    if isinstance(folded, str):
        # Encoded already (an import's rows): the member goes first, the rest as it is.
        rest = folded[1:].lstrip()
        return JSONText("{" + member + ("}" if rest == "}" else "," + rest))
    return {**folded, FOLDED_NAME: fold(name)}


def _processor(sql_type: Any, dialect: Dialect) -> Processor | None:
    if isinstance(sql_type, JSON):
        # Every statement here casts its JSON parameters (SQLite stores the text as is,
        # PostgreSQL's statements say ::JSONB), so they travel as JSON text.
        return _json_parameter
    process: Processor | None = sql_type.dialect_impl(dialect).bind_processor(dialect)
    return _once_per_run(process) if process is not None else None


def _refuse(value: object) -> Any:
    raise TypeError(f"{type(value).__name__} is not a stored value type")


# The C encoder behind json.dumps, built once: json.dumps builds one per call, which costs
# as much as encoding a record's few properties. Compact separators; NaN and infinities
# are refused (stored values never hold them). None where CPython lacks the accelerator.
_c_make_encoder: Any = getattr(json_encoder, "c_make_encoder", None)
_ENCODE = (
    _c_make_encoder(
        None, _refuse, json_encoder.encode_basestring_ascii, None, ":", ",", False, False, False
    )
    if _c_make_encoder is not None
    else None
)


def json_text(document: Mapping[str, Any] | Sequence[Any] | None) -> str:
    """``document`` as compact JSON text, as json.dumps would write it with ``,`` and ``:``."""
    if _ENCODE is None or type(document) not in (dict, list):
        return json.dumps(document, separators=(",", ":"), allow_nan=False, default=_refuse)
    return "".join(_ENCODE(document, 0))


def _json_parameter(document: Mapping[str, Any] | JSONText) -> str:
    # A JSON column here always holds an object: text is a document already encoded.
    return document if type(document) is str else json_text(document)


def json_member_key(name: str) -> str:
    """``"name":``, the start of an object member as json_text writes it."""
    return f"{json_encoder.encode_basestring_ascii(name)}:"


def json_scalar(value: StoredValue) -> str:
    """A stored value as json_text writes it."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is str:
        return json_encoder.encode_basestring_ascii(value)
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        # What json.dumps writes for them: int.__repr__ and float.__repr__.
        return repr(value)
    return json_text([value])[1:-1]  # raises for what JSON cannot hold


def _once_per_run(process: Processor) -> Processor:
    """``process`` that reuses its last result while it is given the same object again."""
    last: list[Any] = [_NOTHING, None]

    def convert(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return convert


_NOTHING = object()
