"""One sync of a SQL record source: its query's rows (bot.workflows.source_reading) written
as a full snapshot of the object type's records: new and changed rows upserted, removed
records the query returns again brought back, records it no longer returns removed.

All or nothing: the snapshot is written in one transaction of the bot's database, which
any failure (the source, a bad value, a duplicate or missing id) rolls back.

Fast where nothing changed: each record keeps a digest of the source row it was written
from (with the query's columns). A row whose digest a live record of the type has is that
record, unchanged, and costs a digest and a dictionary lookup; only the other rows are
converted, looked up by id (a batch at a time) and compared in full.

Types, as file imports give them: a property keeps the type it was declared with; a new
column takes the type the driver reports (PostgreSQL's column types), else the narrowest
type every value of a sample fits (SQLite reports none). A later value that does not fit a
type guessed from the sample makes the sync read the query again, once to infer from every
row and once to write, as a file import takes a second pass.
"""

from __future__ import annotations

import json
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import chain, repeat
from operator import itemgetter, lshift, xor
from typing import Any, NamedTuple, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import Clock
from bot.workflows.record_files import column_name
from bot.workflows.source_reading import (
    EnvironmentLookup,
    SourceError,
    SourceQuery,
    source_rows,
    source_url,
)
from bot.workflows.vocabulary import PropertyType
from storage.database import write_transaction
from storage.object_types import ObjectTypeRepository
from storage.properties import (
    INFERENCE_ORDER,
    InvalidValue,
    StoredValue,
    converter,
    fitting_types,
    fold,
    folded_copy,
    is_valid_property_name,
    narrowest,
    parse_number,
    stored_datetime,
)
from storage.record_removal import SHOWN, RecordRemoval, Removal, SeenRecords
from storage.record_snapshots import SnapshotRecord, SnapshotRecords, SyncedRecord, SyncedUpdate
from storage.record_versions import RecordVersions
from storage.records import JSONText, json_member_key, json_scalar

__all__ = ["EnvironmentLookup", "SourceChanged", "SourceError", "SourceQuery", "SyncReport"]

# Rows written per batch, as file imports write them.
BATCH = 2_000
# Rows read before the types of the columns the driver does not type are guessed.
SAMPLE_ROWS = 1_000
MAX_EXTERNAL_ID_LENGTH = 255
MAX_OWNER_LENGTH = 255
MAX_COLUMNS = 1_000
MAX_ENUMERATION_OPTIONS = 1_000
NAME_COLUMN = "name"
OWNER_COLUMN = "owner"
MEMO_SIZE = 512
# Bumped when what a row's digest covers changes: every record is then compared in full once.
DIGEST_VERSION = 1
_EXACT = 2**53
_NUL = "\x00"


class SourceChanged(SourceError):
    """The source's rows changed between two reads of one sync; syncing again resolves it."""

    code = "changed"


@dataclass(frozen=True)
class SyncReport:
    rows: int
    added: int  # new records, and removed ones the source has again
    changed: int
    unchanged: int
    removed: Removal
    seconds: float
    new_properties: Mapping[str, PropertyType] = field(default_factory=dict)
    # Reads of the query: 1, or 3 when a type guessed from the sample did not hold.
    reads: int = 1


# Values -------------------------------------------------------------------------------------


class _Cell(NamedTuple):
    """A value's stored form and case-folded copy (text only), each also as the member of
    the JSON object the record's columns are written as, after a comma."""

    value: StoredValue
    member: str
    folded: str | None
    folded_member: str


class _Speculation(Exception):
    """A value did not fit the type guessed from the sample: read the query again."""


class _BadValue(ValueError):
    pass


class _BadId(_BadValue):
    """A problem of a row's id: its message says what to do."""


def _text_of(value: object) -> str:
    """A value as text, for a string property."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        raise InvalidValue("is binary data: convert it to text in the query")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _number(value: object) -> StoredValue:
    if isinstance(value, Decimal):
        return parse_number(str(value))
    return parse_number(value)


def _boolean(value: object) -> StoredValue:
    # SQLite has no boolean type: 0 and 1 are its booleans.
    if type(value) is int and value in (0, 1):
        return bool(value)
    return converter(PropertyType.BOOLEAN)(value)


def _datetime(value: object) -> StoredValue:
    if isinstance(value, datetime):
        # A timestamp without a time zone is read as UTC (the README says so).
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return stored_datetime(aware)
    if isinstance(value, date):
        raise InvalidValue(f"{value.isoformat()!r} is a date, not a datetime")
    return converter(PropertyType.DATETIME)(value)


_CONVERTERS: dict[PropertyType, Callable[[object], StoredValue]] = {
    PropertyType.NUMBER: _number,
    PropertyType.BOOLEAN: _boolean,
    PropertyType.DATE: converter(PropertyType.DATE),
    PropertyType.DATETIME: _datetime,
    PropertyType.STRING: _text_of,
    PropertyType.ENUMERATION: _text_of,
}


def _fitting(value: object) -> frozenset[PropertyType]:
    """Every inferable type a source value can be stored as."""
    if isinstance(value, str):
        return fitting_types(value)
    if isinstance(value, bool):
        return frozenset((PropertyType.BOOLEAN, PropertyType.STRING))
    if isinstance(value, datetime):
        return frozenset((PropertyType.DATETIME, PropertyType.STRING))
    if isinstance(value, date):
        return frozenset((PropertyType.DATE, PropertyType.STRING))
    if isinstance(value, int | float | Decimal):
        try:
            _number(value)
        except InvalidValue:
            return frozenset((PropertyType.STRING,))
        return frozenset((PropertyType.NUMBER, PropertyType.STRING))
    return frozenset((PropertyType.STRING,))


def _blank(value: object) -> bool:
    """An unknown value: NULL, or text of nothing but spaces, as an empty cell of a file."""
    return value is None or (type(value) is str and (not value or value.isspace()))


def _article(property_type: PropertyType) -> str:
    return f"an {property_type}" if property_type[0] in "aeiou" else f"a {property_type}"


class _Column:
    """One property column of the query: its type, and the conversion of its values with
    the recent ones remembered (most columns repeat a few values)."""

    __slots__ = (
        "booleans",
        "convert",
        "index",
        "is_text",
        "key",
        "memo",
        "name",
        "speculative",
        "type",
    )

    def __init__(
        self, name: str, index: int, property_type: PropertyType, speculative: bool = False
    ) -> None:
        self.name = name
        self.index = index
        self.type = property_type
        self.speculative = speculative
        self.is_text = property_type.is_text
        self.convert = _CONVERTERS[property_type]
        self.key = "," + json_member_key(name)
        self.memo: dict[object, _Cell] = {}
        self.booleans = {
            flag: _Cell(flag, self.key + json_scalar(flag), None, "") for flag in (False, True)
        }

    def cell(self, value: object) -> _Cell | None:
        """The cell of a value; None for a blank one."""
        kind = type(value)
        if kind is int and self.type is PropertyType.NUMBER:
            number = cast(int, value)
            if -_EXACT <= number <= _EXACT:  # what parse_number checks, without the call
                return _Cell(number, self.key + repr(number), None, "")
        if kind is bool and self.type is PropertyType.BOOLEAN:
            return self.booleans[cast(bool, value)]
        if value is None or (kind is str and (not value or value.isspace())):  # type: ignore[attr-defined]
            return None
        # Booleans equal 0 and 1: never in a memo that numbers share. Lists and dicts (from
        # array and JSON columns of other drivers) cannot be keys.
        remembered = kind is not bool and kind is not list and kind is not dict
        if remembered:
            found = self.memo.get(value)
            if found is not None:
                return found
        made = self._convert(value)
        if remembered and len(self.memo) < MEMO_SIZE:
            self.memo[value] = made
        return made

    def _convert(self, value: object) -> _Cell:
        try:
            stored = self.convert(value)
        except InvalidValue as error:
            if self.speculative:
                raise _Speculation(self.name) from None
            raise _BadValue(
                f"{self.name} {error} ({self.name} is {_article(self.type)} property)"
            ) from None
        if isinstance(stored, str) and _NUL in stored:
            raise _BadValue(f"{self.name} holds a NUL character, which cannot be stored")
        member = self.key + json_scalar(stored)
        if self.is_text:
            folded = fold(cast(str, stored))
            return _Cell(stored, member, folded, self.key + json_scalar(folded))
        return _Cell(stored, member, None, "")


# The query's columns ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Where the id, name and owner are in a row, and the property columns."""

    id_index: int
    name_index: int | None
    owner_index: int | None
    properties: dict[str, int]  # property name -> index in the row
    # Starts every row's digest: the same row under other columns is another record.
    salt: int
    # How the source server made the digest each row ends with (source_reading.Rows);
    # None: the rows have none, the bot makes them.
    digested: str | None = None


def _layout(names: Sequence[str], source: SourceQuery, digested: str | None = None) -> _Layout:
    if len(names) > MAX_COLUMNS:
        raise SourceError(
            f"the query of source {source.name} returns {len(names)} columns, more than "
            f"{MAX_COLUMNS}: select only the columns that are record properties",
            "bad_columns",
        )
    normalized = [column_name(name) for name in names]
    id_column = column_name(source.id_column)
    if id_column not in normalized:
        raise SourceError(
            f"the query of source {source.name} returns no column {source.id_column!r} (its "
            f"columns: {', '.join(names) or 'none'}): select it, or add the source again with "
            "the right --id-column",
            "bad_columns",
        )
    seen: dict[str, str] = {}
    properties: dict[str, int] = {}
    for index, (original, name) in enumerate(zip(names, normalized, strict=True)):
        if name in seen:
            raise SourceError(
                f"the query of source {source.name} returns two columns named {name} "
                f"({seen[name]!r} and {original!r}): give one another name with AS",
                "bad_columns",
            )
        seen[name] = original
        if name in (id_column, NAME_COLUMN, OWNER_COLUMN):
            continue
        if not is_valid_property_name(name):
            raise SourceError(
                f"the column {original!r} of source {source.name} is not a valid property "
                "name: rename it with AS to lower-case letters, digits and _, starting with "
                "a letter",
                "bad_columns",
            )
        properties[name] = index
    salt = repr((DIGEST_VERSION, digested or "repr", id_column, normalized)).encode()
    return _Layout(
        id_index=normalized.index(id_column),
        name_index=normalized.index(NAME_COLUMN) if NAME_COLUMN in normalized else None,
        owner_index=normalized.index(OWNER_COLUMN) if OWNER_COLUMN in normalized else None,
        properties=properties,
        salt=zlib.crc32(salt),
        digested=digested,
    )


def _digests(rows: Sequence[tuple[Any, ...]], salt: int) -> list[int]:
    """Each row's 63-bit digest (a PostgreSQL bigint): two different checksums of its text,
    so that a changed row keeps its digest about once in 2**63. Mapped over the batch in C:
    a Python function call per row would cost as much again."""
    texts = list(map(str.encode, map(repr, rows)))
    crcs = map(lshift, map(zlib.crc32, texts, repeat(salt)), repeat(31))
    return list(map(xor, crcs, map(zlib.adler32, texts)))


def _server_digests(rows: Sequence[tuple[Any, ...]], salt: int) -> list[int]:
    """The digests the source server put at the end of each row, with the query's columns
    mixed in (they change the low bits only: still a bigint)."""
    return list(map(xor, map(itemgetter(-1), rows), repeat(salt)))


class _Inference:
    """The types every value so far of each column the driver does not type fits."""

    def __init__(self, layout: _Layout, driver_types: Sequence[PropertyType | None]) -> None:
        self.columns = {
            name: index for name, index in layout.properties.items() if driver_types[index] is None
        }
        self.fits: dict[str, frozenset[PropertyType]] = {}
        # Values known to fit, per column (bounded): most columns repeat a few values.
        self.checked: dict[str, set[object]] = {name: set() for name in self.columns}
        self.final = False  # inferred from every row, not guessed from a sample

    def add(self, row: Sequence[Any]) -> None:
        for name, index in self.columns.items():
            value = row[index]
            if _blank(value):
                continue
            checked = self.checked[name]
            kind = type(value)
            remembered = kind is not bool and kind is not list and kind is not dict
            if remembered and value in checked:
                continue
            self.fits[name] = self.fits.get(name, _ANY) & _fitting(value)
            if remembered and len(checked) < MEMO_SIZE:
                checked.add(value)

    def type(self, name: str) -> PropertyType | None:
        fits = self.fits.get(name)
        return None if fits is None else narrowest(fits)


_ANY = frozenset(INFERENCE_ORDER)


def _typed_columns(
    layout: _Layout,
    declared: Mapping[str, PropertyType],
    driver_types: Sequence[PropertyType | None],
    inference: _Inference,
) -> dict[str, _Column]:
    """Each property column with its type: declared, reported by the driver, or inferred
    (a guess from a sample is speculative). A column without a value has none yet."""
    columns: dict[str, _Column] = {}
    for name, index in layout.properties.items():
        known = declared.get(name) or driver_types[index]
        if known is not None:
            columns[name] = _Column(name, index, known)
        elif (inferred := inference.type(name)) is not None:
            columns[name] = _Column(name, index, inferred, speculative=not inference.final)
    return columns


# Rows ---------------------------------------------------------------------------------------


class _Converted:
    """Rows of one batch converted column by column: what a new record is written from,
    and each row's properties when it is compared with a stored record."""

    def __init__(
        self,
        rows: Sequence[tuple[Any, ...]],
        digests: Sequence[int],
        numbers: Sequence[int],
        converter_: _Converter,
    ) -> None:
        self.rows = rows
        self.digests = digests
        self.numbers = numbers  # each row's position in the query's result, from 1
        values = list(zip(*rows, strict=True))
        layout = converter_.layout
        source = converter_.source
        self.external_ids = _checked(values[layout.id_index], self, source, converter_.id_of)
        self.names = (
            _checked(values[layout.name_index], self, source, converter_.name_of)
            if layout.name_index is not None
            else [None] * len(rows)
        )
        self.owners = (
            _checked(values[layout.owner_index], self, source, converter_.owner_of)
            if layout.owner_index is not None
            else [None] * len(rows)
        )
        self.columns = converter_.columns_for(values)
        self.cells = [_checked(values[c.index], self, source, c.cell) for c in self.columns]

    def members(self) -> list[str]:
        """Each row's properties as JSON object text."""
        columns = [[c.member if c else "" for c in cells] for cells in self.cells]
        if not columns:
            return ["{}"] * len(self.rows)
        return ["{" + "".join(parts)[1:] + "}" for parts in zip(*columns, strict=True)]

    def folded_members(self) -> list[str]:
        columns = [
            [c.folded_member if c else "" for c in cells]
            for cells, column in zip(self.cells, self.columns, strict=True)
            if column.is_text
        ]
        if not columns:
            return ["{}"] * len(self.rows)
        return ["{" + "".join(parts)[1:] + "}" for parts in zip(*columns, strict=True)]

    def properties(self, position: int) -> dict[str, StoredValue]:
        found: dict[str, StoredValue] = {}
        for column, cells in zip(self.columns, self.cells, strict=True):
            cell = cells[position]
            if cell is not None:
                found[column.name] = cell.value
        return found


def _checked(
    values: Sequence[Any],
    converted: _Converted,
    source: SourceQuery,
    convert: Callable[[Any], Any],
) -> list[Any]:
    """``convert`` applied to a column's values; a bad value names its row and id."""
    try:
        return list(map(convert, values))
    except _BadValue:
        for position, value in enumerate(values):
            try:
                convert(value)
            except _BadValue as problem:
                raise _row_error(converted, position, source, problem) from None
        raise


def _row_error(
    converted: _Converted, position: int, source: SourceQuery, problem: _BadValue
) -> SourceError:
    number = converted.numbers[position]
    if isinstance(problem, _BadId):
        return SourceError(f"row {number:,} of source {source.name} {problem}", "bad_value")
    ids = getattr(converted, "external_ids", None)
    where = f"row {number:,}" + (f" (id {_shown(ids[position])})" if ids else "")
    return SourceError(
        f"{where} of source {source.name}: {problem}: fix it at the source or convert it in "
        "the query",
        "bad_value",
    )


def _shown(external_id: str) -> str:
    return repr(external_id if len(external_id) <= 40 else external_id[:39] + "…")


class _Converter:
    """Converts rows of the query into records' columns."""

    def __init__(
        self,
        source: SourceQuery,
        layout: _Layout,
        columns: dict[str, _Column],
        options: dict[str, dict[str, None]],
        types: dict[str, PropertyType],
    ) -> None:
        self.source = source
        self.layout = layout
        self.columns = columns
        self.options = options
        # Every property type of the object type, shared with the writer: a column typed
        # late (blank throughout the sample) is added when its first value comes.
        self.types = types
        types.update({name: column.type for name, column in columns.items()})

    def id_of(self, value: object) -> str:
        if isinstance(value, str):
            text = value.strip()
            if text and len(text) <= MAX_EXTERNAL_ID_LENGTH and _NUL not in text:
                return text
        if _blank(value):
            shown = "NULL" if value is None else "blank"
            column = self.source.id_column
            raise _BadId(
                f"has no id ({column} is {shown}): leave those rows out of the query "
                f"(WHERE {column} IS NOT NULL)"
            )
        external_id = value if type(value) is str else _text_of(value)
        external_id = external_id.strip()
        if len(external_id) > MAX_EXTERNAL_ID_LENGTH or _NUL in external_id:
            raise _BadId(
                f"has an id longer than {MAX_EXTERNAL_ID_LENGTH} characters or with a NUL "
                "character: use another id column"
            )
        return external_id

    def name_of(self, value: object) -> str | None:
        return self._text("name", value, None)

    def owner_of(self, value: object) -> str | None:
        return self._text("owner", value, MAX_OWNER_LENGTH)

    def _text(self, what: str, value: object, limit: int | None) -> str | None:
        if isinstance(value, str):
            text = value.strip()
            if text and _NUL not in text and (limit is None or len(text) <= limit):
                return text
        if _blank(value):
            return None
        try:
            text = _text_of(value).strip()
        except InvalidValue as error:
            raise _BadValue(f"{what} {error}") from None
        if _NUL in text:
            raise _BadValue(f"{what} holds a NUL character, which cannot be stored")
        if limit is not None and len(text) > limit:
            raise _BadValue(f"{what} is longer than {limit} characters")
        return text

    def columns_for(self, values: Sequence[Sequence[Any]]) -> list[_Column]:
        """The typed columns, after typing those blank until now that have a value here."""
        for name, index in self.layout.properties.items():
            if name in self.columns:
                continue
            first = next((value for value in values[index] if not _blank(value)), None)
            if first is not None:
                column = _Column(name, index, narrowest(_fitting(first)), speculative=True)
                self.columns[name] = column
                self.types[name] = column.type
        return list(self.columns.values())

    def add_options(self, converted: _Converted) -> None:
        for column, cells in zip(converted.columns, converted.cells, strict=True):
            known = self.options.get(column.name)
            if known is None:
                continue
            for cell in cells:
                if cell is not None and cell.value not in known:
                    if len(known) >= MAX_ENUMERATION_OPTIONS:
                        raise SourceError(
                            f"{column.name} of source {self.source.name} has more than "
                            f"{MAX_ENUMERATION_OPTIONS} different values, too many for an "
                            "enumeration",
                            "bad_value",
                        )
                    known[str(cell.value)] = None


# Writing ------------------------------------------------------------------------------------


class _Writer:
    """Writes a snapshot batch by batch: rows whose digest a live record has are that
    record unchanged; the others are looked up by id, then inserted, updated or restored."""

    def __init__(
        self,
        session: Session,
        source: SourceQuery,
        converter_: _Converter,
        now: datetime,
    ) -> None:
        self.records = SnapshotRecords(session)
        self.source = source
        self.converter = converter_
        layout = converter_.layout
        self.columns = frozenset(layout.properties)
        self.names_given = layout.name_index is not None
        self.owners_given = layout.owner_index is not None
        self.salt = layout.salt
        self.digests = _digests if layout.digested is None else _server_digests
        self.now = now
        self.seen = SeenRecords.of(session, source.object_type_id)
        bind = session.get_bind()
        self.duplicate_key: tuple[type[Exception], ...] = (
            IntegrityError,
            bind.dialect.loaded_dbapi.IntegrityError,
        )
        # Live records by the digest they were written from; a row's digest found here is
        # taken out, so that whatever is left at the end was not in the snapshot.
        self.known, self.undigested = self.records.digests(source.object_type_id)
        # A type without a single record (removed ones included) gets only new records: no
        # lookups; an id repeated across batches then breaks the unique (type, id) index.
        self.empty = self.seen.high < self.seen.low
        self.insert: Callable[[Sequence[SyncedRecord]], None] = records_not_open
        self.inserting: list[str] = []  # the ids of the last new records written
        self.rows = 0
        self.added = self.changed = self.unchanged = 0
        # Rows to write (new or changed), kept until a batch of them is ready.
        self.pending_rows: list[tuple[Any, ...]] = []
        self.pending_digests: list[int] = []
        self.pending_numbers: list[int] = []

    def add(self, batch: Sequence[tuple[Any, ...]]) -> None:
        """Takes a batch of the query's rows: those a live record has the digest of are
        that record, unchanged; the others wait to be written, a full batch at a time."""
        first = self.rows + 1
        self.rows += len(batch)
        digests = self.digests(batch, self.salt)
        if self.known:
            pending = self._unmatched(digests)
            self.unchanged += len(batch) - len(pending)
            self.pending_rows += [batch[i] for i in pending]
            self.pending_digests += [digests[i] for i in pending]
            self.pending_numbers += [first + i for i in pending]
        else:
            self.pending_rows += batch
            self.pending_digests += digests
            self.pending_numbers += range(first, first + len(batch))
        if len(self.pending_rows) >= BATCH:
            self.flush()

    def _unmatched(self, digests: list[int]) -> list[int]:
        """The positions of the digests no live record has, taking the others out of
        ``known``: a record is matched once, and a row repeating an unchanged row is left
        to the lookup by id, which finds it named twice."""
        known = self.known
        matched = known.intersection(digests)
        known -= matched
        if len(set(digests)) < len(digests):  # a row repeated in this batch
            seen: set[int] = set()
            pending = []
            for position, digest in enumerate(digests):
                if digest not in matched or digest in seen:
                    pending.append(position)
                seen.add(digest)
            return pending
        return [position for position, digest in enumerate(digests) if digest not in matched]

    def flush(self) -> None:
        """Writes the rows waiting to be: one lookup and one statement of each kind for a
        batch of changes, however many batches of the query they came from."""
        if not self.pending_rows:
            return
        rows, digests, numbers = self.pending_rows, self.pending_digests, self.pending_numbers
        self.pending_rows, self.pending_digests, self.pending_numbers = [], [], []
        self._write(_Converted(rows, digests, numbers, self.converter))

    def _write(self, converted: _Converted) -> None:
        self.converter.add_options(converted)
        ids = converted.external_ids
        if len(set(ids)) < len(ids):
            raise self.repeated(next(i for i in ids if ids.count(i) > 1))
        stored = (
            {}
            if self.empty
            else self.records.existing_with_digests(self.source.object_type_id, ids)
        )
        members: list[str] | None = None
        folded: list[str] = []
        new: list[SyncedRecord] = []
        changed: list[SyncedUpdate] = []
        digested: list[tuple[int, int]] = []
        restored = 0
        for position, external_id in enumerate(ids):
            current = stored.get(external_id)
            digest = converted.digests[position]
            if current is None:
                if members is None:
                    members, folded = converted.members(), converted.folded_members()
                new.append(self._new(converted, position, members, folded[position]))
                continue
            self._claim(current, external_id)
            update = self._update(current, converted, position)
            if update is None:
                self.unchanged += 1
                digested.append((current.id, digest))
                continue
            changed.append(update)
            restored += current.deleted
        self.added += len(new) + restored
        self.changed += len(changed) - restored
        self.inserting = [row["external_id"] for row in new]
        self.insert(new)
        self.records.update_synced(changed, self.now)
        self.records.set_digests(digested)

    def _claim(self, current: SnapshotRecord, external_id: str) -> None:
        """Notes that the snapshot names this stored record; a second time is a repeated id."""
        if not self.seen.see(current.id):
            raise self.repeated(external_id)  # written from an earlier row of this sync
        if current.digest is not None and not current.deleted:
            if current.digest not in self.known:
                raise self.repeated(external_id)  # an earlier row matched its digest
            self.known.discard(current.digest)

    def inserted_before(self) -> str | None:
        """The id of the last batch that an earlier batch had inserted already, when the
        transaction can still be read (SQLite's; PostgreSQL names it in its error)."""
        if self.records.session.get_bind().dialect.name != "sqlite":
            return None
        found = self.records.existing_with_digests(self.source.object_type_id, self.inserting)
        # The batch's own rows written before the failing one exist too, with higher ids.
        return min(found, key=lambda external_id: found[external_id].id, default=None)

    def repeated(self, external_id: str | None) -> SourceError:
        which = "an id" if external_id is None else f"the id {_shown(external_id)}"
        return SourceError(
            f"the query of source {self.source.name} returns {which} "
            f"more than once: each record must be one row; make {self.source.id_column} "
            "unique in the query (GROUP BY it, or SELECT DISTINCT ON it)",
            "repeated_id",
        )

    def _new(
        self, converted: _Converted, position: int, members: list[str], folded: str
    ) -> SyncedRecord:
        external_id = converted.external_ids[position]
        return {
            "object_type_id": self.source.object_type_id,
            "external_id": external_id,
            "name": converted.names[position] or external_id,
            "owner": converted.owners[position],
            "properties": JSONText(members[position]),
            "folded": JSONText(folded),
            "created_at": self.now,
            "updated_at": self.now,
            "source_digest": converted.digests[position],
        }

    def _update(
        self, current: SnapshotRecord, converted: _Converted, position: int
    ) -> SyncedUpdate | None:
        # The query's columns replace those properties (NULL: now unknown); properties it
        # does not have (set by a workflow's set_property, say) stay.
        properties = converted.properties(position)
        kept = {k: v for k, v in current.properties.items() if k not in self.columns}
        if kept:
            properties = {**kept, **properties}
        name = converted.names[position]
        if name is None:
            name = converted.external_ids[position] if self.names_given else current.name
        owner = converted.owners[position] if self.owners_given else current.owner
        same = (name, owner, properties) == (current.name, current.owner, current.properties)
        if same and not current.deleted:
            return None
        return {
            "record_id": current.id,
            "name": name,
            "owner": owner,
            "properties": properties,
            "folded": folded_copy(properties, self.converter.types),
            "updated_at": self.now,
            "source_digest": converted.digests[position],
        }

    def absent(self) -> list[int]:
        """The live records the snapshot did not name, by row id: those whose digest no
        row had (looked up by digest), and those without one that no row named."""
        left = chain(
            self.records.ids_with_digests(self.source.object_type_id, self.known),
            self.undigested,
        )
        return sorted(record_id for record_id in left if not self.seen.seen(record_id))


def records_not_open(rows: Sequence[SyncedRecord]) -> None:
    raise RuntimeError("the writer's insert is set once the inserting block is open")


def _duplicate_key(error: Exception) -> str | None:
    """The external id a unique violation names, when the database says (PostgreSQL)."""
    detail = getattr(getattr(error, "diag", None), "message_detail", None) or ""
    found = re.search(r"\(object_type_id, external_id\)=\(\d+, (.*)\) already exists", detail)
    return found[1] if found else None


# The sync -----------------------------------------------------------------------------------


def read_snapshot(
    sessions: sessionmaker[Session],
    source: SourceQuery,
    environment: EnvironmentLookup,
    now: datetime,
    keep_alive: Callable[[], None] | None = None,
    clock: Clock | None = None,
) -> SyncReport:
    """Syncs ``source`` into its object type in one transaction; raises SourceError (and
    writes nothing) when it cannot. The values it replaces are kept until ``clock``'s
    instant just before it commits (None: until ``now``)."""
    started = time.perf_counter()
    url = source_url(source, environment)
    sync = _Sync(sessions, source, url, now, keep_alive or (lambda: None), clock)
    report = sync.single_read() or sync.three_reads()
    return SyncReport(
        rows=report.rows,
        added=report.added,
        changed=report.changed,
        unchanged=report.unchanged,
        removed=report.removed,
        seconds=time.perf_counter() - started,
        new_properties=report.new_properties,
        reads=sync.reads,
    )


@dataclass
class _Sync:
    sessions: sessionmaker[Session]
    source: SourceQuery
    url: str
    now: datetime
    keep_alive: Callable[[], None]
    clock: Clock | None = None
    reads: int = 0

    def single_read(self) -> SyncReport | None:
        """Reads and writes at once, the types of untyped columns guessed from a sample;
        None when a guess proved wrong (nothing is written then)."""
        self.reads += 1
        with source_rows(self.url, self.source) as rows:
            layout = _layout(rows.names, self.source, rows.digested)
            sample = _sample(rows.batches)
            guesses = _Inference(layout, rows.driver_types)
            for row in sample:
                guesses.add(row)
            with write_transaction(self.sessions) as session:
                declared = self._declared(session)
                columns = _typed_columns(layout, declared, rows.driver_types, guesses)
                speculative = any(name not in declared for name in guesses.columns)
                try:
                    with session.begin_nested() if speculative else _nothing():
                        batches = chain([sample] if sample else [], rows.batches)
                        return self._write(session, layout, declared, columns, batches)
                except _Speculation:
                    return None

    def three_reads(self) -> SyncReport:
        """Infers each untyped column's type from all its values, then writes."""
        self.reads += 1
        with source_rows(self.url, self.source) as rows:
            layout = _layout(rows.names, self.source, rows.digested)
            inference = _Inference(layout, rows.driver_types)
            for batch in rows.batches:
                for row in batch:
                    inference.add(row)
        inference.final = True
        self.reads += 1
        with source_rows(self.url, self.source) as rows:
            layout = _layout(rows.names, self.source, rows.digested)
            with write_transaction(self.sessions) as session:
                declared = self._declared(session)
                columns = _typed_columns(layout, declared, rows.driver_types, inference)
                try:
                    return self._write(session, layout, declared, columns, rows.batches)
                except _Speculation:
                    # A column blank throughout the first read has values in this one.
                    raise SourceChanged(
                        f"the rows of source {self.source.name} changed while it was read: "
                        "sync it again"
                    ) from None

    def _declared(self, session: Session) -> dict[str, PropertyType]:
        return ObjectTypeRepository(session).property_types(self.source.object_type_id)

    def _write(
        self,
        session: Session,
        layout: _Layout,
        declared: dict[str, PropertyType],
        columns: dict[str, _Column],
        batches: Iterable[Sequence[tuple[Any, ...]]],
    ) -> SyncReport:
        # The transaction commits long after self.now: a run enrolling meanwhile saw the
        # values this sync replaces, so they are kept until it writes.
        written_at = None if self.clock is None else self.clock.now
        with RecordVersions(session).stamped_when_written(self.now, written_at):
            return self._write_rows(session, layout, declared, columns, batches)

    def _write_rows(
        self,
        session: Session,
        layout: _Layout,
        declared: dict[str, PropertyType],
        columns: dict[str, _Column],
        batches: Iterable[Sequence[tuple[Any, ...]]],
    ) -> SyncReport:
        object_type_id = self.source.object_type_id
        object_types = ObjectTypeRepository(session)
        options = {
            name: dict.fromkeys(values)
            for name, values in object_types.enumeration_options(object_type_id).items()
            if name in columns
        }
        types = dict(declared)
        converter_ = _Converter(self.source, layout, columns, options, types)
        writer = _Writer(session, self.source, converter_, self.now)
        records = writer.records
        try:
            with records.bulk_writes(), records.inserting(one_copy=writer.empty) as insert:
                writer.insert = insert
                for batch in batches:
                    for start in range(0, len(batch), BATCH):
                        writer.add(batch[start : start + BATCH])
                    self.keep_alive()
                writer.flush()
        except writer.duplicate_key as error:
            raise writer.repeated(_duplicate_key(error) or writer.inserted_before()) from None
        planned = {name: column.type for name, column in columns.items()}
        object_types.declare(object_type_id, planned, options)
        removal = RecordRemoval(session)
        absent = writer.absent()
        if writer.rows == 0 and absent:
            # A table emptied for a reload, a query filtering everything out: far more often
            # a fault than a CRM without deals. Refused, so that runs still have records.
            raise SourceError(
                f"the query returned no rows, which would remove all {len(absent):,} records "
                f"it feeds: nothing was removed; check the query and its table, or, if the "
                f"source {self.source.name} is empty on purpose, remove it (sources remove) "
                "and then its records (records delete)",
                "empty_result",
            )
        removal.remove(absent, self.now)
        return SyncReport(
            rows=writer.rows,
            added=writer.added,
            changed=writer.changed,
            unchanged=writer.unchanged,
            removed=Removal(len(absent), removal.named(absent[:SHOWN])),
            seconds=0.0,
            new_properties={n: t for n, t in planned.items() if n not in declared},
        )


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _sample(batches: Iterator[Sequence[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    """The first SAMPLE_ROWS rows (whole batches of them)."""
    sample: list[tuple[Any, ...]] = []
    for batch in batches:
        sample.extend(batch)
        if len(sample) >= SAMPLE_ROWS:
            break
    return sample
