"""Migration 0017 adds run_digests, and the downgrade removes it, keeping the runs, on both
databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from storage.database import upgrade
from tests.engine.builders import run as run_row
from tests.engine.builders import runs as run_rows
from tests.storage.run_digest_migrations import (
    assert_no_digest_then_kept_again,
    digest_kept_then_downgraded,
)


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


@pytest.fixture
def digest_at_0016(engine: Engine, sessions: sessionmaker[Session]) -> Iterator[int]:
    """A run's id whose digest was kept, in a database migration 0017's downgrade took back
    to 0016; brought back to the latest at the end."""
    yield digest_kept_then_downgraded(engine, sessions, "0016")
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

    assert_no_digest_then_kept_again(sessions, digest_at_0016)
    assert run_row(sessions, digest_at_0016).id == digest_at_0016
