"""Migration 0015 moves what changed a run's behaviour out of its summary into typed columns,
and the downgrade puts it back, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
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
NAIVE = "2026-12-03T09:00:00"  # the same instant, written without its zone
IN_PARIS = "2026-12-03T10:00:00+01:00"  # the same instant, in another zone
REASON_NOT_TEXT = {"code": "paused", "day": "2026-12-03"}
# Summaries as the code before 0015 wrote them (or as a hand or a bug may have left them),
# by run id.
OLD_SUMMARIES: dict[int, dict[str, Any] | None] = {
    1: {**COUNTS, "all_matching": True, "owner_alerted": True, "stale_source": STALE},
    2: {"reason": PAUSE_DAY, "deferred_from": DEFERRED_FROM.isoformat()},
    3: {**COUNTS, "retry_of": 1},
    4: dict(COUNTS),
    5: None,  # JSON null
    6: {"reason": PAUSE_DAY, "deferred_from": NAIVE},
    7: {"reason": PAUSE_DAY, "deferred_from": IN_PARIS},
    8: {**COUNTS, "retry_of": 3},  # its retry_of column is NULL
    9: {"reason": REASON_NOT_TEXT},
    10: {"deferred_from": "when the pause ends"},
}
# The migration's page: smaller than the runs stored, so that they span several pages.
PAGE = 2


@pytest.fixture
def pages_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """Alembic loads each revision's module afresh for every command: every command here
    gets one script directory, whose 0015 reads runs PAGE at a time."""
    loaded: dict[str, ScriptDirectory] = {}
    load = ScriptDirectory.from_config

    def from_config(config: Config) -> ScriptDirectory:
        if "script" not in loaded:
            loaded["script"] = load(config)
            revision = loaded["script"].get_revision("0015")
            assert revision is not None
            monkeypatch.setattr(revision.module, "_PAGE", PAGE)
        return loaded["script"]

    monkeypatch.setattr(ScriptDirectory, "from_config", from_config)


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
            "retry_of": 1 if run_id == 3 else None,  # the only run with the column set
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
    engine: Engine, sessions: sessionmaker[Session], workflow_at_0014: int, pages_of_two: None
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
        5: (False, False, None, None, None, None, None),
        6: (False, False, PAUSE_DAY, DEFERRED_FROM, None, None, {}),
        7: (False, False, PAUSE_DAY, DEFERRED_FROM, None, None, {}),
        8: (False, False, None, None, None, 3, COUNTS),
        9: (False, False, '{"code": "paused", "day": "2026-12-03"}', None, None, None, {}),
        10: (False, False, None, None, None, None, {"deferred_from": "when the pause ends"}),
    }

    command.downgrade(alembic_config(engine), "0014")

    # The instants come back in UTC, and the reason as the text the column held.
    assert _old_summaries(engine) == {
        **OLD_SUMMARIES,
        6: {"reason": PAUSE_DAY, "deferred_from": DEFERRED_FROM.isoformat()},
        7: {"reason": PAUSE_DAY, "deferred_from": DEFERRED_FROM.isoformat()},
        9: {"reason": '{"code": "paused", "day": "2026-12-03"}'},
    }
