"""Export then import: a database holding every kind of workflow (each frequency, a ``once``
workflow that has run, a schedule past its end date, paused, draft) exports to a file that
imports into the same database without changing anything, and into a fresh one as the same
definitions."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.console_notifier import ConsoleNotifier
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from bot.workflows.lifecycle import CLI_ACTOR
from bot.workflows.schedules import Schedule
from bot.workflows.workflow_files import (
    ImportedWorkflow,
    ImportOutcome,
    dump_workflows,
    export,
    import_workflow,
    load_workflows,
    parse_workflow_documents,
)
from storage.database import make_engine, session_factory, transaction
from storage.models import Run, Workflow
from storage.object_types import ObjectTypeRepository
from storage.unit_of_work import UnitOfWork
from tests.engine.builders import TEAM, daily, deal, import_deals, save, workflow_document

CREATED_AT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday
EXPORTED_AT = CREATED_AT + timedelta(days=3, hours=2)
ONCE_DAY = (CREATED_AT + timedelta(days=1)).date()

EVERY_KIND: dict[str, dict[str, Any]] = {
    "Daily": daily("09:00", "Europe/Berlin"),
    "Weekly": {
        "frequency": "weekly",
        "weekdays": ["mon", "thu"],
        "time": "07:30",
        "timezone": "America/New_York",
        "interval": 2,
        "start_date": "2026-11-02",
    },
    "Monthly days": {"frequency": "monthly", "month_days": [1, 15], "time": "10:00"},
    "Monthly positions": {
        "frequency": "monthly",
        "month_positions": [{"ordinal": "last", "day": "weekday"}],
        "time": "16:00",
    },
    "Annually": {"frequency": "annually", "month": 2, "day": 29, "time": "08:00"},
    "Once, ran": {"frequency": "once", "date": ONCE_DAY.isoformat(), "time": "09:00"},
    "Once, ahead": {"frequency": "once", "date": "2027-03-01", "time": "09:00"},
    "Ended": {**daily("09:00"), "end_date": (CREATED_AT + timedelta(days=2)).date().isoformat()},
}


def every_kind_of_workflow() -> list[dict[str, Any]]:
    documents = [
        workflow_document(name=name, schedule=schedule) for name, schedule in EVERY_KIND.items()
    ]
    documents.append(workflow_document(name="Paused", status="paused"))
    documents.append(workflow_document(name="Draft", status="draft", actions=[]))
    return documents


@pytest.fixture
def fresh_sessions(sqlite_template: Path, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Another database, migrated and empty: where a migration imports into."""
    path = tmp_path / "fresh.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield session_factory(engine)
    engine.dispose()


def lived_in(sessions: sessionmaker[Session]) -> FixedClock:
    """Saves every kind of workflow, edits one (revision 2), and lets three days of runs
    happen (the ``once`` workflow runs, the ended one stops); the clock is then at
    EXPORTED_AT."""
    clock = FixedClock(CREATED_AT)
    import_deals(sessions, [deal("D1", "Acme")], CREATED_AT)
    for document in every_kind_of_workflow():
        save(sessions, document, CREATED_AT)
    save(sessions, workflow_document(name="Daily", schedule=daily("09:30")), CREATED_AT)
    engine = Engine(sessions, clock, lambda _team: ConsoleNotifier(io.StringIO()))
    while clock.now() < EXPORTED_AT:
        clock.advance(timedelta(hours=1))
        engine.tick()
    return clock


def import_file(
    sessions: sessionmaker[Session], text: str, now: datetime
) -> dict[str, ImportedWorkflow]:
    documents = load_workflows(text)
    with transaction(sessions) as session:
        types = ObjectTypeRepository(session)
        properties = {
            name: types.property_types(types.get(TEAM, name).id) for name in types.names(TEAM)
        }
        parse_workflow_documents(documents, properties, "UTC", now)
        imported = [import_workflow(session, TEAM, d, CLI_ACTOR, "UTC", now) for d in documents]
    return {workflow.name: workflow for workflow in imported}


def exported_file(sessions: sessionmaker[Session]) -> str:
    return export(UnitOfWork(sessions), TEAM)


def stored(sessions: sessionmaker[Session]) -> dict[str, tuple[int, datetime | None, datetime]]:
    """Each workflow's revision, next run and last change, by name."""
    with sessions() as session:
        rows = session.scalars(select(Workflow)).all()
        return {w.name: (w.revision, _utc(w.next_run_at), _utc(w.updated_at)) for w in rows}


def _utc(instant: datetime | None) -> datetime | None:
    # SQLite gives back naive UTC.
    return instant if instant is None or instant.tzinfo else instant.replace(tzinfo=UTC)


def run_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return len(session.scalars(select(Run.id)).all())


def test_the_once_workflow_ran_before_the_export(sessions: sessionmaker[Session]) -> None:
    # What the other tests rely on: the database is past the once date, and the once
    # workflow has no run left.
    lived_in(sessions)
    with sessions() as session:
        once = session.scalars(select(Workflow).where(Workflow.name == "Once, ran")).one()
        ran = session.scalars(select(Run).where(Run.workflow_id == once.id)).all()
    assert [run.status for run in ran] == ["succeeded"]
    assert once.next_run_at is None


def test_importing_an_export_into_the_same_database_changes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    clock = lived_in(sessions)
    exported = exported_file(sessions)
    before, runs_before = stored(sessions), run_count(sessions)
    imported = import_file(sessions, exported, clock.now())
    assert {w.outcome for w in imported.values()} == {ImportOutcome.UNCHANGED}
    assert {name for name, w in imported.items() if w.finished} == {"Once, ran", "Ended"}
    assert {name: w.revision for name, w in imported.items()} == {
        name: revision for name, (revision, _, _) in before.items()
    }
    assert stored(sessions) == before  # revisions, next runs and change times
    assert run_count(sessions) == runs_before  # no planned run cancelled or added
    assert exported_file(sessions) == exported


def test_importing_an_export_into_a_fresh_database_gives_the_same_definitions(
    sessions: sessionmaker[Session], fresh_sessions: sessionmaker[Session]
) -> None:
    clock = lived_in(sessions)
    exported = exported_file(sessions)
    import_deals(fresh_sessions, [deal("D9", "Other")], clock.now())  # the same types
    imported = import_file(fresh_sessions, exported, clock.now())
    assert {w.outcome for w in imported.values()} == {ImportOutcome.CREATED}
    assert set(imported) == set(stored(sessions))
    assert exported_file(fresh_sessions) == exported
    # Finished workflows are not armed again, and the others run when they would have.
    next_runs = {name: next_run for name, (_, next_run, _) in stored(sessions).items()}
    assert {name: w.next_run for name, w in imported.items()} == next_runs
    # And the fresh database imports its file again as unchanged, revision 1 kept.
    again = import_file(fresh_sessions, exported, clock.now() + timedelta(minutes=5))
    assert {(w.outcome, w.revision) for w in again.values()} == {(ImportOutcome.UNCHANGED, 1)}


def test_a_changed_workflow_gets_a_new_revision_and_the_rest_keep_theirs(
    sessions: sessionmaker[Session],
) -> None:
    clock = lived_in(sessions)
    documents = load_workflows(exported_file(sessions))
    for document in documents:
        if document["name"] == "Weekly":
            document["schedule"]["time"] = "08:00"
    imported = import_file(sessions, dump_workflows(documents), clock.now())
    changed = {name: w.revision for name, w in imported.items() if w.outcome != "unchanged"}
    assert changed == {"Weekly": 2}


def test_a_once_date_that_has_passed_in_a_file_imports_as_finished(
    sessions: sessionmaker[Session],
) -> None:
    import_deals(sessions, [deal("D1")], EXPORTED_AT)
    document = workflow_document(name="Launch", schedule=EVERY_KIND["Once, ran"])
    with transaction(sessions) as session:
        imported = import_workflow(session, TEAM, document, CLI_ACTOR, "UTC", EXPORTED_AT)
    assert (imported.outcome, imported.finished, imported.next_run) == (
        ImportOutcome.CREATED,
        True,
        None,
    )
    engine = Engine(sessions, FixedClock(EXPORTED_AT), lambda _: ConsoleNotifier(io.StringIO()))
    assert engine.tick() == []  # not armed again


@given(
    minutes=st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60),
    zone=st.sampled_from(["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin"]),
)
def test_a_once_schedule_has_ended_exactly_when_its_instant_has_passed(
    minutes: int, zone: str
) -> None:
    schedule = Schedule.from_json(
        {"frequency": "once", "date": "2026-03-29", "time": "02:30", "timezone": zone}
    )
    instant = schedule.instant_on(date(2026, 3, 29))
    now = instant + timedelta(minutes=minutes)
    assert schedule.has_ended(now) == (instant <= now)


def test_a_schedule_without_a_last_day_never_ends() -> None:
    schedule = Schedule.from_json(daily("09:00"))
    assert not schedule.has_ended(datetime(2099, 1, 1, tzinfo=UTC))
