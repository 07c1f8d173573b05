"""CSV files as spreadsheet programs save them: separated by semicolons or tabs, or with a
separator after the last column on every line."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.workflows.problems import file_message
from bot.workflows.record_files import (
    FileFormat,
    RecordFile,
    RecordFileError,
    SourceRow,
    header_delimiter,
)


class Row(NamedTuple):
    """A row as read, its problem in file terms (a record file's only surface)."""

    line: int
    cells: dict[str, str]
    problem: str | None = None
    column: str | None = None


def worded(row: SourceRow) -> Row:
    problem = None if row.problem is None else file_message(row.problem)
    return Row(row.line, row.cells, problem, row.column)


def read(tmp_path: Path, content: str) -> list[Row]:
    path = tmp_path / "records.csv"
    path.write_text(content, encoding="utf-8", newline="")
    return [
        worded(row)
        for row in RecordFile(path, FileFormat.CSV, frozenset({"id"}), frozenset({"id"})).rows()
    ]


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_file_separated_by_semicolons_or_tabs_reads_like_a_comma_separated_one(
    tmp_path: Path, separator: str
) -> None:
    content = 'id,name,amount\nA,Alpha,"1,5"\nB,Beta,2\n'.replace(",", separator)
    # The quoted "1,5" keeps its comma: only the separator changes.
    content = content.replace(f'"1{separator}5"', '"1,5"')

    rows = read(tmp_path, content)

    assert [row.cells for row in rows] == [
        {"id": "A", "name": "Alpha", "amount": "1,5"},
        {"id": "B", "name": "Beta", "amount": "2"},
    ]
    assert [row.line for row in rows] == [2, 3]


def test_semicolons_in_the_values_of_a_comma_separated_file_stay_in_the_values(
    tmp_path: Path,
) -> None:
    rows = read(tmp_path, "id,name,note\nA,Alpha,call; then write\n")

    assert rows[0].cells == {"id": "A", "name": "Alpha", "note": "call; then write"}


@given(
    st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), min_size=2, max_size=8),
    st.sampled_from([",", ";", "\t"]),
)
def test_the_separator_that_names_the_columns_is_found(names: list[str], separator: str) -> None:
    assert header_delimiter(separator.join(names) + "\r\n") == separator


def test_a_single_column_file_is_read_with_commas() -> None:
    assert header_delimiter("id\n") == ","


def test_a_separator_after_the_last_column_is_no_column(tmp_path: Path) -> None:
    rows = read(tmp_path, "id,name,amount,\nA,Alpha,1,\nB,Beta,2,\n")

    assert [row.cells for row in rows] == [
        {"id": "A", "name": "Alpha", "amount": "1"},
        {"id": "B", "name": "Beta", "amount": "2"},
    ]
    assert all(row.problem is None for row in rows)


def test_rows_may_end_with_or_without_the_unnamed_columns(tmp_path: Path) -> None:
    rows = read(tmp_path, "id;name;;\nA;Alpha;;\nB;Beta\nC;Gamma;\n")

    assert [row.cells["id"] for row in rows] == ["A", "B", "C"]
    assert all(row.problem is None for row in rows)


def test_a_value_under_an_unnamed_column_is_its_rows_problem(tmp_path: Path) -> None:
    rows = read(tmp_path, "id,name,,\nA,Alpha,,\nB,Beta,,lost\n")

    assert rows[0].problem is None
    assert (rows[1].line, rows[1].column) == (3, "column 4")
    assert rows[1].problem is not None and "the header does not name" in rows[1].problem


def test_an_unnamed_column_between_named_ones_is_refused_by_its_number(tmp_path: Path) -> None:
    with pytest.raises(RecordFileError, match="line 1: column 2 has no name"):
        read(tmp_path, "id,,name\nA,,Alpha\n")


def test_a_row_of_the_wrong_width_counts_in_good_english(tmp_path: Path) -> None:
    rows = read(tmp_path, "id,name\nA\n")

    assert rows[0].problem == "has 1 cell but the header has 2 columns"


NAMES = st.lists(
    st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), min_size=1, max_size=5, unique=True
)
CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.data(),
    NAMES,
    st.sampled_from([",", ";", "\t"]),
    st.booleans(),
)
def test_any_file_a_spreadsheet_writes_reads_back_as_written(
    tmp_path: Path, data: st.DataObject, names: list[str], separator: str, trailing: bool
) -> None:
    header = ["id", *names]
    rows = data.draw(st.lists(st.lists(CELL, min_size=len(header), max_size=len(header))))
    rows = [row for row in rows if any(row)]  # a blank line is no row
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    for cells in [header, *rows]:
        writer.writerow([*cells, ""] if trailing else cells)

    read_back = read(tmp_path, buffer.getvalue())

    assert [row.problem for row in read_back] == [None] * len(rows)
    assert [row.cells for row in read_back] == [dict(zip(header, row, strict=True)) for row in rows]


def test_an_empty_file_is_refused_as_empty(tmp_path: Path) -> None:
    with pytest.raises(RecordFileError, match="is empty: its first line must name the columns"):
        read(tmp_path, "")
