"""Migration 0009 (skips, snoozes and retries) goes down and up on both databases, keeping
the runs there are."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.lifecycle import CLI_ACTOR, request_run
from storage.database import alembic_config, current_revision, transaction, upgrade
from storage.models import Run
from tests.engine.builders import NAME, TEAM, deal, import_deals, save, workflow_document

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def at_0008(engine: Engine) -> Iterator[Engine]:
    """The database as migration 0008 left it; brought back to the latest at the end."""
    command.downgrade(alembic_config(engine), "0008")
    yield engine
    upgrade(engine)


def _columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def test_downgrading_0009_drops_skips_snoozes_and_retries_and_upgrading_brings_them_back(
    at_0008: Engine,
) -> None:
    assert current_revision(at_0008) == "0008"
    assert "retry_of" not in _columns(at_0008, "runs")
    assert not {"run_skips", "record_snoozes"} & set(inspect(at_0008).get_table_names())
    command.upgrade(alembic_config(at_0008), "0009")
    assert "retry_of" in _columns(at_0008, "runs")
    assert {"run_skips", "record_snoozes"} <= set(inspect(at_0008).get_table_names())


def test_runs_stored_before_0009_survive_it_and_retry_nothing(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    import_deals(sessions, [deal("D-1", "Acme")], NOW)
    save(sessions, workflow_document(), NOW)
    with transaction(sessions) as session:
        request_run(session, TEAM, NAME, CLI_ACTOR, NOW)
    command.downgrade(alembic_config(engine), "0008")
    upgrade(engine)
    with sessions() as session:
        kept = session.execute(select(Run.source, Run.retry_of)).all()
    assert [tuple(row) for row in kept] == [("manual", None)]
