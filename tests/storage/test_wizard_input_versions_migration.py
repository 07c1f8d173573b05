"""Migration 0016 adds wizard_drafts.input_version, and the downgrade removes it, keeping the
drafts, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, Table, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from storage.database import alembic_config, upgrade, write_transaction
from storage.drafts import DraftRepository

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
DOCUMENT = {"name": "Check-ins", "object_type": "deals"}


@pytest.fixture
def draft_at_0015(engine: Engine, sessions: sessionmaker[Session]) -> Iterator[str]:
    """A draft's id, stored with an input version, in a database migration 0016's downgrade
    took back to 0015; brought back to the latest at the end."""
    with write_transaction(sessions) as session:
        drafts = DraftRepository(session)
        draft_id = drafts.add("T0TEAM", "U0OWNER", DOCUMENT, NOW).id
        drafts.note_page_hash(draft_id, "T0TEAM", "U0OWNER", "hash-1")
        assert drafts.claim_input(draft_id, "T0TEAM", "U0OWNER", 2_000)
    command.downgrade(alembic_config(engine), "0015")
    yield draft_id
    upgrade(engine)


def _columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("wizard_drafts")}


def test_0016_downgrade_drops_the_input_version_and_keeps_the_drafts(
    engine: Engine, draft_at_0015: str
) -> None:
    drafts = Table("wizard_drafts", MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        row = connection.execute(select(drafts).where(drafts.c.id == draft_at_0015)).one()

    assert "input_version" not in _columns(engine)
    assert (row.document, row.page_hash, row.step) == (DOCUMENT, "hash-1", 1)


def test_0016_upgrade_adds_an_empty_input_version_that_orders_inputs_again(
    engine: Engine, sessions: sessionmaker[Session], draft_at_0015: str
) -> None:
    upgrade(engine)

    with write_transaction(sessions) as session:
        drafts = DraftRepository(session)
        draft = drafts.get(draft_at_0015, "T0TEAM", "U0OWNER")
        assert draft is not None and draft.input_version is None
        assert drafts.claim_input(draft_at_0015, "T0TEAM", "U0OWNER", 1_000)
    with write_transaction(sessions) as session:
        drafts = DraftRepository(session)
        older = drafts.claim_input(draft_at_0015, "T0TEAM", "U0OWNER", 999)
        newer = drafts.claim_input(draft_at_0015, "T0TEAM", "U0OWNER", 1_001)

    assert "input_version" in _columns(engine)
    assert (older, newer) == (False, True)
