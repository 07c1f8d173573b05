from __future__ import annotations

import gc
import os
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.workflows.workspaces import LOCAL_TEAM
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.slack_standin import SlackStandIn


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    return CliRunner()


def test_serve_without_slack_credentials_prints_how_to_connect(
    runner: CliRunner, engine: Engine
) -> None:
    result = runner.invoke(main, ["serve", "--once"])
    assert result.exit_code == 0, result.output
    assert "No Slack credentials are set" in result.output
    assert "1. Create an app" in result.output and "3. Put SLACK_BOT_TOKEN" in result.output
    assert "companies, contacts, deals, tickets" in result.output


@pytest.mark.parametrize("role", ["all", "scheduler"])
def test_serve_once_says_it_runs_what_is_due_and_exits_not_that_a_scheduler_started(
    runner: CliRunner, engine: Engine, role: str
) -> None:
    collecting = gc.get_threshold()
    result = runner.invoke(main, ["serve", "--once", "--role", role])
    assert result.exit_code == 0, result.output
    # Only a process that stays up collects less often (GC_THRESHOLDS).
    assert gc.get_threshold() == collecting
    assert "Running what is due now (--once), then exiting." in result.output
    for promise in ("Scheduler started", "Ctrl-C", "HTTP:"):
        assert promise not in result.output
    assert result.output.endswith("Ran 0 runs that were due.\n")


@pytest.mark.parametrize("imported_before", [False, True])
def test_connecting_slack_says_what_moved_only_when_something_did(
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
    slack_api: SlackStandIn,
    imported_before: bool,
) -> None:
    runner.invoke(main, ["workflows", "list"])  # the local workspace's built-in types only
    if imported_before:
        import_deals(sessions, [deal("D1", "Acme")], datetime.now(UTC), LOCAL_TEAM)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_api.token)
    monkeypatch.setenv("SLACK_API_URL", slack_api.url)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret")  # http mode

    result = runner.invoke(main, ["serve", "--once"])

    assert result.exit_code == 0, result.output
    said = "imported before Slack now belong to" in result.output
    assert said == imported_before, result.output
    listed = runner.invoke(main, ["workspaces", "list"])
    assert "local" not in listed.output, listed.output  # moved either way: one workspace


def test_db_upgrade_is_idempotent(runner: CliRunner, engine: Engine) -> None:
    for _ in range(2):
        result = runner.invoke(main, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
    assert "records" in inspect(engine).get_table_names()


def test_a_bad_setting_exits_with_status_2_and_no_traceback(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Nowhere/Land")
    result = runner.invoke(main, ["serve", "--once"])
    assert result.exit_code == 2
    assert "Nowhere/Land" in result.output
    assert "Traceback" not in result.output


def test_serve_for_several_workspaces_asks_slack_nothing_and_moves_no_data(
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
    slack_api: SlackStandIn,
) -> None:
    now = datetime.now(UTC)
    import_deals(sessions, [deal("D1", "Acme")], now, LOCAL_TEAM)
    save(sessions, workflow_document(name="Imported before Slack"), now, team=LOCAL_TEAM)
    for name, value in {
        "SLACK_CLIENT_ID": "1111.2222",
        "SLACK_CLIENT_SECRET": "client-secret",
        "SLACK_SIGNING_SECRET": "signing-secret",
        "SLACK_BOT_TOKEN": slack_api.token,  # unused: each workspace has its own token
        "SLACK_API_URL": slack_api.url,
    }.items():
        monkeypatch.setenv(name, value)

    result = runner.invoke(main, ["serve", "--once", "--role", "scheduler"])

    assert result.exit_code == 0, result.output
    assert "workspaces: none installed yet; add one at /slack/install" in result.output
    assert "oauth mode" in result.output
    assert slack_api.calls() == []  # no auth.test with SLACK_BOT_TOKEN
    listed = runner.invoke(main, ["workflows", "list", "--team", LOCAL_TEAM])
    assert listed.exit_code == 0, listed.output
    assert "Imported before Slack" in listed.output


def test_version_says_which_release_this_is_without_touching_the_database() -> None:
    result = CliRunner().invoke(main, ["--version"], env={"DATABASE_URL": "garbage://"})
    assert result.exit_code == 0
    assert result.output.strip() == f"workflow-bot, version {version('workflow-bot')}"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"SLACK_BOT_TOKEN": "xoxb-1"},
            "error: SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
            "SLACK_SIGNING_SECRET (HTTP) is: set one of them to connect Slack, or unset "
            "SLACK_BOT_TOKEN to run without Slack",
        ),
        (
            {"SLACK_APP_TOKEN": "xapp-1"},
            "error: SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN (the Bot User OAuth Token, "
            "xoxb-...) is not: set it to connect Slack, or unset SLACK_APP_TOKEN to run "
            "without Slack",
        ),
        (
            {"SLACK_SIGNING_SECRET": "s"},
            "error: SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN (the Bot User OAuth Token, "
            "xoxb-...) is not: set it to connect Slack, or unset SLACK_SIGNING_SECRET to run "
            "without Slack",
        ),
    ],
)
def test_serve_with_part_of_the_slack_credentials_names_what_is_missing_and_stops(
    tmp_path: Path, environ: dict[str, str], expected: str
) -> None:
    # A real process with a time limit: serving by mistake would otherwise never end.
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,  # no developer .env is read
        env={
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            **environ,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == expected
