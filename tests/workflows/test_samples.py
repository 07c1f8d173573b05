"""The sample: installed only into a brand-new database, marked, removed whole, never back."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.console_notifier import ConsoleNotifier
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from bot.workflows.samples import install_sample, remove_sample
from bot.workflows.workspaces import LOCAL_TEAM
from storage.database import transaction
from storage.models import Record, Workflow
from storage.object_types import ObjectTypeRepository
from tests.engine.builders import deal, import_deals, save, workflow_document

START = datetime(2026, 11, 27, 9, 15, 30, tzinfo=UTC)


def test_the_sample_workflow_fires_at_the_coming_minute_and_prints_its_messages(
    sessions: sessionmaker[Session],
) -> None:
    clock = FixedClock(START)
    with transaction(sessions) as session:
        ObjectTypeRepository(session).ensure_built_ins("local", clock.now())
        installed = install_sample(session, "local", clock.now(), "Europe/Paris")
    assert installed is not None
    assert installed.runs_at == datetime(2026, 11, 27, 10, 16, tzinfo=installed.runs_at.tzinfo)
    assert installed.runs_at - START >= timedelta(seconds=20)

    printed = io.StringIO()
    engine = Engine(sessions, clock, lambda team: ConsoleNotifier(printed))
    assert engine.tick() == []  # not yet due
    clock.set(installed.runs_at.astimezone(UTC))
    (ran,) = engine.tick()
    assert ran[1] == "succeeded"
    output = printed.getvalue()
    assert "Acme renewal (@U0SAMPLE1) is still in contract: 12000 USD" in output
    assert "Umbrella <Corp> & Co" in output
    assert "Globex" not in output  # qualified, not in contract
    assert "3 records enrolled" in output


def test_the_sample_is_not_installed_where_workflows_exist(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        ObjectTypeRepository(session).ensure_built_ins("local", START)
        assert install_sample(session, "local", START, "UTC") is not None
    with transaction(sessions) as session:
        assert install_sample(session, "local", START, "UTC") is None


def _install(sessions: sessionmaker[Session], team: str = LOCAL_TEAM) -> bool:
    with transaction(sessions) as session:
        ObjectTypeRepository(session).ensure_built_ins(team, START)
        return install_sample(session, team, START, "UTC") is not None


def _records(sessions: sessionmaker[Session]) -> dict[str, tuple[str, bool]]:
    with transaction(sessions) as session:
        rows = session.execute(select(Record.external_id, Record.name, Record.is_sample))
        return {external_id: (name, is_sample) for external_id, name, is_sample in rows}


def _workflows(sessions: sessionmaker[Session]) -> dict[str, bool]:
    with transaction(sessions) as session:
        rows = session.execute(select(Workflow.name, Workflow.is_sample))
        return {name: is_sample for name, is_sample in rows}


def test_a_database_with_records_but_no_workflow_gets_no_sample(
    sessions: sessionmaker[Session],
) -> None:
    import_deals(sessions, [deal("D-1001", "Our real deal")], START, LOCAL_TEAM)
    assert not _install(sessions)
    assert _records(sessions) == {"D-1001": ("Our real deal", False)}
    assert _workflows(sessions) == {}


def test_a_database_with_another_workspace_gets_no_sample(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        ObjectTypeRepository(session).ensure_built_ins("T0SLACK", START)
    assert not _install(sessions)
    assert not _install(sessions, "T0SLACK")  # nor a Slack workspace itself
    assert _records(sessions) == {}


def test_the_sample_is_marked_and_removed_whole_leaving_real_data(
    sessions: sessionmaker[Session],
) -> None:
    assert _install(sessions)
    installed = _records(sessions)
    assert len(installed) == 5 and all(is_sample for _name, is_sample in installed.values())
    assert _workflows(sessions) == {"Sample: contract reminders": True}
    import_deals(sessions, [deal("D-1", "Our deal"), deal("D-1002", "Ours now")], START, LOCAL_TEAM)
    save(sessions, workflow_document(name="Ours"), START, team=LOCAL_TEAM)

    with transaction(sessions) as session:
        removed = remove_sample(session, START)
    assert removed.workflow_names == ("Sample: contract reminders",)
    assert removed.record_count == 4  # D-1002 was imported again: it is ours
    assert _records(sessions) == {"D-1": ("Our deal", False), "D-1002": ("Ours now", False)}
    assert _workflows(sessions) == {"Ours": False}
    with transaction(sessions) as session:
        assert remove_sample(session, START).empty


def test_a_removed_sample_never_comes_back(sessions: sessionmaker[Session]) -> None:
    assert _install(sessions)
    with transaction(sessions) as session:
        remove_sample(session, START)
    assert _records(sessions) == {} and _workflows(sessions) == {}
    assert not _install(sessions)  # the database is empty again, but it had the sample
