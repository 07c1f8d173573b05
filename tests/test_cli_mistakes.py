"""Configuration and connection mistakes through the real command line: each is one or two
lines saying what is wrong and what to do, never a traceback; exit status 2 when the
configuration must change, 1 when something failed at run time. A bug gives an error id,
and the log has its traceback under the same id."""

from __future__ import annotations

import logging
import re
import shutil
import socket
import string
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
import psycopg
import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.commands.failures import FailureReporting, explain, masked
from storage.database import alembic_config, make_engine, upgrade
from tests.conftest import POSTGRES_SERVER
from tests.serve_process import free_port, serve_to_exit
from tests.slack.harness import SIGNING_SECRET
from tests.slack_standin import SlackStandIn

# Commands that open the database, among them serve; serve --once does not stay up.
COMMANDS = [["db", "upgrade"], ["serve", "--once"], ["workflows", "list"]]


@pytest.fixture
def bot_database(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite database: what a mistake says is then all a command prints."""
    path = tmp_path / "bot.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no developer .env is read; relative paths land here
    return CliRunner()


def _cli(runner: CliRunner, database_url: str, *args: str, **environ: str) -> Result:
    from bot.cli import main

    return runner.invoke(main, list(args), env={"DATABASE_URL": database_url, **environ})


def _assert_told(output: str, *fixes: str) -> list[str]:
    """``output`` is at most two lines, no traceback, naming each of ``fixes``."""
    lines = output.strip().splitlines()
    assert "Traceback" not in output
    assert 1 <= len(lines) <= 2, output
    for fix in fixes:
        assert fix in output, output
    return lines


# -- DATABASE_URL that cannot work, whatever the server says ---------------------------------


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("database_url", "fixes"),
    [
        ("garbage", ["DATABASE_URL='garbage' is not a database URL", "sqlite:///FILE"]),
        (
            "postgres://bot:secret@db.example.com:5432/bot",
            ["postgres://", "write postgresql+psycopg://"],
        ),
        ("mysql://bot@localhost/bot", ["mysql", "SQLite or PostgreSQL only"]),
        (
            "postgresql+psycopg2://bot@localhost/bot",
            ["(postgresql+psycopg2://) is not installed", "write postgresql+psycopg://"],
        ),
        ("sqlite:///missing_dir/x.db", ["does not exist (missing_dir)", "mkdir -p missing_dir"]),
        ("sqlite:///", ["names no SQLite file", "name a file (sqlite:///FILE"]),
        ("sqlite:///:memory:", ["names no SQLite file", "name a file (sqlite:///FILE"]),
    ],
)
def test_a_database_url_that_cannot_work_is_one_line_saying_what_to_write(
    runner: CliRunner, command: list[str], database_url: str, fixes: list[str]
) -> None:
    result = _cli(runner, database_url, *command)
    assert result.exit_code == 2
    _assert_told(result.output, *fixes)
    assert "secret" not in result.output


def test_a_password_in_a_url_that_does_not_parse_is_not_shown(runner: CliRunner) -> None:
    result = _cli(runner, "postgresql+psycopg://bot:s3cret@host:port/bot", "db", "upgrade")
    assert result.exit_code == 2
    _assert_told(result.output, "is not a database URL")
    assert "s3cret" not in result.output


def test_plain_serve_with_a_bad_database_url_stops_before_its_banner(tmp_path: Path) -> None:
    result = serve_to_exit({"DATABASE_URL": "postgres://bot@localhost/bot"}, tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    _assert_told(result.stderr, "write postgresql+psycopg://")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_file_that_is_not_a_sqlite_database_says_to_point_database_url_elsewhere(
    runner: CliRunner, tmp_path: Path, command: list[str]
) -> None:
    spreadsheet = tmp_path / "deals.csv"
    spreadsheet.write_text("name,amount\nAcme,100\n" * 100)
    result = _cli(runner, f"sqlite:///{spreadsheet}", *command)
    assert result.exit_code == 2
    _assert_told(result.output, f"{spreadsheet} that DATABASE_URL names is not a SQLite database")
    assert spreadsheet.read_text().startswith("name,amount")  # left as it was


# -- the PostgreSQL server answers no ----------------------------------------------------------


@pytest.fixture
def postgres_server(postgres_schema_url: str) -> str:
    """The URL of the local PostgreSQL server (skips when there is none)."""
    return POSTGRES_SERVER


def _with(url: str, **parts: Any) -> str:
    return make_url(url).set(**parts).render_as_string(hide_password=False)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_database_that_does_not_exist_says_createdb(
    runner: CliRunner, postgres_server: str, command: list[str]
) -> None:
    name = f"wbt_missing_{uuid.uuid4().hex[:8]}"
    result = _cli(runner, _with(postgres_server, database=name), *command)
    assert result.exit_code == 2
    _assert_told(result.output, f"the database {name} does not exist", "createdb", name)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_role_that_does_not_exist_says_createuser(
    runner: CliRunner, postgres_server: str, command: list[str]
) -> None:
    role = f"wbt_nobody_{uuid.uuid4().hex[:8]}"
    result = _cli(runner, _with(postgres_server, username=role), *command)
    assert result.exit_code == 2
    host = make_url(postgres_server).host
    # The same form as createdb's: on the server's host, as an administrator.
    _assert_told(
        result.output, f"no role (user) {role}", f"createuser -h {host}", f" -U postgres {role})"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_a_refused_connection_names_host_and_port_and_asks_if_postgresql_runs(
    runner: CliRunner, postgres_server: str, command: list[str]
) -> None:
    port = free_port()  # nothing listens there once the probe is closed
    result = _cli(runner, _with(postgres_server, port=port), *command)
    assert result.exit_code == 1  # the configuration may be right: the server is down
    host = make_url(postgres_server).host
    _assert_told(result.output, f"{host}:{port}", "is PostgreSQL running there?")


@pytest.mark.parametrize("command", COMMANDS)
def test_an_option_the_server_refuses_is_quoted_with_fix_database_url(
    runner: CliRunner, postgres_server: str, command: list[str]
) -> None:
    url = _with(postgres_server, query={"options": "-cstatement_timeout=soon"})
    result = _cli(runner, url, *command)
    assert result.exit_code == 2
    _assert_told(
        result.output, 'invalid value for parameter "statement_timeout"', "fix DATABASE_URL"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_a_connection_option_the_client_refuses_says_fix_that_option(
    runner: CliRunner, postgres_server: str, command: list[str]
) -> None:
    url = _with(postgres_server, query={"sslmode": "bogus"})
    result = _cli(runner, url, *command)
    assert result.exit_code == 2
    _assert_told(result.output, 'invalid sslmode value: "bogus"', "option in DATABASE_URL")


def test_a_database_of_a_newer_release_says_which_release_to_run(
    runner: CliRunner, bot_database: str
) -> None:
    engine = make_engine(bot_database)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    result = _cli(runner, bot_database, "db", "upgrade")
    assert result.exit_code == 2
    _assert_told(result.output, "'9999'", "newer release of workflow-bot")


# -- db upgrade says what it did -----------------------------------------------------------------


def _head() -> str:
    engine = make_engine("sqlite://")
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    engine.dispose()
    assert head is not None
    return head


def test_db_upgrade_of_an_up_to_date_database_says_there_was_nothing_to_do(
    runner: CliRunner, database_url: str
) -> None:
    result = _cli(runner, database_url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Already at {_head()}, nothing to do."


def test_db_upgrade_says_from_which_revision_to_which(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0005")
    engine.dispose()
    result = _cli(runner, url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"Upgraded from 0005 to {_head()}." in result.output


def test_db_upgrade_of_an_empty_database_says_it_created_the_schema(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = _cli(runner, f"sqlite:///{tmp_path / 'new.db'}", "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Created the schema at {_head()}."


@pytest.mark.parametrize("command", [["workflows", "list"], ["serve", "--once"]])
def test_a_command_on_an_older_database_says_once_that_it_upgraded_it(
    runner: CliRunner, tmp_path: Path, command: list[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0005")
    engine.dispose()
    result = _cli(runner, url, *command)
    assert result.exit_code == 0, result.output
    note = f"note: upgraded the database from 0005 to {_head()}."
    assert result.stderr.splitlines().count(note) == 1, result.stderr
    assert _cli(runner, url, *command).stderr == ""  # up to date now: nothing to say


def test_a_command_on_a_new_database_says_nothing_about_its_schema(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = _cli(runner, f"sqlite:///{tmp_path / 'new.db'}", "workflows", "list")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_db_upgrade_says_what_it_did_once(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0005")
    engine.dispose()
    result = _cli(runner, url, "db", "upgrade")
    assert result.output.count("0005") == 1, result.output


# -- serve's port and Slack's tokens ---------------------------------------------------------------


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def test_serve_on_a_port_in_use_says_set_port_before_any_banner(
    tmp_path: Path, bot_database: str, taken_port: int
) -> None:
    result = serve_to_exit({"DATABASE_URL": bot_database, "PORT": str(taken_port)}, tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""  # no banner that looks like success
    _assert_told(result.stderr, f"port {taken_port} is in use", "set PORT")


def test_a_scheduler_on_a_health_port_in_use_says_set_health_port(
    tmp_path: Path, bot_database: str, taken_port: int
) -> None:
    environ = {"DATABASE_URL": bot_database, "HEALTH_PORT": str(taken_port)}
    result = serve_to_exit(environ, tmp_path, "--role", "scheduler")
    assert result.returncode == 2
    assert result.stdout == ""
    _assert_told(result.stderr, f"port {taken_port} is in use", "set HEALTH_PORT")


@pytest.mark.parametrize("code", ["invalid_auth", "not_allowed_token_type"])
def test_serve_with_a_wrong_app_token_says_copy_it_again(
    tmp_path: Path, bot_database: str, slack_api: SlackStandIn, code: str
) -> None:
    slack_api.fail(code, method="apps.connections.open")
    result = serve_to_exit(
        {
            "DATABASE_URL": bot_database,
            "SLACK_BOT_TOKEN": slack_api.token,
            "SLACK_APP_TOKEN": "xapp-1-wrong",
            "SLACK_API_URL": slack_api.url,
        },
        tmp_path,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    _assert_told(result.stderr, f"Slack refused SLACK_APP_TOKEN ({code})", "xapp-")
    [opened] = slack_api.calls("apps.connections.open")
    assert opened.token == "xapp-1-wrong"


def test_serve_with_a_wrong_bot_token_says_copy_it_again(
    runner: CliRunner, bot_database: str, slack_api: SlackStandIn
) -> None:
    slack_api.reject_token()
    result = _cli(
        runner,
        bot_database,
        "serve",
        "--once",
        SLACK_BOT_TOKEN=slack_api.token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api.url,
    )
    assert result.exit_code == 2
    _assert_told(result.output, "Slack refused SLACK_BOT_TOKEN (invalid_auth)", "xoxb-")


def test_serve_once_does_not_need_the_app_token(
    runner: CliRunner, bot_database: str, slack_api: SlackStandIn
) -> None:
    slack_api.fail("invalid_auth", method="apps.connections.open")
    result = _cli(
        runner,
        bot_database,
        "serve",
        "--once",
        SLACK_BOT_TOKEN=slack_api.token,
        SLACK_APP_TOKEN="xapp-1-wrong",
        SLACK_API_URL=slack_api.url,
    )
    assert result.exit_code == 0, result.output
    assert slack_api.calls("apps.connections.open") == []


# -- a bug --------------------------------------------------------------------------------------


def test_a_bug_is_one_line_with_an_error_id_and_its_traceback_is_logged_under_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @click.group(cls=FailureReporting)
    def cli() -> None:
        """A command line that reports failures as workflow-bot's does."""

    @cli.command()
    def divide() -> None:
        print(1 // 0)

    with caplog.at_level(logging.ERROR):
        result = CliRunner().invoke(cli, ["divide"])

    assert result.exit_code == 1
    [line] = _assert_told(result.output, "error id")
    error_id = re.search(r"error id ([0-9a-f]{8})", line)
    assert error_id is not None, line
    [record] = [r for r in caplog.records if error_id[1] in r.getMessage()]
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError


# -- what the local server cannot be made to say --------------------------------------------------


def _driver_error(message: str) -> DBAPIError:
    """A connection error as SQLAlchemy hands it over, with psycopg's own text."""
    return OperationalError(None, None, psycopg.OperationalError(message))


@pytest.mark.parametrize(
    ("reason", "fixes", "status"),
    [
        (
            'connection failed: connection to server at "10.0.0.5", port 5433 failed: FATAL:  '
            'password authentication failed for user "bot"',
            ["10.0.0.5:5433 refused the password of bot", "fix the password in DATABASE_URL"],
            2,
        ),
        (
            'connection failed: connection to server on socket "/run/postgresql/.s.PGSQL.5433" '
            'failed: FATAL:  Peer authentication failed for user "bot"',
            ["refused bot (Peer authentication)", "connect over TCP with a password"],
            2,
        ),
        (
            'connection failed: connection to server at "10.0.0.5", port 5433 failed: '
            "fe_sendauth: no password supplied",
            ["asks for the password of bot", "put it in DATABASE_URL"],
            2,
        ),
        (
            'connection failed: connection to server at "10.0.0.5", port 5433 failed: FATAL:  '
            "sorry, too many clients already",
            ["10.0.0.5:5433 has no connection to spare", "try again later"],
            1,
        ),
        (
            'connection failed: connection to server at "10.0.0.5", port 5433 failed: '
            "SSL SYSCALL error: EOF detected",
            ["cannot connect to PostgreSQL at 10.0.0.5:5433 (SSL SYSCALL error"],
            1,
        ),
        (
            'connection failed: connection to server at "10.0.0.5", port 5433 failed: '
            "timeout expired",
            ["10.0.0.5:5433 did not answer in time", "DATABASE_CONNECT_TIMEOUT"],
            1,
        ),
    ],
)
def test_what_the_server_says_is_worded_for_database_url(
    reason: str, fixes: list[str], status: int
) -> None:
    url = "postgresql+psycopg://bot:pw@10.0.0.5:5433/bot"
    failure = explain(_driver_error(reason), url)
    assert failure is not None
    assert failure.status == status
    _assert_told(failure.message, *fixes)


def test_a_statement_the_server_cancels_says_which_setting_limits_it(
    postgres_schema_url: str,
) -> None:
    engine = make_engine(postgres_schema_url, statement_timeout=1)
    try:
        with pytest.raises(DBAPIError) as raised, engine.connect() as connection:
            connection.execute(text("SELECT pg_sleep(2)"))
    finally:
        engine.dispose()
    failure = explain(raised.value, postgres_schema_url)
    assert failure is not None and failure.status == 1
    _assert_told(failure.message, "raise DATABASE_STATEMENT_TIMEOUT")


def test_an_error_of_another_kind_is_left_to_the_bug_report() -> None:
    failure = explain(_driver_error('relation "workflows" does not exist'), "postgresql://h/db")
    assert failure is None


PASSWORD_CHARACTERS = string.ascii_letters + string.digits + "!$%^&*()-_=+~"


@given(password=st.text(alphabet=PASSWORD_CHARACTERS, min_size=1))
def test_a_url_is_shown_without_its_password(password: str) -> None:
    for rest in ("db:5432/bot", "db:notaport/bot"):  # the second does not parse
        shown = masked(f"postgresql+psycopg://bot:{quote(password, safe='')}@{rest}")
        assert shown == f"postgresql+psycopg://bot:***@{rest}"
