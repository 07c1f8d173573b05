"""Migration 0019 adds the index of removed records, and the downgrade drops it, keeping the
records, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.record_removal import by_ids
from storage.database import alembic_config, upgrade, write_transaction
from storage.models import Record
from tests.engine.builders import TEAM, deal, import_deals

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def removed_at_0018(engine: Engine, sessions: sessionmaker[Session]) -> Iterator[None]:
    """D-2 of D-1 and D-2 removed, in a database migration 0019's downgrade took back to
    0018; brought back to the latest at the end."""
    import_deals(sessions, [deal("D-1"), deal("D-2")], NOW)
    with write_transaction(sessions) as session:
        by_ids(session, TEAM, "deals", ["D-2"], NOW)
    command.downgrade(alembic_config(engine), "0018")
    yield
    upgrade(engine)


def _indexes(engine: Engine) -> set[str]:
    return {index["name"] for index in inspect(engine).get_indexes("records") if index["name"]}


def _predicate(engine: Engine, name: str) -> str:
    """The WHERE of partial index ``name`` on records, as the database reports it (Alembic's
    autogenerate does not compare predicates, so a migration that dropped it would pass)."""
    [index] = [i for i in inspect(engine).get_indexes("records") if i["name"] == name]
    options = index.get("dialect_options", {})
    where = options.get("postgresql_where", options.get("sqlite_where"))
    return "" if where is None else str(where)


def _removed(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        query = select(Record.external_id).where(Record.deleted_at.is_not(None))
        return list(session.scalars(query))


def test_0019_downgrade_drops_the_index_and_keeps_the_records(
    engine: Engine, sessions: sessionmaker[Session], removed_at_0018: None
) -> None:
    assert "ix_records_removed" not in _indexes(engine)
    assert _removed(sessions) == ["D-2"]


def test_0019_indexes_the_removed_records(
    engine: Engine, sessions: sessionmaker[Session], removed_at_0018: None
) -> None:
    upgrade(engine)

    assert "ix_records_removed" in _indexes(engine)
    assert _removed(sessions) == ["D-2"]
    assert "deleted_at IS NOT NULL" in _predicate(engine, "ix_records_removed")
