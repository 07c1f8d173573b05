"""Fresh benchmark databases: a SQLite file or a PostgreSQL schema of its own, removed after."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from storage.database import make_engine, upgrade

DATA_DIR = Path(__file__).with_name("data")
POSTGRES_SERVER = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def empty_database(kind: str) -> Iterator[tuple[Engine, str]]:
    """A freshly migrated database of ``kind``, removed afterwards."""
    if kind == "sqlite":
        path = DATA_DIR / f"bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        upgrade(engine)
        try:
            yield engine, url
        finally:
            engine.dispose()
            for leftover in DATA_DIR.glob(f"{path.name}*"):
                leftover.unlink()
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_SERVER}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield engine, url
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
