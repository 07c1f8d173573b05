"""Real databases for every test: a fresh SQLite file, and PostgreSQL where it runs.

The suite runs each database test on SQLite and on PostgreSQL. PostgreSQL tests use a
schema of their own per test session (so concurrent runs on one server never meet) and
empty every table after each test. Under CI=true a missing PostgreSQL fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from storage.database import SLACK_STORE_TABLES, make_engine, session_factory, upgrade
from storage.models import Base

pytest_plugins = ["tests.slack_fixtures"]

POSTGRES_SERVER = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI") == "true"

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile("default")


@pytest.fixture(autouse=True)
def _no_slack_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Bolt and our settings read SLACK_* from the environment; a developer's real tokens
    # must never leak into a test.
    for name in list(os.environ):
        if name.startswith("SLACK_"):
            monkeypatch.delenv(name)


def _postgres_reachable() -> bool:
    probe = create_engine(POSTGRES_SERVER, connect_args={"connect_timeout": 3})
    try:
        with probe.connect():
            return True
    except Exception:
        return False
    finally:
        probe.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test so migrations run once."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    if not _postgres_reachable():
        if IN_CI:
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_SERVER} and CI=true")
        pytest.skip("PostgreSQL is not reachable; set TEST_POSTGRES_URL to run these tests")
    schema = f"wbt_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_SERVER}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _empty_postgres(engine: Engine) -> None:
    names = [table.name for table in Base.metadata.sorted_tables] + sorted(SLACK_STORE_TABLES)
    tables = ", ".join(f'"{name}"' for name in names)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        indexes = connection.execute(
            text(
                "SELECT indexname FROM pg_indexes "
                "WHERE schemaname = current_schema() AND indexname LIKE 'ixp_%'"
            )
        ).scalars()
        for index in list(indexes):
            connection.execute(text(f'DROP INDEX "{index}"'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database; each test runs once per database."""
    if request.param == "sqlite":
        path = tmp_path / "workflow-bot.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_schema_url")
    yield url
    engine = make_engine(url)
    _empty_postgres(engine)
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)
