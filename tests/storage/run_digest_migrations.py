"""What the run_digests migration tests share: a run with a kept digest in a database taken
back to a revision, and the check that digests are kept again once upgraded."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.vocabulary import RunSource
from storage.database import alembic_config, transaction, write_transaction
from storage.run_digests import RunDigestRepository
from storage.runs import NewRun, RunRepository
from tests.engine.builders import deal, import_deals, save, workflow_document

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
SECTIONS = ["*Deal review*: 2 records\n• Acme", "• Globex"]
ACTION = "action-fingerprint"


def digest_kept_then_downgraded(
    engine: Engine, sessions: sessionmaker[Session], revision: str
) -> int:
    """The id of a run whose digest was kept at the latest revision, after a downgrade to
    `revision`."""
    import_deals(sessions, [deal("D1", "Acme")], NOW)
    workflow_id = save(sessions, workflow_document(), NOW).workflow_id
    with write_transaction(sessions) as session:
        new_run = NewRun(workflow_id, 1, "by hand", NOW, RunSource.MANUAL)
        run_id = RunRepository(session).add(new_run, NOW)
        assert run_id is not None
        RunDigestRepository(session).keep(run_id, 0, ACTION, SECTIONS, NOW)
    command.downgrade(alembic_config(engine), revision)
    return run_id


def assert_no_digest_then_kept_again(sessions: sessionmaker[Session], run_id: int) -> None:
    """The run has no digest for ACTION, and one kept now is read back."""
    with write_transaction(sessions) as session:
        digests = RunDigestRepository(session)
        assert digests.sections(run_id, 0, ACTION) is None
        digests.keep(run_id, 0, ACTION, SECTIONS, NOW)
    with transaction(sessions) as session:
        assert RunDigestRepository(session).sections(run_id, 0, ACTION) == SECTIONS
