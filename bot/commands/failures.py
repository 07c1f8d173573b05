"""How ``workflow-bot`` reports what went wrong. A mistake in the configuration, the
connection, a permission or the input is one or two lines saying what to do, with exit status 2
when the configuration or the input must change and 1 when something failed at run time that
may work on another try. Anything else is a bug: one line with a short error id, and the
traceback in the log under the same id.

``FailureReporting`` is the command group that does this for every command; the translations
of database URL and connection mistakes live here too, so each is worded once."""

from __future__ import annotations

import errno
import logging
import os
import re
import secrets
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from alembic.util.exc import CommandError
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from storage.database import MigrationRefused

log = logging.getLogger(__name__)

USAGE_ERROR = 2  # the configuration or the input must change
RUN_TIME_FAILURE = 1  # something failed that may work on another try

URL_FORMS = "sqlite:///FILE or postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME"
POSTGRES_DEFAULT_PORT = 5432


class CommandFailure(Exception):
    """A failure whose message already says what is wrong and what to do; ``status`` is the
    exit status it ends the command with."""

    def __init__(self, message: str, status: int = USAGE_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class FailureReporting(click.Group):
    """A command group whose commands end in one or two lines, never a traceback: failures
    the bot can explain say so, bugs give an error id and go to the log."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # click's own: usage errors, --help, Ctrl-C, already worded
        except BrokenPipeError:
            # The reader went away (`workflow-bot ... | head`): not a bug, and nothing to say.
            # Python's documented recipe: point stdout at devnull so the exit flush is quiet.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(RUN_TIME_FAILURE)
        except Exception as error:
            settings = getattr(ctx.obj, "settings", None)
            failure = explain(error, getattr(settings, "database_url", None))
            if failure is None:
                failure = report_bug(error, ctx.invoked_subcommand)
            for line in failure.message.splitlines():
                click.echo(f"error: {line}", err=True)
            ctx.exit(failure.status)


def explain(error: BaseException, database_url: str | None) -> CommandFailure | None:
    """The failure ``error`` stands for, worded for the command line; None for a bug."""
    if isinstance(error, CommandFailure):
        return error
    if isinstance(error, DBAPIError) and database_url is not None:
        return database_failure(error, database_url)
    if isinstance(error, CommandError) and "Can't locate revision" in str(error):
        return CommandFailure(
            "the database was upgraded by a newer release of workflow-bot than this one "
            f"({error}): run that release, or point DATABASE_URL at another database"
        )
    if isinstance(error, MigrationRefused):
        return migration_refused(error)
    return None


def migration_refused(error: MigrationRefused) -> CommandFailure:
    """A migration that stopped at rows only the user may delete: what to run, in order.
    Every command upgrades first, so none works until this is done."""
    return CommandFailure(
        f"the database cannot be upgraded: {error.problem}. No command works until it is.\n"
        "Back up the database, then delete those rows with this SQL statement:\n"
        f"  {error.cleanup};\n"
        "then run `workflow-bot db upgrade` again."
    )


def report_bug(error: BaseException, command: str | None) -> CommandFailure:
    """Logs ``error`` with its traceback under a new short id; the line that names the id."""
    error_id = secrets.token_hex(4)
    log.error("error %s in workflow-bot %s", error_id, command or "", exc_info=error)
    return CommandFailure(
        f"something went wrong inside workflow-bot (error id {error_id}); the traceback is "
        "in the log under that id: please report it with the id",
        RUN_TIME_FAILURE,
    )


# -- the database URL, before connecting ---------------------------------------------------


def parse_database_url(url: str) -> URL:
    """``url`` parsed, when it names a database workflow-bot can store its data in; a
    ``CommandFailure`` saying how to write it otherwise."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise CommandFailure(
            f"DATABASE_URL={masked(url)!r} is not a database URL: write {URL_FORMS}"
        ) from None
    scheme = parsed.drivername.partition("+")[0]
    if scheme == "postgres":
        # Heroku, Render, Fly and others hand out postgres://, which SQLAlchemy dropped.
        raise CommandFailure(
            f"DATABASE_URL starts with {parsed.drivername}://, which SQLAlchemy does not "
            "accept: write postgresql+psycopg:// instead (the rest stays as it is)"
        )
    if scheme not in ("sqlite", "postgresql"):
        raise CommandFailure(
            f"DATABASE_URL asks for {scheme}, but workflow-bot stores its data in SQLite "
            f"or PostgreSQL only: write {URL_FORMS}"
        )
    if scheme == "sqlite":
        _check_sqlite_file_named(parsed)
        _check_sqlite_directory(parsed)
    return parsed


def _check_sqlite_file_named(parsed: URL) -> None:
    # Without a file name SQLite keeps the database in memory: every workflow and record
    # would vanish when the command ends, without a word.
    if (parsed.database or "") in ("", ":memory:"):
        raise CommandFailure(
            "DATABASE_URL names no SQLite file, so nothing would be kept after the command "
            "ends: name a file (sqlite:///FILE, such as sqlite:///workflow-bot.db)"
        )


def _check_sqlite_directory(parsed: URL) -> None:
    # SQLite creates a missing file but not its directory, and then only says "unable to
    # open database file".
    database = parsed.database or ""
    if database.startswith("file:"):
        return
    directory = Path(database).parent
    if not directory.is_dir():
        raise CommandFailure(
            f"the directory of the SQLite file in DATABASE_URL does not exist ({directory}): "
            f"create it (mkdir -p {shlex.quote(str(directory))}) or fix the path in DATABASE_URL"
        )


def missing_driver(url: str, error: Exception) -> CommandFailure:
    """The database driver DATABASE_URL asks for cannot be loaded."""
    drivername = make_url(url).drivername
    return CommandFailure(
        f"the database driver that DATABASE_URL asks for ({drivername}://) is not installed "
        f"({error}): write postgresql+psycopg://, whose driver comes with workflow-bot"
    )


def masked(url: str) -> str:
    """``url`` without its password, even when it does not parse as a URL."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


# -- the database server, once connecting ---------------------------------------------------


@dataclass(frozen=True)
class _Server:
    """Where DATABASE_URL points, as the messages name it."""

    url: URL

    @property
    def where(self) -> str:
        host = self.url.host or "localhost"
        return f"{host}:{self.url.port or POSTGRES_DEFAULT_PORT}"

    @property
    def user(self) -> str:
        return self.url.username or "(your login name)"

    def client_flags(self) -> str:
        """The host, port and user options of PostgreSQL's command-line tools."""
        flags = []
        if self.url.host:
            flags += ["-h", self.url.host]
        if self.url.port:
            flags += ["-p", str(self.url.port)]
        if self.url.username:
            flags += ["-U", self.url.username]
        return " ".join(shlex.quote(flag) for flag in flags)


_Translation = Callable[[re.Match[str], _Server], CommandFailure]


def _no_database(match: re.Match[str], server: _Server) -> CommandFailure:
    name = match["name"]
    command = " ".join(filter(None, ["createdb", server.client_flags(), shlex.quote(name)]))
    return CommandFailure(
        f"the database {name} does not exist on {server.where}: create it "
        f"({command}) or fix its name in DATABASE_URL"
    )


def _no_role(match: re.Match[str], server: _Server) -> CommandFailure:
    name = match["name"]
    # The role that is missing cannot create itself: an administrator (postgres, usually)
    # runs createuser on the same host and port as createdb would.
    flags = _Server(server.url.set(username="postgres")).client_flags()
    command = " ".join(["createuser", flags, shlex.quote(name)])
    return CommandFailure(
        f"PostgreSQL at {server.where} has no role (user) {name}: create it as an "
        f"administrator ({command}) or fix the user in DATABASE_URL"
    )


def _not_authenticated(match: re.Match[str], server: _Server) -> CommandFailure:
    if match["method"] == "password":
        return CommandFailure(
            f"PostgreSQL at {server.where} refused the password of {server.user}: fix the "
            "password in DATABASE_URL (postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME)"
        )
    return CommandFailure(
        f"PostgreSQL at {server.where} refused {server.user} ({match['method']} "
        "authentication): fix the user in DATABASE_URL, or connect over TCP with a password"
    )


def _no_password(match: re.Match[str], server: _Server) -> CommandFailure:
    return CommandFailure(
        f"PostgreSQL at {server.where} asks for the password of {server.user}: put it in "
        "DATABASE_URL (postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME)"
    )


def _not_allowed(match: re.Match[str], server: _Server) -> CommandFailure:
    return CommandFailure(
        f"PostgreSQL at {server.where} does not let {server.user} connect from this machine "
        "(pg_hba.conf): ask its administrator to allow it, or fix the user in DATABASE_URL"
    )


def _refused(match: re.Match[str], server: _Server) -> CommandFailure:
    return CommandFailure(
        f"nothing accepts connections at {server.where}, where DATABASE_URL points: is "
        "PostgreSQL running there? Start it, or fix the host and port in DATABASE_URL",
        RUN_TIME_FAILURE,
    )


def _unknown_host(match: re.Match[str], server: _Server) -> CommandFailure:
    return CommandFailure(
        f"the host {server.url.host} in DATABASE_URL is unknown: fix the host name, or check "
        "this machine's DNS"
    )


def _no_answer(match: re.Match[str], server: _Server) -> CommandFailure:
    return CommandFailure(
        f"PostgreSQL at {server.where} did not answer in time: check the host and port in "
        "DATABASE_URL and the network (DATABASE_CONNECT_TIMEOUT sets how long to wait)",
        RUN_TIME_FAILURE,
    )


def _statement_timeout(match: re.Match[str], server: _Server) -> CommandFailure:
    return CommandFailure(
        "a database statement ran longer than DATABASE_STATEMENT_TIMEOUT and was cancelled: "
        "try again, or raise DATABASE_STATEMENT_TIMEOUT (seconds; 0 for no limit)",
        RUN_TIME_FAILURE,
    )


def _server_full(match: re.Match[str], server: _Server) -> CommandFailure:
    return CommandFailure(
        f"PostgreSQL at {server.where} has no connection to spare (too many clients): try "
        "again later, or raise its max_connections",
        RUN_TIME_FAILURE,
    )


def _option_refused(match: re.Match[str], server: _Server) -> CommandFailure:
    # libpq refuses a connection option's value before reaching any server.
    return CommandFailure(
        f"DATABASE_URL holds a connection option PostgreSQL's client refuses "
        f"({match['reason'].strip()}): fix or remove that option in DATABASE_URL"
    )


def _refused_otherwise(match: re.Match[str], server: _Server) -> CommandFailure:
    # The server turned down what DATABASE_URL asks (an option's value, a database that
    # does not take connections): the URL must change.
    return CommandFailure(
        f"PostgreSQL at {server.where} refused the connection ({match['reason'].strip()}): "
        "fix DATABASE_URL"
    )


def _not_connected(match: re.Match[str], server: _Server) -> CommandFailure:
    return CommandFailure(
        f"cannot connect to PostgreSQL at {server.where} ({match['reason'].strip()}): check "
        "DATABASE_URL and the server",
        RUN_TIME_FAILURE,
    )


def _connection_lost(match: re.Match[str], server: _Server) -> CommandFailure:
    return CommandFailure(
        f"the connection to PostgreSQL at {server.where} broke off: try again once the "
        "server is back",
        RUN_TIME_FAILURE,
    )


# What psycopg (libpq) says, in the order to look for it: a refused password also fails
# the other addresses a host name has, and the first reason is the one that matters.
_POSTGRES_REASONS: list[tuple[re.Pattern[str], _Translation]] = [
    (re.compile(r'database "(?P<name>[^"]+)" does not exist'), _no_database),
    (re.compile(r'role "(?P<name>[^"]+)" does not exist'), _no_role),
    (re.compile(r"(?P<method>\w+) authentication failed"), _not_authenticated),
    (re.compile(r"no password supplied|password is required"), _no_password),
    (re.compile(r"no pg_hba\.conf entry"), _not_allowed),
    (re.compile(r"Connection refused|No such file or directory"), _refused),
    (re.compile(r"could not translate host name|Name or service not known"), _unknown_host),
    (re.compile(r"timeout expired|timed out"), _no_answer),
    (re.compile(r"canceling statement due to statement timeout"), _statement_timeout),
    (
        re.compile(r"server closed the connection|terminating connection|connection is lost"),
        _connection_lost,
    ),
    (re.compile(r"too many clients|remaining connection slots"), _server_full),
    (re.compile(r"^connection is bad: (?P<reason>.+)$", re.M), _option_refused),
    # Whatever else stops a connection from opening, in the server's own words.
    (re.compile(r"^connection failed: .*?FATAL:\s*(?P<reason>.+)$", re.M), _refused_otherwise),
    (re.compile(r"^connection failed: (?:.*? failed: )?(?P<reason>.+)$", re.M), _not_connected),
]


def database_failure(error: DBAPIError, database_url: str) -> CommandFailure | None:
    """What a driver's error reaching the command line means for the bot's own database
    (other databases, such as sources, word their errors where they are read); None when
    it means a bug."""
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError):
        return None
    reason = str(error.orig if error.orig is not None else error)
    if url.get_backend_name() == "sqlite":
        return _sqlite_failure(reason, url)
    if url.get_backend_name() != "postgresql":
        return None
    server = _Server(url)
    for pattern, translation in _POSTGRES_REASONS:
        if (match := pattern.search(reason)) is not None:
            return translation(match, server)
    return None


def _sqlite_failure(reason: str, url: URL) -> CommandFailure | None:
    path = url.database or ""
    if "unable to open database file" in reason:
        return CommandFailure(
            f"cannot open the SQLite file {path} that DATABASE_URL names: check that its "
            "directory exists and that this user may write there"
        )
    if "file is not a database" in reason:
        return CommandFailure(
            f"the file {path} that DATABASE_URL names is not a SQLite database: point "
            "DATABASE_URL at workflow-bot's database file, or at a new file name"
        )
    if "readonly database" in reason:
        return CommandFailure(
            f"the SQLite file {path} that DATABASE_URL names is read-only for this user: "
            "give this user write access to it and its directory"
        )
    return None


# -- the HTTP port ---------------------------------------------------------------------------


def port_unavailable(port: int, variable: str, error: OSError) -> CommandFailure | None:
    """Why serve cannot listen on ``port`` (set by ``variable``), when it is the
    configuration's to fix."""
    if error.errno == errno.EADDRINUSE:
        return CommandFailure(
            f"port {port} is in use (another workflow-bot, or another server, listens "
            f"there): stop it, or set {variable} to a free port"
        )
    if error.errno == errno.EACCES:
        return CommandFailure(
            f"this user may not listen on port {port} (ports below 1024 need privileges): "
            f"set {variable} to 1024 or above"
        )
    return None
