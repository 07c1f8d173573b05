"""Alembic environment: runs migrations on the engine handed over in config.attributes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from storage.database import include_name
from storage.models import Base

config = context.config
engine: Engine = config.attributes["engine"]

with engine.begin() as connection:
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
