from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.cli import main
from storage.models import Record


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    return CliRunner()


def invoke(runner: CliRunner, name: str, content: str, *args: str) -> Result:
    Path(name).write_text(content, encoding="utf-8")
    return runner.invoke(main, ["records", "import", name, *args])


def record_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Record)) or 0


def test_an_import_prints_its_counts(runner: CliRunner, engine: Engine) -> None:
    result = invoke(runner, "deals.csv", "id,name,amount\n1,One,5\n2,Two,6\n", "--type", "deals")
    assert result.exit_code == 0, result.output
    assert "new properties: amount (number)" in result.output
    assert result.output.strip().endswith("created 2, updated 0, unchanged 0, rejected 0")
    result = invoke(runner, "deals.csv", "id,name,amount\n1,One,5\n2,Two,7\n", "--type", "deals")
    assert result.output.strip().endswith("created 0, updated 1, unchanged 1, rejected 0")


def test_bad_rows_import_nothing_and_exit_with_status_2(runner: CliRunner, engine: Engine) -> None:
    rows = "".join(f"{i},{'x' if i % 2 else i}\n" for i in range(50))
    result = invoke(
        runner,
        "deals.csv",
        "id,amount\n" + rows,
        "--type",
        "deals",
        "--property-type",
        "amount=number",
    )
    assert result.exit_code == 2
    assert "line 3: amount 'x' is not a number (amount is a number property)" in result.output
    assert "line 41: amount" in result.output and "line 43: amount" not in result.output
    assert "... and 5 more invalid rows" in result.output
    assert "Nothing was imported: 25 rows are invalid" in result.output
    assert "created 0, updated 0, unchanged 0, rejected 25" in result.output
    assert "Traceback" not in result.output
    assert record_count(engine) == 0


def test_skip_invalid_imports_the_valid_rows(runner: CliRunner, engine: Engine) -> None:
    content = "id,owner\n1,U024BE7LH\n2,bob\tsmith\n"
    result = invoke(runner, "deals.csv", content, "--type", "deals", "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "line 3, column 'owner': the owner 'bob\\tsmith' contains a control character" in (
        result.output
    )
    assert "created 1, updated 0, unchanged 0, rejected 1" in result.output
    assert record_count(engine) == 1


def test_a_crm_export_naming_owners_by_email_is_imported_whole(
    runner: CliRunner, engine: Engine
) -> None:
    content = "id,name,owner\n1,Acme,ann@example.com\n2,Globex,U024BE7LH\n3,Initech,\n"
    result = invoke(runner, "deals.csv", content, "--type", "deals")
    assert result.exit_code == 0, result.output
    assert "created 3, updated 0, unchanged 0, rejected 0" in result.output


def test_an_unknown_type_is_a_usage_error(runner: CliRunner, engine: Engine) -> None:
    result = invoke(runner, "invoices.csv", "id\n1\n", "--type", "invoices")
    assert result.exit_code == 2
    assert "companies, contacts, deals, tickets" in result.output
    assert "--create-type" in result.output
    assert "Traceback" not in result.output


def test_create_type_imports_into_a_new_custom_type(runner: CliRunner, engine: Engine) -> None:
    result = invoke(
        runner,
        "invoices.jsonl",
        '{"id": "I-1", "total": 9.5}\n',
        "--type",
        "invoices",
        "--create-type",
    )
    assert result.exit_code == 0, result.output
    assert "created 1" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--property-type", "amount"], "use NAME=TYPE"),
        (["--property-type", "amount=money"], "'money' is not a type"),
        (["--property-type", "id=string"], "is the id, name or owner column"),
    ],
)
def test_bad_options_are_usage_errors(
    runner: CliRunner, engine: Engine, args: list[str], message: str
) -> None:
    result = invoke(runner, "deals.csv", "id\n1\n", "--type", "deals", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_the_format_is_taken_from_the_option_or_the_extension(
    runner: CliRunner, engine: Engine
) -> None:
    result = invoke(runner, "deals.txt", '{"id": 1}\n', "--type", "deals")
    assert result.exit_code == 2
    assert "--format" in result.output
    result = invoke(runner, "deals.txt", '{"id": 1}\n', "--type", "deals", "--format", "jsonl")
    assert result.exit_code == 0, result.output


def test_a_bad_header_is_reported_without_a_traceback(runner: CliRunner, engine: Engine) -> None:
    result = invoke(runner, "deals.csv", "id,Amount ($)\n1,5\n", "--type", "deals")
    assert result.exit_code == 2
    assert "error: line 1: column 'Amount ($)' is not a valid property name" in result.output
    assert "Traceback" not in result.output


def test_a_missing_file_is_a_usage_error(runner: CliRunner, engine: Engine) -> None:
    result = runner.invoke(main, ["records", "import", "nope.csv", "--type", "deals"])
    assert result.exit_code == 2
    assert "nope.csv" in result.output


def stored_notes(engine: Engine) -> dict[str, object]:
    with Session(engine) as session:
        return {r.external_id: r.properties.get("note") for r in session.scalars(select(Record))}


NUL_IN_CSV = "id,name,note\nD1,One,fine\nD2,Two,a\x00b\nD3,Three,fine\n"
NUL_PROBLEM = (
    "line 3, column 3 (note): holds a NUL character (U+0000), which neither database can "
    "store: remove it from the file"
)


def test_a_nul_in_a_csv_cell_imports_nothing_and_names_line_and_column(
    runner: CliRunner, engine: Engine
) -> None:
    result = invoke(runner, "deals.csv", NUL_IN_CSV, "--type", "deals")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        NUL_PROBLEM,
        "Nothing was imported: 1 row is invalid. Fix it, or pass --skip-invalid to import "
        "the valid rows.",
        "created 0, updated 0, unchanged 0, rejected 1",
    ]
    assert record_count(engine) == 0


def test_skip_invalid_skips_and_counts_a_row_with_a_nul(runner: CliRunner, engine: Engine) -> None:
    result = invoke(runner, "deals.csv", NUL_IN_CSV, "--type", "deals", "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert NUL_PROBLEM in result.output.splitlines()
    assert "created 2, updated 0, unchanged 0, rejected 1" in result.output
    assert stored_notes(engine) == {"D1": "fine", "D3": "fine"}


SURROGATE_IN_JSONL = '{"id": "D1", "note": "fine"}\n{"id": "D2", "note": "\\ud800"}\n'


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_a_lone_surrogate_in_json_lines_is_refused_without_a_traceback(
    runner: CliRunner, engine: Engine, skip_invalid: bool
) -> None:
    args = ["--type", "deals", *(["--skip-invalid"] if skip_invalid else [])]
    result = invoke(runner, "deals.jsonl", SURROGATE_IN_JSONL, *args)
    assert result.exit_code == (0 if skip_invalid else 2), result.output
    assert (
        "line 2, key 'note': holds an unpaired surrogate (U+D800), which is not text: fix or "
        "remove the \\u escape that makes it"
    ) in result.output.splitlines()
    assert "Traceback" not in result.output
    assert stored_notes(engine) == ({"D1": "fine"} if skip_invalid else {})
    listed = runner.invoke(main, ["records", "list", "--type", "deals"])
    assert listed.exit_code == 0, listed.output


def test_a_repeated_id_is_reported_with_both_lines_and_counted_once(
    runner: CliRunner, engine: Engine
) -> None:
    content = "id,note\nD1,first\nD2,other\nD1,second\n"
    result = invoke(runner, "deals.csv", content, "--type", "deals")
    assert result.exit_code == 2
    repeat = (
        "line 4: the id 'D1' is also on line 2: a file holds each record once; merge the two "
        "rows or remove one"
    )
    assert repeat in result.output.splitlines()
    assert record_count(engine) == 0
    result = invoke(runner, "deals.csv", content, "--type", "deals", "--skip-invalid")
    assert repeat in result.output.splitlines()
    assert result.output.strip().endswith("created 2, updated 0, unchanged 0, rejected 1")
    assert stored_notes(engine) == {"D1": "first", "D2": "other"}


def test_a_json_number_too_large_for_a_float_is_refused_not_stored_as_inf(
    runner: CliRunner, engine: Engine
) -> None:
    result = invoke(
        runner, "deals.jsonl", '{"id": "D1", "note": 1e400}\n', "--type", "deals", "--skip-invalid"
    )
    assert (
        "line 1, key 'note': holds a number too large to store (beyond about ±1.8e308 it reads "
        "as infinity): write a smaller number, or quote it to import it as text"
    ) in result.output.splitlines()
    assert "created 0, updated 0, unchanged 0, rejected 1" in result.output
    assert record_count(engine) == 0
