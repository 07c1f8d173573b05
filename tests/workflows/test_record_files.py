from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from bot.workflows.problems import file_message
from bot.workflows.record_files import (
    MAX_JSON_LINE_CHARS,
    FileFormat,
    RecordFile,
    RecordFileError,
    SourceRow,
    UnknownFileFormat,
    detect_format,
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


def read(tmp_path: Path, content: str | bytes, name: str = "records.csv") -> list[Row]:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return [worded(row) for row in RecordFile(path, detect_format(path), frozenset({"id"})).rows()]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.csv", FileFormat.CSV),
        ("a.CSV", FileFormat.CSV),
        ("a.jsonl", FileFormat.JSONL),
        ("a.ndjson", FileFormat.JSONL),
    ],
)
def test_the_format_follows_the_extension(name: str, expected: FileFormat) -> None:
    assert detect_format(Path(name)) is expected


def test_an_unknown_extension_asks_for_format() -> None:
    with pytest.raises(UnknownFileFormat, match="--format"):
        detect_format(Path("records.txt"))
    assert detect_format(Path("records.txt"), FileFormat.JSONL) is FileFormat.JSONL


def test_csv_headers_become_property_names(tmp_path: Path) -> None:
    rows = read(tmp_path, "ID,Close Date,deal-stage\r\n1,2026-01-01,won\r\n")
    assert rows == [Row(2, {"id": "1", "close_date": "2026-01-01", "deal_stage": "won"})]


def test_csv_rows_carry_the_line_they_start_on(tmp_path: Path) -> None:
    rows = read(tmp_path, 'id,notes\n1,"a\nb\nc"\n\n2,d\n')
    assert [(r.line, r.cells["notes"]) for r in rows] == [(2, "a\nb\nc"), (6, "d")]


def test_csv_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    rows = read(tmp_path, "\ufeffid,name\n1,x\n".encode())
    assert rows[0].cells == {"id": "1", "name": "x"}


def test_a_file_that_is_not_utf8_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(RecordFileError, match="not UTF-8"):
        read(tmp_path, "id,name\n1,Müller\n".encode("latin-1"))


def test_json_scalars_read_as_the_text_a_csv_cell_would_hold(tmp_path: Path) -> None:
    rows = read(
        tmp_path,
        '{"id": 7, "n": 1.5, "big": 1e20, "yes": true, "no": false, "none": null, "s": "x"}\n',
        "records.jsonl",
    )
    assert rows[0].cells == {
        "id": "7",
        "n": "1.5",
        "big": "1e+20",
        "yes": "true",
        "no": "false",
        "none": "",
        "s": "x",
    }


def test_json_keys_that_name_one_property_twice_are_a_row_problem(tmp_path: Path) -> None:
    rows = read(tmp_path, '{"id": 1, "Close Date": 1, "close_date": 2}\n', "records.jsonl")
    assert rows[0].problem == "keys 'Close Date' and 'close_date' both name 'close_date'"


def test_an_invalid_json_key_is_a_row_problem(tmp_path: Path) -> None:
    rows = read(tmp_path, '{"id": 1, "9lives": 1}\n', "records.jsonl")
    assert rows[0].problem is not None and "key '9lives' is not a valid" in rows[0].problem


def test_files_can_be_read_twice(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text("id\n1\n2\n", encoding="utf-8")
    source = RecordFile(path, FileFormat.CSV)
    assert list(source.rows()) == list(source.rows())


NUL_PROBLEM = (
    "holds a NUL character (U+0000), which neither database can store: remove it from the file"
)


def test_a_nul_in_a_csv_cell_is_a_problem_of_its_row_naming_the_column(tmp_path: Path) -> None:
    rows = read(tmp_path, 'id,name,note\n1,One,ok\n2,Two,"a\nb\x00"\n3,Three,ok\n')
    assert rows == [
        Row(2, {"id": "1", "name": "One", "note": "ok"}),
        Row(3, {}, NUL_PROBLEM, "column 3 (note)"),
        Row(5, {"id": "3", "name": "Three", "note": "ok"}),
    ]


def test_a_nul_in_a_json_string_is_a_problem_of_its_line_naming_the_key(tmp_path: Path) -> None:
    rows = read(tmp_path, '{"id": 1, "note": "a\\u0000b"}\n', "records.jsonl")
    assert rows == [Row(1, {}, NUL_PROBLEM, "key 'note'")]


def test_a_lone_surrogate_in_a_json_string_is_a_problem_of_its_line(tmp_path: Path) -> None:
    content = '{"id": 1, "note": "\\ud800"}\n{"id": 2, "note": "\\ud83d\\ude00"}\n'
    rows = read(tmp_path, content, "records.jsonl")
    assert rows == [
        Row(
            1,
            {},
            "holds an unpaired surrogate (U+D800), which is not text: fix or remove the \\u "
            "escape that makes it",
            "key 'note'",
        ),
        Row(2, {"id": "2", "note": "😀"}),  # a surrogate pair is one character
    ]


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1" * 400 + ".0"])
def test_a_json_number_beyond_a_float_is_a_problem_not_infinity(
    tmp_path: Path, number: str
) -> None:
    rows = read(tmp_path, f'{{"id": 1, "amount": {number}}}\n', "records.jsonl")
    assert rows[0].cells == {}
    assert rows[0].column == "key 'amount'"
    assert rows[0].problem is not None and "too large to store" in rows[0].problem


def test_a_json_line_nested_past_the_decoders_limit_is_a_row_problem(tmp_path: Path) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    rows = read(tmp_path, f'{{"id": 1, "a": {deep}}}\n{{"id": 2}}\n', "records.jsonl")
    assert rows == [
        Row(1, {}, "nests arrays or objects too deeply: a record is flat"),
        Row(2, {"id": "2"}),
    ]


def test_an_overlong_json_line_is_a_row_problem_and_the_next_line_is_read(
    tmp_path: Path,
) -> None:
    long_value = "x" * MAX_JSON_LINE_CHARS
    rows = read(tmp_path, f'{{"id": 1, "a": "{long_value}"}}\n{{"id": 2}}\n', "records.jsonl")
    assert rows == [
        Row(
            1,
            {},
            f"is longer than {MAX_JSON_LINE_CHARS:,} characters: a record's values are far "
            "shorter; check that the file is JSON Lines",
        ),
        Row(2, {"id": "2"}),
    ]
