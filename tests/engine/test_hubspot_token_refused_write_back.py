"""A token HubSpot refuses (401 or 403) while a run writes back: the records fail with
HubSpot's words, the source is marked failing with them, and the owners of the workflows on
its type are told once, as a failed sync tells them. The real client against the HubSpot
stand-in over HTTP, Slack's stand-in, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.hubspot_portal import BATCH_WRITE
from bot.workflows.hubspot_writes import INTENT_REASON
from storage.database import transaction
from storage.record_sources import RecordSourceRepository
from tests.engine.builders import (
    DEALS_CHANNEL,
    TEAM,
    channel_message,
    save,
    workflow_document,
)
from tests.engine.test_hubspot_write_back import (
    CALL_TASK,
    EXISTING_BUSINESS,
    IN_CONTRACT,
    RUN_TIME,
    Portal,
    first_sync,
    results,
)
from tests.engine.test_hubspot_write_back import portal as portal  # the fixture
from tests.hubspot_source.portal_fixtures import T0
from tests.hubspot_standin import Request
from tests.slack_standin import SlackStandIn

UNAUTHENTICATED = "HubSpot refused the token (401): Authentication credentials not found"
MISSING_SCOPE = "HubSpot refused the token (403): This app hasn't been granted all required scopes"


def notices(slack_api: SlackStandIn) -> list[dict[str, Any]]:
    """What the owners were told of the source (not the runs' summaries)."""
    said = ("refused the changes of the workflow", "failed to sync")
    return [m for m in slack_api.posted_messages() if any(s in m["text"] for s in said)]


def source_error(sessions: sessionmaker[Session]) -> str | None:
    with transaction(sessions) as session:
        source = RecordSourceRepository(session).find(TEAM, "crm")
        assert source is not None
        return source.last_error


def test_a_token_revoked_before_a_run_writes_fails_its_writes_marks_the_source_and_tells_once(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    portal: Portal,
    processes: Any,
    slack_api: SlackStandIn,
) -> None:
    clock.set(RUN_TIME - timedelta(minutes=10))
    first_sync(sessions, clock, portal)  # fresh enough: the run does not sync first
    actions = [EXISTING_BUSINESS, CALL_TASK, channel_message("{{ name }} is in contract")]
    save(sessions, workflow_document(criteria=IN_CONTRACT, actions=actions), clock.now())
    portal.standin.token = "revoked"
    engine = portal.engine(sessions, clock, processes.slack())
    clock.set(RUN_TIME + timedelta(seconds=5))

    [(_run, status)] = engine.tick()

    assert status is not None
    for index in (0, 1):
        outcomes = results(sessions, index)
        assert sorted(outcomes) == ["11", "12", "13"]
        for outcome, reason, _reference in outcomes.values():
            assert outcome == "failed"
            assert reason is not None and reason.startswith(UNAUTHENTICATED), reason
    assert portal.standin.objects.get("tasks", {}) == {}
    # The run went on to its messages.
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 3
    error = source_error(sessions)
    assert error is not None and error.startswith(UNAUTHENTICATED)
    [notice] = notices(slack_api)
    assert notice["channel"] != DEALS_CHANNEL  # a direct message to the owner
    assert "The source *crm* that feeds deals refused the changes of the workflow" in notice["text"]
    assert UNAUTHENTICATED in notice["text"]
    assert "said once per failure" in notice["text"]

    # The next day's run syncs first (its data is a day old) and fails on the same token:
    # the owners were told already.
    clock.set(RUN_TIME + timedelta(days=1, seconds=5))
    [(_run, status)] = engine.tick()
    assert status is not None
    assert len(notices(slack_api)) == 1


def test_a_scope_missing_for_one_action_fails_that_action_only_and_says_why(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    portal: Portal,
    processes: Any,
    slack_api: SlackStandIn,
) -> None:
    clock.set(RUN_TIME - timedelta(minutes=10))
    first_sync(sessions, clock, portal)
    save(
        sessions,
        workflow_document(criteria=IN_CONTRACT, actions=[EXISTING_BUSINESS, CALL_TASK]),
        clock.now(),
    )
    portal.standin.failures.append(403)  # the batch update: no deals write scope
    clock.set(RUN_TIME + timedelta(seconds=5))

    [(_run, status)] = portal.engine(sessions, clock, processes.slack()).tick()

    assert status is not None
    updated = results(sessions, 0)
    assert {k: v[0] for k, v in updated.items()} == dict.fromkeys(("11", "12", "13"), "failed")
    assert all(str(reason).startswith(MISSING_SCOPE) for _o, reason, _r in updated.values())
    assert "give the private app the scope HubSpot names" in str(updated["11"][1])
    # The tasks, which the token may create, were created.
    assert {k: v[0] for k, v in results(sessions, 1).items()} == dict.fromkeys(
        ("11", "12", "13"), "ok"
    )
    assert len(portal.standin.objects["tasks"]) == 3
    error = source_error(sessions)
    assert error is not None and error.startswith(MISSING_SCOPE)
    [notice] = notices(slack_api)
    assert MISSING_SCOPE in notice["text"]


def test_a_token_refused_while_creating_tasks_writes_no_intent_for_the_later_batches(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    portal: Portal,
    processes: Any,
) -> None:
    """An intent says HubSpot may have created the task: the batches after the refusal are
    never sent, so they fail without one."""
    for number in range(BATCH_WRITE - 2):  # with the fixture's three: two batches
        portal.standin.put("deals", str(1000 + number), T0, dealname=f"Deal {number}",
                           dealstage="contractsent")  # fmt: skip
    clock.set(RUN_TIME - timedelta(minutes=10))
    first_sync(sessions, clock, portal)
    save(sessions, workflow_document(criteria=IN_CONTRACT, actions=[CALL_TASK]), clock.now())

    def revoke_after_reading_owners(request: Request) -> None:
        if "/owners" in request.path:
            portal.standin.token = "revoked"

    portal.standin.after_acting = revoke_after_reading_owners
    intended: list[object] = []

    def count_intents(
        _conn: object, _cursor: object, _statement: str, params: Any, *_: Any
    ) -> None:
        rows = params if isinstance(params, list) else [params]
        intended.extend(row for row in rows if INTENT_REASON in repr(row))

    engine = sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", count_intents)
    try:
        clock.set(RUN_TIME + timedelta(seconds=5))
        [(_run, status)] = portal.engine(sessions, clock, processes.slack()).tick()
    finally:
        event.remove(engine, "before_cursor_execute", count_intents)

    assert status is not None
    assert len(intended) == BATCH_WRITE  # the first batch's, sent when the token was refused
    outcomes = results(sessions, 0)
    assert len(outcomes) == BATCH_WRITE + 1
    for outcome, reason, reference in outcomes.values():
        assert (outcome, reference) == ("failed", None)
        assert reason is not None and reason.startswith(UNAUTHENTICATED), reason
