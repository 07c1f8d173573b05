"""Migration 0017 adds run_digests, and the downgrade removes it, keeping the runs, on both
databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.vocabulary import RunSource
from storage.database import alembic_config, transaction, upgrade, write_transaction
from storage.run_digests import RunDigestRepository
from storage.runs import NewRun, RunRepository
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.engine.builders import run as run_row
from tests.engine.builders import runs as run_rows

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
SECTIONS = ["*Deal review*: 2 records\n• Acme", "• Globex"]
ACTION = "action-fingerprint"


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


@pytest.fixture
def digest_at_0016(engine: Engine, sessions: sessionmaker[Session]) -> Iterator[int]:
    """A run's id whose digest was kept, in a database migration 0017's downgrade took back
    to 0016; brought back to the latest at the end."""
    import_deals(sessions, [deal("D1", "Acme")], NOW)
    workflow_id = save(sessions, workflow_document(), NOW).workflow_id
    with write_transaction(sessions) as session:
        new_run = NewRun(workflow_id, 1, "by hand", NOW, RunSource.MANUAL)
        run_id = RunRepository(session).add(new_run, NOW)
        assert run_id is not None
        RunDigestRepository(session).keep(run_id, 0, ACTION, SECTIONS, NOW)
    command.downgrade(alembic_config(engine), "0016")
    yield run_id
    upgrade(engine)


def test_0017_downgrade_drops_the_kept_digests_and_keeps_the_runs(
    engine: Engine, sessions: sessionmaker[Session], digest_at_0016: int
) -> None:
    assert "run_digests" not in _tables(engine)
    assert [r.id for r in run_rows(sessions)] == [digest_at_0016]


def test_0017_upgrade_adds_an_empty_table_that_keeps_digests_again(
    engine: Engine, sessions: sessionmaker[Session], digest_at_0016: int
) -> None:
    upgrade(engine)

    with write_transaction(sessions) as session:
        digests = RunDigestRepository(session)
        assert digests.sections(digest_at_0016, 0, ACTION) is None
        digests.keep(digest_at_0016, 0, ACTION, SECTIONS, NOW)
    with transaction(sessions) as session:
        assert RunDigestRepository(session).sections(digest_at_0016, 0, ACTION) == SECTIONS
    assert run_row(sessions, digest_at_0016).id == digest_at_0016
