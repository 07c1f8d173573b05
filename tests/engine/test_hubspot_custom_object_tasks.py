"""create_task on a HubSpot custom object's records: the task is associated through the
custom object's default (unlabeled) association type, read once per run from HubSpot's v4
associations labels, and a run that never heard HubSpot's answer finds its tasks again
through the record's task associations instead of creating them twice. The real client
against the HubSpot stand-in over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.hubspot.rate_limit import SteppedTime
from bot.workflows.clock import FixedClock
from bot.workflows.hubspot_portal import NewTask
from bot.workflows.hubspot_sync import ObjectToSync
from bot.workflows.sources import NewHubSpotSource, add_hubspot_sources, sync_source
from storage.database import write_transaction
from storage.object_types import ObjectTypeRepository
from storage.record_sources import RecordSourceRepository
from tests.engine.builders import TEAM, save, workflow_document
from tests.engine.test_hubspot_write_back import (
    CALL_TASK,
    KILL_PATIENCE,
    RUN_TIME,
    DroppedConnection,
    Portal,
    results,
)
from tests.hubspot_source.portal_fixtures import T0, client, deal_portal
from tests.hubspot_standin import TOKEN, HubSpotStandIn, PortalObject, Request, iso

CARS = "2-3444025"  # the custom object's objectTypeId, as HubSpot's APIs take it
INSPECTED = {"any": [{"all": [{"property": "year", "operator": "gte", "value": 1900}]}]}
# HubSpot lists a labeled association type besides the unlabeled one: the task gets the
# unlabeled one, which shows it on the record's timeline without a label.
CAR_TASK_LABELS = [
    {"category": "USER_DEFINED", "typeId": 77, "label": "Inspector"},
    {"category": "USER_DEFINED", "typeId": 78, "label": None},
]


def car_portal(time: SteppedTime) -> HubSpotStandIn:
    standin = deal_portal(time)
    standin.schema_list = [
        {
            "id": "3444025",
            "name": "cars",
            "objectTypeId": CARS,
            "fullyQualifiedName": "p1234_cars",
            "primaryDisplayProperty": "model",
            "labels": {"singular": "Car", "plural": "Cars"},
        }
    ]
    standin.define(
        CARS,
        {"name": "model", "label": "Model", "type": "string", "fieldType": "text"},
        {"name": "year", "label": "Year", "type": "number", "fieldType": "number"},
        {"name": "hubspot_owner_id", "label": "Owner", "type": "enumeration",
         "fieldType": "select"},
    )  # fmt: skip
    standin.task_labels[CARS] = CAR_TASK_LABELS
    standin.put(CARS, "1", T0, model="Model T", year="1908", hubspot_owner_id="101")
    standin.put(CARS, "2", T0, model="Beetle", year="1938")
    standin.put(CARS, "3", T0, model="Mini", year="1959", hubspot_owner_id="102")
    return standin


@pytest.fixture
def portal(clock: FixedClock) -> Iterator[Portal]:
    time = SteppedTime()
    standin = car_portal(time)
    standin.now_ms = lambda: round(clock.now().timestamp() * 1000)
    with standin.serving() as url:
        yield Portal(standin, url, time)


def first_sync_of_cars(sessions: sessionmaker[Session], clock: FixedClock, portal: Portal) -> None:
    with write_transaction(sessions) as session:
        ObjectTypeRepository(session).ensure_built_ins(TEAM, clock.now())
        new = NewHubSpotSource("crm", "HUBSPOT_TOKEN", max_staleness=timedelta(hours=1))
        cars = ObjectToSync("cars", CARS, "model")
        add_hubspot_sources(session, TEAM, new, [cars], clock.now())
        source = RecordSourceRepository(session).find(TEAM, "crm")
        assert source is not None
        source_id = source.id
    synced = sync_source(
        sessions,
        source_id,
        "process-a",
        clock,
        {"HUBSPOT_TOKEN": TOKEN, "HUBSPOT_API_URL": portal.url}.get,
        portals=lambda token, url: client(url or "", portal.time, token),
    )
    assert synced.error is None


def car_workflow() -> dict[str, Any]:
    return workflow_document(object_type="cars", criteria=INSPECTED, actions=[CALL_TASK])


def test_tasks_on_a_custom_objects_records_are_associated_through_its_default_type(
    sessions: sessionmaker[Session], clock: FixedClock, portal: Portal, processes: Any
) -> None:
    clock.set(RUN_TIME - timedelta(minutes=10))
    first_sync_of_cars(sessions, clock, portal)
    save(sessions, car_workflow(), clock.now())
    clock.set(RUN_TIME + timedelta(seconds=5))

    [(_run, status)] = portal.engine(sessions, clock, processes.slack()).tick()

    assert status is not None and status.value == "succeeded"
    assert portal.requests_to("/tasks/batch/create") == 1
    # The association types are read once for the run, not once per task.
    assert portal.requests_to(f"/associations/tasks/{CARS}/labels") == 1
    [model_t_task] = portal.standin.tasks_of(CARS, "1")
    assert model_t_task.properties["hs_task_subject"] == "Call about Model T"
    assert model_t_task.properties["hubspot_owner_id"] == "101"
    assert model_t_task.properties["hs_timestamp"] == "2026-12-09T09:00:00.000Z"
    assert portal.standin.associations[model_t_task.id] == [(CARS, "1", 78)]
    assert [len(portal.standin.tasks_of(CARS, c)) for c in ("1", "2", "3")] == [1, 1, 1]
    tasks = results(sessions, 0)
    assert {car: outcome for car, (outcome, _r, _ref) in tasks.items()} == dict.fromkeys(
        ("1", "2", "3"), "ok"
    )
    assert tasks["1"][2] == {"hubspot": {"task_id": model_t_task.id}}


def test_a_run_that_never_heard_hubspot_create_a_custom_objects_tasks_finds_them(
    sessions: sessionmaker[Session], clock: FixedClock, portal: Portal, processes: Any
) -> None:
    clock.set(RUN_TIME - timedelta(minutes=10))
    first_sync_of_cars(sessions, clock, portal)
    save(sessions, car_workflow(), clock.now())
    # The Model T has a task of the same subject and due time from long ago, and one of
    # the same subject due another day: neither is the run's.
    old = {"hs_task_subject": "Call about Model T", "hs_timestamp": "2026-12-09T09:00:00.000Z"}
    portal.standin.objects["tasks"] = {
        "500": PortalObject("500", {**old, "hs_createdate": iso(T0)}, T0),
        "501": PortalObject(
            "501",
            {**old, "hs_timestamp": "2026-12-10T09:00:00.000Z",
             "hs_createdate": iso(round(RUN_TIME.timestamp() * 1000))},
            T0,
        ),
    }  # fmt: skip
    portal.standin.associations = {"500": [(CARS, "1", 78)], "501": [(CARS, "1", 78)]}
    clock.set(RUN_TIME + timedelta(seconds=5))

    def break_after_creating(request: Request) -> None:
        # HubSpot creates the tasks; the answer never reaches the bot (as if it had died).
        if request.path.endswith("/tasks/batch/create"):
            portal.standin.after_acting = None
            raise DroppedConnection

    portal.standin.after_acting = break_after_creating
    engine = portal.engine(sessions, clock, processes.slack())
    [(_run, postponed)] = engine.tick()

    assert postponed is None
    assert len(portal.standin.objects["tasks"]) == 2 + 3
    assert {o for o, _r, _ref in results(sessions, 0).values()} == {"unknown"}

    clock.set(RUN_TIME + timedelta(minutes=5))  # the lease has run out: claimed again
    [(_run, status)] = engine.tick()

    assert status is not None and status.value == "succeeded"
    # Found through each car's task associations and a batch read of those tasks.
    assert portal.requests_to("/tasks/batch/create") == 1
    assert portal.requests_to(f"/associations/{CARS}/tasks/batch/read") == 3
    assert len(portal.standin.objects["tasks"]) == 5
    tasks = results(sessions, 0)
    assert {o for o, _r, _ref in tasks.values()} == {"ok"}
    created = {t.id for c in ("1", "2", "3") for t in portal.standin.tasks_of(CARS, c)}
    recorded = {reference["hubspot"]["task_id"] for _o, _r, reference in tasks.values()}
    assert recorded == created - {"500", "501"}
    assert len(recorded) == 3


def test_a_process_killed_after_hubspot_created_a_custom_objects_tasks_resumes_without_duplicates(
    database_url: str,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    portal: Portal,
    processes: Any,
) -> None:
    for number in range(10, 160):
        portal.standin.put(CARS, str(number), T0, model=f"Car {number}", year="2001")
    clock.set(RUN_TIME - timedelta(minutes=10))
    first_sync_of_cars(sessions, clock, portal)
    save(sessions, car_workflow(), clock.now())
    clock.set(RUN_TIME + timedelta(seconds=5))
    # 153 cars: two batches of tasks. The process is killed (SIGKILL) once HubSpot has
    # created the second batch, before it hears so and so before it notes it.
    creates: list[str] = []
    doomed: list[subprocess.Popen[str]] = []

    def kill_at_second_create(request: Request) -> None:
        if request.path.endswith("/tasks/batch/create"):
            creates.append(request.path)
            if len(creates) == 2:
                doomed[0].kill()

    portal.standin.after_acting = kill_at_second_create
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.write_back_process", database_url, portal.url,
         clock.now().isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    doomed.append(process)
    watchdog = threading.Timer(KILL_PATIENCE, process.kill)
    watchdog.start()
    try:
        output, _ = process.communicate()
    finally:
        watchdog.cancel()
    assert len(creates) == 2, output
    assert process.returncode == -signal.SIGKILL, output
    assert len(portal.standin.objects["tasks"]) == 153
    portal.standin.after_acting = None

    clock.set(RUN_TIME + timedelta(minutes=10))  # the dead process's lease has run out
    [(_run, status)] = portal.engine(sessions, clock, processes.slack()).tick()

    assert status is not None and status.value == "succeeded"
    cars = [str(n) for n in (1, 2, 3, *range(10, 160))]
    assert [len(portal.standin.tasks_of(CARS, c)) for c in cars] == [1] * len(cars)
    assert portal.requests_to("/tasks/batch/create") == 2  # none sent again
    tasks = results(sessions, 0)
    assert sorted(tasks) == sorted(cars)
    assert {outcome for outcome, _reason, _reference in tasks.values()} == {"ok"}
    recorded = {reference["hubspot"]["task_id"] for _o, _r, reference in tasks.values()}
    assert recorded == set(portal.standin.objects["tasks"])


# The adapter against the stand-in, without a run --------------------------------------


def task_on(object_type: str, object_id: str, subject: str = "Call") -> NewTask:
    properties = {"hs_task_subject": subject, "hs_timestamp": "2026-12-09T09:00:00.000Z"}
    return NewTask(f"key-{object_id}", properties, object_type, object_id)


def test_an_object_type_hubspot_does_not_know_fails_its_tasks_with_hubspots_words() -> None:
    time = SteppedTime()
    standin = car_portal(time)
    with standin.serving() as url:
        answer = client(url, time).create_tasks([task_on("2-999", "1"), task_on(CARS, "2")])
    assert answer.refused == {
        "key-1": "no task can be associated with the object type 2-999 (HubSpot answered "
        "400 to association_labels: Unable to infer object type from: 2-999): check that the "
        "custom object still exists in HubSpot"
    }
    assert list(answer.accepted) == ["key-2"]
    assert list(standin.associations.values()) == [[(CARS, "2", 78)]]


def test_a_custom_object_with_only_labeled_task_associations_gets_no_task() -> None:
    time = SteppedTime()
    standin = car_portal(time)
    standin.task_labels[CARS] = CAR_TASK_LABELS[:1]
    with standin.serving() as url:
        answer = client(url, time).create_tasks([task_on(CARS, "1")])
    assert answer.accepted == {}
    assert answer.refused["key-1"].startswith(
        "HubSpot lists no unlabeled association from tasks to the object type 2-3444025"
    )
    assert "tasks" not in standin.objects


def test_a_custom_objects_task_is_found_past_the_first_page_of_its_associations() -> None:
    time = SteppedTime()
    standin = car_portal(time)
    standin.association_page = 2
    with standin.serving() as url:
        portal = client(url, time)
        for subject in ("First", "Second", "Third"):
            portal.create_tasks([task_on(CARS, "1", subject)])
        found = portal.find_task(task_on(CARS, "1", "Third"), T0)
        nowhere = portal.find_task(task_on(CARS, "2", "Third"), T0)
        missing = portal.find_task(task_on(CARS, "1", "Fourth"), T0)
    [third] = [t for t in standin.tasks_of(CARS, "1") if t.properties["hs_task_subject"] == "Third"]
    assert found == third.id
    assert nowhere is None and missing is None
