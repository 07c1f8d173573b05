"""The unit of work: what a use case writes in it is committed together when the block ends,
and nothing of it when the block raises; a block that only reads makes no writer wait."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest
from psycopg import pq
from sqlalchemy import Insert, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from storage.database import make_engine, session_factory
from storage.models import HandledEvent
from storage.unit_of_work import UnitOfWork

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class Refused(Exception):
    pass


def _events(sessions: sessionmaker[Session]) -> list[str]:
    with UnitOfWork(sessions).reading() as session:
        return list(session.scalars(select(HandledEvent.event_id).order_by(HandledEvent.event_id)))


def _handled(event_id: str) -> Insert:
    return insert(HandledEvent).values(team_id="T1", event_id=event_id, handled_at=NOW)


def test_writing_commits_everything_the_block_wrote(sessions: sessionmaker[Session]) -> None:
    work = UnitOfWork(sessions)
    with work.writing() as session:
        session.add(HandledEvent(team_id="T1", event_id="E1", handled_at=NOW))
        session.flush()
        session.add(HandledEvent(team_id="T1", event_id="E2", handled_at=NOW))
    assert _events(sessions) == ["E1", "E2"]


def test_writing_that_fails_half_way_leaves_nothing_written(
    sessions: sessionmaker[Session],
) -> None:
    work = UnitOfWork(sessions)
    with pytest.raises(Refused), work.writing() as session:
        session.add(HandledEvent(team_id="T1", event_id="E1", handled_at=NOW))
        session.flush()  # the first row is in the database's transaction already
        raise Refused
    assert _events(sessions) == []


def test_reading_takes_no_write_lock_so_a_writer_need_not_wait(
    sessions: sessionmaker[Session],
) -> None:
    """A read block open (and its snapshot taken) while another use case writes: on SQLite
    a read transaction that took the write lock (BEGIN IMMEDIATE) would refuse the writer."""
    engine = sessions.kw["bind"]
    with UnitOfWork(sessions).reading() as session:
        before = session.scalar(select(func.count()).select_from(HandledEvent))
        if engine.dialect.name == "sqlite":
            other = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")  # database is locked, if the read held it
                other.execute("ROLLBACK")
            finally:
                other.close()
        with UnitOfWork(sessions).writing() as writer:
            writer.add(HandledEvent(team_id="T1", event_id="E1", handled_at=NOW))
    assert before == 0
    assert _events(sessions) == ["E1"]


def test_statements_each_count_as_they_run_on_postgresql(
    sessions: sessionmaker[Session],
) -> None:
    """On PostgreSQL a statement of ``statements`` commits as it runs (no BEGIN and COMMIT
    around it): another connection sees its row before the block ends. On SQLite the block
    is a write transaction, whose rows show when it ends."""
    engine = sessions.kw["bind"]
    with UnitOfWork(sessions).statements() as connection:
        connection.execute(_handled("E1"))
        with engine.connect() as other:
            seen = other.scalar(select(func.count()).select_from(HandledEvent))
    assert seen == (1 if engine.dialect.name == "postgresql" else 0)
    assert _events(sessions) == ["E1"]


def test_a_connection_back_from_statements_is_transactional_again(
    database_url: str,
) -> None:
    """The pool's only connection, used by ``statements`` and then by a use case that
    fails half-way: the use case still leaves nothing written."""
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        one = session_factory(engine)
        with UnitOfWork(one).statements() as connection:
            connection.execute(_handled("E1"))
        with pytest.raises(Refused), UnitOfWork(one).writing() as session:
            session.add(HandledEvent(team_id="T1", event_id="E2", handled_at=NOW))
            session.flush()
            raise Refused
        assert _events(one) == ["E1"]
    finally:
        engine.dispose()


def test_reads_open_no_transaction_on_postgresql(sessions: sessionmaker[Session]) -> None:
    """On PostgreSQL the reads of ``reads`` run without BEGIN and COMMIT round trips; on
    SQLite they share one read transaction (one snapshot)."""
    engine = sessions.kw["bind"]
    with UnitOfWork(sessions).reads() as session:
        session.scalar(select(func.count()).select_from(HandledEvent))
        raw: Any = session.connection().connection.dbapi_connection
        if engine.dialect.name == "postgresql":
            in_transaction = raw.info.transaction_status != pq.TransactionStatus.IDLE
        else:
            in_transaction = raw.in_transaction
    assert in_transaction == (engine.dialect.name == "sqlite")


def test_a_connection_back_from_reads_is_transactional_again(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        one = session_factory(engine)
        with UnitOfWork(one).reads() as session:
            session.scalar(select(func.count()).select_from(HandledEvent))
        with pytest.raises(Refused), UnitOfWork(one).writing() as session:
            session.add(HandledEvent(team_id="T1", event_id="E1", handled_at=NOW))
            session.flush()
            raise Refused
        assert _events(one) == []
    finally:
        engine.dispose()
