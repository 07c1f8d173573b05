"""The workflows of the run batch tests: channel reminders, workflow ``number`` messaging the
deals of batch ``number`` in a channel of its own, and what their runs posted."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.engine import DEFAULT_LEASE
from bot.workflows.run_batch import MAX_BATCHED_RECORDS
from tests.engine.builders import (
    channel_message,
    deal,
    enrollments,
    import_deals,
    runs,
    save,
    workflow_document,
)
from tests.slack_standin import SlackStandIn

PAST_THE_LEASE = DEFAULT_LEASE + timedelta(seconds=1)


def reminder(number: int, **settings: Any) -> dict[str, Any]:
    """Workflow ``number``: a message per deal of its batch in a channel of its own."""
    return workflow_document(
        name=f"Reminder {number:02}",
        criteria={"any": [{"all": [{"property": "batch", "operator": "eq", "value": number}]}]},
        actions=[channel_message("{{ name }} needs a look", channel=channel(number))],
        settings=settings,
    )


def channel(number: int) -> str:
    return f"C0REMIND{number:02}"


def due_reminders(
    sessions: sessionmaker[Session], clock: FixedClock, count: int, deals_each: int = 1
) -> None:
    import_deals(
        sessions,
        [deal(f"R{w:02}-{d}", batch=w) for w in range(count) for d in range(deals_each)],
        clock.now(),
    )
    for number in range(count):
        save(sessions, reminder(number), clock.now())


def marks(slack_api: SlackStandIn) -> Counter[tuple[int, int, int]]:
    """How many messages in Slack carry each (run, record, action) mark."""
    fields = ("run_id", "record_id", "action_index")
    return Counter(
        tuple(int(m["metadata"]["event_payload"][f]) for f in fields)
        for m in slack_api.posted_messages()
        if "metadata" in m
    )


def expected_marks(sessions: sessionmaker[Session]) -> Counter[tuple[int, int, int]]:
    """One message per enrolled record of every run."""
    return Counter(
        (r.id, e.record_id, 0) for r in runs(sessions) for e in enrollments(sessions, r.id)
    )


def more_than_a_batch_takes(sessions: sessionmaker[Session], clock: FixedClock) -> int:
    """Puts more deals in batch 0 than a batched run may enroll; returns how many."""
    many = MAX_BATCHED_RECORDS + 5
    import_deals(sessions, [deal(f"M{n:03d}", batch=0) for n in range(many)], clock.now())
    return many


def by_workflow(sessions: sessionmaker[Session]) -> list[int]:
    """The runs' ids in the order their workflows were saved."""
    return [r.id for r in sorted(runs(sessions), key=lambda r: r.workflow_id)]


def with_a_run_alone(sessions: sessionmaker[Session], clock: FixedClock, number: int) -> None:
    """Workflow ``number`` posts a digest: never batched, carried out alone after the batch."""
    import_deals(sessions, [deal(f"A{number}", batch=number)], clock.now())
    document = reminder(number)
    document["actions"] = [channel_message(channel=channel(number), mode="digest")]
    save(sessions, document, clock.now())
