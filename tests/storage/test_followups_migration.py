"""Migration 0009 (skips, snoozes and retries) goes down and up on both databases, keeping
the runs there are."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, Table, inspect

from storage.database import alembic_config, current_revision, upgrade
from tests.engine.builders import NAME, TEAM

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


def test_0009_keeps_every_run_enrollment_and_result_down_and_up(engine: Engine) -> None:
    """On SQLite a rebuilt runs table would take its enrollments and results with it."""
    config = alembic_config(engine)
    command.downgrade(config, "0009")
    try:
        _store_a_run_as_0009_does(engine)
        assert _counts(engine) == (1, 1, 1)
        command.downgrade(config, "0008")
        assert _counts(engine) == (1, 1, 1)
        command.upgrade(config, "0009")
        assert _counts(engine) == (1, 1, 1)
    finally:
        upgrade(engine)


def _store_a_run_as_0009_does(engine: Engine) -> None:
    """A workflow with a run, its enrollment and result, written with the tables as they
    are at 0009 (the models describe the latest revision)."""
    metadata = MetaData()
    rows = {
        "object_types": {"id": 1, "team_id": TEAM, "name": "deals", "built_in": True},
        "records": {"id": 1, "object_type_id": 1, "external_id": "D-1", "name": "Acme"},
        "workflows": {
            "id": 1,
            "team_id": TEAM,
            "name": NAME,
            "object_type_id": 1,
            "status": "draft",
        },
        "runs": {
            "id": 1,
            "workflow_id": 1,
            "occurrence_key": "k",
            "source": "manual",
            "status": "succeeded",
        },
        "enrollments": {"run_id": 1, "record_id": 1, "source": "manual"},
        "action_results": {"run_id": 1, "record_id": 1, "action_index": 0, "outcome": "ok"},
    }
    with engine.begin() as connection:
        for name, given in rows.items():
            table = Table(name, metadata, autoload_with=connection)
            connection.execute(table.insert().values(**_required(table, given)))


def _required(table: Table, given: dict[str, object]) -> dict[str, object]:
    """``given`` and a plain value for every other column that needs one."""
    values = dict(given)
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        if column.server_default is not None:
            continue
        kind = str(column.type).upper()
        if "INT" in kind:
            values[column.name] = 1
        elif "BOOL" in kind:
            values[column.name] = False
        elif "DATE" in kind or "TIME" in kind:
            values[column.name] = NOW
        elif "JSON" in kind:
            values[column.name] = {}
        else:
            values[column.name] = "x"
    return values


def _counts(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as connection:
        return tuple(
            connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() or 0
            for table in ("runs", "enrollments", "action_results")
        )
