"""Parsed definitions are kept by what they were parsed from: a burst of runs parses each
workflow once, and any change to its stored columns or its type's properties parses anew."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.definitions import WorkflowDefinition, to_document
from bot.workflows.lifecycle import Saved
from bot.workflows.stored import DefinitionReader, definition_of
from storage.database import transaction
from storage.models import PropertyDefinition, Workflow
from storage.workflows import WorkflowRepository
from tests.engine.builders import (
    channel_message,
    daily,
    deal,
    import_deals,
    save,
    workflow_document,
)
from tests.engine.conftest import START, Processes


def read(sessions: sessionmaker[Session], workflow_id: int) -> object:
    with transaction(sessions) as session:
        found = session.get(Workflow, workflow_id)
        assert found is not None
        return definition_of(session, found)


def read_stored(sessions: sessionmaker[Session], workflow_id: int) -> WorkflowDefinition:
    """As planning, claims and the parse-ahead read it: from the columns' stored text."""
    with transaction(sessions) as session:
        (stored,) = WorkflowRepository(session).stored([workflow_id])
        return DefinitionReader(session).stored_definition(stored)


def saved_workflow(sessions: sessionmaker[Session]) -> int:
    import_deals(sessions, [deal("D1")], START)
    return save(sessions, workflow_document(), START).workflow_id


def write_actions(
    sessions: sessionmaker[Session], workflow_id: int, actions: list[dict[str, Any]]
) -> None:
    """Changes the workflow's actions column in place, as no save does: the cache must notice
    the column itself."""
    with transaction(sessions) as session:
        session.execute(update(Workflow).where(Workflow.id == workflow_id).values(actions=actions))


def test_an_unchanged_workflow_is_parsed_once(sessions: sessionmaker[Session]) -> None:
    workflow_id = saved_workflow(sessions)

    assert read(sessions, workflow_id) is read(sessions, workflow_id)


def test_a_changed_column_is_read_anew_never_the_stale_definition(
    sessions: sessionmaker[Session],
) -> None:
    workflow_id = saved_workflow(sessions)
    before = read(sessions, workflow_id)
    write_actions(sessions, workflow_id, [channel_message(text="{{ name }} changed")])

    after = read(sessions, workflow_id)

    assert after is not before
    assert after.actions[0].text.text == "{{ name }} changed"  # type: ignore[attr-defined]
    # And back: the first parse is still right.
    write_actions(sessions, workflow_id, [channel_message()])
    assert read(sessions, workflow_id) is before


def test_a_workflow_read_as_stored_text_is_parsed_once_and_anew_once_a_column_changed(
    sessions: sessionmaker[Session],
) -> None:
    workflow_id = saved_workflow(sessions)
    before = read_stored(sessions, workflow_id)
    assert read_stored(sessions, workflow_id) is before
    assert to_document(before) == to_document(read(sessions, workflow_id))  # type: ignore[arg-type]
    write_actions(sessions, workflow_id, [channel_message(text="{{ name }} changed")])

    after = read_stored(sessions, workflow_id)

    assert after is not before
    assert after.actions[0].text.text == "{{ name }} changed"  # type: ignore[attr-defined]


def test_a_property_type_change_is_read_anew_from_the_stored_text_too(
    sessions: sessionmaker[Session],
) -> None:
    workflow_id = saved_workflow(sessions)
    before = read_stored(sessions, workflow_id)
    with transaction(sessions) as session:
        session.execute(
            update(PropertyDefinition)
            .where(PropertyDefinition.name == "stage")
            .values(type="enumeration")
        )

    assert read_stored(sessions, workflow_id) is not before


def test_a_property_type_change_is_read_anew(sessions: sessionmaker[Session]) -> None:
    workflow_id = saved_workflow(sessions)
    before = read(sessions, workflow_id)
    with transaction(sessions) as session:
        session.execute(
            update(PropertyDefinition)
            .where(PropertyDefinition.name == "stage")
            .values(type="enumeration")
        )

    assert read(sessions, workflow_id) is not before


def of_its_own(name: str) -> str:
    # Parsed definitions outlive a test: names of their own keep another test's away.
    return f"{name} {uuid.uuid4().hex[:8]}"


def due_today_at(sessions: sessionmaker[Session], time: str, name: str) -> Saved:
    """Saves a workflow due daily at ``time`` UTC (START is 08:00), named ``name`` and a
    suffix of its own."""
    return save(sessions, workflow_document(name=of_its_own(name), schedule=daily(time)), START)


def test_a_tick_parses_the_workflows_due_within_a_minute_before_their_instant(
    sessions: sessionmaker[Session], processes: Processes, clock: FixedClock
) -> None:
    import_deals(sessions, [deal("D1")], START)
    due_today_at(sessions, "08:01", "Soon")
    due_today_at(sessions, "08:05", "Later")
    engine = processes.start_on_console()

    assert engine.tick() == []

    assert engine.parse_ahead() == 0  # the tick parsed Soon, due within the minute
    clock.advance(timedelta(minutes=4, seconds=30))
    assert engine.parse_ahead() == 1  # and not Later, until it came that close


def test_parsing_ahead_parses_a_coming_workflow_again_only_once_it_changed(
    sessions: sessionmaker[Session], processes: Processes
) -> None:
    import_deals(sessions, [deal("D1")], START)
    soon = due_today_at(sessions, "08:01", "Soon")
    engine = processes.start_on_console()

    assert engine.parse_ahead() == 1
    assert engine.parse_ahead() == 0
    edited = {"name": of_its_own("Soon again"), "updated_at": START + timedelta(seconds=1)}
    with transaction(sessions) as session:
        session.execute(update(Workflow).where(Workflow.id == soon.workflow_id).values(edited))

    assert engine.parse_ahead() == 1
    assert engine.parse_ahead() == 0


def test_parsing_ahead_skips_a_coming_workflow_whose_updated_at_did_not_change(
    sessions: sessionmaker[Session], processes: Processes
) -> None:
    """A row changed without its stamp (by hand) is not read again: only the stamp is
    compared, so a tick reads no row whose definition it parsed already."""
    import_deals(sessions, [deal("D1")], START)
    soon = due_today_at(sessions, "08:01", "Soon")
    engine = processes.start_on_console()
    assert engine.parse_ahead() == 1
    unstamped = {"name": of_its_own("Soon by hand")}
    with transaction(sessions) as session:
        session.execute(update(Workflow).where(Workflow.id == soon.workflow_id).values(unstamped))

    assert engine.parse_ahead() == 0  # its new text, were it read, would parse anew


def test_parsing_ahead_raises_a_database_error_rather_than_reading_on(
    sessions: sessionmaker[Session], processes: Processes
) -> None:
    """Only a definition that does not parse is left to the planner: after a database error
    PostgreSQL fails every read of the transaction, so it must not be taken for one."""
    import_deals(sessions, [deal("D1")], START)
    due_today_at(sessions, "08:01", "Soon")
    engine = processes.start_on_console()
    with transaction(sessions) as session:  # its property types can no longer be read
        session.execute(text("ALTER TABLE property_definitions RENAME TO gone"))

    try:
        with pytest.raises(DBAPIError):
            engine.parse_ahead()
    finally:  # the fixture empties every table after the test
        with transaction(sessions) as session:
            session.execute(text("ALTER TABLE gone RENAME TO property_definitions"))


def test_parsing_ahead_leaves_a_column_that_is_not_json_to_the_planner(
    sessions: sessionmaker[Session], processes: Processes, caplog: pytest.LogCaptureFixture
) -> None:
    """A row edited by hand into text that is not JSON (only SQLite stores such text) is
    said once, and does not fail the tick."""
    if sessions.kw["bind"].dialect.name != "sqlite":
        pytest.skip("PostgreSQL's JSON columns refuse text that is not JSON")
    import_deals(sessions, [deal("D1")], START)
    soon = due_today_at(sessions, "08:01", "Soon")
    engine = processes.start_on_console()
    with transaction(sessions) as session:
        session.execute(
            text("UPDATE workflows SET schedule = :broken WHERE id = :id"),
            {"broken": "{not json", "id": soon.workflow_id},
        )

    assert engine.parse_ahead() == 0
    assert f"workflow {soon.workflow_id}: its definition could not be read" in caplog.text
