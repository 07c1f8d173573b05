"""A long file import or SQL-source sync keeps the values it replaces until it commits, not
until it started: a run enrolling while its transaction is open saw those values, and why
judges the run on them. The bot's database and the source's are each SQLite or PostgreSQL.

The run is ticked before the change is written, as the instants say it happened: the change
started before the run and commits after it, and the run could not see it uncommitted."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.console_notifier import ConsoleNotifier
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from bot.workflows.explanations import explain_by_text, then_phrase
from bot.workflows.record_import import ImportOptions, import_records
from bot.workflows.source_reading import SourceQuery
from bot.workflows.source_sync import read_snapshot
from storage.database import transaction
from storage.models import RecordSource, RecordVersion
from tests.engine.builders import NAME, TEAM, deal, enrollments, import_deals, save
from tests.engine.builders import workflow_document as deals_workflow
from tests.engine.conftest import START
from tests.engine.test_source_freshness import (
    RUN_TIME,
    Environment,
    add_crm,
    environment,
    source,
    sync_at,
)
from tests.source_databases import SourceDatabase, crm_deal
from tests.workflows.test_explanations import amount_at_least

__all__ = ["environment", "source"]  # fixtures, used by name

RUN_ENROLLS = START + timedelta(hours=1, minutes=1)  # after the 09:00 run
CHANGE_STARTS = RUN_ENROLLS - timedelta(minutes=1)
CHANGE_COMMITS = RUN_ENROLLS + timedelta(minutes=1)


def _tick(sessions: sessionmaker[Session], at: FixedClock) -> int:
    [(run_id, _)] = Engine(sessions, at, lambda _team: ConsoleNotifier(io.StringIO())).tick()
    return run_id


def _why_then(sessions: sessionmaker[Session], record: str) -> tuple[bool, str]:
    with transaction(sessions) as session:
        explanation = explain_by_text(session, TEAM, NAME, record, CHANGE_COMMITS)
    (past,) = explanation.past_runs
    return past.enrolled, then_phrase(past.then, past.enrolled, str, str)


def _stamps(sessions: sessionmaker[Session]) -> set[object]:
    with sessions() as session:
        return set(session.scalars(select(RecordVersion.valid_until)))


def test_a_run_enrolling_while_a_long_import_is_open_is_explained_with_the_values_it_saw(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    deals = [deal("D1", "Acme", amount=6000), deal("D2", "Initech", amount=4000)]
    import_deals(sessions, deals, START)
    save(sessions, deals_workflow(criteria=amount_at_least(5000)), START)
    run_id = _tick(sessions, FixedClock(RUN_ENROLLS))  # D2 at 4,000: left out
    assert len(enrollments(sessions, run_id)) == 1

    # The import starts before the run and commits after it.
    file = tmp_path / "deals.csv"
    file.write_text("id,name,stage,amount\nD1,Acme,contract,6000\nD2,Initech,contract,7000\n")
    with transaction(sessions) as session:
        options = ImportOptions(type_name="deals")
        clock = FixedClock(CHANGE_COMMITS)
        report = import_records(session, TEAM, file, options, CHANGE_STARTS, clock)

    assert report.updated == 1

    assert _why_then(sessions, "D2") == (False, "amount was 4000 then (amount is at least 5000)")
    assert _stamps(sessions) == {CHANGE_COMMITS}


def test_a_run_enrolling_while_a_long_source_sync_is_open_is_explained_with_the_values_it_saw(
    sessions: sessionmaker[Session], source: SourceDatabase, environment: Environment
) -> None:
    source.add(crm_deal("D-1"), crm_deal("D-2", stage="won"))
    clock = FixedClock(RUN_TIME - timedelta(minutes=10))
    # Fresh enough that the run does not sync it again itself.
    source_id = add_crm(sessions, clock.now(), max_staleness=timedelta(hours=1))
    sync_at(sessions, clock, source_id, environment)
    save(sessions, deals_workflow(), START)
    run_id = _tick(sessions, FixedClock(RUN_ENROLLS))  # D-2 won: left out
    assert len(enrollments(sessions, run_id)) == 1

    source.change("D-2", stage="contract")
    with sessions() as session:
        row = session.get_one(RecordSource, source_id)
        query = SourceQuery(row.name, row.url_env, row.query, row.id_column, row.object_type_id)
    # The sync starts before the run; its rows take until after it to write.
    syncing = FixedClock(CHANGE_STARTS)
    report = read_snapshot(
        sessions,
        query,
        environment.lookup,
        syncing.now(),
        keep_alive=lambda: syncing.set(CHANGE_COMMITS),
        clock=syncing,
    )

    assert report.changed == 1
    assert _why_then(sessions, "D-2") == (False, "stage was won then (stage is equal to contract)")
    assert _stamps(sessions) == {CHANGE_COMMITS}
