"""Migration 0010 (revisions, events, soft delete) goes down and up on both databases: each
workflow gets its current definition as its current revision, and a deleted workflow, which
the older schema cannot hold, goes for good."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.lifecycle import CLI_ACTOR, delete_workflow
from storage.database import alembic_config, current_revision, transaction, upgrade
from storage.models import Workflow, WorkflowRevision
from tests.engine.builders import TEAM, daily, deal, import_deals, save, workflow_document

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def at_0009(engine: Engine) -> Iterator[Engine]:
    """The database as migration 0009 left it; brought back to the latest at the end."""
    command.downgrade(alembic_config(engine), "0009")
    yield engine
    upgrade(engine)


def _columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def test_downgrading_0010_drops_revisions_events_and_deletion_marks(at_0009: Engine) -> None:
    assert current_revision(at_0009) == "0009"
    assert not {"workflow_revisions", "workflow_events"} & set(inspect(at_0009).get_table_names())
    assert not {"deleted_at", "deleted_name"} & _columns(at_0009, "workflows")
    command.upgrade(alembic_config(at_0009), "0010")
    assert {"workflow_revisions", "workflow_events"} <= set(inspect(at_0009).get_table_names())
    assert {"deleted_at", "deleted_name"} <= _columns(at_0009, "workflows")


def test_upgrading_gives_each_workflow_its_current_definition_as_its_revision(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    import_deals(sessions, [deal("D-1", "Acme")], NOW)
    save(sessions, workflow_document(name="Kept"), NOW)
    save(sessions, workflow_document(name="Kept", schedule=daily("11:30")), NOW)
    save(sessions, workflow_document(name="Gone"), NOW)
    with transaction(sessions) as session:
        delete_workflow(session, TEAM, "Gone", CLI_ACTOR, now=NOW)

    command.downgrade(alembic_config(engine), "0009")
    upgrade(engine)

    with sessions() as session:
        assert session.scalars(select(Workflow.name)).all() == ["Kept"]  # the deleted one went
        [kept] = session.scalars(select(WorkflowRevision)).all()
        workflow = session.scalars(select(Workflow)).one()
    assert (kept.workflow_id, kept.revision) == (workflow.id, 2)
    assert kept.document["schedule"]["time"] == "11:30"
    assert kept.document["object_type"] == "deals"
    assert (kept.author, kept.saved_at) == (workflow.owner_user_id, workflow.updated_at)


def test_upgrading_a_database_without_workflows_keeps_no_revision(
    at_0009: Engine, sessions: sessionmaker[Session]
) -> None:
    upgrade(at_0009)
    with sessions() as session:
        assert session.scalar(select(func.count(WorkflowRevision.id))) == 0
