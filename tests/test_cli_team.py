"""``--team`` names a workspace the database knows: a mistyped team id is refused with the
known ones and creates nothing; Slack (an installation) or SLACK_TEAM_ID adds a new one."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import create_engine, select

from bot.cli import main
from bot.settings import Settings
from bot.slack.installations import Installations
from storage.models import ObjectType

DEALS = "id,name,stage\nD1,Acme,open\n"
OAUTH = {
    "SLACK_CLIENT_ID": "1111.2222",
    "SLACK_CLIENT_SECRET": "s3cret",
    "SLACK_SIGNING_SECRET": "signing",
}


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deals.csv").write_text(DEALS)
    return CliRunner()


def run(cli: CliRunner, *args: str, env: dict[str, str] | None = None) -> Result:
    return cli.invoke(main, list(args), env=env)


def teams(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return set(connection.execute(select(ObjectType.team_id).distinct()).scalars())
    finally:
        engine.dispose()


def test_a_mistyped_team_is_refused_with_the_known_ones_and_creates_nothing(
    cli: CliRunner, database_url: str
) -> None:
    assert run(cli, "records", "import", "deals.csv", "--type", "deals").exit_code == 0
    refused = run(cli, "records", "import", "deals.csv", "--type", "deals", "--team", "T999")
    assert refused.exit_code == 2
    assert "There is no workspace 'T999' in this database (known: local)" in refused.output
    assert "Traceback" not in refused.output
    assert teams(database_url) == {"local"}
    # So the commands without --team keep working on the one workspace there is.
    listed = run(cli, "records", "list", "--type", "deals")
    assert listed.exit_code == 0 and "Acme" in listed.output


def test_a_team_id_one_character_off_is_suggested(cli: CliRunner) -> None:
    env = {"SLACK_TEAM_ID": "T0ABCDEF"}
    assert run(cli, "records", "import", "deals.csv", "--type", "deals", env=env).exit_code == 0
    refused = run(cli, "workflows", "list", "--team", "T0ABCDEG")
    assert refused.exit_code == 2
    assert "Did you mean 'T0ABCDEF'?" in refused.output


def test_slack_team_id_names_a_new_workspace(cli: CliRunner, database_url: str) -> None:
    env = {"SLACK_TEAM_ID": "T0NEW"}
    imported = run(cli, "records", "import", "deals.csv", "--type", "deals", env=env)
    assert imported.exit_code == 0, imported.output
    assert teams(database_url) == {"T0NEW"}


def test_the_local_workspace_is_always_known(cli: CliRunner) -> None:
    listed = run(cli, "workflows", "list", "--team", "local")
    assert listed.exit_code == 0, listed.output
    assert "No workflows yet" in listed.output


def test_an_installed_workspace_is_known_before_it_holds_anything(
    cli: CliRunner, database_url: str
) -> None:
    engine = create_engine(database_url)
    settings = Settings(slack_client_id=OAUTH["SLACK_CLIENT_ID"], slack_client_secret="s3cret")
    Installations(settings, engine).store.save(
        Installation(
            app_id="A0WORKFLOWBOT",
            enterprise_id=None,
            team_id="T0INSTALLED",
            bot_token="xoxb-installed",
            bot_id="B0WORKFLOWBOT",
            bot_user_id="U0WORKFLOWBOT",
            bot_scopes="chat:write",
            user_id="U0INSTALLER",
        )
    )
    engine.dispose()
    args = ("records", "import", "deals.csv", "--type", "deals", "--team")
    imported = run(cli, *args, "T0INSTALLED", env=OAUTH)
    assert imported.exit_code == 0, imported.output
    refused = run(cli, *args, "T0ELSEWHERE", env=OAUTH)
    assert refused.exit_code == 2
    assert "(known: T0INSTALLED, local)" in refused.output  # local is always accepted
    assert teams(database_url) == {"T0INSTALLED"}
