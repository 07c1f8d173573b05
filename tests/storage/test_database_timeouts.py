"""PostgreSQL connections give up instead of hanging: on a connection that never answers,
and on a statement that runs too long; long work by nature lifts the statement limit."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.database import (
    autocommit_statements,
    make_engine,
    session_factory,
    transaction,
    without_statement_timeout,
)


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("timeouts apply to PostgreSQL connections")
    return database_url


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word, as a server behind a
    network partition looks to a client that got through the handshake."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_a_connection_to_a_server_that_never_answers_gives_up(silent_server: int) -> None:
    engine = make_engine(
        f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/test", connect_timeout=1
    )
    started = time.monotonic()
    with pytest.raises(OperationalError), engine.connect():
        pass
    # libpq may try the address twice (with and without SSL), each within the timeout.
    assert time.monotonic() - started < 5


def test_a_statement_that_runs_too_long_is_cancelled(postgres_url: str) -> None:
    engine = make_engine(postgres_url, statement_timeout=1)
    try:
        with pytest.raises(OperationalError, match="statement timeout"), engine.connect() as c:
            c.execute(text("SELECT pg_sleep(3)"))
    finally:
        engine.dispose()


def test_statements_outside_a_transaction_are_cancelled_too(postgres_url: str) -> None:
    """The limit is the connection's, so the request gate's statements, which run with no
    transaction around them, are bounded as well."""
    engine = make_engine(postgres_url, statement_timeout=1)
    try:
        with (
            pytest.raises(OperationalError, match="statement timeout"),
            autocommit_statements(session_factory(engine)) as session,
        ):
            session.execute(text("SELECT pg_sleep(3)"))
    finally:
        engine.dispose()


def test_long_work_by_nature_runs_without_the_statement_limit(postgres_url: str) -> None:
    engine = make_engine(postgres_url, statement_timeout=1)
    try:
        with transaction(session_factory(engine)) as session:
            assert session.execute(text("SHOW statement_timeout")).scalar() == "1s"
            without_statement_timeout(session)
            session.execute(text("SELECT pg_sleep(1.5)"))
        with transaction(session_factory(engine)) as session:
            # Only for that transaction: the next one has the limit again.
            assert session.execute(text("SHOW statement_timeout")).scalar() == "1s"
    finally:
        engine.dispose()


def test_connections_watch_for_a_vanished_server_and_the_url_wins(postgres_url: str) -> None:
    separator = "&" if "?" in postgres_url else "?"
    engine = make_engine(f"{postgres_url}{separator}connect_timeout=7", connect_timeout=1)
    try:
        with engine.connect() as connection:
            parameters = connection.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
    finally:
        engine.dispose()
    assert parameters["connect_timeout"] == "7"
    assert parameters["keepalives"] == "1"
    assert parameters["tcp_user_timeout"] == "30000"
