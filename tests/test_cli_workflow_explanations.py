from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.workflow_example import EXAMPLE as WORKFLOW

DEALS = """id,name,stage,amount,owner
D1,Acme,contract sent,6000,U0AAA
D2,Acme Corp,qualified,100,
D3,Initech,Contract Sent,9000,
"""


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deals.csv").write_text(DEALS)
    (tmp_path / "workflow.yml").write_text(WORKFLOW)
    runner = CliRunner()
    for args in (
        ["records", "import", "deals.csv", "--type", "deals"],
        ["workflows", "import", "workflow.yml"],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
    return runner


def invoke(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_why_names_the_filter_that_fails_and_the_record_value(cli: CliRunner) -> None:
    output = invoke(
        cli, "workflows", "why", "Weekly deal review", "D2", "--at", "2026-12-03T07:00:00-05:00"
    )
    assert output.splitlines()[0] == (
        "Acme Corp (D2) would not be enrolled by Weekly deal review at 2026-12-03T07:00:00-05:00: "
        "a filter of the criteria does not hold."
    )
    assert "    [no ] stage is equal to contract sent; stage is qualified" in output
    assert "Past runs: none has enrolled records yet." in output


def test_why_at_the_next_run_finds_a_record_by_part_of_its_name(cli: CliRunner) -> None:
    output = invoke(cli, "workflows", "why", "Weekly deal review", "initech")
    assert re.match(
        r"Initech \(D3\) would be enrolled by Weekly deal review at its next run, "
        r"\d{4}-\d{2}-\d{2}T07:00:00-0[45]:00: it matches group 1\.",
        output,
    )
    assert "    [yes] stage is equal to contract sent; stage is Contract Sent" in output


def test_why_with_a_name_several_records_share_lists_them(cli: CliRunner) -> None:
    result = cli.invoke(main, ["workflows", "why", "Weekly deal review", "acme"])
    assert result.exit_code == 2
    assert "2 records match 'acme', e.g. Acme (D1), Acme Corp (D2): give the record's id" in (
        result.output
    )


def test_why_with_a_bad_instant_says_how_to_write_one(cli: CliRunner) -> None:
    result = cli.invoke(main, ["workflows", "why", "Weekly deal review", "D1", "--at", "soon"])
    assert result.exit_code == 2
    assert "--at 'soon' is not an ISO 8601 date and time" in result.output


def test_forecast_counts_each_of_the_next_runs(cli: CliRunner) -> None:
    output = invoke(cli, "workflows", "forecast", "Weekly deal review", "--runs", "3")
    # A run a pause day defers says so after its count (Thanksgiving falls on a Thursday).
    run_line = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:00:00-0[45]:00: 2 records( \(.*\))?$")
    runs = [line for line in output.splitlines() if run_line.match(line)]
    assert len(runs) == 3, output


def test_forecast_of_an_unknown_workflow_names_the_known_ones(cli: CliRunner) -> None:
    result = cli.invoke(main, ["workflows", "forecast", "Weekly review"])
    assert result.exit_code == 2
    assert "Weekly deal review" in result.output


def test_why_says_a_snoozed_record_is_left_out_until_when(cli: CliRunner) -> None:
    invoke(cli, "workflows", "snooze", "Weekly deal review", "D3", "--days", "30")
    output = invoke(cli, "workflows", "why", "Weekly deal review", "D3")
    assert "Initech (D3) would not be enrolled by Weekly deal review at its next run" in output
    assert "it matches group 1, but it is snoozed in this workflow until " in output
    assert re.search(r"Snoozed by cli until \d{4}-\d{2}-\d{2}T00:00:00-0[45]:00", output), output


def test_why_at_an_instant_on_a_pause_day_says_what_the_pause_does(cli: CliRunner) -> None:
    # The README example pauses on 2026-11-26 (Thanksgiving, a Thursday) and defers.
    output = invoke(
        cli, "workflows", "why", "Weekly deal review", "D1", "--at", "2026-11-26T07:00:00-05:00"
    )
    assert "Schedule: 2026-11-26 is a pause day: deferred to 2026-11-27." in output


def test_why_at_a_time_without_an_offset_reads_it_in_the_workflows_zone(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Asia/Tokyo")  # not the workflow's New York
    output = invoke(cli, "workflows", "why", "Weekly deal review", "D2", "--at", "2026-12-03T07:00")
    assert "by Weekly deal review at 2026-12-03T07:00:00-05:00:" in output.splitlines()[0]


def test_why_says_what_left_a_record_out_of_a_past_run_with_its_value_then(
    cli: CliRunner, tmp_path: Path
) -> None:
    invoke(cli, "workflows", "run", "Weekly deal review")  # D1 and D3: D2 is qualified
    (tmp_path / "deals.csv").write_text(DEALS.replace("qualified", "contract sent"))
    invoke(cli, "records", "import", "deals.csv", "--type", "deals")
    output = invoke(cli, "workflows", "why", "Weekly deal review", "D2")
    assert re.search(
        r"^  #\d+ \(\d{4}-\d{2}-\d{2}\), left out: `stage` was `qualified` then "
        r"\(stage is equal to contract sent\)$",
        output,
        re.MULTILINE,
    ), output
