"""``workflow-bot owners list``: each owner value of the records, its Slack user or
"unresolved", and its record count; ``--refresh`` asks the Slack stand-in over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from tests.slack_standin import SlackStandIn

DEALS = """id,name,owner
D1,Acme,ann@example.com
D2,Globex,Ann@Example.com
D3,Initech,ann@example.com
D4,Umbrella,stranger@example.com
D5,Hooli,U0BOB
D6,Stark,Carol (sales)
D7,Wayne,
"""


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    (tmp_path / "deals.csv").write_text(DEALS)
    runner = CliRunner()
    imported = runner.invoke(main, ["records", "import", "deals.csv", "--type", "deals"])
    assert imported.exit_code == 0, imported.output
    return runner


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStandIn]:
    with SlackStandIn() as slack_api:
        slack_api.add_user("U0ANN", "ann", email="ann@example.com")
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack_api.token)
        monkeypatch.setenv("SLACK_API_URL", slack_api.url)
        yield slack_api


def owners(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, ["owners", "list", *args])


def rows(output: str) -> list[list[str]]:
    """The table's rows split on runs of two spaces, header first."""
    table = output.split("\n\n")[0]
    return [
        [cell.strip() for cell in line.split("  ") if cell.strip()] for line in table.splitlines()
    ]


def test_without_slack_each_owner_is_listed_unresolved_with_its_record_count(
    cli: CliRunner,
) -> None:
    result = owners(cli)
    assert result.exit_code == 0, result.output
    assert rows(result.output) == [
        ["OWNER", "SLACK USER", "RECORDS"],
        ["ann@example.com", "unresolved", "2", "not asked yet: use --refresh"],
        ["Ann@Example.com", "unresolved", "1", "not asked yet: use --refresh"],
        ["Carol (sales)", "unresolved", "1", "neither a Slack user id nor an email"],
        ["U0BOB", "U0BOB", "1"],
        ["stranger@example.com", "unresolved", "1", "not asked yet: use --refresh"],
    ]
    assert result.output.endswith("\n5 owners, 4 unresolved.\n")


def test_refresh_asks_slack_who_each_email_is_and_keeps_the_answers(
    cli: CliRunner, slack: SlackStandIn
) -> None:
    result = owners(cli, "--refresh")
    assert result.exit_code == 0, result.output
    listed = {row[0]: row[1:] for row in rows(result.output)[1:]}
    assert listed["ann@example.com"] == ["U0ANN", "2"]
    assert listed["Ann@Example.com"] == ["U0ANN", "1"]
    assert listed["stranger@example.com"][:2] == ["unresolved", "1"]
    # When it was asked reads as every command writes an instant: ISO 8601 with its offset.
    asked_when = r"not in Slack \(asked \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\)"
    assert re.fullmatch(asked_when, listed["stranger@example.com"][2])
    asked = sorted(str(c.params["email"]) for c in slack.calls("users.lookupByEmail"))
    assert asked == ["ann@example.com", "stranger@example.com"]

    again = owners(cli)  # the directory remembers: Slack is not asked
    assert {row[0]: row[1] for row in rows(again.output)[1:]}["ann@example.com"] == "U0ANN"
    assert len(slack.calls("users.lookupByEmail")) == 2


def test_refresh_without_slack_says_what_to_set(cli: CliRunner) -> None:
    result = owners(cli, "--refresh")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: --refresh asks Slack who each owner email is, and no Slack workspace is "
        "connected: set SLACK_BOT_TOKEN (or install the app in this workspace), then run it "
        "again"
    )


def test_refresh_without_the_users_read_email_scope_is_one_line(
    cli: CliRunner, slack: SlackStandIn
) -> None:
    slack.fail("missing_scope", method="users.lookupByEmail", needed="users:read.email")
    result = owners(cli, "--refresh")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: the bot lacks the Slack permission users:read.email, so it cannot tell which "
        "Slack user an owner email is: reinstall the app to grant it"
    )
    assert "Traceback" not in result.output


def test_a_workspace_without_owners_says_so(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["owners", "list"])
    assert result.exit_code == 0, result.output
    assert result.output == "No record has an owner.\n"


WORKFLOW = """\
name: Owner reminders
object_type: leads
status: active
owner: U0BOB
schedule: {frequency: daily, time: "07:00", timezone: UTC}
criteria: {}
actions:
  - {type: send_owner_dm, text: "Please update {{ name }}"}
"""


def test_a_run_from_the_command_line_messages_owners_given_by_email_in_slack(
    cli: CliRunner, slack: SlackStandIn, tmp_path: Path
) -> None:
    # One record per person: the notifier paces posts to one conversation a second apart.
    (tmp_path / "leads.csv").write_text("id,name,owner\nL1,Acme,ANN@example.com\nL2,Hooli,U0BOB\n")
    imported = cli.invoke(
        main, ["records", "import", "leads.csv", "--type", "leads", "--create-type"]
    )
    assert imported.exit_code == 0, imported.output
    (tmp_path / "workflow.yml").write_text(WORKFLOW)
    assert cli.invoke(main, ["workflows", "import", "workflow.yml"]).exit_code == 0

    result = cli.invoke(main, ["workflows", "run", "Owner reminders"])

    assert result.exit_code == 0, result.output
    assert [m["text"] for m in slack.posted_messages("D0ANN")] == ["Please update Acme"]
    assert [m["text"] for m in slack.posted_messages("D0BOB")] == ["Please update Hooli"]
    assert [c.params["email"] for c in slack.calls("users.lookupByEmail")] == ["ann@example.com"]
