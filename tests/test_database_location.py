"""Where the database is without DATABASE_URL: the same per-user file from every folder, or a
workflow-bot.db the current folder already holds (said on each command), never silently
another one."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.settings import DATABASE_FILE, DatabaseOrigin, Settings, choose_database

DEALS = "id,name,stage\nD1,Acme,open\n"


def test_database_url_wins_over_a_file_in_the_current_directory(tmp_path: Path) -> None:
    (tmp_path / DATABASE_FILE).write_bytes(b"")
    url = "postgresql+psycopg://bot@db/bot"
    assert choose_database(url, tmp_path, tmp_path / "data") == (url, DatabaseOrigin.ENVIRONMENT)


def test_a_database_file_in_the_current_directory_stays_the_database(tmp_path: Path) -> None:
    (tmp_path / DATABASE_FILE).write_bytes(b"")
    url, origin = choose_database(None, tmp_path, tmp_path / "data")
    assert (url, origin) == (
        f"sqlite:///{(tmp_path / DATABASE_FILE).resolve()}",
        DatabaseOrigin.WORKING_DIRECTORY,
    )


def test_otherwise_the_database_is_in_the_per_user_data_directory(tmp_path: Path) -> None:
    settings = Settings.from_environment(
        {}, dotenv=None, working_directory=tmp_path, data_directory=tmp_path / "data"
    )
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / DATABASE_FILE}"
    assert settings.database_origin is DatabaseOrigin.USER_DATA


@pytest.fixture
def elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No DATABASE_URL, and XDG_DATA_HOME in the test's folder: the real per-user rule."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
    (tmp_path / "one" / "deals.csv").write_text(DEALS)
    return tmp_path


def test_the_cli_finds_its_data_from_any_folder(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.chdir(elsewhere / "one")
    imported = runner.invoke(main, ["records", "import", "deals.csv", "--type", "deals"])
    assert imported.exit_code == 0, imported.output
    assert (elsewhere / "xdg" / "workflow-bot" / DATABASE_FILE).is_file()
    assert not (elsewhere / "one" / DATABASE_FILE).exists()
    monkeypatch.chdir(elsewhere / "two")
    listed = runner.invoke(main, ["records", "list", "--type", "deals"])
    assert listed.exit_code == 0, listed.output
    assert "Acme" in listed.output and "note:" not in listed.output


def test_help_says_where_the_database_is(elsewhere: Path) -> None:
    shown = CliRunner().invoke(main, ["--help"])
    assert shown.exit_code == 0
    assert str(elsewhere / "xdg" / "workflow-bot" / DATABASE_FILE) in " ".join(shown.output.split())


def test_a_database_file_in_the_folder_is_used_and_named_on_each_command(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(elsewhere / "one")
    runner = CliRunner()
    # A database made here by an earlier version, whose default was this file.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{DATABASE_FILE}")
    imported = runner.invoke(main, ["records", "import", "deals.csv", "--type", "deals"])
    assert imported.exit_code == 0, imported.output
    monkeypatch.delenv("DATABASE_URL")
    listed = runner.invoke(main, ["records", "list", "--type", "deals"])
    assert listed.exit_code == 0, listed.output
    assert "Acme" in listed.stdout
    note = " ".join(listed.stderr.split())
    assert f"the database is {(elsewhere / 'one' / DATABASE_FILE).resolve()}" in note
    assert not (elsewhere / "xdg").exists()
