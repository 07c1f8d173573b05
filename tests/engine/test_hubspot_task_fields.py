"""create_task's body, priority and owner reach HubSpot: the stand-in sees hs_task_body,
hs_task_priority and hubspot_owner_id of the owner the action names (else the record's);
an owner HubSpot no longer lists fails each record with the reason. The real client against
the HubSpot stand-in over HTTP, on SQLite and PostgreSQL; a local task keeps them too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.vocabulary import PropertyType
from storage.database import transaction
from storage.object_types import ObjectTypeRepository
from tests.engine.builders import deal, import_deals, records_of_type, save, workflow_document
from tests.engine.conftest import Processes
from tests.engine.test_hubspot_write_back import (
    CALL_TASK,
    IN_CONTRACT,
    RUN_TIME,
    Portal,
    first_sync,
    results,
)
from tests.engine.test_hubspot_write_back import portal as portal  # the fixture
from tests.engine.test_runner import run_once as local_run_once

DETAILED_TASK = {
    **CALL_TASK,
    "body": "{{ name }} waits for its signed contract",
    "priority": "high",
}


def run_once(sessions: sessionmaker[Session], clock: FixedClock, portal: Portal, processes: Any,
             task: dict[str, Any]) -> None:  # fmt: skip
    clock.set(RUN_TIME - timedelta(minutes=10))
    first_sync(sessions, clock, portal)  # fresh enough: the run does not sync first
    save(sessions, workflow_document(criteria=IN_CONTRACT, actions=[task]), clock.now())
    clock.set(RUN_TIME + timedelta(seconds=5))
    [(_run, status)] = portal.engine(sessions, clock, processes.slack()).tick()
    assert status is not None


def test_a_task_carries_its_body_and_priority_and_the_records_owner(
    sessions: sessionmaker[Session], clock: FixedClock, portal: Portal, processes: Any
) -> None:
    run_once(sessions, clock, portal, processes, DETAILED_TASK)

    [acme] = portal.standin.tasks_of("deals", "11")
    assert acme.properties["hs_task_body"] == "Acme & Sons waits for its signed contract"
    assert acme.properties["hs_task_priority"] == "HIGH"
    assert acme.properties["hubspot_owner_id"] == "101"  # the deal's owner
    [initech] = portal.standin.tasks_of("deals", "13")
    assert "hubspot_owner_id" not in initech.properties  # the deal has no owner


def test_a_task_for_a_named_owner_goes_to_that_hubspot_user_for_every_record(
    sessions: sessionmaker[Session], clock: FixedClock, portal: Portal, processes: Any
) -> None:
    run_once(sessions, clock, portal, processes, {**CALL_TASK, "owner": "Grace@Example.com"})

    tasks = [t for deal in ("11", "12", "13") for t in portal.standin.tasks_of("deals", deal)]
    assert len(tasks) == 3
    assert {t.properties["hubspot_owner_id"] for t in tasks} == {"102"}
    assert all("hs_task_priority" not in t.properties for t in tasks)
    # No body written: HubSpot's says which workflow made the task.
    assert tasks[0].properties["hs_task_body"].startswith("Created by the workflow ")


def test_an_owner_hubspot_does_not_list_fails_each_record_and_creates_nothing(
    sessions: sessionmaker[Session], clock: FixedClock, portal: Portal, processes: Any
) -> None:
    run_once(sessions, clock, portal, processes, {**CALL_TASK, "owner": "gone@example.com"})

    assert portal.standin.objects.get("tasks", {}) == {}
    outcomes = results(sessions, 0)
    assert sorted(outcomes) == ["11", "12", "13"]
    for outcome, reason, _reference in outcomes.values():
        assert outcome == "failed"
        assert reason is not None
        assert "gone@example.com is not a user of the HubSpot portal" in reason


def test_a_local_task_keeps_its_notes_priority_and_owner(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    """Records imported from files: the task is a record of the tasks type, as before."""
    import_deals(sessions, [deal("D1", name="Acme & Co", owner="U0AAA")], clock.now())
    task = {**DETAILED_TASK, "owner": "ana@example.com"}

    local_run_once(sessions, clock, processes, workflow_document(actions=[task]))

    [created] = records_of_type(sessions, "tasks")
    assert created.name == "Call about Acme & Co"
    assert created.owner == "ana@example.com"
    assert created.properties["priority"] == "high"
    assert created.properties["body"] == "Acme & Co waits for its signed contract"
    with transaction(sessions) as session:
        types = ObjectTypeRepository(session).property_types(created.object_type_id)
        options = ObjectTypeRepository(session).enumeration_options(created.object_type_id)
    assert types["priority"] is PropertyType.ENUMERATION
    assert list(options["priority"]) == ["low", "medium", "high"]


def test_a_tasks_subject_and_body_reach_hubspot_as_typed_with_record_values_as_they_are(
    sessions: sessionmaker[Session], clock: FixedClock, portal: Portal, processes: Any
) -> None:
    """Nothing typed is taken for Slack markup: <Q3>, <!channel>, & and a typed &lt;x&gt;
    arrive as typed, and the deal's name "Acme & Sons" as it is, not as &amp;."""
    typed = "Call <Q3> about <!channel> & Co &lt;x&gt; {{ name }}"
    task = {**CALL_TASK, "title": typed, "body": "<b>{{ name }}</b> & {{ id }}"}

    run_once(sessions, clock, portal, processes, task)

    [acme] = portal.standin.tasks_of("deals", "11")
    assert acme.properties["hs_task_subject"] == (
        "Call <Q3> about <!channel> & Co &lt;x&gt; Acme & Sons"
    )
    assert acme.properties["hs_task_body"] == "<b>Acme & Sons</b> & 11"


def test_a_local_tasks_title_and_notes_are_kept_as_typed(
    sessions: sessionmaker[Session], clock: FixedClock, processes: Processes
) -> None:
    import_deals(sessions, [deal("D1", name="Acme <x> & Co", owner="U0AAA")], clock.now())
    task = {
        "type": "create_task",
        "title": "Call about <!channel> & Co {{ name }}",
        "body": "&lt;typed&gt; {{ owner }}",
        "due_in_days": 2,
    }

    local_run_once(sessions, clock, processes, workflow_document(actions=[task]))

    [created] = records_of_type(sessions, "tasks")
    assert created.name == "Call about <!channel> & Co Acme <x> & Co"
    assert created.properties["body"] == "&lt;typed&gt; @U0AAA"
