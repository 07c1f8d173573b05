"""Reads record files (CSV or JSON Lines) as a stream of flat rows of text keyed by column name.

A file is read line by line and can be read again (imports take two passes), so memory stays
bounded whatever the file's size. Problems of one row travel with the row; problems of the
whole file (its header, its encoding) raise ``RecordFileError``. Text neither database can
store (NUL characters, unpaired surrogates) is a problem of its row, found here so that both
databases see the same rows.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Collection, Generator, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

from bot.workflows.problems import Problem, ProblemCode
from bot.workflows.readable import plural
from storage.properties import is_valid_property_name, normalize_property_name


class FileFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


EXTENSIONS = {".csv": FileFormat.CSV, ".jsonl": FileFormat.JSONL, ".ndjson": FileFormat.JSONL}
# One JSON line is one record: a million characters is far more than any record's values
# (a CSV cell is limited to 131,072 by the csv module).
MAX_JSON_LINE_CHARS = 1_000_000
# NUL, which neither database stores in text, and UTF-16 surrogates without their pair,
# which are not text at all. A CSV cell can only hold NUL (the UTF-8 decoder refuses encoded
# surrogates); JSON makes both from \u0000 and \ud800 escapes.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class RecordFileError(ValueError):
    """The file as a whole cannot be imported; the message says where and why."""


class UnknownFileFormat(ValueError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"Cannot tell the format of {path.name!r} from its extension: "
            "name it .csv, .jsonl or .ndjson, or pass --format csv|jsonl."
        )


def detect_format(path: Path, explicit: FileFormat | None = None) -> FileFormat:
    if explicit is not None:
        return explicit
    try:
        return EXTENSIONS[path.suffix.lower()]
    except KeyError:
        raise UnknownFileFormat(path) from None


class SourceRow(NamedTuple):
    """One row as read: column name -> text, where blank text means unknown.

    ``problem`` is set when the row could not be read at all (bad JSON, wrong cell count,
    text that cannot be stored), with ``column`` naming the cell as files do when it is one
    cell's ("column 3 (note)", "key 'note'"). A named tuple because a million of them are
    built per import and it is the cheapest.
    """

    line: int
    cells: dict[str, str]
    problem: Problem | None = None
    column: str | None = None


def row_problem(code: ProblemCode, words: str, key: str | None = None) -> Problem:
    """A problem of one row, about its cell ``key`` when it is one cell's; ``words`` are
    its file wording, which record files are the only surface of."""
    return Problem(() if key is None else (key,), code, words)


def column_name(header: str) -> str:
    """The name a header or JSON key stands for (``Close Date`` -> ``close_date``)."""
    return _cached_column_name(header)


# JSON Lines repeat the same few keys on every line; normalizing each one again would
# dominate the read. The cache is bounded, so a file of ever-new keys cannot grow it.
@lru_cache(maxsize=4096)
def _cached_column_name(header: str) -> str:
    return normalize_property_name(header)


def invalid_name_message(original: str, what: str = "column") -> str:
    return (
        f"{what} {original!r} is not a valid property name: use lower-case letters, digits "
        "and _, starting with a letter, at most 63 characters"
    )


@dataclass(frozen=True)
class RecordFile:
    """A CSV or JSON Lines file of records; ``rows()`` reads it from the start each time.

    ``special_columns`` (the id, name and owner columns, already normalized) are exempt from
    the property-name rules because they never become properties; a CSV header must name
    every one of ``required_columns``.
    """

    path: Path
    file_format: FileFormat
    special_columns: Collection[str] = frozenset()
    required_columns: Collection[str] = frozenset()

    def rows(self) -> Generator[SourceRow, None, None]:
        try:
            if self.file_format is FileFormat.CSV:
                yield from self._csv_rows()
            else:
                yield from self._jsonl_rows()
        except UnicodeDecodeError as error:
            raise RecordFileError(
                f"{self.path.name} is not UTF-8 text (byte {error.start} of a read block): "
                "save it as UTF-8 and import it again"
            ) from None

    def _csv_rows(self) -> Iterator[SourceRow]:
        # utf-8-sig drops the byte-order mark spreadsheet programs put before the header.
        with self.path.open(encoding="utf-8-sig", newline="") as stream:
            first_line = stream.readline()
            nul_lines: list[None] = []
            # An empty file has no first line: then no row at all, as before the header was read.
            lines = _noting_nul(chain([first_line] if first_line else [], stream), nul_lines)
            reader = csv.reader(lines, delimiter=header_delimiter(first_line))
            try:
                header = next(reader, None)
                if header is None:
                    raise RecordFileError(
                        f"{self.path.name} is empty: its first line must name the columns"
                    )
                named, unnamed = _named_header(header)
                columns = self._header_columns(named)
                width = len(columns)
                previous_end = reader.line_num
                nul_lines.clear()
                for cells in reader:
                    # A quoted cell may span lines: a row starts after the previous one ended.
                    line, previous_end = previous_end + 1, reader.line_num
                    if not cells:
                        continue
                    if (misfit := _width_problem(cells, width, unnamed)) is not None:
                        nul_lines.clear()
                        yield SourceRow(line, {}, *misfit)
                        continue
                    if nul_lines:  # rare: the cells are searched only then
                        nul_lines.clear()
                        if (found := _unstorable_cell(line, columns, cells)) is not None:
                            yield found
                            continue
                    yield SourceRow(line, dict(zip(columns, cells, strict=False)))
            except csv.Error as error:
                raise RecordFileError(f"line {reader.line_num}: {error}") from None

    def _header_columns(self, header: list[str]) -> list[str]:
        columns: list[str] = []
        first_seen: dict[str, str] = {}
        for number, original in enumerate(header, start=1):
            if not original.strip():
                raise RecordFileError(
                    f"line 1: column {number} has no name: name it in the header, or remove "
                    "the column"
                )
            name = column_name(original)
            if name in first_seen:
                raise RecordFileError(
                    f"line 1: columns {first_seen[name]!r} and {original!r} both name {name!r}"
                )
            if name not in self.special_columns and not is_valid_property_name(name):
                raise RecordFileError(f"line 1: {invalid_name_message(original)}")
            first_seen[name] = original
            columns.append(name)
        for required in self.required_columns:
            if required not in first_seen:
                raise RecordFileError(
                    f"line 1: there is no {required!r} column (columns: "
                    f"{', '.join(header)}); name the id column with --id-column"
                )
        return columns

    def _jsonl_rows(self) -> Iterator[SourceRow]:
        with self.path.open(encoding="utf-8-sig") as stream:
            line = 0
            while text := stream.readline(MAX_JSON_LINE_CHARS + 1):
                line += 1
                if len(text) > MAX_JSON_LINE_CHARS:
                    while text and not text.endswith("\n"):  # the rest of the line, unkept
                        text = stream.readline(MAX_JSON_LINE_CHARS)
                    words = (
                        f"is longer than {MAX_JSON_LINE_CHARS:,} characters: a record's "
                        "values are far shorter; check that the file is JSON Lines"
                    )
                    yield SourceRow(line, {}, row_problem(ProblemCode.TOO_LONG, words))
                    continue
                if text.isspace():
                    continue
                yield self._json_row(line, text)

    def _json_row(self, line: int, text: str) -> SourceRow:
        try:
            document = json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as error:
            words = f"is not valid JSON ({error.msg} at column {error.colno})"
            return SourceRow(line, {}, row_problem(ProblemCode.NOT_VALID, words))
        except ValueError as error:
            words = f"is not valid JSON ({error})"
            return SourceRow(line, {}, row_problem(ProblemCode.NOT_VALID, words))
        except RecursionError:
            words = "nests arrays or objects too deeply: a record is flat"
            return SourceRow(line, {}, row_problem(ProblemCode.NOT_VALID, words))
        if not isinstance(document, dict):
            words = "is not a JSON object"
            return SourceRow(line, {}, row_problem(ProblemCode.NOT_A_MAPPING, words))
        # NUL and surrogates reach a JSON string only through \u escapes: most lines have none.
        escaped = "\\u" in text
        cells: dict[str, str] = {}
        first_seen: dict[str, str] = {}
        for key, value in document.items():
            name = column_name(key)
            if name in first_seen:
                words = f"keys {first_seen[name]!r} and {key!r} both name {name!r}"
                return SourceRow(line, {}, row_problem(ProblemCode.BOTH_GIVEN, words, key))
            if name not in self.special_columns and not is_valid_property_name(name):
                words = invalid_name_message(key, "key")
                return SourceRow(line, {}, row_problem(ProblemCode.NOT_VALID, words, key))
            if isinstance(value, dict | list):
                kind = "an object" if isinstance(value, dict) else "an array"
                words = f"{key} is {kind}: only flat values can be imported"
                return SourceRow(line, {}, row_problem(ProblemCode.NOT_VALID, words, key))
            if isinstance(value, float) and not math.isfinite(value):
                words = (
                    "holds a number too large to store (beyond about ±1.8e308 it reads as "
                    "infinity): write a smaller number, or quote it to import it as text"
                )
                problem = row_problem(ProblemCode.OUT_OF_RANGE, words, key)
                return SourceRow(line, {}, problem, f"key {key!r}")
            if escaped and isinstance(value, str) and (found := _UNSTORABLE.search(value)):
                problem = _unstorable(found.group(), key)
                return SourceRow(line, {}, problem, f"key {key!r}")
            first_seen[name] = key
            cells[name] = _json_text(value)
        return SourceRow(line, cells)


def _json_text(value: Any) -> str:
    """The text a JSON scalar would have in a CSV cell, so both formats share one path.

    JSON null is unknown, like an empty cell. ``str`` of a float is its shortest exact form.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _noting_nul(lines: Iterable[str], nul_lines: list[None]) -> Iterator[str]:
    """``lines`` as they are, with an entry added to ``nul_lines`` for each holding a NUL
    character: one substring search per line, in C, instead of one per cell."""
    for text in lines:
        if "\x00" in text:
            nul_lines.append(None)
        yield text


# Spreadsheet programs save CSV with the separator of the computer's language: a comma, or
# a semicolon where the comma is the decimal mark, or a tab ("Text (Tab delimited)").
_DELIMITERS = (",", ";", "\t")


def header_delimiter(header_line: str) -> str:
    """The separator of a CSV file, told from its header line: the one of ``,`` ``;`` and
    tab that splits the header into the most columns (a comma when none splits it)."""
    counts = {
        delimiter: len(next(csv.reader([header_line], delimiter=delimiter), []))
        for delimiter in _DELIMITERS
    }
    return max(_DELIMITERS, key=lambda delimiter: counts[delimiter])  # first of the ties


def _named_header(header: list[str]) -> tuple[list[str], int]:
    """The header without the blank names at its end, and how many those were: a trailing
    separator on every line, as spreadsheets write after the last column, makes a column
    with no name and no values, which is no property."""
    named = len(header)
    while named > 1 and not header[named - 1].strip():
        named -= 1
    return header[:named], len(header) - named


def _width_problem(cells: list[str], width: int, unnamed: int) -> tuple[Problem, str | None] | None:
    """Why a row's cells do not fit the header's ``width`` named columns followed by
    ``unnamed`` columns without a name (which may be absent or hold nothing)."""
    if width <= len(cells) <= width + unnamed:
        for number in range(width, len(cells)):
            if cells[number].strip():
                words = (
                    "has a value in a column the header does not name: name the column in "
                    "the header, or remove the value"
                )
                return row_problem(ProblemCode.UNKNOWN_FIELD, words), f"column {number + 1}"
        return None
    words = f"has {plural(len(cells), 'cell')} but the header has {plural(width, 'column')}"
    return row_problem(ProblemCode.NOT_VALID, words), None


def _unstorable_cell(line: int, columns: list[str], cells: list[str]) -> SourceRow | None:
    for number, (column, text) in enumerate(zip(columns, cells), start=1):  # noqa: B905 (checked)
        if (found := _UNSTORABLE.search(text)) is not None:
            problem = _unstorable(found.group(), column)
            return SourceRow(line, {}, problem, f"column {number} ({column})")
    return None


def _unstorable(character: str, key: str) -> Problem:
    if character == "\x00":
        words = (
            "holds a NUL character (U+0000), which neither database can store: remove it "
            "from the file"
        )
    else:
        words = (
            f"holds an unpaired surrogate (U+{ord(character):04X}), which is not text: fix or "
            "remove the \\u escape that makes it"
        )
    return row_problem(ProblemCode.BAD_TEXT, words, key)
