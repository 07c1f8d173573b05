from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, inspect

from bot.cli import main


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
