"""The unit of work a use case is given: it opens the use case's one short transaction, for
reading or for writing, so that callers (listeners, commands) never hold a session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from storage.database import (
    autocommit_reads,
    autocommit_statements,
    transaction,
    write_transaction,
)


@dataclass(frozen=True)
class UnitOfWork:
    """Opens transactions on one database; a use case takes it and opens exactly one.

    Both context managers commit when the block ends normally and roll back when it raises,
    so a use case that fails half-way leaves nothing written. The session must not leave
    the block: a use case returns plain values, not the ORM objects it read (they would be
    read outside any transaction, and a session never crosses threads).
    """

    sessions: sessionmaker[Session]

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads. On SQLite it takes no write lock, so it never
        makes a writer wait; one that reads and then writes must use ``writing``."""
        with transaction(self.sessions) as session:
            yield session

    @contextmanager
    def reads(self) -> Iterator[Session]:
        """Reads that need not see one snapshot together: on PostgreSQL they run without a
        transaction (no BEGIN or COMMIT round trips; each statement sees what was committed
        when it started, as in a READ COMMITTED transaction); on SQLite, as ``reading``.
        Nothing may be written in it."""
        with autocommit_reads(self.sessions) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A transaction that may write: on SQLite it takes the write lock up front
        (BEGIN IMMEDIATE), so concurrent writers wait for each other instead of failing
        with "database is locked"; on PostgreSQL its callers lock the rows they change."""
        with write_transaction(self.sessions) as session:
            yield session

    @contextmanager
    def statements(self) -> Iterator[Connection]:
        """Core statements that are each complete on their own and need no transaction
        around them, on a connection (no ORM session): on PostgreSQL each commits as it
        runs (no BEGIN or COMMIT round trips), so one that fails leaves those before it
        written; on SQLite, one write transaction."""
        with autocommit_statements(self.sessions) as connection:
            yield connection
