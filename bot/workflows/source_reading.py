"""Reading a SQL source: the database URL from its environment variable (never stored,
never shown: errors name the variable), a read-only connection, and the query's rows
streamed a batch at a time through a server-side cursor, with the column types the driver
reports. Every failure is a SourceError of one line saying what to fix."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from queue import Empty, Queue
from typing import Any, cast

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.workflows.vocabulary import PropertyType

# Looks a variable up where settings are read from (the environment, then .env).
EnvironmentLookup = Callable[[str], "str | None"]
# Rows per fetch from the source: as many as a write batch.
BATCH = 10_000
# Seconds a source may take to accept a connection, and (PostgreSQL) each statement, such
# as one fetch of the cursor, to run.
CONNECT_TIMEOUT_S = 10
STATEMENT_TIMEOUT_S = 600
# Drivers whose cursors can be server-side cursors named as DB-API 2 drivers name them.
_NAMED_CURSORS = frozenset({"psycopg", "psycopg2"})
_CURSOR_NAME = "workflow_bot_sync"
# Batches read ahead of the one being written: a few, to ride out a slow fetch.
PREFETCHED = 3

# PostgreSQL's type oids (cursor.description's type_code) and the property type each column
# type maps to; columns of other types are typed from their values.
POSTGRESQL_TYPES = {
    16: PropertyType.BOOLEAN,
    20: PropertyType.NUMBER,  # int8
    21: PropertyType.NUMBER,  # int2
    23: PropertyType.NUMBER,  # int4
    700: PropertyType.NUMBER,  # float4
    701: PropertyType.NUMBER,  # float8
    1700: PropertyType.NUMBER,  # numeric
    1082: PropertyType.DATE,
    1114: PropertyType.DATETIME,  # timestamp without time zone: read as UTC
    1184: PropertyType.DATETIME,
    18: PropertyType.STRING,  # "char"
    19: PropertyType.STRING,  # name
    25: PropertyType.STRING,  # text
    1042: PropertyType.STRING,  # char(n)
    1043: PropertyType.STRING,  # varchar
    2950: PropertyType.STRING,  # uuid
    114: PropertyType.STRING,  # json
    3802: PropertyType.STRING,  # jsonb
}


class SourceError(Exception):
    """A sync that cannot be done: one line saying what is wrong and what to fix, and a
    ``code`` naming the kind of failure for operators' metrics (e.g. ``unreachable``)."""

    code = "sync_failed"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


@dataclass(frozen=True)
class SourceQuery:
    """What a sync needs to know of a source: its query and where its records go."""

    name: str
    url_env: str
    query: str
    id_column: str
    object_type_id: int


def source_url(source: SourceQuery, environment: EnvironmentLookup) -> str:
    """The database URL the source's variable holds now."""
    url = (environment(source.url_env) or "").strip()
    if not url:
        raise SourceError(
            f"the environment variable {source.url_env} is not set: set it to the database "
            f"URL of source {source.name} (such as postgresql+psycopg://user:password@host/db) "
            "where the bot runs, or in its .env file",
            "url_unset",
        )
    return url


class Masked:
    """Removes the URL and its password from a text shown to people: an error's first line."""

    def __init__(self, url: str, variable: str) -> None:
        self.url = url
        self.variable = variable
        try:
            self.password = make_url(url).password
        except ArgumentError:
            self.password = None

    def __call__(self, message: object) -> str:
        line = next((part.strip() for part in str(message).splitlines() if part.strip()), "")
        line = line.replace(self.url, f"${self.variable}")
        if self.password:
            line = line.replace(str(self.password), "***")
        return line


class Rows:
    """The rows of one execution of the query as tuples, a batch at a time, with the
    columns' names and the property types the driver reports (None where it does not).

    With ``digested`` (how the digest is made) each row ends with one more value than
    ``names``: a 64-bit hash of the row that the source server computed.
    """

    def __init__(
        self,
        names: list[str],
        driver_types: list[PropertyType | None],
        batches: Generator[Sequence[tuple[Any, ...]], None, None],
        digested: str | None = None,
    ) -> None:
        self.names = names
        self.driver_types = driver_types
        self.batches = batches
        self.digested = digested


@contextmanager
def source_rows(url: str, source: SourceQuery) -> Iterator[Rows]:
    """Runs the source's query on a read-only connection and streams its rows."""
    mask = Masked(url, source.url_env)
    engine = _engine(url, source, mask)
    try:
        try:
            connection = engine.connect()
        except SQLAlchemyError as error:
            raise SourceError(
                f"cannot connect to the database of source {source.name} "
                f"({mask(_cause(error))}): check the URL in {source.url_env}, that the server "
                "runs, and that it accepts the bot",
                "unreachable",
            ) from None
        with connection:
            _read_only(connection, mask)
            rows = _execute(connection, source, mask)
            try:
                yield rows
            finally:
                rows.batches.close()  # its cursor, before the connection
    finally:
        engine.dispose()


def _engine(url: str, source: SourceQuery, mask: Masked) -> Engine:
    try:
        parsed = make_url(url)
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql":
            connect_args = {"connect_timeout": CONNECT_TIMEOUT_S}
        elif parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            # SQLite would create a missing file, and then find no table in it.
            missing = database not in ("", ":memory:") and not Path(database).is_file()
            if missing and "uri" not in parsed.query:
                raise SourceError(
                    f"the SQLite database file that {source.url_env} names does not exist: "
                    f"check the path in {source.url_env}",
                    "unreachable",
                )
        return create_engine(url, poolclass=NullPool, connect_args=connect_args)
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        raise SourceError(
            f"{source.url_env} does not hold a database URL the bot can use ({mask(error)}): "
            "set it to a SQLAlchemy URL such as postgresql+psycopg://user:password@host/db",
            "bad_url",
        ) from None
    except ImportError as error:
        raise SourceError(
            f"the database driver that {source.url_env} asks for is not installed "
            f"({mask(error)}): install it where the bot runs, or use postgresql+psycopg",
            "bad_url",
        ) from None


def _read_only(connection: Connection, mask: Masked) -> None:
    """A sync only reads: the source database is not the bot's to change."""
    name = connection.dialect.name
    try:
        if name == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            connection.exec_driver_sql(
                f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_S * 1000}"
            )
        elif name == "sqlite":
            connection.exec_driver_sql("PRAGMA query_only = ON")
    except DBAPIError as error:
        raise SourceError(
            f"the source database refused a read-only session ({mask(_cause(error))})",
            "refused",
        ) from None


def _cause(error: SQLAlchemyError) -> object:
    return error.orig if isinstance(error, DBAPIError) and error.orig is not None else error


def _execute(connection: Connection, source: SourceQuery, mask: Masked) -> Rows:
    """Executes the query: on a named (server-side) cursor of the DB-API connection for the
    drivers that have them, a plain one for SQLite (whose cursors step through the rows as
    they are fetched), else through SQLAlchemy's streaming results."""
    dialect = connection.dialect
    failed = _query_failed(source, mask)
    dbapi: Any = connection.connection.dbapi_connection
    named = dialect.driver in _NAMED_CURSORS
    if named or dialect.name == "sqlite":
        errors = dialect.loaded_dbapi.Error
        psycopg = dialect.driver == "psycopg"
        found = _execute_digested(dbapi, source, errors) if psycopg else None
        digested, cursor = found if found is not None else (None, None)
        if cursor is None:
            cursor = dbapi.cursor(_CURSOR_NAME) if named else dbapi.cursor()
            if psycopg:
                _as_text(cursor)
            try:
                cursor.execute(source.query)
            except errors as error:
                raise failed(error) from None
        if cursor.description is None:
            raise _no_rows(source)
        columns = cursor.description[:-1] if digested is not None else cursor.description
        names = [column[0] for column in columns]
        types = _driver_types(dialect.name, columns)
        batches = _fetched(cursor, errors, source, mask)
        # A named cursor's next batch is fetched while this one is written: the source
        # server works meanwhile. sqlite3 connections stay in the thread that made them.
        return Rows(names, types, _prefetched(batches) if named else batches, digested)
    try:
        result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(
            text(source.query)
        )
    except DBAPIError as error:
        raise failed(error.orig) from None
    if not result.returns_rows:
        raise _no_rows(source)
    names = list(result.keys())
    return Rows(names, [None] * len(names), _partitions(result, source, mask))


# The source's own query, with a hash of each row that PostgreSQL computes while the bot
# does other work: what a sync compares to tell unchanged rows. hash_record_extended
# (PostgreSQL 14) hashes the values as they are, but not every type (json has no hash);
# hashtextextended (PostgreSQL 11) hashes the row's text.
_DIGESTS = {
    "record": "hash_record_extended(source_query, 0)",
    "text": "hashtextextended(source_query::text, 0)",
}
_DIGESTED = "SELECT source_query.*, {digest} FROM ({query}\n) AS source_query"
# The column types whose values hash_record_extended hashes (json has no hash function).
_RECORD_HASHABLE = frozenset(POSTGRESQL_TYPES) - {114}


def _execute_digested(
    dbapi: Any, source: SourceQuery, errors: type[Exception]
) -> tuple[str, Any] | None:
    """Runs the query with the server's digest of each row, the first way that works, on
    a named cursor it returns with how the digest is made; None when no way works (a query
    that is not a SELECT, an old server), and nothing is left of the attempts: the caller
    runs the query as it is, which reports the query's own errors."""
    query = source.query.strip().rstrip(";")
    for method, digest in _DIGESTS.items():
        cursor = dbapi.cursor(_CURSOR_NAME)
        _as_text(cursor)
        dbapi.execute("SAVEPOINT digested")
        try:
            cursor.execute(_DIGESTED.format(digest=digest, query=query))
        except errors:
            cursor.close()
            dbapi.execute("ROLLBACK TO SAVEPOINT digested")
            continue
        codes = [column.type_code for column in cursor.description[:-1]]
        if method == "record" and not all(code in _RECORD_HASHABLE for code in codes):
            # It would fail at the first fetch: a column's type has no hash function.
            cursor.close()
            dbapi.execute("ROLLBACK TO SAVEPOINT digested")
            continue
        return method, cursor
    return None


def _query_failed(source: SourceQuery, mask: Masked) -> Callable[[object], SourceError]:
    def failed(error: object) -> SourceError:
        return SourceError(
            f"the query of source {source.name} failed: {mask(error)}; fix the query (sources "
            "remove, then sources add with the corrected --query)",
            "query_failed",
        )

    return failed


def _no_rows(source: SourceQuery) -> SourceError:
    return SourceError(
        f"the query of source {source.name} returns no rows: it must be a SELECT", "query_failed"
    )


def _fetched(
    cursor: Any, errors: type[Exception], source: SourceQuery, mask: Masked
) -> Generator[Sequence[tuple[Any, ...]], None, None]:
    try:
        while batch := cursor.fetchmany(BATCH):
            yield batch
    except errors as error:
        raise SourceError(
            f"reading the rows of source {source.name} failed: {mask(error)}", "read_failed"
        ) from None
    finally:
        cursor.close()


def _as_text(cursor: Any) -> None:
    """Dates, timestamps with a time zone, numerics and JSON as the server writes them
    (what the property converters read): psycopg's date, Decimal and dict objects cost
    more to make than the text, and JSON is stored as its text anyway."""
    from psycopg.types.string import TextLoader

    for type_name in ("date", "timestamptz", "numeric", "json", "jsonb"):
        cursor.adapters.register_loader(type_name, TextLoader)


_DONE = object()


def _prefetched(
    batches: Generator[Sequence[tuple[Any, ...]], None, None],
) -> Generator[Sequence[tuple[Any, ...]], None, None]:
    """``batches`` read ahead (PREFETCHED at most) by a thread of its own, which alone uses
    the cursor until the end, so that waiting for the source overlaps with writing what
    came before."""
    queue: Queue[object] = Queue(maxsize=PREFETCHED)
    stop = threading.Event()

    def fetch() -> None:
        try:
            for batch in batches:
                queue.put(batch)
                if stop.is_set():
                    break
            queue.put(_DONE)
        except BaseException as error:  # handed over to the reader, which raises it
            queue.put(error)
        finally:
            batches.close()

    worker = threading.Thread(target=fetch, name="source-prefetch", daemon=True)
    worker.start()
    try:
        while (item := queue.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield cast(Sequence[tuple[Any, ...]], item)
    finally:
        stop.set()
        while worker.is_alive():  # let a blocked put finish, then the thread ends
            with suppress(Empty):
                queue.get(timeout=0.05)
        worker.join()


def _partitions(
    result: Any, source: SourceQuery, mask: Masked
) -> Generator[Sequence[tuple[Any, ...]], None, None]:
    try:
        for partition in result.partitions(BATCH):
            yield [tuple(row) for row in partition]
    except DBAPIError as error:
        raise SourceError(
            f"reading the rows of source {source.name} failed: {mask(error.orig)}", "read_failed"
        ) from None
    finally:
        result.close()


def _driver_types(dialect: str, description: Sequence[Any]) -> list[PropertyType | None]:
    if dialect != "postgresql":
        return [None] * len(description)
    return [POSTGRESQL_TYPES.get(getattr(column, "type_code", 0) or 0) for column in description]
