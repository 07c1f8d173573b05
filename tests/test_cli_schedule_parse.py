"""``workflow-bot schedule parse``: a schedule typed in plain English printed as its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    monkeypatch.delenv("DEFAULT_TIMEZONE", raising=False)
    return CliRunner()


def parse(runner: CliRunner, *args: str, zone: str = "UTC") -> Result:
    return runner.invoke(main, ["schedule", "parse", *args], env={"DEFAULT_TIMEZONE": zone})


def test_parse_prints_the_spec_as_one_line_of_json(runner: CliRunner) -> None:
    result = parse(runner, "every other Tuesday at 9am", "--timezone", "Europe/Paris")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "frequency": "weekly",
        "weekdays": ["tue"],
        "interval": 2,
        "time": "09:00",
        "timezone": "Europe/Paris",
    }
    assert len(result.stdout.splitlines()) == 1


def test_without_timezone_the_zone_is_default_timezone(runner: CliRunner) -> None:
    result = parse(runner, "the 1st and 15th at 8:30am", zone="Asia/Kolkata")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["timezone"] == "Asia/Kolkata"


def test_a_zone_in_the_text_wins_over_timezone(runner: CliRunner) -> None:
    result = parse(runner, "every Monday at 9am New York time", "--timezone", "Europe/Paris")
    assert json.loads(result.stdout)["timezone"] == "America/New_York"


def test_text_not_understood_exits_2_naming_the_part_and_two_examples(runner: CliRunner) -> None:
    result = parse(runner, "every blursday at 9")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: “blursday” is not understood.")
    assert "“every Monday and Thursday at 9am”" in result.stderr


def test_a_spec_the_schedule_check_refuses_exits_2_with_its_problem(runner: CliRunner) -> None:
    result = parse(runner, "every year on February 30")
    assert result.exit_code == 2
    assert "February has no day 30" in result.stderr
    assert result.stdout == ""


def test_an_unknown_timezone_option_is_named(runner: CliRunner) -> None:
    result = parse(runner, "daily", "--timezone", "Mars/Olympus")
    assert result.exit_code == 2
    assert "--timezone 'Mars/Olympus' is not an IANA time zone" in result.stderr


def test_the_15th_and_the_last_day_is_one_monthly_schedule_of_both(runner: CliRunner) -> None:
    result = parse(runner, "the 15th and the last day of the month at 5pm")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "frequency": "monthly",
        "month_days": [15],
        "month_positions": [{"ordinal": "last", "day": "day"}],
        "time": "17:00",
        "timezone": "UTC",
    }


def test_a_day_of_the_month_and_the_same_position_are_both_printed(runner: CliRunner) -> None:
    result = parse(runner, "the 1st and the first Monday")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "frequency": "monthly",
        "month_days": [1],
        "month_positions": [{"ordinal": "first", "day": "mon"}],
        "time": "09:00",
        "timezone": "UTC",
    }


def test_a_number_that_reads_two_ways_exits_2_with_a_phrasing_for_each(runner: CliRunner) -> None:
    result = parse(runner, "the 1st and last Friday")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: In “the 1st and last Friday”, “1st” can mean the 1st of the month or the first "
        "Friday: say “on the 1st and on the last Friday” or “the first and last Friday”.\n"
    )
