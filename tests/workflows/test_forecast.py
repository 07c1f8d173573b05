"""Forecasts: the next runs as the planner makes them, each counted at its own instant, and
several instants counted in one pass exactly as each would be counted alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.criteria import parse_criteria
from bot.workflows.forecast import count_at, forecast
from storage.criteria_sql import enrollment_criteria_clause
from storage.database import transaction
from storage.models import Record
from storage.record_search import RecordSearch
from storage.records import RecordRepository
from storage.unit_of_work import UnitOfWork
from tests.engine.builders import NAME, TEAM, daily, deal, import_deals, save, workflow_document
from tests.storage.test_criteria_sql import NOWS, RECORDS, SCHEMA, criteria_over, new_record
from tests.workflows.test_explanations import deals_type  # noqa: F401 (a fixture)

MONDAY = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
CLOSING_SOON = {
    "any": [{"all": [{"property": "close_date", "operator": "in_next_days", "value": 7}]}]
}


def _forecast(sessions: sessionmaker[Session], runs: int = 5) -> list[tuple[str, int | None]]:
    coming = forecast(UnitOfWork(sessions), TEAM, NAME, MONDAY, runs)
    return [(f"{run.run.at:%a %H:%M}", run.matching) for run in coming.runs]


def test_a_deal_whose_close_date_enters_the_window_on_thursday_counts_from_thursday(
    sessions: sessionmaker[Session],
) -> None:
    import_deals(
        sessions, [deal("D1", close_date="2026-11-12"), deal("D2", close_date="2026-11-03")], MONDAY
    )
    save(sessions, workflow_document(criteria=CLOSING_SOON), MONDAY)
    assert _forecast(sessions) == [
        ("Mon 09:00", 1),  # D2 only
        ("Tue 09:00", 1),
        ("Wed 09:00", 0),  # D2 closed yesterday; D1 is 8 days away
        ("Thu 09:00", 1),  # D1 is 7 days away
        ("Fri 09:00", 1),
    ]


def test_pause_days_skip_or_defer_the_forecast_runs_as_they_do_runs(
    sessions: sessionmaker[Session],
) -> None:
    import_deals(sessions, [deal("D1")], MONDAY)
    weekly = {"frequency": "weekly", "weekdays": ["mon", "wed"], "time": "09:00", "timezone": "UTC"}
    document = workflow_document(
        schedule=weekly, settings={"pause_days": ["11-02", "11-04"], "on_pause_day": "defer"}
    )
    save(sessions, document, MONDAY)
    coming = forecast(UnitOfWork(sessions), TEAM, NAME, MONDAY, 3)
    shown = [(f"{r.run.at:%a %d}", r.run.skipped, r.run.reason, r.matching) for r in coming.runs]
    assert shown == [
        ("Tue 03", False, "2026-11-02 is a pause day: deferred to 2026-11-03", 1),
        ("Thu 05", False, "2026-11-04 is a pause day: deferred to 2026-11-05", 1),
        ("Mon 09", False, None, 1),
    ]


def test_skipped_runs_are_listed_without_a_count_and_do_not_count_as_runs(
    sessions: sessionmaker[Session],
) -> None:
    import_deals(sessions, [deal("D1")], MONDAY)
    document = workflow_document(
        schedule=daily("09:00"), settings={"pause_days": ["11-03"], "on_pause_day": "skip"}
    )
    save(sessions, document, MONDAY)
    assert _forecast(sessions, 2) == [("Mon 09:00", 1), ("Tue 09:00", None), ("Wed 09:00", 1)]


@settings(max_examples=60)
@given(raw_records=RECORDS, data=st.data())
def test_counts_in_one_pass_equal_each_run_counted_alone(
    sessions: sessionmaker[Session],
    deals_type: int,  # noqa: F811
    raw_records: list[dict[str, Any]],
    data: st.DataObject,
) -> None:
    raw_criteria = data.draw(criteria_over(raw_records), label="criteria")
    if data.draw(st.booleans(), label="add a relative date to each group"):
        # Relative dates are what make runs count differently: make them frequent.
        window = data.draw(
            st.fixed_dictionaries(
                {
                    "property": st.sampled_from(["d", "t", "created_at"]),
                    "operator": st.sampled_from(["in_last_days", "in_next_days"]),
                    "value": st.integers(0, 5),
                }
            )
        )
        raw_criteria = {"any": [{"all": [*g["all"], window]} for g in raw_criteria["any"]]}
    criteria = parse_criteria(raw_criteria, SCHEMA)
    suppression = parse_criteria(data.draw(criteria_over(raw_records), label="sup"), SCHEMA)
    first = data.draw(NOWS, label="first instant")
    days = data.draw(st.lists(st.integers(0, 9), min_size=1, max_size=6), label="days")
    instants = [first + timedelta(days=day) for day in days]
    rows = [new_record(deals_type, index, raw) for index, raw in enumerate(raw_records)]
    with transaction(sessions) as session:
        session.execute(delete(Record))
        RecordRepository(session).insert_many(rows)
        together = count_at(session, deals_type, criteria, suppression, SCHEMA, instants)
        search = RecordSearch(session)
        alone = [
            search.count(
                deals_type,
                enrollment_criteria_clause(
                    criteria.at(at, SCHEMA), suppression.at(at, SCHEMA), SCHEMA, search.dialect
                ),
            )
            for at in instants
        ]
        assert session.scalar(select(Record.id).limit(1)) is not None
    resolved = {(criteria.at(at, SCHEMA), suppression.at(at, SCHEMA)) for at in instants}
    event("one pass over several resolutions" if len(resolved) > 1 else "one resolution")
    event("counts differ between runs" if len(set(alone)) > 1 else "counts alike")
    assert together == alone
