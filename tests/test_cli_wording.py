"""A first hour at the command line without surprises: a scripted session in console mode
(records import, workflows import, list, show, run, history, pause, activate) whose output
never shows a Python repr, a Slack escape, a wrong plural or one instant in two zones."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.workflows.summary import RunSummary, summary_message

# Saved by a spreadsheet in a language whose decimal mark is a comma: semicolons, and a
# separator after the last column.
DEALS = """id;name;stage;amount;owner;
D-1;Umbrella <Corp> & Co;contract_sent;5400;U0SAMPLE1;
D-2;Globex pilot;qualified;3000;;
"""
WORKFLOW = """\
name: Umbrella watch
object_type: deals
status: active
owner: U0SAMPLE1
schedule: {frequency: weekly, weekdays: [thu], time: "07:00", timezone: America/New_York}
criteria: {any: [{all: [{property: stage, operator: eq, value: contract_sent}]}]}
actions:
  - {type: send_channel_message, channel: C0SAMPLE, text: "{{ name }} ({{ owner }}) is late"}
  - {type: set_property, property: last_reminded, value: "{{ run.date }}"}
  - {type: create_task, title: "Call {{ name }}", due_in_days: 1}
settings: {summary_channel: C0SAMPLE, summary: always}
"""
INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?([+-]\d{2}:\d{2}|Z)")
# A Python repr of a list, a tuple or an enumeration member, or Slack's escapes and syntax.
REPRS = re.compile(r"\['|\[\(|\(\d+, <|<[A-Z]\w*\.[A-Z_]+: ")
SLACK_SYNTAX = re.compile(r"&(amp|lt|gt);|<[@#!]")
WRONG_PLURAL = re.compile(r"\b1 (?!is\b|was\b|has\b|ok\b)[a-z]+s\b")


@pytest.fixture
def session(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deals.csv").write_text(DEALS, encoding="utf-8")
    (tmp_path / "workflow.yml").write_text(WORKFLOW, encoding="utf-8")
    return CliRunner()


def run(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_first_session_reads_cleanly(session: CliRunner) -> None:
    outputs = [
        run(session, "records", "import", "deals.csv", "--type", "deals"),
        run(session, "workflows", "import", "workflow.yml"),
        run(session, "workflows", "list"),
        run(session, "workflows", "show", "Umbrella watch"),
        run(session, "workflows", "run", "--dry-run", "Umbrella watch"),
        run(session, "workflows", "run", "Umbrella watch"),
        run(session, "workflows", "history", "Umbrella watch"),
        run(session, "workflows", "pause", "Umbrella watch"),
        run(session, "workflows", "activate", "Umbrella watch"),
    ]
    text = "\n".join(outputs)

    assert "created 2, updated 0" in outputs[0]  # the semicolons were understood
    assert REPRS.findall(text) == []
    assert SLACK_SYNTAX.findall(text) == []
    assert WRONG_PLURAL.findall(text) == []
    assert "Umbrella <Corp> & Co (@U0SAMPLE1) is late" in outputs[5]  # the console, as typed
    offsets = {found.group(1) for found in INSTANT.finditer(text)}
    # December in New York: every instant in the workflow's zone, none in UTC.
    assert offsets == {"-05:00"}, text
    assert "1 record matches now" in outputs[4]
    assert "set last_reminded to '20" in outputs[4]  # a date as written, not datetime.date(…)
    assert "create the task 'Call Umbrella <Corp> & Co'" in outputs[4]
    tasks = run(session, "records", "list", "--type", "tasks")
    assert "Call Umbrella <Corp> & Co" in tasks  # a task is a record, named as typed


def test_a_semicolon_file_with_a_repeated_id_is_refused_naming_both_lines(
    session: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "twice.csv").write_text("id;name\nA;Alpha\nB;Beta\nA;Again\n", encoding="utf-8")

    result = session.invoke(main, ["records", "import", "twice.csv", "--type", "deals"])

    assert result.exit_code == 2
    assert "line 4: the id 'A' is also on line 2" in result.output
    assert "Nothing was imported: 1 row is invalid." in result.output
    assert "created 0" in result.output


def test_a_run_summary_counts_one_record_in_the_singular() -> None:
    one = RunSummary(
        run_id=1,
        workflow_name="Umbrella watch",
        scheduled_at=datetime(2026, 12, 10, 7, tzinfo=ZoneInfo("America/New_York")),
        enrolled=1,
        ok=1,
        failed=0,
        skipped=0,
        deferred_reason=None,
        seconds=0.1,
        missed=(),
        failures=(),
        waited_for=None,
        unknown=0,
        unknowns=(),
    )

    text = summary_message(one)

    assert "1 record enrolled" in text
    assert "2 records enrolled" in summary_message(replace(one, enrolled=2))


def test_a_workflow_file_error_counts_actions_from_one_and_shows_values_as_written(
    session: CliRunner, tmp_path: Path
) -> None:
    broken = WORKFLOW.replace("weekdays: [thu]", "weekdays: [thursday]").replace(
        'channel: C0SAMPLE, text: "{{ name }} ({{ owner }}) is late"', "channel: C0SAMPLE"
    )
    (tmp_path / "broken.yml").write_text(broken, encoding="utf-8")
    run(session, "records", "import", "deals.csv", "--type", "deals")

    result = session.invoke(main, ["workflows", "import", "broken.yml"])

    assert result.exit_code == 2
    assert '["thursday"] is not a list of weekdays' in result.output
    assert "action 1, text" in result.output
    assert REPRS.findall(result.output) == []
    assert "actions[0]" not in result.output


def test_an_imported_files_warnings_go_to_stderr_in_file_terms_led_by_the_workflow(
    session: CliRunner, tmp_path: Path
) -> None:
    monthly = WORKFLOW.replace(
        "{frequency: weekly, weekdays: [thu]", "{frequency: monthly, month_days: [31]"
    ).replace("summary: always}", "summary: always, pause_days: ['02-29']}")
    (tmp_path / "monthly.yml").write_text(monthly, encoding="utf-8")
    run(session, "records", "import", "deals.csv", "--type", "deals")

    result = session.invoke(main, ["workflows", "import", "monthly.yml"])

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "warning: workflow 1 (Umbrella watch): schedule: day 31 does not exist in February, "
        "April, June, September and November: the workflow will not run in those months",
        "warning: workflow 1 (Umbrella watch): settings.pause_days: 02-29 exists only in leap "
        "years: in other years no day is paused for it",
    ]


def test_a_decimal_comma_in_a_number_column_says_to_write_a_point(
    session: CliRunner, tmp_path: Path
) -> None:
    run(session, "records", "import", "deals.csv", "--type", "deals")  # amount is a number
    (tmp_path / "amounts.csv").write_text("id;amount\nD-1;5400,50\n", encoding="utf-8")

    result = session.invoke(main, ["records", "import", "amounts.csv", "--type", "deals"])

    assert result.exit_code == 2
    assert "line 2: amount '5400,50' is not a number" in result.output
    assert "write the decimal mark as a point (5400.50)" in result.output
