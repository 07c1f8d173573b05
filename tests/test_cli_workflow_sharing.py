"""workflow-bot workflows history (changes), show --revision, diff, delete then restore,
transfer and copy, through the real command line on both databases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from tests.workflow_example import EXAMPLE as WORKFLOW

NAME = "Weekly deal review"
DEALS = """id,name,stage,amount,owner
D1,Acme,contract sent,6000,U0AAA
"""
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deals.csv").write_text(DEALS)
    (tmp_path / "workflow.yml").write_text(WORKFLOW)
    (tmp_path / "edited.yml").write_text(WORKFLOW.replace("07:00", "10:30"))
    runner = CliRunner()
    for args in (["records", "import", "deals.csv", "--type", "deals"], _import("workflow.yml")):
        done = runner.invoke(main, args)
        assert done.exit_code == 0, done.output
    return runner


def _import(file: str) -> list[str]:
    return ["workflows", "import", file]


def invoke(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def refused(cli: CliRunner, *args: str) -> Result:
    result = cli.invoke(main, list(args))
    assert result.exit_code == 2, result.output
    return result


def test_the_history_lists_each_change_with_who_and_when(cli: CliRunner) -> None:
    invoke(cli, *_import("edited.yml"))
    invoke(cli, "workflows", "pause", NAME)
    changes = [
        line for line in invoke(cli, "workflows", "history", NAME).splitlines() if "change:" in line
    ]
    assert [re.sub(ISO, "T", line) for line in changes] == [
        "change: T paused by cli",
        "change: T edited (revision 2) by cli",
        "change: T created (revision 1) by cli",
    ]


def test_show_revision_prints_that_revisions_file_and_diff_compares_two(cli: CliRunner) -> None:
    invoke(cli, *_import("edited.yml"))
    first = invoke(cli, "workflows", "show", NAME, "--revision", "1")
    assert "07:00" in first and "10:30" not in first
    assert re.search(rf"# revision 1, saved by cli at {ISO}", first)
    diff = invoke(cli, "workflows", "diff", NAME, "1", "2")
    assert diff.startswith(f"--- {NAME} revision 1\n+++ {NAME} revision 2\n")
    changed = [line for line in diff.splitlines()[2:] if line[:1] in "+-"]
    assert len(changed) == 2 and "07:00" in changed[0] and "10:30" in changed[1]
    assert invoke(cli, "workflows", "diff", NAME, "2", "2") == "Revisions 2 and 2 are the same.\n"
    missing = refused(cli, "workflows", "show", NAME, "--revision", "9")
    assert f"error: {NAME!r} has no revision 9: the revisions kept are 1, 2." in missing.output


def test_a_deleted_workflow_keeps_its_history_and_is_restored_paused(cli: CliRunner) -> None:
    said = invoke(cli, "workflows", "delete", NAME, "--yes")
    assert f"`workflow-bot workflows restore {NAME}` brings it back within 30 days" in said
    assert invoke(cli, "workflows", "list") == (
        f"No workflows now. Deleted in the last 30 days and still restorable: {NAME}. "
        "`workflow-bot workflows restore NAME` brings one back, not running until it is "
        "activated.\n"
    )
    history = invoke(cli, "workflows", "history", NAME)
    assert re.search(rf"{NAME} was deleted at {ISO}: `restore` brings it back", history)
    restored = invoke(cli, "workflows", "restore", NAME)
    assert restored.startswith(f"{NAME} restored (revision 1); it is paused:")
    assert f"{NAME} [paused]" in invoke(cli, "workflows", "list")
    again = refused(cli, "workflows", "restore", NAME)
    assert f"No deleted workflow is named {NAME!r}." in again.output


def test_transfer_gives_a_workflow_to_a_user_id_and_refuses_anything_else(
    cli: CliRunner,
) -> None:
    assert "; owner U0123ABCD" in invoke(cli, "workflows", "list")
    done = invoke(cli, "workflows", "transfer", NAME, "U0NEWOWNER")
    assert done == f"{NAME} now belongs to U0NEWOWNER (was U0123ABCD).\n"
    assert "; owner U0NEWOWNER" in invoke(cli, "workflows", "list")
    assert "owner: U0NEWOWNER" in invoke(cli, "workflows", "export", NAME)
    bad = refused(cli, "workflows", "transfer", NAME, "ann@example.com")
    assert "'ann@example.com' is not a Slack user id" in bad.output


def test_copy_makes_a_paused_copy_and_refuses_a_taken_name(cli: CliRunner) -> None:
    done = invoke(cli, "workflows", "copy", NAME, "Monthly deal review", "--owner", "U0COPIER")
    assert done.startswith(
        f"Monthly deal review created as a copy of {NAME}, owned by U0COPIER; it is paused"
    )
    assert "Monthly deal review [paused]" in invoke(cli, "workflows", "list")
    taken = refused(cli, "workflows", "copy", NAME, "MONTHLY deal review")
    assert "A workflow named 'Monthly deal review' already exists" in taken.output
