"""Batch reads and writes of records for imports, with SQLAlchemy Core and bound parameters.

Rows travel as plain dicts (typed below): an ORM object per row would cost more than the SQL
itself when a million rows are imported. Never commits.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Dialect,
    String,
    Table,
    any_,
    bindparam,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

from storage.models import Record
from storage.properties import StoredValue

RECORDS: Table = Record.__table__  # type: ignore[assignment]
# PostgreSQL plans existing() from table statistics, which a bulk load inside one transaction
# outgrows (autovacuum cannot see uncommitted rows); with stale statistics it reads every
# record of the type for each batch. Refreshing them whenever the rows inserted here have
# doubled keeps the lookups on the unique index, at a logarithmic number of ANALYZEs.
FIRST_ANALYZE_AFTER = 10_000


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """What an import compares a row with: the record's current state."""

    id: int
    name: str
    owner: str | None
    properties: dict[str, StoredValue]


class NewRecord(TypedDict):
    object_type_id: int
    external_id: str
    name: str
    owner: str | None
    properties: dict[str, StoredValue]
    folded: dict[str, str]
    created_at: datetime
    updated_at: datetime


class RecordUpdate(TypedDict):
    record_id: int
    name: str
    owner: str | None
    properties: dict[str, StoredValue]
    folded: dict[str, str]
    updated_at: datetime


NEW_RECORD_COLUMNS = tuple(NewRecord.__annotations__)
UPDATED_COLUMNS = tuple(key for key in RecordUpdate.__annotations__ if key != "record_id")


class RecordRepository:
    """Finds records by external id and writes them in batches. Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._statements: dict[str, _ExecuteMany] = {}
        self._inserted = 0
        self._analyze_at = FIRST_ANALYZE_AFTER

    def existing(
        self, object_type_id: int, external_ids: Collection[str]
    ) -> dict[str, StoredRecord]:
        """The stored records of this type among ``external_ids``, keyed by external id."""
        if not external_ids:
            return {}
        query = select(
            RECORDS.c.id,
            RECORDS.c.external_id,
            RECORDS.c.name,
            RECORDS.c.owner,
            RECORDS.c.properties,
        ).where(
            RECORDS.c.object_type_id == object_type_id,
            self._external_id_among(list(external_ids)),
        )
        return {
            external_id: StoredRecord(id_, name, owner, properties)
            for id_, external_id, name, owner, properties in self.session.execute(query)
        }

    def _external_id_among(self, external_ids: list[str]) -> ColumnElement[bool]:
        if self._dialect().name == "postgresql":
            # One array parameter: PostgreSQL parses and plans a list of thousands of
            # parameters about three times slower.
            ids = bindparam("external_ids", external_ids, type_=ARRAY(String()))
            return RECORDS.c.external_id == any_(ids)
        return RECORDS.c.external_id.in_(external_ids)

    def _dialect(self) -> Dialect:
        return self.session.connection().dialect

    def insert_many(self, rows: Sequence[NewRecord]) -> None:
        if rows:
            # inline(): no RETURNING of generated ids, which nothing here needs.
            statement = insert(RECORDS).inline()
            self._run("insert", statement, NEW_RECORD_COLUMNS, rows)
            self._inserted += len(rows)
            if self._inserted >= self._analyze_at:
                self._refresh_statistics()

    def _refresh_statistics(self) -> None:
        self._analyze_at = 2 * self._inserted
        if self._dialect().name == "postgresql":
            self.session.execute(text("ANALYZE records"))

    def update_many(self, rows: Sequence[RecordUpdate]) -> None:
        """Replaces name, owner, properties and folded copies of each record by its id."""
        if rows:
            statement = update(RECORDS).where(RECORDS.c.id == bindparam("record_id"))
            self._run("update", statement, UPDATED_COLUMNS, rows)

    def _run(
        self,
        name: str,
        statement: UpdateBase,
        columns: Sequence[str],
        rows: Sequence[NewRecord] | Sequence[RecordUpdate],
    ) -> None:
        prepared = self._statements.get(name)
        if prepared is None:
            prepared = self._statements[name] = _ExecuteMany(statement, columns, self._dialect())
        self.session.connection().exec_driver_sql(prepared.sql, prepared.parameters(rows))


Processor = Callable[[Any], Any]


class _ExecuteMany:
    """A Core statement compiled once, run as one driver executemany per batch.

    SQLAlchemy's own executemany passes every value of every row through generic per-row
    machinery that costs more than SQLite's insert itself. This applies the very bind
    processors SQLAlchemy would (JSON serialization, aware-UTC datetimes) column by column,
    converting a value repeated from the row before (an import's timestamp) only once.
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
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }

    def parameters(
        self, rows: Sequence[NewRecord] | Sequence[RecordUpdate]
    ) -> list[tuple[Any, ...]] | list[dict[str, Any]]:
        values = [self._column(name, rows) for name in self.names]
        if self.positional:
            return list(zip(*values, strict=True))
        return [dict(zip(self.names, row, strict=True)) for row in zip(*values, strict=True)]

    def _column(self, name: str, rows: Sequence[Any]) -> list[Any]:
        process = self.processors[name]
        if process is None:
            return [row[name] for row in rows]
        return list(map(_once_per_run(process), (row[name] for row in rows)))


def _once_per_run(process: Processor) -> Processor:
    """``process`` that reuses its last result while it is given the same object again."""
    last: list[Any] = [_NOTHING, None]

    def convert(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return convert


_NOTHING = object()
