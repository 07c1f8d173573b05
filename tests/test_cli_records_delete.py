"""Records that leave: ``records delete`` and ``records import --prune`` through the real
command line, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.cli import main
from storage.models import Record

DEALS = (
    "id,name,stage,amount\n"
    "D-1,Acme renewal,contract,12000\n"
    "D-2,Globex pilot,qualified,3000\n"
    "D-3,Initech expansion,contract,7000\n"
)
IN_CONTRACT = '{"any": [{"all": [{"property": "stage", "operator": "eq", "value": "contract"}]}]}'


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    return CliRunner()


def cli(runner: CliRunner, *args: str, input: str | None = None) -> Result:
    return runner.invoke(main, list(args), input=input)


def import_file(runner: CliRunner, content: str, *options: str, input: str | None = None) -> Result:
    Path("deals.csv").write_text(content, encoding="utf-8")
    return cli(runner, "records", "import", "deals.csv", "--type", "deals", *options, input=input)


def removed(engine: Engine) -> dict[str, bool]:
    """Each deal's external id: whether it is removed."""
    with Session(engine) as session:
        rows = session.execute(select(Record.external_id, Record.deleted_at))
        return {external_id: deleted_at is not None for external_id, deleted_at in rows}


def count(runner: CliRunner, criteria: str = "{}") -> str:
    return cli(runner, "records", "count", "--type", "deals", "--criteria", criteria).output.strip()


def test_delete_by_ids_shows_what_it_removes_and_asks_first(
    runner: CliRunner, engine: Engine
) -> None:
    import_file(runner, DEALS)

    result = cli(runner, "records", "delete", "--type", "deals", "D-1", "D-3", input="y\n")

    assert result.exit_code == 0, result.output
    assert "This removes 2 records of deals: D-1 (Acme renewal), D-3 (Initech" in result.output
    assert "Remove them? [y/N]" in result.output
    assert "Removed 2 records of deals: D-1 (Acme renewal), D-3 (Initech" in result.output
    assert removed(engine) == {"D-1": True, "D-2": False, "D-3": True}


def test_declining_the_question_removes_nothing(runner: CliRunner, engine: Engine) -> None:
    import_file(runner, DEALS)

    result = cli(runner, "records", "delete", "--type", "deals", "D-1", input="n\n")

    assert result.exit_code == 1
    assert "Remove it? [y/N]" in result.output  # one record
    assert "Nothing was removed." in result.output
    assert not any(removed(engine).values())


def test_without_terminal_input_or_yes_a_removal_is_refused_in_one_line(
    runner: CliRunner, engine: Engine
) -> None:
    import_file(runner, DEALS)

    result = cli(runner, "records", "delete", "--type", "deals", "D-1")

    assert result.exit_code == 2
    # One line on stderr at once: no question left hanging, no blank line before it.
    [error] = result.stderr.splitlines()
    assert error.startswith("error: ") and "add --yes" in error
    assert "[y/N]" not in result.output
    assert "Traceback" not in result.output
    assert not any(removed(engine).values())


def test_delete_by_criteria_with_yes_removes_the_matching_records(
    runner: CliRunner, engine: Engine
) -> None:
    import_file(runner, DEALS)

    result = cli(runner, "records", "delete", "--type", "deals", "--criteria", IN_CONTRACT, "--yes")

    assert result.exit_code == 0, result.output
    assert "Removed 2 records of deals: D-1 (Acme renewal), D-3 (Initech expansion)" in (
        result.output
    )
    assert "?" not in result.output
    assert removed(engine) == {"D-1": True, "D-2": False, "D-3": True}


def test_removed_records_are_neither_counted_nor_listed(runner: CliRunner) -> None:
    import_file(runner, DEALS)
    cli(runner, "records", "delete", "--type", "deals", "D-1", "--yes")

    assert count(runner) == "2"
    assert count(runner, IN_CONTRACT) == "1"
    listed = cli(runner, "records", "list", "--type", "deals").output
    assert "Acme renewal" not in listed and "2 of 2 matching deals shown" in listed


def test_importing_a_removed_record_again_brings_it_back(runner: CliRunner, engine: Engine) -> None:
    import_file(runner, DEALS)
    cli(runner, "records", "delete", "--type", "deals", "D-1", "D-2", "--yes")

    result = import_file(runner, "id,name,stage,amount\nD-1,Acme renewal,contract,12000\n")

    assert result.exit_code == 0, result.output
    assert removed(engine) == {"D-1": False, "D-2": True, "D-3": False}
    assert count(runner) == "2"


def test_an_unknown_id_removes_nothing_and_says_so(runner: CliRunner, engine: Engine) -> None:
    import_file(runner, DEALS)

    result = cli(runner, "records", "delete", "--type", "deals", "D-1", "D-9", "--yes")

    assert result.exit_code == 2
    assert "no deals record has the id 'D-9': nothing was removed" in result.output
    assert not any(removed(engine).values())


def test_ids_already_removed_are_left_as_they_are(runner: CliRunner) -> None:
    import_file(runner, DEALS)
    cli(runner, "records", "delete", "--type", "deals", "D-1", "--yes")

    result = cli(runner, "records", "delete", "--type", "deals", "D-1", "D-2", "--yes")

    assert "Already removed, left as they are: D-1" in result.output
    assert "Removed 1 record of deals: D-2 (Globex pilot)" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "name the records to remove either by their ids or with --criteria JSON"),
        (("D-1", "--criteria", "{}"), "not both"),
        (("--criteria", "{nope"), "--criteria is not valid JSON"),
        (("--criteria", '{"any": [{"all": [{"property": "x", "operator": "eq"}]}]}'), "x"),
    ],
)
def test_a_removal_asked_wrongly_is_a_usage_error(
    runner: CliRunner, args: tuple[str, ...], message: str
) -> None:
    import_file(runner, DEALS)

    result = cli(runner, "records", "delete", "--type", "deals", *args, "--yes")

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_pruning_import_removes_the_records_the_file_leaves_out(
    runner: CliRunner, engine: Engine
) -> None:
    import_file(runner, DEALS)
    smaller = "id,name,stage,amount\nD-2,Globex pilot,won,3000\nD-4,Hooli,contract,500\n"

    result = import_file(runner, smaller, "--prune", input="y\n")

    assert result.exit_code == 0, result.output
    assert (
        "deals.csv is the whole set of deals: importing it removes 2 records of deals: "
        "D-1 (Acme renewal), D-3 (Initech expansion)" in result.output
    )
    assert "created 1, updated 1, unchanged 0, rejected 0" in result.output
    assert "removed 2 records of deals: D-1 (Acme renewal), D-3 (Initech" in result.output
    assert removed(engine) == {"D-1": True, "D-2": False, "D-3": True, "D-4": False}


def test_a_pruning_import_declined_imports_nothing(runner: CliRunner, engine: Engine) -> None:
    import_file(runner, DEALS)

    result = import_file(runner, "id,name\nD-2,Globex pilot\n", "--prune", input="n\n")

    assert result.exit_code == 1
    assert "Nothing was removed." in result.output
    assert not any(removed(engine).values())


def test_a_pruning_import_with_yes_asks_nothing_and_without_input_refuses(
    runner: CliRunner, engine: Engine
) -> None:
    import_file(runner, DEALS)
    refused = import_file(runner, "id,name\nD-2,Globex pilot\n", "--prune")
    assert refused.exit_code == 2 and "add --yes" in refused.output
    assert not any(removed(engine).values())

    result = import_file(runner, "id,name\nD-2,Globex pilot\n", "--prune", "--yes")

    assert result.exit_code == 0, result.output
    assert "?" not in result.output
    assert "removed 2 records of deals" in result.output
    assert removed(engine) == {"D-1": True, "D-2": False, "D-3": True}


def test_a_pruning_import_with_bad_rows_removes_nothing(runner: CliRunner, engine: Engine) -> None:
    import_file(runner, DEALS)

    result = import_file(runner, "id,amount\nD-2,lots\n", "--prune", "--yes")

    assert result.exit_code == 2
    assert not any(removed(engine).values())


@pytest.mark.parametrize("yes", [(), ("--yes",)])
def test_a_pruning_import_of_an_empty_file_removes_nothing(
    runner: CliRunner, engine: Engine, yes: tuple[str, ...]
) -> None:
    """An empty export is far more often a fault than a type emptied on purpose."""
    import_file(runner, DEALS)

    result = import_file(runner, "id,name\n", "--prune", *yes, input="y\n")

    assert result.exit_code == 2
    assert "holds no records, and --prune would remove every deals record" in result.output
    assert "?" not in result.output  # not asked: refused before
    assert not any(removed(engine).values())
