from __future__ import annotations

import csv
import gc
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.problems import ProblemCode
from bot.workflows.record_files import RecordFileError
from bot.workflows.record_import import (
    ImportOptionError,
    ImportOptions,
    ImportReport,
    _number,
    import_records,
    parse_property_type,
)
from bot.workflows.vocabulary import PropertyType
from storage.models import ObjectType, Record
from storage.object_types import ObjectTypeRepository, UnknownObjectType
from storage.properties import InvalidValue, parse_number

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
TEAM = "T1"


@pytest.fixture
def run(
    sessions: sessionmaker[Session], tmp_path: Path
) -> Any:  # a callable: (text, name="deals.csv", **options) -> ImportReport
    counter = iter(range(1_000))

    def run(content: str, name: str = "deals.csv", **options: Any) -> ImportReport:
        path = tmp_path / f"{next(counter)}-{name}"
        path.write_text(content, encoding="utf-8")
        options.setdefault("type_name", "deals")
        with sessions.begin() as session:
            ObjectTypeRepository(session).ensure_built_ins(TEAM, NOW)
            return import_records(session, TEAM, path, ImportOptions(**options), NOW)

    return run


def records(sessions: sessionmaker[Session]) -> dict[str, Record]:
    with sessions() as session:
        return {r.external_id: r for r in session.scalars(select(Record))}


def property_types(sessions: sessionmaker[Session], type_name: str = "deals") -> dict[str, str]:
    with sessions() as session:
        object_type = ObjectTypeRepository(session).get(TEAM, type_name)
        return {
            k: v.value
            for k, v in ObjectTypeRepository(session).property_types(object_type.id).items()
        }


def counts(report: ImportReport) -> tuple[int, int, int, int]:
    return report.created, report.updated, report.unchanged, report.rejected


# Type inference


def test_each_new_column_gets_the_narrowest_type_all_its_values_fit(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    report = run(
        "id,name,Amount,Close Date,zip,hot,seen_at,mixed\n"
        "1,Acme,1500,2026-03-01,02134,true,2026-03-01T10:00:00+02:00,5\n"
        "2,Beta,12.5,2026-04-30,10001,No,2026-03-01 23:30:00-05:00,abc\n"
    )
    assert counts(report) == (2, 0, 0, 0)
    assert property_types(sessions) == {
        "amount": "number",
        "close_date": "date",
        "zip": "string",
        "hot": "boolean",
        "seen_at": "datetime",
        "mixed": "string",
    }
    stored = records(sessions)
    assert stored["1"].properties == {
        "amount": 1500,
        "close_date": "2026-03-01",
        "zip": "02134",
        "hot": True,
        "seen_at": "2026-03-01T08:00:00.000000Z",
        "mixed": "5",
    }
    assert stored["2"].properties["seen_at"] == "2026-03-02T04:30:00.000000Z"
    assert stored["2"].properties["hot"] is False
    assert stored["2"].properties["amount"] == 12.5


@given(
    st.integers(min_value=-(10**17), max_value=10**17).map(str)
    | st.from_regex(r"-?[0-9]{1,17}(\.[0-9]{1,3})?", fullmatch=True)
    | st.text(alphabet="-0123456789٣²eE+. ", max_size=8)
)
def test_the_quick_number_conversion_agrees_with_parse_number(text: str) -> None:
    try:
        expected: object = parse_number(text)
    except InvalidValue as refused:
        expected = str(refused)
    try:
        found: object = _number(text)
    except InvalidValue as refused:
        found = str(refused)
    assert (found, type(found)) == (expected, type(expected))


def test_a_zip_code_column_with_leading_zeros_stays_text(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run("id,zip\n1,10115\n2,02134\n")
    assert property_types(sessions) == {"zip": "string"}
    assert records(sessions)["1"].properties == {"zip": "10115"}


def test_datetimes_without_an_offset_make_the_column_text(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run("id,seen_at\n1,2026-03-01T10:00:00Z\n2,2026-03-01T10:00:00\n")
    assert property_types(sessions) == {"seen_at": "string"}


def test_new_properties_are_reported_with_their_types(run: Any) -> None:
    report = run("id,amount,stage\n1,5,open\n")
    assert report.new_properties == {"amount": PropertyType.NUMBER, "stage": PropertyType.STRING}


def test_a_column_that_is_always_blank_declares_nothing(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run("id,notes\n1,\n2,\n")
    assert property_types(sessions) == {}
    assert records(sessions)["1"].properties == {}


# Unknown values, names, owners

# What cannot be anyone's name: longer than an owner may be.
NO_OWNER = "o" * 256


def test_a_blank_cell_leaves_the_property_unknown(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run("id,stage,amount\n1,,5\n2,open,\n3,  ,\n")
    stored = records(sessions)
    assert stored["1"].properties == {"amount": 5}
    assert stored["2"].properties == {"stage": "open"}
    assert stored["3"].properties == {}


def test_the_name_falls_back_to_the_id(run: Any, sessions: sessionmaker[Session]) -> None:
    run("id,name\nD-1,\nD-2,Second\n")
    assert {k: r.name for k, r in records(sessions).items()} == {"D-1": "D-1", "D-2": "Second"}


def test_other_id_name_and_owner_columns_can_be_named(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run(
        "Deal ID,Title,Rep,stage\nX9,Big one,U024BE7LH,open\n",
        id_column="Deal ID",
        name_column="Title",
        owner_column="rep",
    )
    record = records(sessions)["X9"]
    assert (record.name, record.owner, record.properties) == (
        "Big one",
        "U024BE7LH",
        {"stage": "open"},
    )


def test_owners_given_by_email_or_as_any_text_are_imported_as_written(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    report = run("id,owner\n1,Ann@Example.com\n2,U024BE7LH\n3,Carol (sales)\n4,\n")
    assert counts(report) == (4, 0, 0, 0)
    owners = {k: r.owner for k, r in records(sessions).items()}
    assert owners == {"1": "Ann@Example.com", "2": "U024BE7LH", "3": "Carol (sales)", "4": None}


@pytest.mark.parametrize(
    ("owner", "reason"),
    [
        ("ann\x07@example.com", "contains a control character (U+0007)"),
        ("a" * 250 + "@example.com", "262 characters long, more than the 255"),
    ],
)
def test_an_owner_that_cannot_be_anyones_is_a_bad_row_naming_line_and_column(
    run: Any, sessions: sessionmaker[Session], owner: str, reason: str
) -> None:
    report = run(f"id,name,owner\n1,One,ann@example.com\n2,Two,{owner}\n")
    assert not report.written
    [problem] = report.problems
    assert (problem.line, problem.column) == (3, "column 'owner'")
    assert reason in problem.reason
    assert str(problem).startswith("line 3, column 'owner': the owner ")
    assert records(sessions) == {}


def test_unicode_names_and_values_are_kept_and_folded(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run("id,name,city\nü-1,Müller & Söhne,STRASSE\nü-2,東京商事,Straße\n")
    stored = records(sessions)
    assert stored["ü-1"].name == "Müller & Söhne"
    assert stored["ü-2"].name == "東京商事"
    assert stored["ü-2"].properties == {"city": "Straße"}
    # Case-insensitive criteria compare the folded copies: both spellings meet. The folded
    # name is what criteria on the built-in field name compare.
    assert stored["ü-1"].folded == {"city": "strasse", "_name": "müller & söhne"}
    assert stored["ü-2"].folded == {"city": "strasse", "_name": "東京商事"}


def test_a_byte_order_mark_before_the_header_is_ignored(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run("\ufeffid,name\n1,One\n")
    assert records(sessions)["1"].name == "One"


# Upsert


def test_a_second_import_counts_created_updated_and_unchanged(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    assert counts(run("id,name,amount\n1,One,10\n2,Two,20\n3,Three,30\n")) == (3, 0, 0, 0)
    report = run("id,name,amount\n1,One,10\n2,Two,25\n3,Tres,30\n4,Four,40\n")
    assert counts(report) == (1, 2, 1, 0)
    stored = records(sessions)
    assert stored["2"].properties == {"amount": 25}
    assert stored["3"].name == "Tres"


def test_an_update_replaces_the_files_columns_and_keeps_the_others(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run("id,name,owner,stage,amount,region\n1,One,U111,open,10,north\n")
    report = run("id,stage,amount\n1,won,\n")
    assert counts(report) == (0, 1, 0, 0)
    record = records(sessions)["1"]
    # amount was blank in the file: now unknown; region and owner were not mentioned: kept.
    assert record.properties == {"stage": "won", "region": "north"}
    assert record.folded == {"stage": "won", "region": "north", "_name": "one"}
    assert (record.name, record.owner) == ("One", "U111")


def test_an_updated_record_gets_a_new_updated_at_only(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    later = datetime(2026, 12, 1, tzinfo=UTC)
    for content, now in (("id,stage\n1,open\n", NOW), ("id,stage\n1,won\n", later)):
        path = tmp_path / "deals.csv"
        path.write_text(content, encoding="utf-8")
        with sessions.begin() as session:
            ObjectTypeRepository(session).ensure_built_ins(TEAM, NOW)
            import_records(session, TEAM, path, ImportOptions("deals"), now)
    record = records(sessions)["1"]
    assert (record.created_at, record.updated_at) == (NOW, later)


def test_a_blank_owner_cell_removes_the_owner(run: Any, sessions: sessionmaker[Session]) -> None:
    run("id,owner\n1,W0AB12\n")
    assert counts(run("id,owner\n1,\n")) == (0, 1, 0, 0)
    assert records(sessions)["1"].owner is None


@pytest.mark.parametrize("sample_rows", [0, 1_000])
def test_a_repeated_id_makes_the_later_row_invalid_and_the_file_imports_nothing(
    run: Any, sessions: sessionmaker[Session], sample_rows: int
) -> None:
    report = run("id,stage\n1,open\n2,open\n1,won\n", sample_rows=sample_rows)
    assert not report.written
    assert counts(report) == (0, 0, 0, 1)
    assert [str(problem) for problem in report.problems] == [
        "line 4: the id '1' is also on line 2: a file holds each record once; merge the two "
        "rows or remove one"
    ]
    assert records(sessions) == {}


@pytest.mark.parametrize("sample_rows", [0, 2, 1_000])
def test_skip_invalid_keeps_the_first_row_of_a_repeated_id_and_counts_the_others(
    run: Any, sessions: sessionmaker[Session], sample_rows: int
) -> None:
    content = "id,stage\n1,open\n2,open\n1,won\n1,lost\n3,open\n"
    report = run(content, skip_invalid=True, sample_rows=sample_rows)
    assert counts(report) == (3, 0, 0, 2)
    assert [(p.line, p.reason.split(":")[0]) for p in report.problems] == [
        (4, "the id '1' is also on line 2"),
        (5, "the id '1' is also on line 2"),
    ]
    assert records(sessions)["1"].properties == {"stage": "open"}


def test_an_id_whose_first_row_is_invalid_is_imported_from_its_valid_row(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    report = run(f"id,owner\n1,{NO_OWNER}\n1,U024BE7LH\n", skip_invalid=True)
    assert counts(report) == (1, 0, 0, 1)
    assert records(sessions)["1"].owner == "U024BE7LH"


def test_batches_of_any_size_give_the_same_counts(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run("id,value\n" + "".join(f"{i},old\n" for i in range(0, 30, 3)))
    rows = "".join(f"{i},v{i}\n" for i in range(30))
    report = run("id,value\n" + rows, batch_size=4)
    assert counts(report) == (20, 10, 0, 0)
    assert records(sessions)["27"].properties == {"value": "v27"}


# Bad rows: all or nothing


def test_a_file_with_one_bad_row_writes_nothing_and_names_the_line(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run("id,amount\n1,5\n")
    report = run("id,amount\n2,6\n3,abc\n4,7\n")
    assert not report.written
    assert counts(report) == (0, 0, 0, 1)
    assert [(p.line, p.reason, p.column) for p in report.problems] == [
        (3, "amount 'abc' is not a number (amount is a number property)", None)
    ]
    assert report.problems[0].problem.code is ProblemCode.BAD_VALUE
    assert str(report.problems[0]) == (
        "line 3: amount 'abc' is not a number (amount is a number property)"
    )
    assert set(records(sessions)) == {"1"}


def test_skip_invalid_writes_the_valid_rows(run: Any, sessions: sessionmaker[Session]) -> None:
    run("id,amount\n1,5\n")
    report = run(
        f"id,amount,owner\n2,6,\n3,abc,\n,8,\n5,9,{NO_OWNER}\n6,10,U024BE7LH\n", skip_invalid=True
    )
    assert report.written
    assert counts(report) == (2, 0, 0, 3)
    assert [p.line for p in report.problems] == [3, 4, 5]
    assert "has no id" in report.problems[1].reason
    assert "more than the 255 an owner may have" in report.problems[2].reason
    assert set(records(sessions)) == {"1", "2", "6"}


def test_an_existing_property_keeps_its_type_on_a_later_import(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run("id,close_date\n1,2026-01-31\n")
    report = run("id,close_date\n2,soon\n")
    assert report.problems[0].reason.startswith("close_date 'soon' is not a date")
    assert report.problems[0].reason.endswith("(close_date is a date property)")
    assert property_types(sessions) == {"close_date": "date"}


def test_a_row_with_the_wrong_number_of_cells_is_a_bad_row(run: Any) -> None:
    report = run("id,stage\n1,open\n2,open,extra\n")
    assert [str(problem) for problem in report.problems] == [
        "line 3: has 3 cells but the header has 2 columns"
    ]


def test_line_numbers_count_lines_of_multi_line_cells(run: Any) -> None:
    report = run(
        'id,notes,amount\n1,"two\nlines",5\n2,x,abc\n3,y,7\n',
        property_types={"amount": PropertyType.NUMBER},
    )
    assert [p.line for p in report.problems] == [4]


def test_an_overlong_id_is_a_bad_row(run: Any) -> None:
    report = run(f"id\n{'x' * 256}\n")
    assert "longer than 255" in report.problems[0].reason


def test_only_the_first_hundred_problems_are_kept_but_all_are_counted(run: Any) -> None:
    report = run("id,owner\n" + f"x,{NO_OWNER}\n" * 150)
    assert report.rejected == 150
    assert len(report.problems) == 100


# File-level errors


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("name,stage\nOne,open\n", "there is no 'id' column"),
        ("id,Amount ($)\n1,5\n", "column 'Amount ($)' is not a valid property name"),
        ("id,Close Date,close_date\n1,2,3\n", "columns 'Close Date' and 'close_date' both name"),
    ],
)
def test_a_bad_header_rejects_the_file(
    run: Any, sessions: sessionmaker[Session], content: str, message: str
) -> None:
    with pytest.raises(RecordFileError, match="line 1: " if content else message) as raised:
        run(content)
    assert message in str(raised.value)
    assert records(sessions) == {}


# Object types and explicit types


def test_an_unknown_type_is_refused_with_the_known_ones(run: Any) -> None:
    with pytest.raises(UnknownObjectType) as raised:
        run("id\n1\n", type_name="invoices")
    assert "companies, contacts, deals, tickets" in str(raised.value)
    assert "--create-type" in str(raised.value)


def test_create_type_adds_a_custom_object_type(run: Any, sessions: sessionmaker[Session]) -> None:
    report = run("id,total\nI-1,99.5\n", type_name="invoices", create_type=True)
    assert counts(report) == (1, 0, 0, 0)
    assert property_types(sessions, "invoices") == {"total": "number"}
    with sessions() as session:
        assert not ObjectTypeRepository(session).get(TEAM, "invoices").built_in


def test_a_custom_type_is_not_created_when_the_file_is_rejected(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run(f"id,owner\nI-1,{NO_OWNER}\n", type_name="invoices", create_type=True)
    with sessions() as session:
        assert ObjectTypeRepository(session).find(TEAM, "invoices") is None


def test_an_invalid_custom_type_name_is_refused_before_reading(run: Any) -> None:
    with pytest.raises(ImportOptionError, match="not a valid object type name"):
        run("id\n1\n", type_name="Bad Name", create_type=True)


def test_an_enumeration_collects_its_options_in_first_seen_order(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run("id,stage\n1,open\n2,won\n3,open\n", property_types={"stage": PropertyType.ENUMERATION})
    run("id,stage\n4,lost\n")
    with sessions() as session:
        object_type = ObjectTypeRepository(session).get(TEAM, "deals")
        assert ObjectTypeRepository(session).enumeration_options(object_type.id) == {
            "stage": ["open", "won", "lost"]
        }
    assert records(sessions)["1"].folded == {"stage": "open", "_name": "1"}


def test_an_explicit_type_wins_over_inference(run: Any, sessions: sessionmaker[Session]) -> None:
    run("id,code\n1,42\n", property_types={"code": PropertyType.STRING})
    assert records(sessions)["1"].properties == {"code": "42"}


def test_an_explicit_type_cannot_change_a_stored_one(run: Any) -> None:
    run("id,amount\n1,5\n")
    with pytest.raises(ImportOptionError, match="already a number property"):
        run("id,amount\n1,5\n", property_types={"amount": PropertyType.STRING})


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("amount=number", ("amount", PropertyType.NUMBER)),
        ("Close Date=DATE", ("close_date", PropertyType.DATE)),
    ],
)
def test_property_type_options_are_read(option: str, expected: tuple[str, PropertyType]) -> None:
    assert parse_property_type(option) == expected


@pytest.mark.parametrize(
    ("option", "message"), [("amount", "NAME=TYPE"), ("amount=money", "'money' is not a type")]
)
def test_bad_property_type_options_say_what_to_write(option: str, message: str) -> None:
    with pytest.raises(ImportOptionError, match=message):
        parse_property_type(option)


# JSON Lines


def test_json_lines_import_flat_objects(run: Any, sessions: sessionmaker[Session]) -> None:
    lines = [
        {"id": 1, "name": "One", "amount": 10, "hot": True, "zip": "02134"},
        {"id": "2", "amount": 2.5, "hot": False, "zip": "10001", "stage": None},
        {"id": 3, "stage": "open"},
    ]
    report = run("\n".join(json.dumps(line) for line in lines) + "\n\n", name="deals.jsonl")
    assert counts(report) == (3, 0, 0, 0)
    assert property_types(sessions) == {
        "amount": "number",
        "hot": "boolean",
        "zip": "string",
        "stage": "string",
    }
    stored = records(sessions)
    assert stored["1"].properties == {"amount": 10, "hot": True, "zip": "02134"}
    assert stored["2"].properties == {"amount": 2.5, "hot": False, "zip": "10001"}
    assert stored["3"].properties == {"stage": "open"}


def test_json_lines_report_lines_that_are_not_flat_objects(run: Any) -> None:
    content = (
        '{"id": 1}\n'
        "[1, 2]\n"
        '{"id": 3, "address": {"city": "Berlin"}}\n'
        '{"id": 4,\n'
        '{"id": 5, "amount": NaN}\n'
    )
    report = run(content, name="deals.ndjson")
    assert [(p.line, p.reason.split(" (")[0]) for p in report.problems] == [
        (2, "is not a JSON object"),
        (3, "address is an object: only flat values can be imported"),
        (4, "is not valid JSON"),
        (5, "is not valid JSON"),
    ]


def test_a_json_key_missing_on_a_line_removes_that_property_on_update(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run('{"id": 1, "stage": "open", "amount": 5}\n', name="deals.jsonl")
    run('{"id": 1, "amount": 6}\n{"id": 2, "stage": "won"}\n', name="deals.jsonl")
    assert records(sessions)["1"].properties == {"amount": 6}


# The single pass and its fallback


def test_a_late_value_that_contradicts_the_sample_gives_the_same_result(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    content = "id,zip\n" + "".join(f"{i},{10000 + i}\n" for i in range(20)) + "99,02134\n"
    report = run(content, sample_rows=5)
    assert report.passes == 3  # the single pass was abandoned at line 22
    assert counts(report) == (21, 0, 0, 0)
    assert property_types(sessions) == {"zip": "string"}
    assert records(sessions)["3"].properties == {"zip": "10003"}


def test_a_column_first_filled_after_the_sample_gets_its_type(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    content = "id,score\n" + "".join(f"{i},\n" for i in range(10)) + "10,7\n11,8.5\n"
    assert run(content, sample_rows=3).passes == 1
    assert property_types(sessions) == {"score": "number"}


def test_a_bad_row_after_the_sample_still_writes_nothing(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    content = "id,owner\n" + "".join(f"{i},U0{i}AB\n" for i in range(10)) + f"10,{NO_OWNER}\n"
    report = run(content, sample_rows=3)
    assert (report.written, report.rejected) == (False, 1)
    assert records(sessions) == {}


@pytest.mark.parametrize("sample_rows", [0, 2, 1_000])
def test_single_and_two_pass_imports_agree(
    run: Any, sessions: sessionmaker[Session], sample_rows: int
) -> None:
    run("id,stage,amount\n1,open,5\n2,won,6\n")
    content = "id,stage,amount,note\n1,open,5,\n2,lost,,x\n3,open,7,\n2,won,,y\n4,,,z\n"
    report = run(content, sample_rows=sample_rows, skip_invalid=True)
    assert report.passes == (2 if sample_rows == 0 else 1)
    assert counts(report) == (2, 1, 1, 1)
    assert {k: r.properties for k, r in records(sessions).items()} == {
        "1": {"stage": "open", "amount": 5},
        "2": {"stage": "lost", "note": "x"},
        "3": {"stage": "open", "amount": 7},
        "4": {"note": "z"},
    }


# Streaming


def _write_deals(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "name", "owner", "stage", "amount", "close_date", "hot"])
        for i in range(rows):
            writer.writerow(
                [
                    f"D-{i}",
                    f"Deal {i}",
                    f"U{i % 97:04d}" if i % 5 else "",
                    ("open", "won", "lost")[i % 3],
                    i % 10_000,
                    f"2026-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
                    "true" if i % 10 == 0 else "false",
                ]
            )


@pytest.mark.slow
def test_fifty_thousand_rows_stream_through_in_batches(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "deals.csv"
    _write_deals(path, 50_000)
    with sessions.begin() as session:
        ObjectTypeRepository(session).ensure_built_ins(TEAM, NOW)
        report = import_records(session, TEAM, path, ImportOptions("deals"), NOW)
    assert (report.passes, counts(report)) == (1, (50_000, 0, 0, 0))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Record)) == 50_000
        last = session.scalars(select(Record).where(Record.external_id == "D-49999")).one()
    assert last.properties == {
        "stage": "won",
        "amount": 9_999,
        "close_date": "2026-08-20",
        "hot": False,
    }
    assert last.owner == "U0044"


def test_an_import_leaves_the_garbage_collector_as_it_found_it(run: Any) -> None:
    frozen = gc.get_freeze_count()
    run("id,stage\n1,open\n")
    with pytest.raises(RecordFileError):
        run("")
    assert gc.get_freeze_count() == frozen


def test_types_of_another_team_are_not_touched(run: Any, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        ObjectTypeRepository(session).ensure_built_ins("T2", NOW)
    run("id,amount\n1,5\n")
    with sessions() as session:
        other = session.scalars(
            select(ObjectType).where(ObjectType.team_id == "T2", ObjectType.name == "deals")
        ).one()
        assert ObjectTypeRepository(session).property_types(other.id) == {}
