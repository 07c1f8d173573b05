"""A run batch enrolls from queries compiled once per shape of criteria
(storage.enrollment_sql): each run binds its own values, relative dates resolved at its own
instant, and an edited workflow's next run uses its new criteria."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.vocabulary import PropertyType, RunStatus
from storage.enrollment_sql import COMPILED
from tests.engine.batch_reminders import by_workflow, channel, reminder
from tests.engine.builders import (
    deal,
    enrollments,
    import_deals,
    record_ids,
    runs,
    save,
)
from tests.engine.conftest import Processes
from tests.slack_standin import SlackStandIn

JUST_AFTER = datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC)
DAY = timedelta(days=1)


def criteria(*filters: dict[str, Any]) -> dict[str, Any]:
    return {"any": [{"all": list(filters)}]}


def batch_is(number: int) -> dict[str, Any]:
    return {"property": "batch", "operator": "eq", "value": number}


def enrolled(sessions: sessionmaker[Session], run_id: int) -> set[str]:
    """The external ids of the deals the run enrolled."""
    external = {id_: name for name, id_ in record_ids(sessions).items()}
    return {external[e.record_id] for e in enrollments(sessions, run_id)}


def save_reminder(
    sessions: sessionmaker[Session],
    now: datetime,
    number: int,
    *filters: dict[str, Any],
    **fields: Any,
) -> None:
    """Saves reminder `number` (with `fields` set), enrolling the records of its batch that
    pass `filters`."""
    document = reminder(number) | fields
    document["criteria"] = criteria(batch_is(number), *filters)
    save(sessions, document, now)


def statuses_just_after(clock: FixedClock, processes: Processes) -> list[RunStatus | None]:
    """How each run due at JUST_AFTER ended, run by one process."""
    clock.set(JUST_AFTER)
    return [status for _, status in processes.start("host-1").tick()]


def test_workflows_whose_criteria_share_a_shape_each_enroll_their_own_records(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    # Each workflow: its batch, in one of its stages, above its amount; a deal of each batch
    # fails each of the three.
    import_deals(
        sessions,
        [
            row
            for n in range(4)
            for row in (
                deal(f"W{n}-yes", batch=n, stage=f"stage {n}", amount=100 * n + 1),
                deal(f"W{n}-stage", batch=n, stage="lost", amount=100 * n + 1),
                deal(f"W{n}-amount", batch=n, stage=f"stage {n}", amount=100 * n),
            )
        ],
        clock.now(),
    )
    for number in range(4):
        save_reminder(
            sessions,
            clock.now(),
            number,
            {"property": "stage", "operator": "in", "value": [f"Stage {number}", "other"]},
            {"property": "amount", "operator": "gt", "value": 100 * number},
        )
    compiled_before = COMPILED.compilations

    assert statuses_just_after(clock, processes) == [RunStatus.SUCCEEDED] * 4
    assert [enrolled(sessions, r) for r in by_workflow(sessions)] == [
        {f"W{n}-yes"} for n in range(4)
    ]
    assert [len(slack_api.posted_messages(channel(n))) for n in range(4)] == [1] * 4
    # One shape: compiled once at most (not at all when an earlier test compiled it).
    assert COMPILED.compilations - compiled_before <= 1


def test_workflows_of_two_object_types_whose_property_of_one_name_differs_in_type_each_enroll_right(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
) -> None:
    # A deal's amount is a number (10 and 10.0 equal); a ticket's, text (they differ): the
    # same criteria shape but for the type, compiled to different SQL.
    import_deals(
        sessions,
        [deal("D10", batch=0, amount="10"), deal("D10.0", batch=0, amount="10.0")],
        clock.now(),
    )
    import_deals(
        sessions,
        [deal("T10", batch=1, amount="10"), deal("T10.0", batch=1, amount="10.0")],
        clock.now(),
        type_name="tickets",
        property_types={"batch": PropertyType.NUMBER, "amount": PropertyType.STRING},
    )
    for number, object_type, amount in [(0, "deals", 10), (1, "tickets", "10.0")]:
        amount_is = {"property": "amount", "operator": "eq", "value": amount}
        save_reminder(sessions, clock.now(), number, amount_is, object_type=object_type)

    assert statuses_just_after(clock, processes) == [RunStatus.SUCCEEDED] * 2
    assert [enrolled(sessions, r) for r in by_workflow(sessions)] == [{"D10", "D10.0"}, {"T10.0"}]


def test_an_edited_workflows_next_run_enrolls_by_its_new_criteria(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
) -> None:
    import_deals(
        sessions,
        [deal("B0", batch=0), deal("B1", batch=1), deal("B2", batch=2, stage="lost")],
        clock.now(),
    )
    save(sessions, reminder(0), clock.now())
    bot = processes.start("host-1")
    clock.set(JUST_AFTER)
    bot.tick()

    # The same shape with another value, then another shape.
    edited = reminder(0)
    edited["criteria"] = criteria(batch_is(1))
    save(sessions, edited, clock.now())
    clock.set(JUST_AFTER + DAY)
    bot.tick()
    edited["criteria"] = criteria(
        batch_is(2), {"property": "stage", "operator": "eq", "value": "lost"}
    )
    save(sessions, edited, clock.now())
    clock.set(JUST_AFTER + 2 * DAY)
    bot.tick()

    assert [r.status for r in runs(sessions)] == [RunStatus.SUCCEEDED] * 3
    assert [enrolled(sessions, r.id) for r in runs(sessions)] == [{"B0"}, {"B1"}, {"B2"}]


def test_a_relative_date_is_resolved_at_each_runs_own_instant(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
) -> None:
    import_deals(
        sessions,
        [
            deal("Monday", batch=0, touched_at=datetime(2026, 11, 2, 8, tzinfo=UTC)),
            deal("Tuesday", batch=0, touched_at=datetime(2026, 11, 3, 8, tzinfo=UTC)),
        ],
        clock.now(),
    )
    touched_today = {"property": "touched_at", "operator": "in_last_days", "value": 1}
    save_reminder(sessions, clock.now(), 0, touched_today)
    bot = processes.start("host-1")

    clock.set(JUST_AFTER)
    bot.tick()
    clock.set(JUST_AFTER + DAY)
    bot.tick()

    assert [enrolled(sessions, r.id) for r in runs(sessions)] == [{"Monday"}, {"Tuesday"}]
