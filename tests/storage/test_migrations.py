from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from storage.columns import NaiveDatetimeError
from storage.database import (
    SLACK_STORE_TABLES,
    alembic_config,
    current_revision,
    include_name,
    upgrade,
)
from storage.models import Base, ObjectType


def test_migrations_create_every_table_of_the_models(engine: Engine) -> None:
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    assert current_revision(engine) is not None


def test_upgrading_an_up_to_date_database_changes_nothing(engine: Engine) -> None:
    before = current_revision(engine)
    upgrade(engine)
    assert current_revision(engine) == before


def test_naive_datetimes_are_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(StatementError) as raised, sessions() as session:
        session.add(ObjectType(team_id="T1", name="deals", created_at=datetime(2026, 1, 1)))  # noqa: DTZ001
        session.flush()
    assert isinstance(raised.value.orig, NaiveDatetimeError)


def test_datetimes_come_back_aware_and_in_utc(sessions: sessionmaker[Session]) -> None:
    paris_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with sessions.begin() as session:
        session.add(ObjectType(team_id="T1", name="deals", created_at=paris_noon))
    with sessions() as session:
        stored = session.scalars(select(ObjectType.created_at)).one()
    assert stored == paris_noon
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def test_sqlite_enforces_foreign_keys(engine: Engine, sessions: sessionmaker[Session]) -> None:
    from sqlalchemy.exc import IntegrityError

    from storage.models import PropertyDefinition

    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(PropertyDefinition(object_type_id=999, name="stage", type="string"))


def test_the_migrations_build_exactly_the_models_schema(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    # With the filter the migrations' env.py uses: slack_sdk's store tables are not ours.
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_autogenerate_through_the_migration_environment_finds_nothing_to_do(
    engine: Engine,
) -> None:
    from alembic import command

    # Raises when autogenerate would write operations, e.g. drop slack_sdk's store tables.
    command.check(alembic_config(engine))


def test_the_migrations_create_slack_sdks_store_tables_too(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= SLACK_STORE_TABLES


def test_sqlite_files_use_write_ahead_logging(database_url: str, engine: Engine) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("journal modes are SQLite's")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def _index_names(engine: Engine) -> set[str]:
    query = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index'",
        "postgresql": "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()",
    }[engine.dialect.name]
    with engine.connect() as connection:
        return set(connection.execute(text(query)).scalars())


def test_no_migration_step_loses_the_case_insensitive_workflow_name_index(engine: Engine) -> None:
    # SQLite's batch mode rebuilds a table and silently drops its expression indexes.
    from alembic import command

    config = alembic_config(engine)
    head = current_revision(engine)
    assert head is not None
    for revision in range(int(head) - 1, 3, -1):
        command.downgrade(config, f"{revision:04d}")
        assert "uq_workflows_team_id_lower_name" in _index_names(engine), revision
    upgrade(engine)
    assert current_revision(engine) == head
    assert "uq_workflows_team_id_lower_name" in _index_names(engine)


def _row_counts(engine: Engine) -> dict[str, int]:
    tables = ("records", "workflows", "runs", "enrollments", "action_results")
    with engine.connect() as connection:
        return {
            t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables
        }


def test_no_migration_step_loses_the_runs_of_a_workflow(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    # On SQLite a batch migration rebuilds a table; with foreign keys on, dropping the old
    # parent table would delete its children through ON DELETE CASCADE.
    import io

    from alembic import command

    from bot.console_notifier import ConsoleNotifier
    from bot.workflows.clock import FixedClock
    from bot.workflows.engine import Engine as WorkflowEngine
    from bot.workflows.lifecycle import CLI_ACTOR, request_run
    from storage.database import transaction
    from tests.engine.builders import NAME, TEAM, deal, import_deals, save, workflow_document

    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    import_deals(sessions, [deal("D-1"), deal("D-2")], now)
    save(sessions, workflow_document(), now)
    with transaction(sessions) as session:
        run_id = request_run(session, TEAM, NAME, CLI_ACTOR, now).run_id
    console = ConsoleNotifier(io.StringIO())
    WorkflowEngine(sessions, FixedClock(now), lambda _team: console).run_now(run_id)
    before = _row_counts(engine)
    assert before["enrollments"] == 2 and before["action_results"] >= 2

    config = alembic_config(engine)
    head = current_revision(engine)
    assert head is not None
    for revision in range(int(head) - 1, 3, -1):
        command.downgrade(config, f"{revision:04d}")
        assert _row_counts(engine) == before, revision
    upgrade(engine)
    assert _row_counts(engine) == before
