"""Why a record was (not) enrolled by a past run: the record's values then, kept by every
change (record_versions), evaluated by the runs' own clause, agree with what each run
actually enrolled; the reasons name the filter that failed with the value then."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import delete, func, select, update
from sqlalchemy.event import listen as event_listen
from sqlalchemy.event import remove as event_remove
from sqlalchemy.orm import Session, sessionmaker

from bot.console_notifier import ConsoleNotifier
from bot.workflows.clock import FixedClock
from bot.workflows.definitions import SetProperty
from bot.workflows.engine import Engine
from bot.workflows.explanations import PastRun, ValuesThen, explain, explain_by_text, then_phrase
from bot.workflows.lifecycle import (
    CLI_ACTOR,
    delete_workflow,
    request_run,
    save_workflow,
    set_status,
)
from bot.workflows.record_changes import PropertySetter
from bot.workflows.record_history import LONGEST_KEPT, RUNS_LOOKED_AT, prune_record_versions
from bot.workflows.run_followups import snooze_named
from bot.workflows.vocabulary import PropertyType, WorkflowStatus
from storage.database import transaction
from storage.models import (
    ActionResult,
    Enrollment,
    ObjectType,
    Record,
    RecordSnooze,
    RecordVersion,
    RecordVersionsKept,
    Run,
    Workflow,
)
from storage.record_removal import RecordRemoval
from storage.records import RecordRepository, RecordUpdate
from storage.unit_of_work import UnitOfWork
from tests.engine.builders import DEALS_CHANNEL, NAME, TEAM, deal, import_deals, save
from tests.engine.builders import workflow_document as deals_workflow
from tests.storage.test_criteria_sql import NOWS, RAW_RECORD, RECORDS, criteria_over, new_record
from tests.workflows.test_explanations import START, amount_at_least, deals_type

__all__ = ["deals_type"]  # a fixture, used by name

# What may happen to a record between two runs.
EDITS = st.sampled_from(["rewrite", "remove", "set_property", "nothing"])


def _empty(session: Session) -> None:
    for table in (ActionResult, Enrollment, RecordSnooze, Run, Workflow, RecordVersion, Record):
        session.execute(delete(table))
    session.execute(delete(RecordVersionsKept))


def _document(criteria: Any, suppression: Any, zone: str) -> dict[str, Any]:
    return {
        "name": "Random",
        "object_type": "deals",
        "status": "active",
        "owner": "U0OWNER",
        "schedule": {"frequency": "daily", "time": "09:00", "timezone": zone},
        "criteria": criteria,
        "suppression": suppression,
        "actions": [{"type": "send_channel_message", "channel": DEALS_CHANNEL, "text": "x"}],
    }


def _rewrite(
    session: Session, deals: int, record: Record, raw: dict[str, Any], at: datetime
) -> None:
    """Writes the record again with other values, as an import or a sync does (a removed
    record comes back)."""
    values = new_record(deals, 0, raw)
    RecordRepository(session).update_many(
        [
            RecordUpdate(
                record_id=record.id,
                name=values["name"],
                owner=values["owner"],
                properties=dict(values["properties"]),  # type: ignore[arg-type]
                folded=dict(values["folded"]),  # type: ignore[arg-type]
                updated_at=values["updated_at"],
            )
        ],
        at,
    )


@settings(max_examples=30, deadline=None)
@given(raw_records=RECORDS, now=NOWS, data=st.data())
def test_past_run_verdicts_from_the_values_then_agree_with_what_each_run_enrolled(
    sessions: sessionmaker[Session],
    deals_type: int,
    raw_records: list[dict[str, Any]],
    now: datetime,
    data: st.DataObject,
) -> None:
    criteria = data.draw(criteria_over(raw_records), label="criteria")
    suppression = data.draw(criteria_over(raw_records), label="suppression")
    runs = data.draw(st.integers(2, 3), label="runs")
    zone = getattr(now.tzinfo, "key", "UTC")
    with transaction(sessions) as session:
        _empty(session)
        rows = [new_record(deals_type, index, raw) for index, raw in enumerate(raw_records)]
        RecordRepository(session).insert_many(rows)
        save_workflow(session, TEAM, _document(criteria, suppression, zone), CLI_ACTOR, "UTC", now)
    clock = FixedClock(now)
    notifier = ConsoleNotifier(io.StringIO())
    engine = Engine(sessions, clock, lambda _team: notifier)
    added = len(raw_records)
    for number in range(runs):
        run_at = now + timedelta(days=number, hours=1)
        if number:
            _edit_between_runs(sessions, deals_type, data, run_at - timedelta(hours=2), added)
            added += 1
        clock.set(run_at)
        with transaction(sessions) as session:
            run_id = request_run(session, TEAM, "Random", CLI_ACTOR, run_at).run_id
        engine.run_now(run_id)
    final = now + timedelta(days=runs, hours=3)
    with transaction(sessions) as session:
        enrolled = set(session.execute(select(Enrollment.run_id, Enrollment.record_id)))
        workflow = session.scalars(select(Workflow)).one()
        for record in session.scalars(select(Record)):
            past = explain(session, workflow, record, final).past_runs
            assert len(past) == runs
            for run in past:
                _check(run, (run.id, record.id) in enrolled)


def _edit_between_runs(
    sessions: sessionmaker[Session],
    deals: int,
    data: st.DataObject,
    at: datetime,
    added: int,
) -> None:
    """Random edits of the records through the paths that change them, and one record
    stored between the runs (its created_at, from its raw values, may be any day)."""
    with transaction(sessions) as session:
        records = list(session.scalars(select(Record).order_by(Record.id)))
        for step, record in enumerate(records):
            edit = data.draw(EDITS, label="edit")
            edited_at = at + timedelta(minutes=step)
            if edit == "rewrite":
                _rewrite(session, deals, record, data.draw(RAW_RECORD, label="values"), edited_at)
            elif edit == "remove":
                RecordRemoval(session).remove([record.id], edited_at)
            elif edit == "set_property":
                amount = data.draw(st.integers(-5, 5), label="n")
                action = SetProperty("n", PropertyType.NUMBER, float(amount))
                setter = PropertySetter.checked(session, record.object_type_id, action)
                assert setter.set(session, record.id, edited_at.date(), edited_at) is None
            session.flush()
            session.expire_all()
        raw = data.draw(RAW_RECORD, label="new record")
        RecordRepository(session).insert_many([new_record(deals, added, raw)])


def _check(run: PastRun, enrolled: bool) -> None:
    then = run.then
    assert then is not None
    event(f"{then.values}, enrolled: {enrolled}")
    if then.values is ValuesThen.NOT_STORED:
        assert not enrolled
        return
    assert then.values is ValuesThen.KNOWN
    assert then.would_enroll == enrolled
    phrase = then_phrase(then, enrolled, str, str)
    if not enrolled:
        # A run that left it out says why, from the values then.
        assert phrase is not None and "not known" not in phrase
        assert then.removed or then.failed or then.suppressed or then.snoozed


# --- Scenarios ----------------------------------------------------------------------------


@pytest.fixture
def deals(sessions: sessionmaker[Session]) -> None:
    import_deals(
        sessions, [deal("D1", "Acme", amount=6000), deal("D2", "Initech", amount=4000)], START
    )


def _tick(engine: Engine, clock: FixedClock, day: int) -> None:
    clock.set(START + timedelta(days=day, hours=1, minutes=1))  # after the 09:00 run
    engine.tick()


def _reimport(sessions: sessionmaker[Session], amount: int, day: int) -> None:
    import_deals(
        sessions,
        [deal("D1", "Acme", amount=6000), deal("D2", "Initech", amount=amount)],
        START + timedelta(days=day, hours=2),
    )


def test_a_run_that_left_a_record_out_names_the_filter_and_the_value_then(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, deals_workflow(criteria=amount_at_least(5000)), START)
    clock = FixedClock(START)
    engine = Engine(sessions, clock, lambda _team: ConsoleNotifier(io.StringIO()))
    _tick(engine, clock, 0)  # D2 at 4,000: left out
    _reimport(sessions, 7000, 0)
    _tick(engine, clock, 1)  # D2 at 7,000: enrolled
    _reimport(sessions, 3000, 1)
    with transaction(sessions) as session:
        explanation = explain_by_text(session, TEAM, NAME, "D2", clock.now())
    latest, first = explanation.past_runs
    assert (latest.enrolled, first.enrolled) == (True, False)
    assert then_phrase(first.then, first.enrolled, lambda s: f"`{s}`", str) == (
        "`amount` was `4000` then (amount is at least 5000)"
    )
    assert then_phrase(latest.then, latest.enrolled, lambda s: f"`{s}`", str) == (
        "since then `amount` went from `7000` to `3000`"
    )


def test_a_record_stored_after_a_run_was_not_yet_in_the_records(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, deals_workflow(criteria=amount_at_least(5000)), START)
    clock = FixedClock(START)
    engine = Engine(sessions, clock, lambda _team: ConsoleNotifier(io.StringIO()))
    _tick(engine, clock, 0)
    # Created long before in its source, first stored after the run.
    import_deals(
        sessions,
        [deal("D3", "Hooli", amount=9000, created_at="2026-01-05T10:00:00Z")],
        START + timedelta(hours=3),
    )
    with transaction(sessions) as session:
        (run,) = explain_by_text(session, TEAM, NAME, "D3", clock.now()).past_runs
    assert not run.enrolled
    assert then_phrase(run.then, run.enrolled, str, str) == "it was not yet in the records"


def test_pruning_keeps_the_values_of_the_runs_why_shows_and_says_when_older_are_gone(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, deals_workflow(criteria=amount_at_least(5000)), START)
    clock = FixedClock(START)
    engine = Engine(sessions, clock, lambda _team: ConsoleNotifier(io.StringIO()))
    _tick(engine, clock, 0)
    _reimport(sessions, 7000, 0)
    _tick(engine, clock, 1)  # plans a run: prunes nothing the first run needs
    with transaction(sessions) as session:
        kept = session.scalar(select(func.count()).select_from(RecordVersion))
        first = explain_by_text(session, TEAM, NAME, "D2", clock.now()).past_runs[-1]
    assert kept == 1
    assert then_phrase(first.then, first.enrolled, str, str) == (
        "amount was 4000 then (amount is at least 5000)"
    )
    # Once the first run is older than what versions are kept for, its values go.
    later = START + LONGEST_KEPT + timedelta(days=2)
    with transaction(sessions) as session:
        assert prune_record_versions(session, later) == 1
        first = explain_by_text(session, TEAM, NAME, "D2", later).past_runs[-1]
    assert then_phrase(first.then, first.enrolled, str, str) == (
        "its values then are no longer kept"
    )


def test_versions_older_than_every_run_why_looks_at_are_pruned(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, deals_workflow(criteria=amount_at_least(5000)), START)
    clock = FixedClock(START)
    engine = Engine(sessions, clock, lambda _team: ConsoleNotifier(io.StringIO()))
    _reimport(sessions, 4500, -1)  # a change before any run: no run needs what it replaced
    _tick(engine, clock, 0)
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(RecordVersion)) == 0
        # The run itself stays explained from the versions kept.
        (run,) = explain_by_text(session, TEAM, NAME, "D2", clock.now()).past_runs
    assert then_phrase(run.then, run.enrolled, str, str) == (
        "amount was 4500 then (amount is at least 5000)"
    )
    assert RUNS_LOOKED_AT >= 10


def test_runs_enrolled_before_versions_were_kept_say_so(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, deals_workflow(criteria=amount_at_least(5000)), START)
    clock = FixedClock(START)
    engine = Engine(sessions, clock, lambda _team: ConsoleNotifier(io.StringIO()))
    _tick(engine, clock, 0)
    with transaction(sessions) as session:
        # As the migration leaves a database that had runs: nothing kept before it.
        session.merge(RecordVersionsKept(id=1, since=clock.now() + timedelta(minutes=1)))
        session.execute(update(Run).values(newest_record_id=None))
        (run,) = explain_by_text(session, TEAM, NAME, "D2", clock.now()).past_runs
    assert then_phrase(run.then, run.enrolled, str, str) == "its values then are no longer kept"


def _snooze(sessions: sessionmaker[Session], external_id: str, days: int, day: int) -> None:
    at = START + timedelta(days=day, hours=3)
    snooze_named(UnitOfWork(sessions), TEAM, NAME, external_id, days, CLI_ACTOR, at)


def test_a_snooze_made_after_a_run_is_not_that_runs_reason(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, deals_workflow(criteria=amount_at_least(5000)), START)
    clock = FixedClock(START)
    engine = Engine(sessions, clock, lambda _team: ConsoleNotifier(io.StringIO()))
    _tick(engine, clock, 0)  # D2 at 4,000: left out
    _snooze(sessions, "D2", 30, day=3)
    with transaction(sessions) as session:
        (run,) = explain_by_text(session, TEAM, NAME, "D2", START + timedelta(days=3)).past_runs
    assert then_phrase(run.then, run.enrolled, str, str) == (
        "amount was 4000 then (amount is at least 5000)"
    )


def test_a_snooze_made_before_a_run_is_its_reason_until_another_replaces_it(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, deals_workflow(criteria=amount_at_least(5000)), START)
    clock = FixedClock(START)
    engine = Engine(sessions, clock, lambda _team: ConsoleNotifier(io.StringIO()))
    _snooze(sessions, "D1", 3, day=-1)  # D1 at 6,000, held out of day 0's run
    _tick(engine, clock, 0)
    with transaction(sessions) as session:
        (run,) = explain_by_text(session, TEAM, NAME, "D1", START + timedelta(days=1)).past_runs
    assert not run.enrolled
    assert then_phrase(run.then, run.enrolled, str, str) == "it was snoozed in this workflow"
    # Snoozed again: the row that held it then is replaced, so that is no longer known.
    _snooze(sessions, "D1", 30, day=2)
    with transaction(sessions) as session:
        (run,) = explain_by_text(session, TEAM, NAME, "D1", START + timedelta(days=2)).past_runs
    assert then_phrase(run.then, run.enrolled, str, str) == (
        "its values then matched; it has been snoozed again since, so whether a snooze "
        "held it out then is not known"
    )


def _versions_of(sessions: sessionmaker[Session], team: str) -> int:
    with transaction(sessions) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(RecordVersion)
                .join(Record, Record.id == RecordVersion.record_id)
                .join(ObjectType, ObjectType.id == Record.object_type_id)
                .where(ObjectType.team_id == team)
            )
            or 0
        )


def _prune(sessions: sessionmaker[Session], day: int) -> None:
    with transaction(sessions) as session:
        prune_record_versions(session, START + timedelta(days=day))


def test_a_paused_workflow_holds_back_only_its_own_types_history_and_a_deleted_one_none(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, deals_workflow(criteria=amount_at_least(5000)), START)
    clock = FixedClock(START)
    engine = Engine(sessions, clock, lambda _team: ConsoleNotifier(io.StringIO()))
    _tick(engine, clock, 0)  # D2 at 4,000: left out
    with transaction(sessions) as session:
        set_status(session, TEAM, NAME, WorkflowStatus.PAUSED, CLI_ACTOR, clock.now())
    _reimport(sessions, 7000, 1)
    # Another workspace's deals, which no workflow runs on, change after that run.
    for day, amount in enumerate((100, 200, 300)):
        at = START + timedelta(days=day, hours=4)
        import_deals(sessions, [deal("E1", "Other", amount=amount)], at, team="T2")
    assert (_versions_of(sessions, TEAM), _versions_of(sessions, "T2")) == (1, 2)
    _prune(sessions, 5)
    assert (_versions_of(sessions, TEAM), _versions_of(sessions, "T2")) == (1, 0)
    with transaction(sessions) as session:
        (run,) = explain_by_text(session, TEAM, NAME, "D2", START + timedelta(days=5)).past_runs
    assert then_phrase(run.then, run.enrolled, str, str) == (
        "amount was 4000 then (amount is at least 5000)"
    )
    with transaction(sessions) as session:
        delete_workflow(session, TEAM, NAME, CLI_ACTOR, now=START + timedelta(days=5))
    _prune(sessions, 6)
    assert _versions_of(sessions, TEAM) == 0


def test_a_tick_that_plans_nothing_prunes_at_most_once_an_hour(
    sessions: sessionmaker[Session], deals: None
) -> None:
    # No workflow: only imports change the records, and no tick ever plans a run.
    clock = FixedClock(START)
    engine = Engine(sessions, clock, lambda _team: ConsoleNotifier(io.StringIO()))
    _reimport(sessions, 7000, 0)  # at START + 2h
    clock.set(START + timedelta(hours=3))
    engine.tick()
    assert _versions_of(sessions, TEAM) == 0
    _reimport(sessions, 8000, 0)
    clock.set(START + timedelta(hours=3, minutes=59))
    engine.tick()
    assert _versions_of(sessions, TEAM) == 1  # pruned 59 minutes ago
    clock.set(START + timedelta(hours=4))
    engine.tick()
    assert _versions_of(sessions, TEAM) == 0


class _SecondClock(FixedClock):
    """A second later at each reading: a value read twice would differ."""

    def now(self) -> datetime:
        self.set(super().now() + timedelta(seconds=1))
        return super().now()


def test_a_run_enrolled_at_the_instant_it_wrote_its_enrollments(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, deals_workflow(criteria=amount_at_least(5000)), START)
    clock = _SecondClock(START + timedelta(hours=1, minutes=1))
    Engine(sessions, clock, lambda _team: ConsoleNotifier(io.StringIO())).tick()
    with transaction(sessions) as session:
        run = session.scalars(select(Run)).one()
        written = set(session.scalars(select(Enrollment.created_at)))
    assert written == {run.enrolled_at}


def test_a_record_stored_while_a_run_enrolls_is_told_as_stored_since(
    sessions: sessionmaker[Session], deals: None, engine: SqlEngine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL lets another connection commit while a run enrolls")
    save(sessions, deals_workflow(criteria=amount_at_least(5000)), START)
    clock = FixedClock(START + timedelta(hours=1, minutes=1))
    stored = []

    def store_after_the_insert(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # Another process commits a matching record once the run's insert has selected.
        if statement.startswith("INSERT INTO enrollments") and not stored:
            stored.append(True)
            import_deals(sessions, [deal("D3", "Hooli", amount=9000)], clock.now())

    event_listen(engine, "after_cursor_execute", store_after_the_insert)
    try:
        Engine(sessions, clock, lambda _team: ConsoleNotifier(io.StringIO())).tick()
    finally:
        event_remove(engine, "after_cursor_execute", store_after_the_insert)
    assert stored
    with transaction(sessions) as session:
        (run,) = explain_by_text(session, TEAM, NAME, "D3", clock.now()).past_runs
    assert not run.enrolled
    assert then_phrase(run.then, run.enrolled, str, str) == "it was not yet in the records"
