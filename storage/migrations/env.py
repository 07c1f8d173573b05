"""Alembic environment: runs migrations on the engine handed over in config.attributes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import context
from sqlalchemy import Connection, Engine

from storage.database import include_name
from storage.models import Base

config = context.config
engine: Engine = config.attributes["engine"]


@contextmanager
def foreign_keys_off_on_sqlite(connection: Connection) -> Iterator[None]:
    """SQLite's documented procedure for schema changes: a batch migration rebuilds a table
    (create a copy, drop the original, rename), and with foreign keys on, dropping a parent
    table deletes its children's rows through ON DELETE CASCADE: runs with their workflows.
    The pragma only takes effect outside a transaction, hence on the raw connection before
    BEGIN; the keys are checked once the migrations are committed, and switched on again."""
    if engine.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migrations left rows whose foreign keys dangle: {broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


with engine.connect() as connection, foreign_keys_off_on_sqlite(connection), connection.begin():
    if engine.dialect.name == "postgresql":
        # A migration may rewrite or index every row: the statement timeout is for the
        # bot's own short statements.
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    context.run_migrations()
