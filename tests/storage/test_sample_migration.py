"""Migration 0008 (the sample's marks) goes up and down on both databases, keeping data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from storage.database import alembic_config, current_revision, upgrade
from storage.models import Record
from tests.engine.builders import deal, import_deals

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def at_0007(engine: Engine) -> Iterator[Engine]:
    """The database as migration 0007 left it; brought back to the latest at the end."""
    command.downgrade(alembic_config(engine), "0007")
    yield engine
    upgrade(engine)


def _columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def test_downgrading_0008_drops_the_marks_and_upgrading_brings_them_back(
    at_0007: Engine,
) -> None:
    assert current_revision(at_0007) == "0007"
    assert "is_sample" not in _columns(at_0007, "records") | _columns(at_0007, "workflows")
    assert "sample_installations" not in inspect(at_0007).get_table_names()
    command.upgrade(alembic_config(at_0007), "0008")
    assert "is_sample" in _columns(at_0007, "records") & _columns(at_0007, "workflows")
    assert "sample_installations" in inspect(at_0007).get_table_names()


def test_records_stored_before_0008_are_not_the_samples(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    import_deals(sessions, [deal("D-1001", "Our real deal")], NOW)
    command.downgrade(alembic_config(engine), "0007")
    upgrade(engine)
    with sessions() as session:
        marks = session.execute(select(Record.external_id, Record.is_sample)).all()
    assert [tuple(mark) for mark in marks] == [("D-1001", False)]
