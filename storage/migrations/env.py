"""Alembic environment: runs migrations on the engine handed over in config.attributes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from storage.database import include_name
from storage.models import Base

config = context.config
engine: Engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    context.run_migrations()
