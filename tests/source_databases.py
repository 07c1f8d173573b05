"""Databases that record sources read from in tests: a SQLite file, or a PostgreSQL schema
of its own on the test server, each holding a table of deals as a CRM would."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    insert,
    text,
    update,
)

from tests.conftest import POSTGRES_SERVER

SOURCE_KINDS = ("sqlite", "postgresql")
CRM_DEALS = Table(
    "crm_deals",
    MetaData(),
    Column("deal_id", String(40)),
    Column("deal_name", String(200)),
    Column("stage", String(40)),
    Column("amount", Integer),
    Column("close_date", Date),
    Column("hot", Boolean),
)
QUERY = "SELECT deal_id, deal_name AS name, stage, amount, close_date, hot FROM crm_deals"


def crm_deal(deal_id: str, name: str | None = None, **values: Any) -> dict[str, Any]:
    """A row of crm_deals; by default a deal in contract worth 1000, closing 2026-11-20."""
    return {
        "deal_id": deal_id,
        "deal_name": name or f"Deal {deal_id}",
        "stage": "contract",
        "amount": 1000,
        "close_date": date(2026, 11, 20),
        "hot": False,
        **values,
    }


@dataclass
class SourceDatabase:
    kind: str
    url: str
    engine: Engine

    def add(self, *rows: Mapping[str, Any]) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(CRM_DEALS), [dict(row) for row in rows])

    def change(self, deal_id: str, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(CRM_DEALS).where(CRM_DEALS.c.deal_id == deal_id).values(**values)
            )

    def drop(self, *deal_ids: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(CRM_DEALS).where(CRM_DEALS.c.deal_id.in_(deal_ids)))

    def execute(self, sql: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(text(sql))


@contextmanager
def source_database(kind: str, directory: Path) -> Iterator[SourceDatabase]:
    """An empty crm_deals table in a database of ``kind`` (skipped when PostgreSQL is not
    reachable)."""
    if kind == "sqlite":
        url = f"sqlite:///{directory / 'crm.db'}"
        engine = create_engine(url)
        CRM_DEALS.create(engine)
        try:
            yield SourceDatabase(kind, url, engine)
        finally:
            engine.dispose()
        return
    admin = create_engine(POSTGRES_SERVER, connect_args={"connect_timeout": 3})
    schema = f"crm_{uuid.uuid4().hex[:10]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # the server is not there: as the store's tests do, skip
        admin.dispose()
        pytest.skip(f"PostgreSQL is not reachable for a source database: {error}")
    url = f"{POSTGRES_SERVER}?options=-csearch_path%3D{schema}"
    engine = create_engine(url)
    CRM_DEALS.create(engine)
    try:
        yield SourceDatabase(kind, url, engine)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def rows_of(*deal_ids: str) -> Sequence[dict[str, Any]]:
    return [crm_deal(deal_id) for deal_id in deal_ids]
