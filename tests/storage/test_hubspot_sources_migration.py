"""Migration 0011 (HubSpot sources and property labels) goes down and up on both databases,
keeping the SQL sources and the property definitions there are."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, Table, inspect, select
from sqlalchemy.exc import IntegrityError

from storage.database import alembic_config, current_revision, upgrade
from tests.engine.builders import TEAM

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def at_0010(engine: Engine) -> Iterator[Engine]:
    """The database as migration 0010 left it; brought back to the latest at the end."""
    command.downgrade(alembic_config(engine), "0010")
    yield engine
    upgrade(engine)


def _columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def _table(engine: Engine, name: str) -> Table:
    return Table(name, MetaData(), autoload_with=engine)


def _sql_source(type_id: int, name: str, kind: str = "sql") -> dict[str, object]:
    return {
        "team_id": TEAM,
        "name": name,
        "kind": kind,
        "object_type_id": type_id,
        "url_env": "CRM_URL",
        "query": "SELECT 1",
        "id_column": "id",
        "max_staleness_seconds": 300,
        "created_at": NOW,
    }


def test_0011_adds_hubspot_sources_and_labels_keeping_sql_sources_down_and_up(
    at_0010: Engine,
) -> None:
    assert current_revision(at_0010) == "0010"
    assert "hubspot_cursor_ms" not in _columns(at_0010, "record_sources")
    with at_0010.begin() as connection:
        types = _table(at_0010, "object_types")
        connection.execute(
            types.insert(),
            [
                {"id": 1, "team_id": TEAM, "name": "deals", "built_in": True, "created_at": NOW},
                {"id": 2, "team_id": TEAM, "name": "tickets", "built_in": True, "created_at": NOW},
            ],
        )
        connection.execute(
            _table(at_0010, "property_definitions").insert(),
            {"object_type_id": 1, "name": "stage", "type": "string"},
        )
        connection.execute(_table(at_0010, "record_sources").insert(), _sql_source(1, "crm"))
    with pytest.raises(IntegrityError), at_0010.begin() as connection:
        hubspot = _sql_source(2, "portal", kind="hubspot")
        connection.execute(_table(at_0010, "record_sources").insert(), hubspot)

    command.upgrade(alembic_config(at_0010), "0011")

    assert {"hubspot_object", "hubspot_cursor_ms", "daily_remaining"} <= _columns(
        at_0010, "record_sources"
    )
    assert {"label", "option_labels"} <= _columns(at_0010, "property_definitions")
    sources = _table(at_0010, "record_sources")
    with at_0010.begin() as connection:
        hubspot = _sql_source(2, "portal", kind="hubspot") | {
            "query": "",
            "id_column": "",
            "hubspot_object": "tickets",
            "hubspot_cursor_ms": 1_796_000_000_000,
        }
        connection.execute(sources.insert(), hubspot)
        kept = connection.execute(select(sources.c.name, sources.c.kind).order_by("name")).all()
    assert [tuple(row) for row in kept] == [("crm", "sql"), ("portal", "hubspot")]

    command.downgrade(alembic_config(at_0010), "0010")

    sources = _table(at_0010, "record_sources")
    with at_0010.connect() as connection:
        left = connection.execute(select(sources.c.name)).scalars().all()
        definitions = (
            connection.execute(select(_table(at_0010, "property_definitions").c.name))
            .scalars()
            .all()
        )
    assert left == ["crm"]  # the HubSpot source goes with the columns that define it
    assert definitions == ["stage"]
    assert "label" not in _columns(at_0010, "property_definitions")
