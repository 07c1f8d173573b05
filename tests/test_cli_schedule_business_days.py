"""``workflow-bot schedule next/describe`` with several times a day, chosen months and
business days: the commands print them and word their problems in file terms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main

QUARTER_END = {
    "frequency": "monthly",
    "months": [3, 6, 9, 12],
    "month_positions": [{"ordinal": "last", "day": "business_day"}],
    "holidays": "US",
    "times": ["16:00", "09:00"],
    "timezone": "America/New_York",
}


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    monkeypatch.delenv("DEFAULT_TIMEZONE", raising=False)
    return CliRunner()


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, ["schedule", *args])


def test_next_prints_each_time_of_each_last_business_day_of_a_quarter(runner: CliRunner) -> None:
    spec = json.dumps(QUARTER_END)
    result = run(runner, "next", "--spec", spec, "--after", "2026-06-01T00:00Z", "--count", "4")
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == [
        "2026-06-30T09:00:00-04:00",
        "2026-06-30T16:00:00-04:00",
        "2026-09-30T09:00:00-04:00",
        "2026-09-30T16:00:00-04:00",
    ]


def test_describe_says_the_months_the_business_days_and_the_times(runner: CliRunner) -> None:
    result = run(runner, "describe", "--spec", json.dumps(QUARTER_END))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Every month in March, June, September and December on the last business day "
        "(not counting public holidays in US) at 09:00 and 16:00 (America/New_York)\n"
    )


def test_a_schedule_that_never_runs_in_its_months_is_refused_in_file_terms(
    runner: CliRunner,
) -> None:
    spec = '{"frequency": "monthly", "months": [2], "month_days": [30], "time": "09:00"}'
    result = run(runner, "next", "--spec", spec, "--after", "2026-01-01T00:00Z")
    assert result.exit_code == 2
    assert "month_days: February has no day 30: choose days up to 29, or other months" in (
        result.stderr
    )


def test_a_fifth_weekday_warns_on_stderr(runner: CliRunner) -> None:
    spec = '{"frequency": "monthly", "month_positions": [{"ordinal": "fifth", "day": "fri"}], '
    spec += '"time": "09:00"}'
    result = run(runner, "next", "--spec", spec, "--after", "2026-01-01T00:00Z", "--count", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == ["2026-01-30T09:00:00+00:00", "2026-05-29T09:00:00+00:00"]
    assert "warning: only some months have a fifth Friday" in result.stderr
