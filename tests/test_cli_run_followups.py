"""``workflows skip-next`` and ``workflows snooze`` through the real command line: what they
say, what ``workflows show`` then shows, and mistakes refused in file and command terms."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.workflow_example import EXAMPLE as WORKFLOW

NAME = "Weekly deal review"
DEALS = """id,name,stage,amount,owner
D1,Acme <!channel>,contract sent,6000,U0AAA
D2,Globex,qualified,100,
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


def test_skip_next_skips_one_run_once_and_show_lists_it(cli: CliRunner) -> None:
    said = invoke(cli, "workflows", "skip-next", NAME)
    assert said.startswith(f"{NAME} skips its run of ") and said.endswith(", once\n")
    skipped = said.removeprefix(f"{NAME} skips its run of ").removesuffix(", once\n")
    when = datetime.fromisoformat(skipped)
    assert when > datetime.now(UTC) and f"{when:%a}" == "Thu"
    again = invoke(cli, "workflows", "skip-next", NAME)
    assert again == f"{NAME}: the run of {skipped} was already skipped by cli\n"
    shown = invoke(cli, "workflows", "show", NAME)
    assert f"# skipped once: {skipped} by cli" in shown
    [next_runs] = [line for line in shown.splitlines() if line.startswith("# next runs: ")]
    following = next_runs.removeprefix("# next runs: ").split()
    assert skipped not in following, "the runs listed are those that happen"
    assert datetime.fromisoformat(following[0]) - when == timedelta(weeks=1)
    assert f"next run {following[0]}" in invoke(cli, "workflows", "list")


def test_snooze_keeps_a_record_out_for_days_and_show_lists_it(cli: CliRunner) -> None:
    said = invoke(cli, "workflows", "snooze", NAME, "D1", "--days", "3")
    prefix = f"Acme <!channel> is snoozed in {NAME} until "
    assert said.startswith(prefix)
    back_on = date.fromisoformat(said.removeprefix(prefix).split(":")[0])
    assert timedelta(days=2) <= back_on - datetime.now(UTC).date() <= timedelta(days=4)
    shown = invoke(cli, "workflows", "show", NAME)
    assert "# snoozed: Acme <!channel> (D1) until " in shown and " by cli" in shown


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["D1", "--days", "0"], "0 is not in the range 1<=x<=90"),
        (["D1", "--days", "91"], "91 is not in the range 1<=x<=90"),
        (["D9", "--days", "3"], "No deals record has the id D9"),
    ],
)
def test_snooze_mistakes_are_refused(cli: CliRunner, args: list[str], problem: str) -> None:
    result = cli.invoke(main, ["workflows", "snooze", NAME, *args])
    assert result.exit_code == 2
    assert problem in result.output


def test_skip_next_of_an_unknown_workflow_is_refused(cli: CliRunner) -> None:
    result = cli.invoke(main, ["workflows", "skip-next", "Weekly deals review"])
    assert result.exit_code == 2
    assert f"Did you mean {NAME!r}?" in result.output


def test_a_dry_run_leaves_a_snoozed_record_out_as_the_run_would(cli: CliRunner) -> None:
    before = invoke(cli, "workflows", "run", NAME, "--dry-run")
    assert "D1 Acme <!channel>" in before
    invoke(cli, "workflows", "snooze", NAME, "D1", "--days", "2")
    after = invoke(cli, "workflows", "run", NAME, "--dry-run")
    assert "D1 Acme <!channel>" not in after
    assert after.splitlines()[0] != before.splitlines()[0], "one record fewer"
