"""Reads and writes of source snapshots: the records of an object type with the digest of
the source row each was written from, so that a sync converts and compares only the rows
whose digest changed. Built on RecordRepository's batch statements (compiled once, COPY
for new records on PostgreSQL). Never commits."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, insert, null, update

from storage.properties import StoredValue
from storage.record_versions import RecordVersions
from storage.records import (
    RECORDS,
    NewRecord,
    RecordRepository,
    RecordUpdate,
    json_text,
    with_folded_name,
)


class SyncedRecord(NewRecord):
    source_digest: int


class SyncedUpdate(RecordUpdate):
    source_digest: int


Inserter = Callable[[Sequence["SyncedRecord"]], None]
SYNCED_COLUMNS = (*NewRecord.__annotations__, "source_digest")
SYNCED_UPDATE_COLUMNS = (
    *(key for key in RecordUpdate.__annotations__ if key != "record_id"),
    "source_digest",
)


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    """A stored record as a sync compares it with a source row."""

    id: int
    name: str
    owner: str | None
    properties: dict[str, StoredValue]
    deleted: bool
    digest: int | None


# As RecordRepository.existing (one probe of the unique index per id), with the digest.
_EXISTING_POSTGRESQL = (
    "SELECT r.id, r.external_id, r.name, r.owner, r.properties, r.deleted_at IS NOT NULL, "
    "r.source_digest FROM unnest(%s::text[]) AS wanted (external_id) "
    "CROSS JOIN LATERAL (SELECT * FROM records WHERE object_type_id = %s "
    "AND external_id = wanted.external_id LIMIT 1) AS r"
)
_EXISTING_SQLITE = (
    "SELECT id, external_id, name, owner, properties, deleted_at IS NOT NULL, source_digest "
    "FROM records WHERE object_type_id = ? AND external_id IN (SELECT value FROM json_each(?))"
)
_DIGESTS = {
    "postgresql": (
        "SELECT source_digest, id FROM records WHERE object_type_id = %s "
        "AND deleted_at IS NULL AND source_digest IS NOT NULL"
    ),
    "sqlite": (
        "SELECT source_digest, id FROM records WHERE object_type_id = ? "
        "AND deleted_at IS NULL AND source_digest IS NOT NULL"
    ),
}
_UNDIGESTED = {
    "postgresql": (
        "SELECT id FROM records WHERE object_type_id = %s "
        "AND deleted_at IS NULL AND source_digest IS NULL"
    ),
    "sqlite": (
        "SELECT id FROM records WHERE object_type_id = ? "
        "AND deleted_at IS NULL AND source_digest IS NULL"
    ),
}
_FETCH = 50_000
_WITH_DIGESTS_POSTGRESQL = (
    "SELECT id FROM records WHERE object_type_id = %s AND deleted_at IS NULL "
    "AND source_digest = ANY(%s::bigint[])"
)
_WITH_DIGESTS_SQLITE = (
    "SELECT id FROM records WHERE object_type_id = ? AND deleted_at IS NULL "
    "AND source_digest IN (SELECT value FROM json_each(?))"
)
_SET_DIGESTS_POSTGRESQL = (
    "UPDATE records SET source_digest = matched.digest "
    "FROM unnest(%s::bigint[], %s::bigint[]) AS matched (id, digest) "
    "WHERE records.id = matched.id"
)
_COPY = f"COPY records ({', '.join(SYNCED_COLUMNS)}) FROM STDIN"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: str | None) -> str:
    """A value in COPY's text format: NULL as \\N, backslashes and line breaks escaped."""
    if value is None:
        return "\\N"
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def _copy_lines(rows: Sequence[SyncedRecord]) -> str:
    lines = []
    instants: dict[datetime, str] = {}  # the rows of a sync share their timestamps
    for row in rows:
        folded = with_folded_name(row["folded"], row["name"])
        created, updated = row["created_at"], row["updated_at"]
        if created not in instants:
            instants[created] = created.isoformat()
        if updated not in instants:
            instants[updated] = updated.isoformat()
        lines.append(
            f"{row['object_type_id']}\t{_copy_value(row['external_id'])}\t"
            f"{_copy_value(row['name'])}\t{_copy_value(row['owner'])}\t"
            f"{_copy_value(row['properties'])}\t{_copy_value(folded)}\t"  # type: ignore[arg-type]
            f"{instants[created]}\t{instants[updated]}\t{row['source_digest']}\n"
        )
    return "".join(lines)


class SnapshotRecords(RecordRepository):
    """RecordRepository with the statements of source syncs."""

    def digests(self, object_type_id: int) -> tuple[set[int], list[int]]:
        """The live records of the type: the digests of those a sync wrote, and the row
        ids of the others. About 70 bytes a record while a sync runs."""
        dialect = self._dialect().name
        # On PostgreSQL a server-side cursor: a client-side one would hold every row of a
        # million-record type in the driver's memory at once.
        cursor = self._cursor("snapshot_digests" if dialect == "postgresql" else None)
        try:
            cursor.execute(_DIGESTS[dialect], (object_type_id,))
            digested: set[int] = set()
            first = itemgetter(0)
            while rows := cursor.fetchmany(_FETCH):
                digested.update(map(first, rows))  # no Python loop over a million rows
        finally:
            cursor.close()
        cursor = self._cursor()
        try:
            cursor.execute(_UNDIGESTED[dialect], (object_type_id,))
            undigested = [record_id for (record_id,) in cursor.fetchall()]
        finally:
            cursor.close()
        return digested, undigested

    def ids_with_digests(self, object_type_id: int, digests: Collection[int]) -> list[int]:
        """The row ids of the live records of the type with one of these digests."""
        if not digests:
            return []
        cursor = self._cursor()
        try:
            if self._dialect().name == "postgresql":
                cursor.execute(_WITH_DIGESTS_POSTGRESQL, (object_type_id, list(digests)))
            else:
                cursor.execute(_WITH_DIGESTS_SQLITE, (object_type_id, json_text(list(digests))))
            return [record_id for (record_id,) in cursor.fetchall()]
        finally:
            cursor.close()

    def _cursor(self, name: str | None = None) -> Any:
        """A DB-API cursor in this session's transaction (rows as plain tuples); with a
        name, a server-side cursor (PostgreSQL)."""
        dbapi: Any = self.session.connection().connection.dbapi_connection
        return dbapi.cursor() if name is None else dbapi.cursor(name)

    def existing_with_digests(
        self, object_type_id: int, external_ids: Collection[str]
    ) -> dict[str, SnapshotRecord]:
        if not external_ids:
            return {}
        ids = list(external_ids)
        connection = self.session.connection()
        if self._dialect().name == "postgresql":
            found = connection.exec_driver_sql(_EXISTING_POSTGRESQL, (ids, object_type_id))
            return {
                external_id: SnapshotRecord(id_, name, owner, properties, deleted, digest)
                for id_, external_id, name, owner, properties, deleted, digest in found
            }
        found = connection.exec_driver_sql(_EXISTING_SQLITE, (object_type_id, json_text(ids)))
        return {
            external_id: SnapshotRecord(
                id_, name, owner, json.loads(properties), bool(deleted), digest
            )
            for id_, external_id, name, owner, properties, deleted, digest in found
        }

    @contextmanager
    def inserting(
        self, one_copy: bool = False
    ) -> Iterator[Callable[[Sequence[SyncedRecord]], None]]:
        """A function that inserts new records (properties and folded copies as JSON text).

        On PostgreSQL a COPY of lines written here, a third faster than COPY's write_row
        (which converts every value by its type); with ``one_copy`` a single COPY takes
        every batch, so that the server stores one batch while the next is converted
        (nothing else may use the connection until the block ends).
        """
        if self._dialect().name != "postgresql":
            statement = insert(RECORDS).inline()

            def insert_each(rows: Sequence[SyncedRecord]) -> None:
                if rows:
                    self._run("insert_synced", statement, SYNCED_COLUMNS, rows)

            yield insert_each
            return
        dbapi: Any = self.session.connection().connection.dbapi_connection
        if not one_copy:

            def copy_each(rows: Sequence[SyncedRecord]) -> None:
                if rows:
                    with dbapi.cursor() as cursor, cursor.copy(_COPY) as copy:
                        copy.write(_copy_lines(rows))

            yield copy_each
            return
        with dbapi.cursor() as cursor, cursor.copy(_COPY) as copy:
            yield lambda rows: copy.write(_copy_lines(rows))

    def update_synced(self, rows: Sequence[SyncedUpdate], now: datetime) -> None:
        """Replaces what update_many does, brings removed records back, and keeps the
        digest of the row each was written from (and the values replaced, as update_many)."""
        if rows:
            RecordVersions(self.session).keep([row["record_id"] for row in rows], now)
            statement = (
                update(RECORDS)
                .where(RECORDS.c.id == bindparam("record_id"))
                .values(deleted_at=null())
            )
            self._run("update_synced", statement, SYNCED_UPDATE_COLUMNS, rows)

    def set_digests(self, digests: Sequence[tuple[int, int]]) -> None:
        """Stores the digest of records whose row matched them already: (row id, digest).
        One statement per batch on PostgreSQL (two arrays), an executemany on SQLite."""
        if not digests:
            return
        cursor = self._cursor()
        try:
            if self._dialect().name == "postgresql":
                ids, values = zip(*digests, strict=True)
                cursor.execute(_SET_DIGESTS_POSTGRESQL, (list(ids), list(values)))
            else:
                pairs = [(digest, record_id) for record_id, digest in digests]
                cursor.executemany("UPDATE records SET source_digest = ? WHERE id = ?", pairs)
        finally:
            cursor.close()
