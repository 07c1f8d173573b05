"""Engines, sessions and schema migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SAWarning
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 30_000
# connection.info keys: how the SQLite transaction began, and whether it has read yet.
_BEGAN = "sqlite_began"
_HAS_READ = "sqlite_has_read"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_READS = ("SELECT", "WITH")

log = logging.getLogger(__name__)

# Tables of slack_sdk's SQLAlchemy installation and OAuth state stores (bot/slack/installations.py),
# created by migration 0003. slack_sdk defines and reads them; our models do not map them.
SLACK_BOTS_TABLE = "slack_bots"
SLACK_INSTALLATIONS_TABLE = "slack_installations"
SLACK_OAUTH_STATES_TABLE = "slack_oauth_states"
SLACK_STORE_TABLES = frozenset(
    {SLACK_BOTS_TABLE, SLACK_INSTALLATIONS_TABLE, SLACK_OAUTH_STATES_TABLE}
)


# How long a PostgreSQL connection may take to open, and a statement to run, by default.
# A run's lease lasts two minutes and is renewed every 40 s: a worker cut off from the
# database by a network partition gets an error well before its lease runs out, instead of
# waking up after another process has taken the run over.
DEFAULT_CONNECT_TIMEOUT_S = 10
DEFAULT_STATEMENT_TIMEOUT_S = 30
# TCP keepalives notice a peer that vanished while the bot waits for an answer (idle 10 s,
# then 3 probes 5 s apart); tcp_user_timeout, data sent but never acknowledged.
_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}


class MigrationRefused(Exception):
    """A migration found rows it will not change on its own, and did nothing: ``problem``
    says which rows and why, ``cleanup`` is the SQL statement that deletes them once the
    user has decided to (after a backup); the upgrade then runs again."""

    def __init__(self, revision: str, problem: str, cleanup: str) -> None:
        super().__init__(f"migration {revision} refused: {problem}")
        self.revision = revision
        self.problem = problem
        self.cleanup = cleanup


def make_engine(
    url: str,
    *,
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT_S,
    statement_timeout: int = DEFAULT_STATEMENT_TIMEOUT_S,
    **kwargs: Any,
) -> Engine:
    """An engine for ``url`` with the connection settings this project relies on.

    On PostgreSQL, ``connect_timeout`` and ``statement_timeout`` are in seconds (a statement
    timeout of 0 means none); parameters the URL itself sets win over these defaults.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        wanted: dict[str, Any] = {
            "connect_timeout": connect_timeout,
            "tcp_user_timeout": max(statement_timeout, connect_timeout) * 1000,
            **_KEEPALIVES,
        }
        defaults = {k: v for k, v in wanted.items() if k not in parsed.query}
        kwargs["connect_args"] = {**defaults, **kwargs.get("connect_args", {})}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _configure_postgres(engine, statement_timeout)
    return engine


def open_pool(engine: Engine) -> int:
    """Opens the connections the engine's pool keeps (its pool_size) now, so that the first
    requests of a new web worker do not each wait for a connection to be made: after a
    start, its first requests were answered in 100-200 ms against 15 ms. How many are open
    in the pool after. A database that cannot be reached now is logged, not raised: the
    worker serves, and says so to the requests that need it, as it would later."""
    size = getattr(engine.pool, "size", None)
    wanted = size() if callable(size) else 1
    opened: list[Connection] = []
    try:
        for _ in range(wanted):
            opened.append(engine.connect())
    except DBAPIError as error:
        log.warning("the database's connections could not be opened ahead: %s", error.orig)
    finally:
        for connection in opened:
            connection.close()
    return len(opened)


def _configure_postgres(engine: Engine, statement_timeout: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Per session rather than in the URL's "options", which tests and users set too.
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(statement_timeout) * 1000}")
        dbapi_connection.commit()


def without_statement_timeout(session: Session) -> None:
    """Lifts the statement timeout for the rest of this transaction, for work that is long
    by nature (building an index over every record, a migration) and holds no lease."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL statement_timeout = 0"))


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite opens transactions lazily and never for DDL; taking over BEGIN makes every
    # transaction, including migrations, real, and lets a caller ask for BEGIN IMMEDIATE to
    # take the write lock up front (execution option sqlite_begin="IMMEDIATE", which
    # write_transaction sets). Only there does SQLite wait for the lock (busy_timeout): a
    # DEFERRED transaction that has read and then writes after another process committed
    # fails at once with "database is locked", since its snapshot is stale.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if make_url(str(engine.url)).database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError(f"unknown SQLite transaction mode {mode!r}")
        connection.info[_BEGAN] = mode
        connection.exec_driver_sql(f"BEGIN {mode}")
        connection.info[_HAS_READ] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if connection.info.get(_BEGAN) != "DEFERRED":
            return
        verb = statement.lstrip()[:7].upper()
        if verb.startswith(_READS):
            connection.info[_HAS_READ] = True
        elif verb.startswith(_WRITES) and connection.info.get(_HAS_READ):
            connection.info[_BEGAN] = "DEFERRED, warned"  # once per transaction
            log.warning(
                "a write after a read in a transaction that did not take the write lock at "
                "its start: under concurrent writers it fails with 'database is locked'; "
                "use write_transaction (%.60s)",
                statement.strip(),
            )


def dialect_insert(session: Session, model: Any) -> postgresql.Insert | sqlite.Insert:
    """The INSERT of the session's database, which has ON CONFLICT (DO NOTHING, DO UPDATE
    with ``excluded``) on both: the plain INSERT has neither."""
    return dialect_insert_for(session.get_bind().dialect.name, model)


def dialect_insert_for(dialect_name: str, model: Any) -> postgresql.Insert | sqlite.Insert:
    """Like ``dialect_insert``, by the dialect's name: for statements built once per
    database, before any session."""
    if dialect_name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work that reads: commits when the block ends normally, rolls back
    otherwise. On SQLite it takes no write lock, so it never makes a writer wait; a unit of
    work that may write uses write_transaction (see _configure_sqlite for why)."""
    with factory() as session, session.begin():
        yield session


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # The engine travels as an attribute: URLs may hold '%' that ini interpolation would mangle.
    config.attributes["engine"] = engine
    return config


def include_name(name: str | None, type_: str, parent_names: Mapping[Any, str | None]) -> bool:
    """Alembic's filter for comparing the database with our models: leaves out slack_sdk's
    store tables, which are not in the models, so autogenerate never offers to drop them."""
    return not (type_ == "table" and name in SLACK_STORE_TABLES)


_EXPRESSION_INDEX_NOT_REFLECTED = "Skipped unsupported reflection of expression-based index"


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Applies pending migrations; a database already at ``revision`` is left untouched.

    Every command starts with this: an up-to-date database is only read (no write lock, so
    a command never waits here for another's import); migrating takes the write lock first.
    """
    if revision == "head" and current_revision(engine) == head_revision(engine):
        return
    with warnings.catch_warnings():
        # SQLite's batch migrations reflect ``workflows``, whose case-insensitive name index is
        # an expression SQLAlchemy cannot reflect; the migrations build that index themselves.
        warnings.filterwarnings("ignore", _EXPRESSION_INDEX_NOT_REFLECTED, SAWarning)
        command.upgrade(
            alembic_config(engine.execution_options(sqlite_begin="IMMEDIATE")), revision
        )


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def write_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that takes the database's write lock up front.

    On SQLite this is BEGIN IMMEDIATE: two processes that both read then write would
    otherwise deadlock on upgrading their read locks; here the second simply waits. On
    PostgreSQL it is an ordinary transaction: its callers lock the rows they change.
    """
    with factory() as session, session.begin():
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        yield session


def writers_wait_for_each_other(factory: sessionmaker[Session]) -> bool:
    """Whether a write transaction left open makes other processes' writes wait: on SQLite
    it holds the database's one write lock; on PostgreSQL only the rows it wrote or locked."""
    engine: Engine = factory.kw["bind"]
    return engine.dialect.name != "postgresql"


class IdleLimit:
    """Has PostgreSQL end a transaction (and its connection) once it stays idle longer than
    a limit, for a transaction left open while the process waits on something else: if
    the process vanishes, its locks go with the limit, not with TCP keepalives (hours).
    ``touch`` restarts the idle clock; nothing is done on SQLite."""

    def __init__(self, session: Session, limit: timedelta) -> None:
        self.session = session
        self.ended: DBAPIError | None = None
        self.postgres = session.get_bind().dialect.name == "postgresql"
        if self.postgres:
            # SET takes no bound parameter: the value is an int computed here, never text.
            milliseconds = max(1, int(limit.total_seconds() * 1000))
            session.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = {milliseconds}"))

    def touch(self) -> None:
        """Runs a statement, which restarts the idle clock; once the database has ended the
        transaction, ``ended`` holds the error that said so (see ``raise_if_ended``)."""
        if not self.postgres or self.ended is not None:
            return
        try:
            self.session.execute(text("SELECT 1"))
        except DBAPIError as error:
            if not connection_lost(error):
                raise
            self.ended = error

    def raise_if_ended(self) -> None:
        if self.ended is not None:
            raise self.ended


def connection_lost(error: DBAPIError) -> bool:
    """Whether ``error`` says the database closed the connection (an idle limit, a
    restart), which ended its transaction."""
    return bool(error.connection_invalidated)


@contextmanager
def autocommit_statements(factory: sessionmaker[Session]) -> Iterator[Connection]:
    """Work whose every statement is whole on its own (one INSERT ... ON CONFLICT, say), on
    a bare connection: Core statements, no ORM session, whose bookkeeping (a session, its
    transaction, its flush and commit) cost more CPU than the statement itself on every
    request to the Slack endpoint. On PostgreSQL each statement commits as it runs, which
    spares the BEGIN and COMMIT round trips of a transaction; the statement timeout, set per
    connection, still bounds each one. On SQLite this is a write transaction (BEGIN
    IMMEDIATE): there BEGIN is ours (_configure_sqlite) and costs no round trip."""
    engine: Engine = factory.kw["bind"]
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # Reset by the pool when it takes the connection back, as _autocommit's.
            connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection
            return
        connection.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            yield connection


@contextmanager
def autocommit_reads(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Reads that need no one snapshot across them: on PostgreSQL each runs on its own, as
    it does in a transaction at READ COMMITTED anyway (each statement of one sees what was
    committed when it started), without the BEGIN and COMMIT round trips. On SQLite this is
    a transaction (one snapshot), as ``transaction``: it takes no write lock."""
    with factory() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            _autocommit(session)
        yield session


def _autocommit(session: Session) -> None:
    # psycopg's autocommit is a flag on the connection, set here and reset when the pool
    # takes the connection back: no statement is sent for either. The COMMIT that ends the
    # block flushes the session, then finds nothing to commit.
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
