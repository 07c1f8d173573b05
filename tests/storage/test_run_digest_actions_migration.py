"""Migration 0020 adds run_digests.action_fingerprint, and the downgrade removes it, keeping
the kept layouts, on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, MetaData, Table, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from storage.database import upgrade
from tests.storage.run_digest_migrations import (
    SECTIONS,
    assert_no_digest_then_kept_again,
    digest_kept_then_downgraded,
)


@pytest.fixture
def digest_at_0019(engine: Engine, sessions: sessionmaker[Session]) -> Iterator[int]:
    """A run's id whose digest was kept, in a database migration 0020's downgrade took back
    to 0019; brought back to the latest at the end."""
    yield digest_kept_then_downgraded(engine, sessions, "0019")
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

    assert_no_digest_then_kept_again(sessions, digest_at_0019)
