"""Imports records from a CSV or JSON Lines file: every row is validated and the types of new
properties inferred before anything counts as written, then records are upserted by external id.

The reference algorithm takes two passes: validate and infer, then write. As most files are
consistent, the import first tries one pass that writes while it validates, with the columns
and types guessed from a sample of the first rows, inside a savepoint. Any surprise (a value
that does not fit a guessed type, a column the sample did not show, a bad row when bad rows
must stop the import) rolls the savepoint back and the two passes run. Both paths give the
same result; the single pass only saves reading and converting every row twice.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, islice
from pathlib import Path
from typing import NamedTuple

from sqlalchemy.orm import Session

from bot.workflows.clock import Clock
from bot.workflows.fields import CREATED_AT, UPDATED_AT, built_in_name_problem
from bot.workflows.owners import owner_problem
from bot.workflows.problems import Problem, ProblemCode, file_message
from bot.workflows.record_files import (
    FileFormat,
    RecordFile,
    RecordFileError,
    SourceRow,
    column_name,
    detect_format,
    row_problem,
)
from bot.workflows.sources import FedType, refuse_fed_type
from bot.workflows.vocabulary import PropertyType
from storage.object_types import OBJECT_TYPE_NAME, ObjectTypeRepository, UnknownObjectType
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
    parse_datetime,
    parse_number,
    to_stored,
)
from storage.record_versions import RecordVersions
from storage.records import (
    DatedRecordUpdate,
    JSONText,
    NewRecord,
    RecordRepository,
    RecordUpdate,
    StoredRecord,
    json_member_key,
    json_scalar,
)

MAX_EXTERNAL_ID_LENGTH = 255
# Rows per round trip: large enough to amortize a statement, small enough that one batch
# of rows and their stored counterparts stays a few megabytes.
BATCH_SIZE = 2_000
# Rows read before the single pass guesses the file's columns and types.
SAMPLE_ROWS = 1_000
REPORTED_PROBLEMS = 100
# Limits that keep memory bounded whatever the file: an enumeration with thousands of
# options, or thousands of columns, is a mistake in the file rather than data.
MAX_ENUMERATION_OPTIONS = 1_000
MAX_COLUMNS = 1_000
_TEXT_ONLY = (PropertyType.STRING,)


class ImportOptionError(ValueError):
    """The options of an import contradict each other or the stored property types."""


class ImportConflict(RuntimeError):
    """Property types changed while the file was read; running the import again resolves it."""


def parse_property_type(option: str) -> tuple[str, PropertyType]:
    """Reads ``NAME=TYPE`` as given to ``--property-type``."""
    name, separator, type_name = option.partition("=")
    property_name = column_name(name)
    if not separator or not is_valid_property_name(property_name):
        raise ImportOptionError(
            f"--property-type {option!r}: use NAME=TYPE with NAME a property name "
            "(lower-case letters, digits and _)"
        )
    try:
        return property_name, PropertyType(type_name.strip().lower())
    except ValueError:
        known = ", ".join(t.value for t in PropertyType)
        raise ImportOptionError(
            f"--property-type {option!r}: {type_name!r} is not a type; use one of {known}"
        ) from None


@dataclass(frozen=True)
class ImportOptions:
    type_name: str
    id_column: str = "id"
    name_column: str = "name"
    owner_column: str = "owner"
    # Explicit types win over inference; the only way to declare an enumeration.
    property_types: Mapping[str, PropertyType] = field(default_factory=dict)
    file_format: FileFormat | None = None
    create_type: bool = False
    skip_invalid: bool = False
    batch_size: int = BATCH_SIZE
    # 0 turns the single pass off: what tests of the two-pass path use.
    sample_rows: int = SAMPLE_ROWS


@dataclass(frozen=True)
class BadRow:
    line: int
    problem: Problem
    # The cell the problem is in as files name it, when it is one cell's: "column 3
    # (note)", "key 'note'".
    column: str | None = None

    @property
    def reason(self) -> str:
        """The problem in file terms (a record file is its only surface)."""
        return file_message(self.problem)

    def __str__(self) -> str:
        where = f"line {self.line}, {self.column}" if self.column else f"line {self.line}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # The first REPORTED_PROBLEMS bad rows, in file order; ``rejected`` counts them all.
    problems: tuple[BadRow, ...] = ()
    # Properties this import declares, with their given or inferred types.
    new_properties: Mapping[str, PropertyType] = field(default_factory=dict)
    written: bool = False
    # Reads of the file: 1 when the single pass held; 2 for the two passes, plus 1 when a
    # single pass was tried and abandoned. What explains a slow import.
    passes: int = 0

    def summary(self) -> str:
        return (
            f"created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}, rejected {self.rejected}"
        )


def import_records(
    session: Session,
    team_id: str,
    path: Path,
    options: ImportOptions,
    now: datetime,
    clock: Clock | None = None,
) -> ImportReport:
    """Imports ``path`` into the object type ``options.type_name`` of ``team_id``.

    Nothing is written unless every row is valid or ``options.skip_invalid`` is set; the
    caller's transaction makes the writes all or nothing. The values it replaces are kept
    until ``clock``'s instant once the file is written (None: until ``now``): the caller
    commits then, not at ``now``. Raises RecordFileError for a file that cannot be read as
    a whole, UnknownObjectType and ImportOptionError for bad options.
    """
    object_types = ObjectTypeRepository(session)
    object_type_id = _find_object_type(object_types, team_id, options)
    if object_type_id is not None:
        try:
            refuse_fed_type(session, object_type_id, options.type_name, "importing a file")
        except FedType as fed:
            raise ImportOptionError(str(fed)) from None
    columns = _Columns.of(options)
    declared = object_types.property_types(object_type_id) if object_type_id else {}
    file_format = detect_format(path, options.file_format)
    run = _Import(
        session=session,
        team_id=team_id,
        options=options,
        now=now,
        source=RecordFile(path, file_format, columns.special, _required(columns, file_format)),
        columns=columns,
        declared=declared,
        known=_known_types(declared, options.property_types, columns),
        object_type_id=object_type_id,
    )
    written_at = None if clock is None else clock.now
    with (
        RecordVersions(session).stamped_when_written(now, written_at),
        RecordRepository(session).bulk_writes(),
        _objects_so_far_frozen(),
    ):
        return run.single_pass() or run.two_passes()


@contextmanager
def _objects_so_far_frozen() -> Iterator[None]:
    """Keeps Python's cyclic garbage collector off the objects that exist before the import.

    An import keeps a batch of rows alive at a time, and every few batches their survivors
    trigger a full collection, which walks every object of the process (the SQLAlchemy
    models, the migrations): a quarter of a million-row import's time. Frozen, those are
    skipped; the rows themselves are still collected as usual. Process-wide, like the
    collector: unfrozen afterwards, they are collected again from the next collection on.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _find_object_type(
    object_types: ObjectTypeRepository, team_id: str, options: ImportOptions
) -> int | None:
    """The id of the object type to import into, or None when it is to be created."""
    found = object_types.find(team_id, options.type_name)
    if found is None and not options.create_type:
        raise UnknownObjectType(options.type_name, object_types.names(team_id))
    if found is None and OBJECT_TYPE_NAME.fullmatch(options.type_name) is None:
        # Checked now, as creating the type waits until the file proved valid.
        raise ImportOptionError(
            f"{options.type_name!r} is not a valid object type name: "
            "use lower-case letters, digits and _, starting with a letter"
        )
    return found.id if found else None


@dataclass(frozen=True)
class _Columns:
    """The normalized names of the columns that are not properties."""

    id: str
    name: str
    owner: str
    special: frozenset[str]

    @classmethod
    def of(cls, options: ImportOptions) -> _Columns:
        names = [column_name(c) for c in (options.id_column, options.name_column)]
        owner = column_name(options.owner_column)
        # created_at and updated_at, when a file has them, are the records' own dates.
        special = frozenset((*names, owner, CREATED_AT, UPDATED_AT))
        return cls(names[0], names[1], owner, special)


def _required(columns: _Columns, file_format: FileFormat) -> frozenset[str]:
    # A CSV header without the id column is one file-level error, not a bad row per line;
    # in JSON Lines each line names its own keys, so a missing id is that line's problem.
    return frozenset((columns.id,)) if file_format is FileFormat.CSV else frozenset()


def _known_types(
    declared: Mapping[str, PropertyType],
    explicit: Mapping[str, PropertyType],
    columns: _Columns,
) -> dict[str, PropertyType]:
    for name, property_type in explicit.items():
        if name in columns.special - {CREATED_AT, UPDATED_AT}:
            raise ImportOptionError(
                f"--property-type {name}: {name} is the id, name or owner column, not a property"
            )
        if (problem := built_in_name_problem(name)) is not None:
            raise ImportOptionError(f"--property-type {name}: {problem}")
        if name in declared and declared[name] is not property_type:
            raise ImportOptionError(
                f"{name} is already {_article(declared[name])} property and a property's type "
                "never changes; import it as a new property under another name"
            )
    return {**declared, **explicit}


class _SpeculationFailed(Exception):
    """The single pass met something its sample did not predict: the two passes take over."""


class _RowProblem(ValueError):
    """Why one row cannot be imported; reported with its line number, and its cell when
    ``column`` names one."""

    def __init__(self, problem: Problem, column: str | None = None) -> None:
        super().__init__(file_message(problem))
        self.problem = problem
        self.column = column


class _FirstLines:
    """The line of the first good row of each id, which a later row with that id repeats.

    A file says what each record is once: two rows for one id would leave the record as the
    later one says, with both counted (as created and updated) and the earlier row's values
    silently lost. The later row is a bad row instead. Holding every id costs about 120 bytes
    a row (300,000 rows raised an import's peak from 156 to 191 MB): for a million rows,
    still within the 300 MB the import is held to.
    """

    def __init__(self) -> None:
        self.lines: dict[str, int] = {}

    def repeat(self, row: _Row) -> _RowProblem | None:
        """The problem of ``row`` when an earlier good row had its id; else remembers it."""
        first = self.lines.setdefault(row.external_id, row.line)
        if first == row.line:
            return None
        words = (
            f"the id {_shown_id(row.external_id)} is also on line {first}: a file holds each "
            "record once; merge the two rows or remove one"
        )
        return _RowProblem(row_problem(ProblemCode.DUPLICATE, words))


def _shown_id(external_id: str) -> str:
    return repr(external_id if len(external_id) <= 40 else external_id[:39] + "…")


@dataclass
class _Import:
    """One import's setting, and the two ways to run it."""

    session: Session
    team_id: str
    options: ImportOptions
    now: datetime
    source: RecordFile
    columns: _Columns
    declared: dict[str, PropertyType]
    known: dict[str, PropertyType]
    object_type_id: int | None
    passes: int = 0

    def single_pass(self) -> ImportReport | None:
        """Writes while validating, with types guessed from a sample; None if that failed."""
        if self.options.sample_rows <= 0:
            return None
        self.passes += 1
        with closing(self.source.rows()) as rows:
            sample_rows = list(islice(rows, self.options.sample_rows))
            sample = _Validator(self.columns, self.known)
            for row in sample_rows:
                sample.check(row)
            if sample.rejected and not self.options.skip_invalid:
                return None  # nothing will be written: the two passes report every bad row
            try:
                with self.session.begin_nested():
                    return self._write_speculatively(chain(sample_rows, rows), sample)
            except _SpeculationFailed:
                return None

    def _write_speculatively(self, rows: Iterable[SourceRow], sample: _Validator) -> ImportReport:
        validator = _Validator.following(sample, stop_at_bad_row=not self.options.skip_invalid)
        object_type_id = self._target()
        writer = self._writer(object_type_id, validator.types, validator.plan())
        for row in rows:
            parsed = validator.check(row)
            if parsed is not None:
                writer.add(parsed)
        writer.finish()
        self._declare(object_type_id, validator)
        return self._report(validator, writer)

    def two_passes(self) -> ImportReport:
        self.passes += 1
        validator = _Validator(self.columns, self.known)
        with closing(self.source.rows()) as rows:
            for row in rows:
                validator.check(row)
        validator.first_lines = _FirstLines()  # the second pass finds the same repeats again
        if validator.rejected and not self.options.skip_invalid:
            return self._report(validator, None)
        object_type_id = self._target()
        types = self._declare(object_type_id, validator)
        writer = self._writer(object_type_id, types, validator.plan())
        typed = _typed_columns(types)
        self.passes += 1
        read = rejected = 0
        first_lines = _FirstLines()
        with closing(self.source.rows()) as rows:
            for row in rows:
                read += 1
                try:
                    parsed = _parse(row, self.columns, typed)
                except _RowProblem:
                    rejected += 1  # reported by the first pass
                    continue
                if first_lines.repeat(parsed) is not None:
                    rejected += 1
                    continue
                writer.add(parsed)
        writer.finish()
        if (read, rejected) != (validator.rows, validator.rejected):
            raise RecordFileError(
                f"{self.source.path.name} changed while it was imported; nothing was written"
            )
        return self._report(validator, writer)

    def _target(self) -> int:
        """The object type's id, creating the type now that the file is to be written."""
        if self.object_type_id is not None:
            return self.object_type_id
        object_types = ObjectTypeRepository(self.session)
        return object_types.create_custom(self.team_id, self.options.type_name, self.now).id

    def _writer(
        self, object_type_id: int, types: dict[str, PropertyType], plan: _FilePlan
    ) -> _Writer:
        records = RecordRepository(self.session)
        return _Writer(records, object_type_id, types, plan, self.now, self.options.batch_size)

    def _declare(self, object_type_id: int, validator: _Validator) -> dict[str, PropertyType]:
        """Declares the file's properties; returns every property type of the object type."""
        object_types = ObjectTypeRepository(self.session)
        planned = validator.planned_types()
        object_types.declare(object_type_id, planned, validator.options)
        types = object_types.property_types(object_type_id)
        changed = sorted(name for name, t in planned.items() if types.get(name) is not t)
        if changed:
            raise ImportConflict(
                f"the types of {', '.join(changed)} changed while the file was read; "
                "nothing was written: run the import again"
            )
        return types

    def _report(self, validator: _Validator, writer: _Writer | None) -> ImportReport:
        planned = validator.planned_types()
        return ImportReport(
            created=writer.created if writer else 0,
            updated=writer.updated if writer else 0,
            unchanged=writer.unchanged if writer else 0,
            rejected=validator.rejected,
            problems=tuple(validator.problems),
            new_properties={n: t for n, t in planned.items() if n not in self.declared},
            written=writer is not None,
            passes=self.passes,
        )


class _Cell(NamedTuple):
    """One cell's stored value with its case-folded copy (text types only), each also as
    the ``"name":value`` member of the JSON object the record's columns are written as."""

    value: StoredValue
    member: str
    folded: str | None
    folded_member: str


class _TypedColumn:
    """Converts the texts of one column of a known type, remembering recent conversions.

    Most columns repeat a few values (stages, booleans, dates); the memo turns their
    conversion (and JSON encoding, and case folding) into one dict lookup, and its size
    limit keeps a unique column from growing it. A speculative column's type is a guess:
    a value that does not fit proves the guess wrong.
    """

    MEMO_SIZE = 512
    __slots__ = ("convert", "is_text", "key", "memo", "name", "speculative", "type")

    def __init__(self, name: str, property_type: PropertyType, speculative: bool = False) -> None:
        self.name = name
        self.type = property_type
        self.speculative = speculative
        self.is_text = property_type.is_text
        self.convert = _number if property_type is PropertyType.NUMBER else converter(property_type)
        self.key = json_member_key(name)
        self.memo: dict[str, _Cell] = {}

    def cell(self, text: str) -> _Cell:
        """The cell of a non-blank text."""
        cell = self.memo.get(text)
        if cell is None:
            cell = self._convert(text)
            if len(self.memo) < self.MEMO_SIZE:
                self.memo[text] = cell
        return cell

    def _convert(self, text: str) -> _Cell:
        if self.is_text:
            folded = fold(text)
            return _Cell(text, self.key + json_scalar(text), folded, self.key + json_scalar(folded))
        try:
            value = self.convert(text)
        except InvalidValue as error:
            if self.speculative:
                raise _SpeculationFailed(self.name) from None
            words = (
                f"{self.name} {error} ({self.name} is {_article(self.type)} property)"
                + _decimal_comma_hint(self.type, text)
            )
            raise _RowProblem(row_problem(ProblemCode.BAD_VALUE, words, self.name)) from None
        return _Cell(value, self.key + json_scalar(value), None, "")


# A spreadsheet saved where the comma is the decimal mark writes 5400,50 (and separates
# the columns with semicolons, which the file reader understands).
_DECIMAL_COMMA = re.compile(r"-?[0-9]+,[0-9]+")


def _decimal_comma_hint(property_type: PropertyType, text: str) -> str:
    if property_type is PropertyType.NUMBER and _DECIMAL_COMMA.fullmatch(text.strip()):
        return f": write the decimal mark as a point ({text.strip().replace(',', '.')})"
    return ""


# Whole numbers as most files write them: what parse_number returns for them, at a
# fraction of its cost (amounts rarely repeat enough for the memo). Up to 15 digits is
# within parse_number's exact limit of 2^53; anything else goes to parse_number.
_PLAIN_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]{0,14})")


def _number(text: object) -> StoredValue:
    if isinstance(text, str) and _PLAIN_INTEGER.fullmatch(text) is not None:
        return int(text)
    return parse_number(text)


def _typed_columns(types: Mapping[str, PropertyType]) -> dict[str, _TypedColumn]:
    return {name: _TypedColumn(name, property_type) for name, property_type in types.items()}


def _article(property_type: PropertyType) -> str:
    return f"an {property_type}" if property_type[0] in "aeiou" else f"a {property_type}"


@dataclass(slots=True)
class _Row:
    line: int
    external_id: str
    name: str | None
    owner: str | None
    properties: dict[str, StoredValue]
    # Case-folded copies of the text properties (storage.properties.folded_copy).
    folded: dict[str, str]
    # Texts of columns without a type yet: what the first pass infers types from.
    untyped: dict[str, str]
    # The members of the JSON objects of properties and folded: a new record is written
    # from them, which saves encoding every value again (see _TypedColumn).
    members: list[str]
    folded_members: list[str]
    # The file's created_at and updated_at of the record, when it gives them.
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def add(self, column: str, cell: _Cell) -> None:
        value, member, folded_value, folded_member = cell
        self.properties[column] = value
        self.members.append(member)
        if folded_value is not None:
            self.folded[column] = folded_value
            self.folded_members.append(folded_member)


def _parse(row: SourceRow, columns: _Columns, typed: Mapping[str, _TypedColumn]) -> _Row:
    """Validates one row and converts the values of typed columns to their stored form."""
    if row.problem is not None:
        raise _RowProblem(row.problem, row.column)
    cells = row.cells
    external_id = cells.get(columns.id, "").strip()
    if not external_id:
        words = f"has no id ({columns.id} is empty or missing)"
        raise _RowProblem(row_problem(ProblemCode.MISSING, words, columns.id))
    if len(external_id) > MAX_EXTERNAL_ID_LENGTH:
        words = f"the id is longer than {MAX_EXTERNAL_ID_LENGTH} characters"
        raise _RowProblem(row_problem(ProblemCode.TOO_LONG, words, columns.id))
    owner = cells.get(columns.owner, "").strip() or None
    # A Slack user id, an email, or any other text: kept as written, resolved when needed.
    if owner is not None and (problem := owner_problem(owner)) is not None:
        refused = row_problem(ProblemCode.NOT_A_PERSON, problem, columns.owner)
        raise _RowProblem(refused, f"column {columns.owner!r}")
    properties: dict[str, StoredValue] = {}
    folded: dict[str, str] = {}
    untyped: dict[str, str] = {}
    members: list[str] = []
    folded_members: list[str] = []
    special = columns.special
    for column, text in cells.items():
        # A blank cell is an unknown value, never an empty string.
        if not text or column in special:
            continue
        typed_column = typed.get(column)
        if typed_column is None:
            if not text.isspace():
                untyped[column] = text
            continue
        # Only non-blank texts are remembered: a hit needs no blank check.
        cell = typed_column.memo.get(text)
        if cell is None:
            if text.isspace():
                continue
            cell = typed_column.cell(text)
        # _Row.add, inlined: this loop runs for every cell of the file. A tuple unpacks
        # faster than its fields are read by name.
        value, member, folded_value, folded_member = cell
        properties[column] = value
        members.append(member)
        if folded_value is not None:
            folded[column] = folded_value
            folded_members.append(folded_member)
    name = cells.get(columns.name, "").strip() or None
    return _Row(
        row.line,
        external_id,
        name,
        owner,
        properties,
        folded,
        untyped,
        members,
        folded_members,
        _instant(cells, CREATED_AT),
        _instant(cells, UPDATED_AT),
    )


def _instant(cells: Mapping[str, str], column: str) -> datetime | None:
    """The record's own date in ``column`` (created_at, updated_at); None when blank."""
    text = cells.get(column, "").strip()
    if not text:
        return None
    try:
        return parse_datetime(text)
    except InvalidValue as error:
        words = (
            f"{column} {error}: the record's {column.replace('_at', '')} date needs a date and "
            "time with a UTC offset, such as 2026-03-01T09:00:00Z"
        )
        problem = row_problem(ProblemCode.NOT_A_DATE, words, column)
        raise _RowProblem(problem, f"column {column!r}") from None


@dataclass(frozen=True)
class _FilePlan:
    """What the file as a whole says, which decides how an existing record is updated."""

    property_columns: frozenset[str]
    names_given: bool
    owners_given: bool
    created_given: bool = False
    updated_given: bool = False


class _Inference:
    """The inferable types that every value of one new column so far fits."""

    __slots__ = ("candidates", "checked")

    def __init__(self) -> None:
        self.candidates: tuple[PropertyType, ...] = INFERENCE_ORDER
        # Texts known to fit every remaining candidate (candidates only ever shrink).
        self.checked: set[str] = set()

    def add(self, text: str) -> None:
        if self.candidates == _TEXT_ONLY or text in self.checked:
            return
        self.candidates = tuple(
            t for t in self.candidates if t is PropertyType.STRING or _fits(text, t)
        )
        if len(self.checked) < _TypedColumn.MEMO_SIZE:
            self.checked.add(text)

    def type(self) -> PropertyType:
        return narrowest(frozenset(self.candidates))


def _fits(text: str, property_type: PropertyType) -> bool:
    try:
        to_stored(text, property_type)
    except InvalidValue:
        return False
    return True


class _Validator:
    """Checks rows one at a time: collects the bad rows, the file's columns and enumeration
    options, and the types of new columns.

    Without ``speculated`` types it infers each new column's type from all its values. With
    them (the single pass) the columns are fixed to those the sample showed and each new
    column's type is a guess to be held to; a surprise raises _SpeculationFailed.
    """

    def __init__(
        self,
        columns: _Columns,
        known: Mapping[str, PropertyType],
        speculated: Mapping[str, PropertyType] | None = None,
        stop_at_bad_row: bool = False,
    ) -> None:
        self.columns = columns
        self.speculative = speculated is not None
        self.stop_at_bad_row = stop_at_bad_row
        # Every type the rows are held to; grows as the single pass guesses late columns.
        self.types: dict[str, PropertyType] = {**known, **(speculated or {})}
        self.typed = _typed_columns(known)
        for name, property_type in (speculated or {}).items():
            if name not in known:
                self.typed[name] = _TypedColumn(name, property_type, speculative=True)
        self.known = known
        self.inferences: dict[str, _Inference] = {}
        # Columns of good rows in first-seen order (JSON Lines: the union of their keys);
        # the single pass takes them from its sample and allows no others.
        self.seen: dict[str, None] = {}
        self.rows = self.rejected = 0
        self.problems: list[BadRow] = []
        self.first_lines = _FirstLines()
        self.options: dict[str, dict[str, None]] = {
            name: {} for name, t in self.types.items() if t is PropertyType.ENUMERATION
        }

    @classmethod
    def following(cls, sample: _Validator, stop_at_bad_row: bool) -> _Validator:
        """A single-pass validator held to the columns and types ``sample`` saw."""
        validator = cls(
            sample.columns, sample.known, sample.planned_types(), stop_at_bad_row=stop_at_bad_row
        )
        validator.seen = dict(sample.seen)
        return validator

    def check(self, row: SourceRow) -> _Row | None:
        """The parsed row, or None for a bad row (which is recorded)."""
        self.rows += 1
        try:
            parsed = _parse(row, self.columns, self.typed)
        except _RowProblem as problem:
            self._reject(row.line, problem.problem, problem.column)
            return None
        # Before the row counts for the file's columns and types: a repeat is not imported.
        if (repeat := self.first_lines.repeat(parsed)) is not None:
            self._reject(row.line, repeat.problem)
            return None
        if not self.seen.keys() >= row.cells.keys():
            self._see(row)
        for column, text in parsed.untyped.items():
            self._untyped(parsed, column, text)
        for column, options in self.options.items():
            value = parsed.properties.get(column)
            if value is not None and value not in options:
                self._add_option(row.line, column, options, str(value))
        return parsed

    def _reject(self, line: int, problem: Problem, column: str | None = None) -> None:
        if self.stop_at_bad_row and self.speculative:
            # Nothing will be written: the first pass of the two reports every bad row.
            raise _SpeculationFailed(file_message(problem))
        self.rejected += 1
        if len(self.problems) < REPORTED_PROBLEMS:
            self.problems.append(BadRow(line, problem, column))

    def _see(self, row: SourceRow) -> None:
        if self.speculative:
            raise _SpeculationFailed(f"line {row.line} has columns its sample did not show")
        for column in row.cells.keys() - self.seen.keys() - self.columns.special:
            if built_in_name_problem(column) is not None:
                # Only id, name and owner get here: created_at and updated_at are special.
                raise RecordFileError(
                    f"the column {column!r} (first on line {row.line}) would be a property "
                    f"named like the built-in field {column} of every record; rename the "
                    f"column, or make it the records' {column} with --{column}-column {column}"
                )
        self.seen.update(dict.fromkeys(row.cells))
        if len(self.seen) > MAX_COLUMNS:
            raise RecordFileError(
                f"line {row.line}: the file has more than {MAX_COLUMNS} columns; "
                "split it or drop the columns that are not record properties"
            )

    def _untyped(self, parsed: _Row, column: str, text: str) -> None:
        if not self.speculative:
            inference = self.inferences.get(column)
            if inference is None:
                inference = self.inferences[column] = _Inference()
            inference.add(text)
            return
        # A column the sample showed only blank: guess its type from its first value.
        guess = narrowest(fitting_types(text))
        self.types[column] = guess
        typed = self.typed[column] = _TypedColumn(column, guess, speculative=True)
        parsed.add(column, typed.cell(text))

    @staticmethod
    def _add_option(line: int, column: str, options: dict[str, None], value: str) -> None:
        if len(options) >= MAX_ENUMERATION_OPTIONS:
            raise RecordFileError(
                f"line {line}: {column} has more than {MAX_ENUMERATION_OPTIONS} different "
                f"values; declare it a string with --property-type {column}=string"
            )
        options[value] = None

    def planned_types(self) -> dict[str, PropertyType]:
        """The type of each property column of the file: declared, given, inferred or guessed.

        A new column without a single value gets no type: there is nothing to infer from.
        """
        planned: dict[str, PropertyType] = {}
        for column in self.seen:
            if column in self.columns.special:
                continue
            if column in self.types:
                planned[column] = self.types[column]
            elif column in self.inferences:
                planned[column] = self.inferences[column].type()
        return planned

    def plan(self) -> _FilePlan:
        return _FilePlan(
            property_columns=frozenset(self.seen) - self.columns.special,
            names_given=self.columns.name in self.seen,
            owners_given=self.columns.owner in self.seen,
            created_given=CREATED_AT in self.seen,
            updated_given=UPDATED_AT in self.seen,
        )


class _Writer:
    """Upserts good rows batch by batch and counts what happened to each."""

    def __init__(
        self,
        records: RecordRepository,
        object_type_id: int,
        types: dict[str, PropertyType],
        plan: _FilePlan,
        now: datetime,
        batch_size: int,
    ) -> None:
        self.records = records
        self.object_type_id = object_type_id
        # Shared with the single pass's validator, which adds the types it guesses late.
        self.types = types
        self.plan = plan
        self.now = now
        self.batch_size = batch_size
        self.batch: dict[str, _Row] = {}
        self.created = self.updated = self.unchanged = 0

    def add(self, row: _Row) -> None:
        # Ids are unique among the rows added (_FirstLines refuses repeats), so no
        # statement touches a record twice.
        if len(self.batch) >= self.batch_size:
            self.finish()
        self.batch[row.external_id] = row

    def finish(self) -> None:
        """Writes the rows still batched."""
        if not self.batch:
            return
        stored = self.records.existing(self.object_type_id, self.batch.keys())
        new: list[NewRecord] = []
        changed: list[RecordUpdate] = []
        for row in self.batch.values():
            current = stored.get(row.external_id)
            if current is None:
                new.append(self._new(row))
            elif (update := self._update(current, row)) is not None:
                changed.append(update)
        self.created += len(new)
        self.updated += len(changed)
        self.unchanged += len(self.batch) - len(new) - len(changed)
        self.records.insert_many(new)
        self.records.update_many(changed, self.now)
        self.batch = {}

    def _new(self, row: _Row) -> NewRecord:
        # A literal: calling the TypedDict class costs twice as much, once per row.
        return {
            "object_type_id": self.object_type_id,
            "external_id": row.external_id,
            "name": row.name or row.external_id,
            "owner": row.owner,
            "properties": JSONText("{" + ",".join(row.members) + "}"),
            "folded": JSONText("{" + ",".join(row.folded_members) + "}"),
            "created_at": row.created_at or self.now,
            "updated_at": row.updated_at or self.now,
        }

    def _update(self, current: StoredRecord, row: _Row) -> RecordUpdate | None:
        """The changes ``row`` makes to ``current``, or None when it changes nothing."""
        # The file's columns replace those properties (blank: now unknown); others stay.
        kept = {
            name: value
            for name, value in current.properties.items()
            if name not in self.plan.property_columns
        }
        properties = {**kept, **row.properties} if kept else row.properties
        if row.name is not None:
            name = row.name
        else:
            name = row.external_id if self.plan.names_given else current.name
        owner = row.owner if self.plan.owners_given else current.owner
        unchanged = (name, owner, properties) == (current.name, current.owner, current.properties)
        # A blank date keeps the record's own; a date the file gives is a change of its own.
        created_at = row.created_at or current.created_at
        dates_unchanged = created_at == current.created_at and row.updated_at in (
            None,
            current.updated_at,
        )
        if unchanged and dates_unchanged and not current.deleted:
            return None  # a removed record comes back when imported
        update = RecordUpdate(
            record_id=current.id,
            name=name,
            owner=owner,
            properties=properties,
            folded=folded_copy(properties, self.types),
            updated_at=row.updated_at or self.now,
        )
        if not self.plan.created_given or created_at is None:
            return update
        return DatedRecordUpdate(**update, created_at=created_at)
