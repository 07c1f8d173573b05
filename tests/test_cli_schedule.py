"""The ``workflow-bot schedule`` commands: next runs and descriptions of schedule specs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner, Result

from bot.cli import main

NEW_YORK_230 = {"frequency": "daily", "time": "02:30", "timezone": "America/New_York"}


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    monkeypatch.delenv("DEFAULT_TIMEZONE", raising=False)
    return CliRunner()


def run(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(main, ["schedule", *args], env=env)


def test_next_prints_the_runs_after_the_instant_given(runner: CliRunner) -> None:
    spec = json.dumps(NEW_YORK_230)
    result = run(runner, "next", "--spec", spec, "--after", "2026-03-07T12:00:00Z", "--count", "3")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "2026-03-08T03:30:00-04:00 2026-03-09T02:30:00-04:00 2026-03-10T02:30:00-04:00\n"
    )


def test_next_prints_five_runs_strictly_after_by_default(runner: CliRunner) -> None:
    spec = '{"frequency": "weekly", "weekdays": ["mon"], "time": "09:00"}'
    result = run(runner, "next", "--spec", spec, "--after", "2026-01-05T09:00:00+00:00")
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == [f"2026-{d}T09:00:00+00:00" for d in ("01-12", "01-19",
                                     "01-26", "02-02", "02-09")]  # fmt: skip


def test_next_prints_one_line_per_spec_of_a_file(runner: CliRunner, tmp_path: Path) -> None:
    specs = tmp_path / "specs.jsonl"
    specs.write_text(
        json.dumps(NEW_YORK_230)
        + "\n\n"
        + '{"frequency": "monthly", "month_positions": [{"ordinal": "last", "day": "day"}], '
        '"time": "15:00", "timezone": "Europe/Paris"}\n'
        '{"frequency": "once", "date": "2026-12-24", "time": "10:00", '
        '"timezone": "Asia/Kolkata"}\n',
        encoding="utf-8",
    )
    result = run(
        runner, "next", "--spec", f"@{specs}", "--after", "2026-03-07T12:00Z", "--count", "2"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "2026-03-08T03:30:00-04:00 2026-03-09T02:30:00-04:00",
        "2026-03-31T15:00:00+02:00 2026-04-30T15:00:00+02:00",
        "2026-12-24T10:00:00+05:30",
    ]


def test_next_counts_from_now_by_default(runner: CliRunner) -> None:
    with time_machine.travel(datetime(2030, 5, 1, 12, tzinfo=UTC), tick=False):
        result = run(runner, "next", "--spec", json.dumps(NEW_YORK_230), "--count", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout == "2030-05-02T02:30:00-04:00\n"


def test_a_spec_without_timezone_uses_default_timezone(runner: CliRunner) -> None:
    spec = '{"frequency": "daily", "time": "09:00"}'
    env = {"DEFAULT_TIMEZONE": "Asia/Kolkata"}
    result = run(
        runner, "next", "--spec", spec, "--after", "2026-01-01T12:00", "--count", "1", env=env
    )
    assert result.exit_code == 0, result.output
    # --after without an offset is read in DEFAULT_TIMEZONE too.
    assert result.stdout == "2026-01-02T09:00:00+05:30\n"


def test_a_schedule_that_ends_prints_the_runs_it_has_left(runner: CliRunner) -> None:
    spec = '{"frequency": "daily", "time": "09:00", "end_date": "2026-03-05"}'
    result = run(runner, "next", "--spec", spec, "--after", "2026-03-04T12:00Z")
    assert result.exit_code == 0, result.output
    assert result.stdout == "2026-03-05T09:00:00+00:00\n"


def test_a_bad_spec_exits_with_status_2_and_one_message_per_problem(runner: CliRunner) -> None:
    spec = '{"frequency": "weekly", "time": "24:00", "timezone": "Mars/Base", "weekdays": []}'
    result = run(runner, "next", "--spec", spec, "--after", "2026-01-01T00:00Z")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert [line.split(":")[:2] for line in lines] == [
        ["error", " time"],
        ["error", " timezone"],
        ["error", " weekdays"],
    ]
    assert "use HH:MM on a 24-hour clock" in lines[0]
    assert "Traceback" not in result.output


def test_the_bad_lines_of_a_file_are_named(runner: CliRunner, tmp_path: Path) -> None:
    specs = tmp_path / "specs.jsonl"
    specs.write_text(
        '{"frequency": "daily", "time": "09:00"}\n'
        '{"frequency": "annually", "month": 2, "day": 30, "time": "09:00"}\n'
        "{not json\n",
        encoding="utf-8",
    )
    result = run(runner, "next", "--spec", f"@{specs}", "--after", "2026-01-01T00:00Z")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: line 2: day: February has no day 30: use a day from 1 to 29",
        "error: line 3: not valid JSON: Expecting property name enclosed in double quotes "
        "at column 2",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--spec", "[1, 2]"], "error: schedule: must be a JSON object"),
        (["--spec", "@missing.jsonl"], "error: cannot read the schedule file 'missing.jsonl'"),
        (["--spec", "{}", "--after", "tomorrow"], "error: --after 'tomorrow' is not an ISO 8601"),
        (
            ["--spec", '{"frequency": "once", "date": "2026-03-01", "time": "09:00"}',
             "--after", "2026-03-02T00:00Z"],
            "error: date: 2026-03-01 at 09:00 (UTC) has passed: choose a later date",
        ),
    ],
)  # fmt: skip
def test_usage_errors_exit_with_status_2_and_no_traceback(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = run(runner, "next", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.output


def test_a_deeply_nested_spec_file_is_one_line_per_spec_not_a_traceback(
    runner: CliRunner, tmp_path: Path
) -> None:
    specs = tmp_path / "specs.jsonl"
    deep = "[" * 50_000 + "]" * 50_000
    specs.write_text(f'{{"frequency": "daily", "time": {deep}}}\n{{"time": 1e400}}\n')
    result = run(runner, "next", "--spec", f"@{specs}", "--after", "2026-01-01T00:00Z")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: line 1: the schedule is nested more than 32 levels deep (arrays and objects "
        "inside each other): check the brackets",
        "error: line 2: the schedule has the number 1e400, too large to use: numbers must lie "
        "within about ±1.8e308",
    ]


def test_warnings_go_to_stderr_and_the_command_succeeds(runner: CliRunner) -> None:
    spec = '{"frequency": "monthly", "month_days": [31], "time": "09:00"}'
    result = run(runner, "next", "--spec", spec, "--after", "2026-01-01T00:00Z", "--count", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout == "2026-01-31T09:00:00+00:00 2026-03-31T09:00:00+00:00\n"
    assert result.stderr == (
        "warning: day 31 does not exist in February, April, June, September and November: "
        "the workflow will not run in those months\n"
    )


def test_describe_prints_one_sentence_per_spec(runner: CliRunner, tmp_path: Path) -> None:
    specs = tmp_path / "specs.jsonl"
    specs.write_text(
        '{"frequency": "weekly", "interval": 2, "weekdays": ["thu", "mon"], "time": "07:00", '
        '"timezone": "America/New_York"}\n'
        '{"frequency": "annually", "month": 2, "day": 29, "time": "08:00"}\n',
        encoding="utf-8",
    )
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False):
        result = run(runner, "describe", "--spec", f"@{specs}")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Every 2 weeks on Monday and Thursday at 07:00 (America/New_York)",
        "Every year on 29 February at 08:00 (UTC)",
    ]
    assert result.stderr.startswith("warning: line 2: 29 February exists only in leap years")
