from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.slack_standin import SlackStandIn
from tests.workflow_example import EXAMPLE as WORKFLOW

DEALS = """id,name,stage,amount,owner
D1,Acme <!channel>,contract sent,6000,U0AAA
D2,Globex,qualified,100,
D3,Initech,Contract Sent,9000,
"""


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deals.csv").write_text(DEALS)
    (tmp_path / "workflow.yml").write_text(WORKFLOW)
    runner = CliRunner()
    imported = runner.invoke(main, ["records", "import", "deals.csv", "--type", "deals"])
    assert imported.exit_code == 0, imported.output
    return runner


def invoke(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_importing_the_readme_example_creates_an_active_workflow(cli: CliRunner) -> None:
    assert "Weekly deal review: created; next run " in invoke(
        cli, "workflows", "import", "workflow.yml"
    )
    listing = invoke(cli, "workflows", "list")
    assert "Weekly deal review [active] deals: Every week on Thursday at 07:00" in listing


def test_export_then_import_round_trips_exactly(cli: CliRunner, tmp_path: Path) -> None:
    invoke(cli, "workflows", "import", "workflow.yml")
    exported = invoke(cli, "workflows", "export", "Weekly deal review")
    (tmp_path / "exported.yml").write_text(exported)
    assert "unchanged (revision 1)" in invoke(cli, "workflows", "import", "exported.yml")
    assert invoke(cli, "workflows", "export") == exported
    changed = exported.replace("07:00", "07:30")
    (tmp_path / "changed.yml").write_text(changed)
    assert "updated to revision 2" in invoke(cli, "workflows", "import", "changed.yml")


def test_a_once_workflow_whose_date_has_passed_imports_as_finished(
    cli: CliRunner, tmp_path: Path
) -> None:
    once = WORKFLOW.replace(
        "{frequency: weekly, weekdays: [thu],", "{frequency: once, date: 2020-01-02,"
    )
    (tmp_path / "once.yml").write_text(once)
    output = invoke(cli, "workflows", "import", "once.yml")
    assert "Weekly deal review: created; finished: its schedule has no run left" in output
    assert "next run none" in invoke(cli, "workflows", "list")
    far = once.replace("2020-01-02", "2099-01-02")
    (tmp_path / "far.yml").write_text(far)
    refused = cli.invoke(main, ["workflows", "import", "far.yml"])
    assert refused.exit_code == 2 and "years away" in refused.output


def test_an_invalid_file_is_refused_whole_with_every_problem(
    cli: CliRunner, tmp_path: Path
) -> None:
    broken = WORKFLOW.replace("[thu]", "[thursday]").replace("operator: eq,", "operator: equals,")
    (tmp_path / "broken.yml").write_text(broken)
    result = cli.invoke(main, ["workflows", "import", "broken.yml"])
    assert result.exit_code == 2
    assert "schedule.weekdays" in result.output and "equals" in result.output
    assert "Traceback" not in result.output
    assert "No workflows yet" in invoke(cli, "workflows", "list")


def test_a_file_without_workflows_is_an_error(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "empty.yml").write_text("# nothing yet\n")
    result = cli.invoke(main, ["workflows", "import", "empty.yml"])
    assert result.exit_code == 2
    assert "holds no workflow" in result.output


def test_the_export_of_a_workspace_without_workflows_imports_as_nothing(
    cli: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "none.yml").write_text(invoke(cli, "workflows", "export"))
    output = invoke(cli, "workflows", "import", "none.yml")
    assert "none.yml holds no workflow (an empty list): nothing to import." in output


def test_a_dry_run_shows_what_would_be_posted_and_records_nothing(cli: CliRunner) -> None:
    invoke(cli, "workflows", "import", "workflow.yml")
    output = invoke(cli, "workflows", "run", "Weekly deal review", "--dry-run")
    assert "2 records match now" in output
    assert "Acme <!channel> (@U0AAA) is still in contract" in output  # as typed
    assert "skip the direct message: the record has no owner" in output
    assert "manual" not in invoke(cli, "workflows", "history", "Weekly deal review")


def test_enrolling_by_hand_runs_the_actions_at_once_even_off_criteria(cli: CliRunner) -> None:
    invoke(cli, "workflows", "import", "workflow.yml")
    output = invoke(cli, "workflows", "enroll", "Weekly deal review", "D2")
    assert "Globex (no owner) is still in contract" in output  # the console notifier's print
    assert "1 enrolled; actions 3 ok, 0 failed, 1 skipped" in output
    history = invoke(cli, "workflows", "history", "Weekly deal review")
    assert "manual succeeded, 1 enrolled" in history
    tasks = invoke(cli, "records", "list", "--type", "tasks")
    assert "Call about Globex" in tasks


def test_enrolling_unknown_records_names_them_and_runs_nothing(cli: CliRunner) -> None:
    invoke(cli, "workflows", "import", "workflow.yml")
    result = cli.invoke(main, ["workflows", "enroll", "Weekly deal review", "D2", "D9"])
    assert result.exit_code == 2
    assert "D9" in result.output and "D2," not in result.output
    assert "run " not in invoke(cli, "workflows", "history", "Weekly deal review")


def test_pause_and_activate_move_the_next_run(cli: CliRunner) -> None:
    invoke(cli, "workflows", "import", "workflow.yml")
    assert "is paused; next run none" in invoke(cli, "workflows", "pause", "Weekly deal review")
    activated = invoke(cli, "workflows", "activate", "Weekly deal review")
    assert "is active; next run 20" in activated


def test_an_unknown_name_suggests_close_matches(cli: CliRunner) -> None:
    invoke(cli, "workflows", "import", "workflow.yml")
    result = cli.invoke(main, ["workflows", "show", "Weekly deal reviw"])
    assert result.exit_code == 2
    assert "Did you mean 'Weekly deal review'?" in result.output


def test_delete_asks_for_confirmation(cli: CliRunner) -> None:
    invoke(cli, "workflows", "import", "workflow.yml")
    refused = cli.invoke(main, ["workflows", "delete", "Weekly deal review"], input="n\n")
    assert refused.exit_code == 1
    assert "Weekly deal review" in invoke(cli, "workflows", "list")
    invoke(cli, "workflows", "delete", "Weekly deal review", "--yes")
    listing = invoke(cli, "workflows", "list")
    assert "No workflows now. Deleted in the last 30 days and still restorable" in listing


def test_importing_a_name_that_differs_only_in_case_is_refused_and_show_finds_the_one(
    cli: CliRunner, tmp_path: Path
) -> None:
    invoke(cli, "workflows", "import", "workflow.yml")
    (tmp_path / "other.yml").write_text(
        WORKFLOW.replace("name: Weekly deal review", "name: WEEKLY DEAL REVIEW")
    )
    result = cli.invoke(main, ["workflows", "import", "other.yml"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: A workflow named 'Weekly deal review' already exists, and names that differ "
        "only in case are the same name: choose another name."
    ]
    assert invoke(cli, "workflows", "list").count("deal review") == 1
    assert "name: Weekly deal review" in invoke(cli, "workflows", "show", "weekly DEAL review")


def test_an_alias_bomb_is_refused_at_once_with_one_line(cli: CliRunner, tmp_path: Path) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 9) + "]"
        for previous, level in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    anchors = "x-anchors:\n" + "".join(f"  {line}\n" for line in levels)
    workflow = "".join(
        "criteria: {any: *i}\n" if line.startswith("criteria:") else line + "\n"
        for line in WORKFLOW.splitlines()
    )
    (tmp_path / "bomb.yml").write_text(anchors + workflow)
    started = time.perf_counter()
    result = cli.invoke(main, ["workflows", "import", "bomb.yml"])
    assert time.perf_counter() - started < 10
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: line 6, column 10: with the alias *d, aliases repeat more than 10,000 values: "
        "write the values out, or use fewer aliases"
    ]


def test_fifty_thousand_levels_of_yaml_are_refused_without_a_traceback(
    cli: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "deep.yml").write_text("name: " + "[" * 50_000 + "]" * 50_000 + "\n")
    result = cli.invoke(main, ["workflows", "import", "deep.yml"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: line 1, column 38: the document is nested more than 32 levels deep: a workflow "
        "needs fewer than 10; check the brackets and indentation"
    ]


def test_direction_controls_in_a_record_never_reach_the_message(
    cli: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "more.csv").write_text("id,name,stage\nD4,Invoice_\u202egnp.exe,contract sent\n")
    imported = cli.invoke(main, ["records", "import", "more.csv", "--type", "deals"])
    assert imported.exit_code == 0, imported.output
    invoke(cli, "workflows", "import", "workflow.yml")
    output = invoke(cli, "workflows", "run", "Weekly deal review", "--dry-run")
    message = [line for line in output.splitlines() if "post to" in line and "Invoice" in line]
    assert message == ["  1. post to C0123ABCD: Invoice_gnp.exe (no owner) is still in contract"]


def test_importing_a_workflow_that_posts_where_its_owner_may_not_is_refused(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with SlackStandIn() as slack_api:
        slack_api.add_channel("C0123ABCD", "deal-desk", private=True, members=["U0SOMEONE"])
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack_api.token)
        monkeypatch.setenv("SLACK_API_URL", slack_api.url)
        result = cli.invoke(main, ["workflows", "import", "workflow.yml"])
        assert result.exit_code == 2, result.output
        assert result.output.strip() == (
            "error: Weekly deal review cannot be saved: #deal-desk is a private channel and "
            "the workflow's owner U0123ABCD is not a member of it: pick a channel the owner "
            "is in, or have a member of #deal-desk own the workflow"
        )
        slack_api.add_channel("C0123ABCD", "deal-desk", private=True, members=["U0123ABCD"])
        assert "created" in invoke(cli, "workflows", "import", "workflow.yml")
    assert "Weekly deal review" in invoke(cli, "workflows", "list")


SEND_DM = """\
name: Deal desk digest
object_type: deals
status: active
owner: U0123ABCD
schedule: {frequency: daily, time: "07:00", timezone: UTC}
criteria: {}
actions:
  - type: send_dm
    users: [U0123ABCD]
    user_groups: ["@deal-desk"]
    text: "{{ name }}"
    mode: digest
"""


def test_importing_a_workflow_that_messages_a_user_group_the_bot_cannot_read_is_one_line(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "dm.yml").write_text(SEND_DM)
    with SlackStandIn() as slack_api:
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack_api.token)
        monkeypatch.setenv("SLACK_API_URL", slack_api.url)
        result = cli.invoke(main, ["workflows", "import", "dm.yml"])
        assert result.exit_code == 2, result.output
        assert result.output.strip() == (
            "error: Deal desk digest cannot be saved: there is no user group @deal-desk in this "
            "workspace (or it is disabled): check its handle in Slack (People, then User "
            "groups), or name the people themselves"
        )
        slack_api.add_user_group("S0DESK", "deal-desk", ["U0123ABCD"])
        assert "Deal desk digest: created" in invoke(cli, "workflows", "import", "dm.yml")
    exported = invoke(cli, "workflows", "export", "Deal desk digest")
    assert "user_groups:\n  - '@deal-desk'" in exported
