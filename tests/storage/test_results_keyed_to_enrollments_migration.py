"""Migration 0018 keys each action result to its run's enrollment of the record, in place of
keys to the run and to the record, and the downgrade puts those back, keeping the results, on
both databases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import Engine, MetaData, Table, delete, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.vocabulary import ActionOutcome, RunSource
from storage.database import MigrationRefused, alembic_config, upgrade, write_transaction
from storage.models import ActionResult, Enrollment, Record
from storage.runs import NewRun, RunRepository
from tests.engine.builders import deal, import_deals, record_ids, save, workflow_document

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Stored:
    run_id: int
    enrolled: int  # D-1: enrolled in the run, with a result
    other: int  # D-2: not enrolled


@pytest.fixture
def at_0017(engine: Engine, sessions: sessionmaker[Session]) -> Iterator[Stored]:
    """A run that enrolled D-1 and recorded a result for it, in a database migration 0018's
    downgrade took back to 0017; brought back to the latest at the end."""
    import_deals(sessions, [deal("D-1"), deal("D-2")], NOW)
    saved = save(sessions, workflow_document(), NOW)
    ids = record_ids(sessions)
    with write_transaction(sessions) as session:
        runs = RunRepository(session)
        run_id = runs.add(
            NewRun(saved.workflow_id, saved.revision, "k1", NOW, RunSource.MANUAL), NOW
        )
        assert run_id is not None
        runs.enroll(run_id, [ids["D-1"]], RunSource.MANUAL, "U0OWNER", NOW)
        runs.record_result(run_id, ids["D-1"], 0, ActionOutcome.OK, None, {"ts": "1.0"}, NOW)
    command.downgrade(alembic_config(engine), "0017")
    yield Stored(run_id, ids["D-1"], ids["D-2"])
    upgrade(engine)


def _foreign_keys(engine: Engine) -> set[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    return {
        (key["referred_table"], tuple(key["constrained_columns"]), tuple(key["referred_columns"]))
        for key in inspect(engine).get_foreign_keys("action_results")
    }


def _result_of(run_id: int, record_id: int) -> dict[str, object]:
    return {
        "run_id": run_id,
        "record_id": record_id,
        "action_index": 0,
        "outcome": "ok",
        "created_at": NOW,
    }


def test_0018_downgrade_keys_results_to_runs_and_records_and_keeps_them(
    engine: Engine, at_0017: Stored
) -> None:
    assert _foreign_keys(engine) == {
        ("runs", ("run_id",), ("id",)),
        ("records", ("record_id",), ("id",)),
    }
    results = Table("action_results", MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        kept = connection.execute(select(results.c.record_id, results.c.reference)).all()
    assert kept == [(at_0017.enrolled, {"ts": "1.0"})]


def test_0018_keys_results_to_enrollments_and_keeps_them(
    engine: Engine, sessions: sessionmaker[Session], at_0017: Stored
) -> None:
    upgrade(engine)

    assert _foreign_keys(engine) == {
        ("enrollments", ("run_id", "record_id"), ("run_id", "record_id")),
    }
    with sessions() as session:
        kept = session.scalars(select(ActionResult)).one()
    assert (kept.run_id, kept.record_id, kept.reference) == (
        at_0017.run_id,
        at_0017.enrolled,
        {"ts": "1.0"},
    )


def test_after_0018_a_result_of_a_record_the_run_did_not_enroll_is_refused(
    engine: Engine, sessions: sessionmaker[Session], at_0017: Stored
) -> None:
    upgrade(engine)

    with pytest.raises(IntegrityError), write_transaction(sessions) as session:
        session.execute(insert(ActionResult).values(_result_of(at_0017.run_id, at_0017.other)))


def test_after_0018_deleting_a_record_deletes_its_results_through_its_enrollments(
    engine: Engine, sessions: sessionmaker[Session], at_0017: Stored
) -> None:
    upgrade(engine)

    with write_transaction(sessions) as session:
        session.execute(delete(Record).where(Record.id == at_0017.enrolled))
    with sessions() as session:
        assert session.scalars(select(Enrollment)).all() == []
        assert session.scalars(select(ActionResult)).all() == []


def test_0018_refuses_results_of_records_their_run_did_not_enroll_and_deletes_none(
    engine: Engine, at_0017: Stored
) -> None:
    results = Table("action_results", MetaData(), autoload_with=engine)
    with engine.begin() as connection:  # allowed by 0017's keys: the run and record exist
        connection.execute(insert(results).values(_result_of(at_0017.run_id, at_0017.other)))

    with pytest.raises(MigrationRefused, match="1 action result is of records their run did not"):
        upgrade(engine)

    with engine.begin() as connection:
        assert len(connection.execute(select(results)).all()) == 2
        connection.execute(delete(results).where(results.c.record_id == at_0017.other))


def test_0018_cleanup_statement_deletes_the_refused_results_and_lets_the_upgrade_run(
    engine: Engine, at_0017: Stored
) -> None:
    results = Table("action_results", MetaData(), autoload_with=engine)
    with engine.begin() as connection:
        connection.execute(insert(results).values(_result_of(at_0017.run_id, at_0017.other)))
    with pytest.raises(MigrationRefused) as refused:
        upgrade(engine)

    with engine.begin() as connection:
        connection.execute(text(refused.value.cleanup))
    upgrade(engine)

    with engine.connect() as connection:
        kept = connection.execute(select(results.c.record_id)).scalars().all()
    assert kept == [at_0017.enrolled]


def test_the_command_line_says_how_to_clear_results_0018_refuses(
    database_url: str,
    engine: Engine,
    at_0017: Stored,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.cli import main

    results = Table("action_results", MetaData(), autoload_with=engine)
    with engine.begin() as connection:
        connection.execute(insert(results).values(_result_of(at_0017.run_id, at_0017.other)))
    monkeypatch.chdir(tmp_path)  # no developer .env is read

    outcome = CliRunner().invoke(main, ["db", "upgrade"], env={"DATABASE_URL": database_url})

    assert outcome.exit_code == 2
    assert "Traceback" not in outcome.output
    assert "error id" not in outcome.output
    assert "1 action result is of records their run did not enroll" in outcome.output
    assert "Back up the database" in outcome.output
    assert (
        "DELETE FROM action_results WHERE NOT EXISTS (SELECT 1 FROM enrollments e WHERE "
        "e.run_id = action_results.run_id AND e.record_id = action_results.record_id)"
    ) in outcome.output
    assert "workflow-bot db upgrade" in outcome.output
    with engine.begin() as connection:  # the fixture upgrades at the end
        connection.execute(delete(results).where(results.c.record_id == at_0017.other))
