"""Why a record is (not) enrolled: the explanation's verdict is the runs' own, on random
records and criteria, and its filter-by-filter breakdown adds up to that verdict."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.orm import Session, sessionmaker

from bot.commands.workflow_explanations import verdict_line
from bot.console_notifier import ConsoleNotifier
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from bot.workflows.explanations import (
    AmbiguousRecord,
    Explanation,
    UnknownRecord,
    WorkflowGone,
    explain,
    explain_by_ids,
    explain_by_text,
)
from bot.workflows.forecast import forecast
from bot.workflows.lifecycle import CLI_ACTOR, request_run, save_workflow
from storage.database import transaction
from storage.followups import FollowUpRepository
from storage.models import ActionResult, Enrollment, Record, RecordSnooze, Run, Workflow
from storage.object_types import ObjectTypeRepository
from storage.records import RecordRepository
from storage.unit_of_work import UnitOfWork
from tests.engine.builders import (
    DEALS_CHANNEL,
    NAME,
    TEAM,
    deal,
    import_deals,
    save,
    workflow_document,
)
from tests.storage.test_criteria_sql import NOWS, RECORDS, SCHEMA, criteria_over, new_record

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday


def amount_at_least(amount: int) -> dict[str, Any]:
    return {"any": [{"all": [{"property": "amount", "operator": "gte", "value": amount}]}]}


@pytest.fixture
def deals_type(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        repository = ObjectTypeRepository(session)
        repository.ensure_built_ins(TEAM, START)
        object_type_id = repository.get(TEAM, "deals").id
        repository.declare(object_type_id, SCHEMA)
    return object_type_id


def _empty(session: Session) -> None:
    for table in (ActionResult, Enrollment, RecordSnooze, Run, Workflow, Record):
        session.execute(delete(table))


@settings(max_examples=40)
@given(raw_records=RECORDS, now=NOWS, data=st.data())
def test_the_explanation_says_what_a_run_then_enrolls(
    sessions: sessionmaker[Session],
    deals_type: int,
    raw_records: list[dict[str, Any]],
    now: datetime,
    data: st.DataObject,
) -> None:
    criteria = data.draw(criteria_over(raw_records), label="criteria")
    suppression = data.draw(criteria_over(raw_records), label="suppression")
    removed = data.draw(st.sets(st.integers(0, len(raw_records) - 1), max_size=1))
    # Snoozes that end a minute before or after the run.
    snoozed = data.draw(
        st.dictionaries(st.integers(0, len(raw_records) - 1), st.sampled_from([-1, 1]), max_size=2)
    )
    zone = getattr(now.tzinfo, "key", "UTC")
    document = {
        "name": "Random",
        "object_type": "deals",
        "status": "active",
        "owner": "U0OWNER",
        "schedule": {"frequency": "daily", "time": "09:00", "timezone": zone},
        "criteria": criteria,
        "suppression": suppression,
        "actions": [{"type": "send_channel_message", "channel": DEALS_CHANNEL, "text": "x"}],
    }
    rows = [new_record(deals_type, index, raw) for index, raw in enumerate(raw_records)]
    with transaction(sessions) as session:
        _empty(session)
        RecordRepository(session).insert_many(rows)
        ids = sorted(session.scalars(select(Record.id)))
        gone = [ids[i] for i in removed]
        session.execute(update(Record).where(Record.id.in_(gone)).values(deleted_at=now))
        workflow_id = save_workflow(session, TEAM, document, CLI_ACTOR, "UTC", now).workflow_id
        for index, minutes in snoozed.items():
            until = now + timedelta(minutes=minutes)
            FollowUpRepository(session).snooze(workflow_id, ids[index], until, "U0X", now)
        run_id = request_run(session, TEAM, "Random", CLI_ACTOR, now).run_id
    clock = FixedClock(now)
    notifier = ConsoleNotifier(io.StringIO())
    Engine(sessions, clock, lambda _team: notifier).run_now(run_id)
    with transaction(sessions) as session:
        enrolled = set(session.scalars(select(Enrollment.record_id)))
        workflow = session.scalars(select(Workflow)).one()
        explanations = {
            record.id: explain(session, workflow, record, now, at=now)
            for record in session.scalars(select(Record))
        }
    event("some enrolled, not all" if 0 < len(enrolled) < len(rows) else "all or none")
    assert {i for i, e in explanations.items() if e.enrolled} == enrolled
    for explanation in explanations.values():
        assert explanation.enrolled == _breakdown_verdict(explanation)


def _breakdown_verdict(explanation: Explanation) -> bool:
    """What the filter-by-filter outcomes say: the verdict must follow from them."""
    return (
        not explanation.removed
        and explanation.matches_criteria
        and explanation.suppressed_by is None
        and explanation.snoozed_until is None
    )


# --- Scenarios ----------------------------------------------------------------------------


@pytest.fixture
def deals(sessions: sessionmaker[Session]) -> None:
    import_deals(
        sessions,
        [
            deal("D1", "Acme", amount=6000),
            deal("D2", "Acme Corp", amount=4000),
            deal("D3", "Globex", amount=9000, stage="lost"),
        ],
        START,
    )


def _explain(
    sessions: sessionmaker[Session], typed: str, now: datetime = START, at: datetime | None = None
) -> Explanation:
    with transaction(sessions) as session:
        return explain_by_text(session, TEAM, NAME, typed, now, at)


def test_a_record_below_the_amount_is_not_enrolled_and_the_filter_says_why(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, workflow_document(criteria=amount_at_least(5000)), START)
    explanation = _explain(sessions, "D2")
    assert not explanation.enrolled and explanation.has_next_run
    assert explanation.at == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # the next run
    (group,) = explanation.criteria
    (check,) = group.filters
    assert (check.property, check.value, check.passed) == ("amount", 4000, False)
    assert check.text == "amount is at least 5000"
    assert _explain(sessions, "D1").enrolled


def test_suppression_holds_back_a_record_that_matches(
    sessions: sessionmaker[Session], deals: None
) -> None:
    lost = {"any": [{"all": [{"property": "stage", "operator": "eq", "value": "lost"}]}]}
    document = workflow_document(criteria={}, suppression=lost)
    save(sessions, document, START)
    explanation = _explain(sessions, "D3")
    assert explanation.matches_criteria and explanation.suppressed_by == 1
    assert not explanation.enrolled
    assert _explain(sessions, "D1").enrolled


def test_a_relative_date_is_shown_with_its_bounds_at_the_instant(
    sessions: sessionmaker[Session],
) -> None:
    import_deals(sessions, [deal("D1", close_date="2026-11-12")], START)
    criteria = {
        "any": [{"all": [{"property": "close_date", "operator": "in_next_days", "value": 7}]}]
    }
    save(sessions, workflow_document(criteria=criteria), START)
    before = _explain(sessions, "D1", at=datetime(2026, 11, 4, 9, 0, tzinfo=UTC))
    (check,) = before.criteria[0].filters
    assert check.resolved == "close_date is between 2026-11-04 and 2026-11-11"
    assert not before.enrolled and before.given
    assert _explain(sessions, "D1", at=datetime(2026, 11, 5, 9, 0, tzinfo=UTC)).enrolled


def test_a_name_several_records_share_asks_which_one(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, workflow_document(), START)
    with pytest.raises(AmbiguousRecord) as raised:
        _explain(sessions, "acme")
    assert [c.external_id for c in raised.value.choices] == ["D1", "D2"]
    with transaction(sessions) as session:
        picked = explain_by_ids(
            session, TEAM, raised.value.workflow_id, raised.value.choices[1].id, START
        )
    assert picked.external_id == "D2"
    assert _explain(sessions, "glob").external_id == "D3"  # one match: no question


def test_an_unknown_record_says_what_was_looked_for(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, workflow_document(), START)
    with pytest.raises(UnknownRecord, match="No deals record has the id 'D9'"):
        _explain(sessions, "D9")


def test_a_pause_day_before_the_next_run_is_said(
    sessions: sessionmaker[Session], deals: None
) -> None:
    settings_ = {"pause_days": ["11-02"], "on_pause_day": "skip"}
    save(sessions, workflow_document(settings=settings_), START)
    explanation = _explain(sessions, "D1")
    assert explanation.at == datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    assert explanation.pauses == ("2026-11-02 is a pause day; the workflow skips them",)


def test_past_runs_say_which_enrolled_the_record(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, workflow_document(criteria=amount_at_least(5000)), START)
    notifier = ConsoleNotifier(io.StringIO())
    clock = FixedClock(START + timedelta(hours=1, minutes=1))
    engine = Engine(sessions, clock, lambda _team: notifier)
    engine.tick()  # the 09:00 run: D1 only
    with transaction(sessions) as session:
        session.execute(
            update(Record)
            .where(Record.external_id == "D2")
            .values(properties={"stage": "contract", "amount": 7000.0})
        )
    clock.set(START + timedelta(days=1, hours=1, minutes=1))
    engine.tick()  # the next day's run: D1 and D2
    explanation = _explain(sessions, "D2", now=clock.now())
    assert [(r.scheduled_at.day, r.enrolled) for r in explanation.past_runs] == [
        (3, True),
        (2, False),
    ]
    assert explanation.enrolled


def test_an_instant_given_on_a_pause_day_says_what_the_pause_does(
    sessions: sessionmaker[Session], deals: None
) -> None:
    settings_ = {"pause_days": ["11-05"], "on_pause_day": "defer"}
    weekly = {"frequency": "weekly", "weekdays": ["thu"], "time": "09:00", "timezone": "UTC"}
    save(sessions, workflow_document(schedule=weekly, settings=settings_), START)
    explanation = _explain(sessions, "D1", at=datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    assert explanation.given and explanation.enrolled
    assert explanation.pauses == ("2026-11-05 is a pause day: deferred to 2026-11-06",)
    # Evaluated where the planner runs it, the deferred instant, and said so.
    assert explanation.at == datetime(2026, 11, 6, 9, 0, tzinfo=UTC)
    assert explanation.deferred_from == datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
    assert explanation.no_run_because is None
    assert "where a pause day defers its run of 2026-11-05T09:00" in verdict_line(explanation)


def test_an_instant_given_on_a_skipped_pause_day_says_there_is_no_run_then(
    sessions: sessionmaker[Session], deals: None
) -> None:
    settings_ = {"pause_days": ["11-05"], "on_pause_day": "skip"}
    weekly = {"frequency": "weekly", "weekdays": ["thu"], "time": "09:00", "timezone": "UTC"}
    save(sessions, workflow_document(schedule=weekly, settings=settings_), START)
    explanation = _explain(sessions, "D1", at=datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
    assert explanation.no_run_because == "2026-11-05 is a pause day; the workflow skips them"
    line = verdict_line(explanation)
    assert line.startswith(
        f"{NAME} has no run at 2026-11-05T09:00:00+00:00, because 2026-11-05 is a pause day"
    )
    assert "would be enrolled by" not in line


def test_an_instant_skipped_by_hand_says_who_skipped_it(
    sessions: sessionmaker[Session], deals: None
) -> None:
    saved = save(sessions, workflow_document(), START)
    at = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    with transaction(sessions) as session:
        FollowUpRepository(session).add_skip(
            saved.workflow_id, "2026-11-03T09:00", at, "U0OWNER", START
        )
    explanation = _explain(sessions, "D1", at=at)
    assert explanation.no_run_because == "it was skipped once by hand (Skip next run) by U0OWNER"
    assert _explain(sessions, "D1", at=at + timedelta(days=1)).no_run_because is None


def test_a_picked_workflow_deleted_since_is_said_to_be_gone(
    sessions: sessionmaker[Session], deals: None
) -> None:
    with transaction(sessions) as session, pytest.raises(WorkflowGone):
        explain_by_ids(session, TEAM, 999, 1, START)


def test_a_snoozed_record_is_not_enrolled_and_says_until_when(
    sessions: sessionmaker[Session], deals: None
) -> None:
    saved = save(sessions, workflow_document(criteria=amount_at_least(5000)), START)
    with transaction(sessions) as session:
        d1 = session.scalars(select(Record.id).where(Record.external_id == "D1")).one()
        until = datetime(2026, 11, 4, 0, 0, tzinfo=UTC)
        FollowUpRepository(session).snooze(saved.workflow_id, d1, until, "U0OWNER", START)
    explanation = _explain(sessions, "D1")
    assert not explanation.enrolled and explanation.snoozed_by == "U0OWNER"
    assert explanation.reason == (
        "it matches group 1, but it is snoozed in this workflow until 2026-11-04 00:00 UTC"
    )
    coming = forecast(UnitOfWork(sessions), TEAM, NAME, START, 3)
    # D3 matches too; D1 is back on Wednesday.
    assert [run.matching for run in coming.runs] == [1, 1, 2]


def _run_by_hand(sessions: sessionmaker[Session], engine: Engine, now: datetime) -> None:
    with transaction(sessions) as session:
        request_run(session, TEAM, NAME, CLI_ACTOR, now)
    engine.tick()


def test_manual_runs_of_every_matching_record_are_listed_even_when_they_left_it_out(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, workflow_document(criteria=amount_at_least(5000)), START)
    notifier = ConsoleNotifier(io.StringIO())
    clock = FixedClock(START + timedelta(minutes=1))
    engine = Engine(sessions, clock, lambda _team: notifier)
    _run_by_hand(sessions, engine, clock.now())  # run 1: D1 enrolled
    with transaction(sessions) as session:
        session.execute(
            update(Record).where(Record.external_id == "D1").values(properties={"stage": "new"})
        )
    clock.set(START + timedelta(minutes=2))
    _run_by_hand(sessions, engine, clock.now())  # run 2: D1 has no amount, left out
    with transaction(sessions) as session:
        session.execute(
            update(Record)
            .where(Record.external_id == "D1")
            .values(properties={"stage": "new", "amount": 6000.0})
        )
    clock.set(START + timedelta(minutes=3))
    _run_by_hand(sessions, engine, clock.now())  # run 3: D1 enrolled again
    explanation = _explain(sessions, "D1", now=clock.now())
    assert [(r.scheduled_at.minute, r.enrolled) for r in explanation.past_runs] == [
        (3, True),
        (2, False),
        (1, True),
    ]


def test_past_runs_read_the_type_names_and_property_types_once_however_many(
    sessions: sessionmaker[Session], deals: None
) -> None:
    save(sessions, workflow_document(criteria=amount_at_least(5000)), START)
    notifier = ConsoleNotifier(io.StringIO())
    clock = FixedClock(START + timedelta(minutes=1))
    engine = Engine(sessions, clock, lambda _team: notifier)
    bind = sessions.kw["bind"]
    schema_reads: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM object_types" in statement or "FROM property_definitions" in statement:
            schema_reads.append(statement)

    def reads_explaining() -> tuple[int, int]:
        schema_reads.clear()
        sqlalchemy_event.listen(bind, "before_cursor_execute", count)
        try:
            explanation = _explain(sessions, "D1", now=clock.now())
        finally:
            sqlalchemy_event.remove(bind, "before_cursor_execute", count)
        assert all(past.enrolled for past in explanation.past_runs)
        return len(schema_reads), len(explanation.past_runs)

    _run_by_hand(sessions, engine, clock.now())
    after_one, runs = reads_explaining()
    assert runs == 1
    for minutes in (2, 3):
        clock.set(START + timedelta(minutes=minutes))
        _run_by_hand(sessions, engine, clock.now())

    assert reads_explaining() == (after_one, 3)


@pytest.mark.parametrize(
    ("on_pause_day", "said"),
    [
        ("skip", "2026-12-25 is a public holiday (Christmas Day, US); the workflow skips public"),
        ("defer", "2026-12-25 is a public holiday (Christmas Day, US): the run on 2026-12-26"),
    ],
)
def test_a_settings_holiday_is_named_as_the_public_holiday_it_is(
    sessions: sessionmaker[Session], deals: None, on_pause_day: str, said: str
) -> None:
    settings_ = {"holidays": "US", "on_pause_day": on_pause_day}
    save(sessions, workflow_document(settings=settings_), START)
    explanation = _explain(sessions, "D1", at=datetime(2026, 12, 25, 9, 0, tzinfo=UTC))
    assert (explanation.no_run_because or "").startswith(said)
