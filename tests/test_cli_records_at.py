"""``records count`` and ``records list`` evaluate relative dates at ``--at`` in ``--timezone``."""

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
from storage.object_types import ObjectTypeRepository
from storage.records import NewRecord, RecordRepository

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
OVERDUE = json.dumps(
    {"any": [{"all": [{"property": "close_date", "operator": "before", "value": "today"}]}]}
)
# 23:30 UTC on 1 March: already 2 March in Paris, still 1 March in UTC and New York.
LATE_EVENING = "2026-03-01T23:30:00Z"


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    return CliRunner()


@pytest.fixture
def deals(sessions: sessionmaker[Session]) -> None:
    """Deals closing on 1 and 2 March 2026."""
    with sessions.begin() as session:
        repository = ObjectTypeRepository(session)
        repository.ensure_built_ins(LOCAL_TEAM, NOW)
        deals_id = repository.get(LOCAL_TEAM, "deals").id
        repository.declare(deals_id, {"close_date": PropertyType.DATE})
        RecordRepository(session).insert_many(
            [
                NewRecord(
                    object_type_id=deals_id,
                    external_id=f"D-{day}",
                    name=f"Closing on the {day}st",
                    owner=None,
                    properties={"close_date": f"2026-03-0{day}"},
                    folded={},
                    created_at=NOW,
                    updated_at=NOW,
                )
                for day in (1, 2)
            ]
        )


def count(runner: CliRunner, *options: str) -> str:
    result = runner.invoke(
        main, ["records", "count", "--type", "deals", "--criteria", OVERDUE, *options]
    )
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_today_is_the_date_at_the_given_instant_in_the_given_zone(
    runner: CliRunner, deals: None
) -> None:
    assert count(runner, "--at", LATE_EVENING, "--timezone", "Europe/Paris") == "1"
    assert count(runner, "--at", LATE_EVENING, "--timezone", "UTC") == "0"
    assert count(runner, "--at", LATE_EVENING, "--timezone", "America/New_York") == "0"


def test_the_zone_defaults_to_the_configured_one(
    runner: CliRunner, deals: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Asia/Tokyo")
    assert count(runner, "--at", LATE_EVENING) == "1"


def test_an_instant_without_an_offset_is_read_in_the_zone(runner: CliRunner, deals: None) -> None:
    assert count(runner, "--at", "2026-03-02T00:30", "--timezone", "Europe/Paris") == "1"
    assert count(runner, "--at", "2026-03-01T23:30", "--timezone", "Europe/Paris") == "0"


def test_list_takes_the_same_instant_and_zone(runner: CliRunner, deals: None) -> None:
    result = runner.invoke(
        main,
        [
            "records",
            "list",
            "--type",
            "deals",
            "--criteria",
            OVERDUE,
            "--at",
            LATE_EVENING,
            "--timezone",
            "Europe/Paris",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "1 of 1 matching deals shown."
    assert "D-1" in result.stdout and "D-2" not in result.stdout


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--at", "tomorrow"],
            "error: --at 'tomorrow' is not an ISO 8601 date and time: use e.g. "
            "2026-12-06T08:00:00+01:00",
        ),
        (
            ["--timezone", "Mars/Olympus_Mons"],
            "error: --timezone 'Mars/Olympus_Mons' is not an IANA time zone: use e.g. "
            "Europe/Paris or UTC",
        ),
        (
            ["--timezone", "../../etc/passwd"],
            "error: --timezone '../../etc/passwd' is not an IANA time zone: use e.g. "
            "Europe/Paris or UTC",
        ),
    ],
)
@pytest.mark.parametrize("command", ["count", "list"])
def test_a_bad_instant_or_zone_is_one_line_and_exit_status_2(
    runner: CliRunner, command: str, options: list[str], message: str
) -> None:
    result = runner.invoke(
        main, ["records", command, "--type", "deals", "--criteria", OVERDUE, *options]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [message]
