"""Migration 0020 adds run_digests.action_fingerprint, and the downgrade removes it, keeping
the kept layouts, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, Table, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.vocabulary import RunSource
from storage.database import alembic_config, transaction, upgrade, write_transaction
from storage.run_digests import RunDigestRepository
from storage.runs import NewRun, RunRepository
from tests.engine.builders import deal, import_deals, save, workflow_document

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
SECTIONS = ["*Deal review*: 2 records\n• Acme", "• Globex"]
ACTION = "action-fingerprint"


@pytest.fixture
def digest_at_0019(engine: Engine, sessions: sessionmaker[Session]) -> Iterator[int]:
    """A run's id whose digest was kept, in a database migration 0020's downgrade took back
    to 0019; brought back to the latest at the end."""
    import_deals(sessions, [deal("D1", "Acme")], NOW)
    workflow_id = save(sessions, workflow_document(), NOW).workflow_id
    with write_transaction(sessions) as session:
        new_run = NewRun(workflow_id, 1, "by hand", NOW, RunSource.MANUAL)
        run_id = RunRepository(session).add(new_run, NOW)
        assert run_id is not None
        RunDigestRepository(session).keep(run_id, 0, ACTION, SECTIONS, NOW)
    command.downgrade(alembic_config(engine), "0019")
    yield run_id
    upgrade(engine)


def test_0020_downgrade_drops_the_fingerprint_and_keeps_the_layouts(
    engine: Engine, digest_at_0019: int
) -> None:
    digests = Table("run_digests", MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        row = connection.execute(select(digests)).one()

    columns = {column["name"] for column in inspect(engine).get_columns("run_digests")}
    assert "action_fingerprint" not in columns
    assert (row.run_id, row.action_index, row.sections) == (digest_at_0019, 0, SECTIONS)


def test_0020_upgrade_leaves_a_layout_kept_before_unmatched_by_any_action(
    engine: Engine, sessions: sessionmaker[Session], digest_at_0019: int
) -> None:
    """Kept before the fingerprint, a layout may be of an action edited since: it is laid
    out again, as before run_digests."""
    upgrade(engine)

    with write_transaction(sessions) as session:
        digests = RunDigestRepository(session)
        assert digests.sections(digest_at_0019, 0, ACTION) is None
        digests.keep(digest_at_0019, 0, ACTION, SECTIONS, NOW)
    with transaction(sessions) as session:
        assert RunDigestRepository(session).sections(digest_at_0019, 0, ACTION) == SECTIONS
