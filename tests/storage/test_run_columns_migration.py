"""Migration 0015 moves what changed a run's behaviour out of its summary into typed columns,
and the downgrade puts it back, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, Table, select
from sqlalchemy.orm import Session, sessionmaker

from storage.database import alembic_config, upgrade
from storage.models import Run
from tests.engine.builders import deal, import_deals, save, workflow_document

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
DEFERRED_FROM = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
COUNTS = {"enrolled": 2, "ok": 2, "failed": 0, "skipped": 0}
STALE = {"source": "crm", "data_as_of": "2026-12-07T07:30:00+00:00", "reason": "CRM_URL unset"}
PAUSE_DAY = "2026-12-03 is a pause day: deferred to 2026-12-04"
# Summaries as the code before 0015 wrote them, by run id.
OLD_SUMMARIES: dict[int, dict[str, Any]] = {
    1: {**COUNTS, "all_matching": True, "owner_alerted": True, "stale_source": STALE},
    2: {"reason": PAUSE_DAY, "deferred_from": DEFERRED_FROM.isoformat()},
    3: {**COUNTS, "retry_of": 1},
    4: dict(COUNTS),
}


@pytest.fixture
def workflow_at_0014(engine: Engine, sessions: sessionmaker[Session]) -> Iterator[int]:
    """A workflow's id, in a database as migration 0014 left it; brought back to the latest
    at the end."""
    import_deals(sessions, [deal("D-1")], NOW)  # the deals object type
    workflow_id = save(sessions, workflow_document(), NOW).workflow_id
    command.downgrade(alembic_config(engine), "0014")
    yield workflow_id
    upgrade(engine)


def _runs(engine: Engine) -> Table:
    return Table("runs", MetaData(), autoload_with=engine)


def _store_old_runs(engine: Engine, workflow_id: int) -> None:
    runs = _runs(engine)
    assert "reason" not in runs.columns
    rows = [
        {
            "id": run_id,
            "workflow_id": workflow_id,
            "revision": 1,
            "occurrence_key": f"k{run_id}",
            "scheduled_at": NOW,
            "source": "manual",
            "status": "succeeded",
            "attempts": 1,
            "summary": summary,
            "created_at": NOW,
            "retry_of": 1 if run_id == 3 else None,
        }
        for run_id, summary in OLD_SUMMARIES.items()
    ]
    with engine.begin() as connection:
        connection.execute(runs.insert(), rows)


def _old_summaries(engine: Engine) -> dict[int, Any]:
    runs = _runs(engine)
    with engine.connect() as connection:
        return {
            row.id: row.summary for row in connection.execute(select(runs.c.id, runs.c.summary))
        }


def test_0015_moves_the_old_summary_keys_into_columns_and_back(
    engine: Engine, sessions: sessionmaker[Session], workflow_at_0014: int
) -> None:
    _store_old_runs(engine, workflow_at_0014)

    upgrade(engine)

    with sessions() as session:
        stored = {
            run.id: (
                run.evaluates_all_records,
                run.owner_alerted,
                run.reason,
                run.deferred_from,
                run.stale_source,
                run.retry_of,
                run.summary,
            )
            for run in session.scalars(select(Run))
        }
    assert stored == {
        1: (True, True, None, None, STALE, None, COUNTS),
        2: (False, False, PAUSE_DAY, DEFERRED_FROM, None, None, {}),
        3: (False, False, None, None, None, 1, COUNTS),
        4: (False, False, None, None, None, None, COUNTS),
    }

    command.downgrade(alembic_config(engine), "0014")

    assert _old_summaries(engine) == OLD_SUMMARIES
