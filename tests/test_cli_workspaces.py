"""``workflow-bot workspaces list|remove``: what each workspace holds, and removing one that
holds nothing (as a mistyped --team created before it was refused), never one with data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from storage.database import make_engine, session_factory, transaction
from storage.object_types import ObjectTypeRepository
from tests.slack_standin import TEAM_ID, SlackStandIn

DEALS = "id,name,stage\nD1,Acme,open\n"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deals.csv").write_text(DEALS)
    runner = CliRunner()
    imported = runner.invoke(main, ["records", "import", "deals.csv", "--type", "deals"])
    assert imported.exit_code == 0, imported.output
    return runner


def mistyped_workspace(database_url: str, team_id: str) -> None:
    """What `--team T999` did before it was refused: an empty workspace of built-in types."""
    engine = make_engine(database_url)
    with transaction(session_factory(engine)) as session:
        ObjectTypeRepository(session).ensure_built_ins(team_id, datetime.now(UTC))
    engine.dispose()


def run(cli: CliRunner, *args: str, env: dict[str, str] | None = None) -> Result:
    return cli.invoke(main, list(args), env=env)


def test_a_workspace_created_by_mistake_is_listed_and_removed(
    cli: CliRunner, database_url: str
) -> None:
    mistyped_workspace(database_url, "T999")
    ambiguous = run(cli, "workflows", "list")
    assert ambiguous.exit_code == 2
    assert "several workspaces (T999, local)" in ambiguous.output
    assert "workflow-bot workspaces list" in ambiguous.output
    listed = run(cli, "workspaces", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        "T999: nothing; remove it with `workflow-bot workspaces remove T999`",
        "local: 1 record",
    ]
    removed = run(cli, "workspaces", "remove", "T999")
    assert removed.exit_code == 0, removed.output
    assert "Removed the workspace T999: it held nothing." in removed.output
    assert run(cli, "workflows", "list").exit_code == 0
    assert run(cli, "workspaces", "list").output.splitlines() == ["local: 1 record"]


def test_a_workspace_that_holds_something_is_not_removed(cli: CliRunner) -> None:
    refused = run(cli, "workspaces", "remove", "local")
    assert refused.exit_code == 2
    assert "local holds 1 record: only a workspace that holds nothing is removed" in (
        refused.output
    )
    assert "Acme" in run(cli, "records", "list", "--type", "deals").output


def test_an_unknown_workspace_is_not_removed(cli: CliRunner) -> None:
    refused = run(cli, "workspaces", "remove", "T404")
    assert refused.exit_code == 2
    assert "There is no workspace 'T404' in this database (known: local)" in refused.output


def test_the_workspace_slack_team_id_names_is_not_removed(
    cli: CliRunner, database_url: str
) -> None:
    mistyped_workspace(database_url, "T0SET")
    env = {"SLACK_TEAM_ID": "T0SET"}
    listed = run(cli, "workspaces", "list", env=env)
    assert "T0SET (installed, or SLACK_TEAM_ID): nothing" in listed.output
    refused = run(cli, "workspaces", "remove", "T0SET", env=env)
    assert refused.exit_code == 2
    assert "unset SLACK_TEAM_ID" in refused.output


def test_the_workspace_slack_bot_token_belongs_to_is_not_offered_for_removal(
    cli: CliRunner, database_url: str
) -> None:
    with SlackStandIn() as slack_api:
        mistyped_workspace(database_url, TEAM_ID)  # connected, nothing moved into it yet
        env = {
            "SLACK_BOT_TOKEN": slack_api.token,
            "SLACK_SIGNING_SECRET": "signing-secret",
            "SLACK_API_URL": slack_api.url,
        }
        listed = run(cli, "workspaces", "list", "--check", env=env)
        refused = run(cli, "workspaces", "remove", TEAM_ID, env=env)
    assert f"{TEAM_ID} (SLACK_BOT_TOKEN's workspace): nothing" in listed.output.splitlines()
    assert "workspaces remove" not in listed.output
    assert refused.exit_code == 2, refused.output
    assert "it would come back" in refused.output


def test_listing_asks_slack_only_with_check(cli: CliRunner, database_url: str) -> None:
    """A plain list works offline: which workspace the token belongs to takes a call to Slack
    (slow, or failing, when Slack is away), so only --check asks."""
    with SlackStandIn() as slack_api:
        mistyped_workspace(database_url, TEAM_ID)
        env = {
            "SLACK_BOT_TOKEN": slack_api.token,
            "SLACK_SIGNING_SECRET": "signing-secret",
            "SLACK_API_URL": slack_api.url,
        }
        listed = run(cli, "workspaces", "list", env=env)
        asked = slack_api.calls("auth.test")
    assert listed.exit_code == 0, listed.output
    assert asked == []
    assert f"{TEAM_ID}: nothing" in " ".join(listed.output.split())
    assert (
        "SLACK_BOT_TOKEN's workspace is not marked (that takes a call to Slack): add "
        "--check to mark it." in " ".join(listed.output.split())
    )
