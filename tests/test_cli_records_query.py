from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.workflows.vocabulary import PropertyType
from bot.workflows.workspaces import LOCAL_TEAM
from storage.models import Record
from storage.object_types import ObjectTypeRepository
from storage.properties import folded_copy, to_stored

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TYPES = {
    "stage": PropertyType.ENUMERATION,
    "amount": PropertyType.NUMBER,
    "active": PropertyType.BOOLEAN,
}
BIG_DEALS = json.dumps(
    {"any": [{"all": [{"property": "amount", "operator": "gte", "value": 5000}]}]}
)


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    return CliRunner()


@pytest.fixture
def deals(sessions: sessionmaker[Session]) -> None:
    """Three deals of the local workspace, inserted as the importer stores them."""
    rows = [
        ("D-3", "Cyberdyne", "U2", {"stage": "Won", "amount": 12000, "active": True}),
        ("D-1", "Acme", "U1", {"stage": "contract_sent", "amount": 5000}),
        ("D-2", "Bluth Company", None, {"stage": "lost", "amount": 40.5}),
    ]
    with sessions.begin() as session:
        repository = ObjectTypeRepository(session)
        repository.ensure_built_ins(LOCAL_TEAM, NOW)
        deals_id = repository.get(LOCAL_TEAM, "deals").id
        repository.declare(deals_id, TYPES)
        for external_id, name, owner, raw in rows:
            properties = {k: to_stored(v, TYPES[k]) for k, v in raw.items()}
            session.add(
                Record(
                    object_type_id=deals_id,
                    external_id=external_id,
                    name=name,
                    owner=owner,
                    properties=properties,
                    folded=folded_copy(properties, TYPES),
                    created_at=NOW,
                    updated_at=NOW,
                )
            )


def test_list_without_criteria_prints_every_record_by_name(runner: CliRunner, deals: None) -> None:
    result = runner.invoke(main, ["records", "list", "--type", "deals"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["EXTERNAL", "ID", "NAME", "OWNER", "PROPERTIES"]
    assert [line.split()[0] for line in lines[1:4]] == ["D-1", "D-2", "D-3"]
    assert "amount=40.5, stage=lost" in lines[2]
    assert " - " in lines[2]  # no owner
    assert "active=true, amount=12000, stage=Won" in lines[3]
    assert lines[-1] == "3 of 3 matching deals shown."


def test_list_with_criteria_and_a_limit_shows_the_first_matches(
    runner: CliRunner, deals: None
) -> None:
    result = runner.invoke(
        main, ["records", "list", "--type", "deals", "--criteria", BIG_DEALS, "--limit", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "Acme" in result.stdout and "Cyberdyne" not in result.stdout
    assert result.stdout.splitlines()[-1] == "1 of 2 matching deals shown."


def test_list_says_so_when_nothing_matches(runner: CliRunner, deals: None) -> None:
    nothing = {"any": [{"all": [{"property": "stage", "operator": "eq", "value": "open"}]}]}
    result = runner.invoke(
        main, ["records", "list", "--type", "deals", "--criteria", json.dumps(nothing)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "No deals match.\n"


def test_count_prints_only_the_number(runner: CliRunner, deals: None) -> None:
    result = runner.invoke(main, ["records", "count", "--type", "deals", "--criteria", BIG_DEALS])
    assert result.exit_code == 0, result.output
    assert result.stdout == "2\n"


def test_count_reads_criteria_from_a_file(runner: CliRunner, deals: None, tmp_path: Path) -> None:
    path = tmp_path / "won.json"
    won = {"any": [{"all": [{"property": "stage", "operator": "in", "value": ["WON", "lost"]}]}]}
    path.write_text(json.dumps(won), encoding="utf-8")
    result = runner.invoke(main, ["records", "count", "--type", "deals", "--criteria", f"@{path}"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "2\n"


def test_criteria_that_are_not_json_say_where_the_error_is(runner: CliRunner, deals: None) -> None:
    result = runner.invoke(
        main, ["records", "count", "--type", "deals", "--criteria", '{"any": [}']
    )
    assert result.exit_code == 2
    assert "--criteria is not valid JSON: Expecting value at line 1, column 10" in result.output
    assert "Traceback" not in result.output


def test_a_missing_criteria_file_is_a_usage_error(runner: CliRunner, deals: None) -> None:
    result = runner.invoke(
        main, ["records", "count", "--type", "deals", "--criteria", "@nowhere.json"]
    )
    assert result.exit_code == 2
    assert "cannot read the criteria file 'nowhere.json'" in result.output


def test_an_unknown_type_lists_the_known_ones(runner: CliRunner, deals: None) -> None:
    result = runner.invoke(main, ["records", "count", "--type", "deal", "--criteria", "{}"])
    assert result.exit_code == 2
    assert "there is no object type 'deal'; known types: companies, contacts, deals, tickets" in (
        result.output
    )


def test_invalid_criteria_print_every_problem(runner: CliRunner, deals: None) -> None:
    criteria = {
        "any": [
            {"all": [{"property": "active", "operator": "gte", "value": 1}]},
            {"all": [{"property": "amout", "operator": "eq", "value": 1}]},
        ]
    }
    result = runner.invoke(
        main, ["records", "list", "--type", "deals", "--criteria", json.dumps(criteria)]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: group 1, filter 1: operator 'gte' does not apply to boolean property 'active'; "
        "use eq or neq",
        "error: group 2, filter 1: unknown property 'amout'; did you mean 'amount'? "
        "known fields and properties: id, name, owner, created_at, updated_at, active, amount, "
        "stage",
    ]
    assert "Traceback" not in result.output


def test_deeply_nested_criteria_from_a_file_are_one_line_and_exit_2(
    runner: CliRunner, deals: None, tmp_path: Path
) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"any": ' + "[" * 50_000 + "]" * 50_000 + "}", encoding="utf-8")
    result = runner.invoke(main, ["records", "count", "--type", "deals", "--criteria", f"@{path}"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: --criteria is nested more than 32 levels deep (arrays and objects inside each "
        "other): check the brackets"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e400", "has the number 1e400, too large to use: numbers must lie within about ±1.8e308"),
        ("-Infinity", "has -Infinity, which is not a JSON number: write a number or null"),
        ("NaN", "has NaN, which is not a JSON number: write a number or null"),
    ],
)
def test_criteria_with_a_number_that_is_not_finite_are_refused(
    runner: CliRunner, deals: None, value: str, message: str
) -> None:
    criteria = BIG_DEALS.replace("5000", value)
    result = runner.invoke(main, ["records", "count", "--type", "deals", "--criteria", criteria])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: --criteria {message}"]


def test_a_criteria_file_longer_than_the_limit_is_refused_unread(
    runner: CliRunner, deals: None, tmp_path: Path
) -> None:
    path = tmp_path / "huge.json"
    path.write_text(" " * 1_000_001 + "{}", encoding="utf-8")
    result = runner.invoke(main, ["records", "count", "--type", "deals", "--criteria", f"@{path}"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: the criteria file {str(path)!r} is longer than 1,000,000 characters: check "
        "that it is the right file"
    ]


def test_list_shows_a_datetime_as_every_command_writes_an_instant(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "visits.csv").write_text("id,name,seen\nV-1,Initech,2026-12-01T09:00:00+01:00\n")
    imported = runner.invoke(
        main,
        ["records", "import", "visits.csv", "--type", "deals", "--property-type", "seen=datetime"],
    )
    assert imported.exit_code == 0, imported.output

    result = runner.invoke(main, ["records", "list", "--type", "deals"])

    assert result.exit_code == 0, result.output
    assert "seen=2026-12-01T08:00:00+00:00" in result.stdout.splitlines()[1]
