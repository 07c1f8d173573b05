"""Writing back to HubSpot: a scheduled run on deals synced from a portal (the real client,
the HubSpot stand-in over HTTP) posts to Slack (the Slack stand-in), sets a property through
HubSpot's batch update and creates HubSpot tasks associated with the deals; what HubSpot
refuses fails that record with HubSpot's words while the others are written. On SQLite and
PostgreSQL."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.hubspot.rate_limit import SteppedTime
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine
from bot.workflows.hubspot_sync import ObjectToSync
from bot.workflows.hubspot_writes import TASK_NOT_CONFIRMED, logged_ids
from bot.workflows.lifecycle import CLI_ACTOR, WorkflowError
from bot.workflows.run_followups import retry
from bot.workflows.runner import MAX_ATTEMPTS
from bot.workflows.sources import NewHubSpotSource, add_hubspot_sources, sync_source
from bot.workflows.vocabulary import PropertyType, RunStatus, SourceKind
from storage.database import transaction, write_transaction
from storage.models import ActionResult, Record, RecordSource, Workflow
from storage.object_types import ObjectTypeRepository
from storage.record_removal import RecordRemoval
from storage.record_sources import RecordSourceRepository
from storage.unit_of_work import UnitOfWork
from tests.engine.builders import DEALS_CHANNEL, TEAM, channel_message, save, workflow_document
from tests.hubspot_source.portal_fixtures import T0, client, deal_portal
from tests.hubspot_standin import TOKEN, HubSpotStandIn, Request
from tests.slack_standin import SlackStandIn

RUN_TIME = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
IN_CONTRACT = {
    "any": [{"all": [{"property": "dealstage", "operator": "eq", "value": "contractsent"}]}]
}
EXISTING_BUSINESS = {"type": "set_property", "property": "dealtype", "value": "existingbusiness"}
CALL_TASK = {"type": "create_task", "title": "Call about {{ name }}", "due_in_days": 2}


@dataclass
class Portal:
    standin: HubSpotStandIn
    url: str
    time: SteppedTime

    def engine(self, sessions: sessionmaker[Session], clock: FixedClock, slack: Any) -> Engine:
        environment = {"HUBSPOT_TOKEN": TOKEN, "HUBSPOT_API_URL": self.url}
        return Engine(
            sessions,
            clock,
            lambda _team: slack,
            owner="process-a",
            environment=environment.get,
            portals=lambda token, url: client(url or "", self.time, token),
        )

    def requests_to(self, path_end: str) -> int:
        return sum(1 for r in self.standin.requests if r.path.endswith(path_end))


@pytest.fixture
def portal(clock: FixedClock) -> Iterator[Portal]:
    time = SteppedTime()
    standin = deal_portal(time)
    # HubSpot stamps what it writes with its own clock: here the test's.
    standin.now_ms = lambda: round(clock.now().timestamp() * 1000)
    standin.property_definitions["deals"].append(
        {
            "name": "hs_deal_score",
            "label": "Deal score",
            "type": "string",
            "fieldType": "text",
            "modificationMetadata": {"readOnlyValue": True, "archivable": False},
        }
    )
    standin.put("deals", "11", T0, dealname="Acme & Sons", dealstage="contractsent",
                hubspot_owner_id="101", dealtype="newbusiness")  # fmt: skip
    standin.put("deals", "12", T0, dealname="Globex", dealstage="contractsent",
                hubspot_owner_id="102", dealtype="newbusiness")  # fmt: skip
    standin.put("deals", "13", T0, dealname="Initech", dealstage="contractsent")
    standin.put("deals", "14", T0, dealname="Umbrella", dealstage="closedwon")
    with standin.serving() as url:
        yield Portal(standin, url, time)


def connect_source(sessions: sessionmaker[Session], clock: FixedClock) -> int:
    with write_transaction(sessions) as session:
        ObjectTypeRepository(session).ensure_built_ins(TEAM, clock.now())
        new = NewHubSpotSource("crm", "HUBSPOT_TOKEN", max_staleness=timedelta(hours=1))
        add_hubspot_sources(session, TEAM, new, [ObjectToSync("deals", "deals")], clock.now())
        source = RecordSourceRepository(session).find(TEAM, "crm")
        assert source is not None
        return source.id


def first_sync(sessions: sessionmaker[Session], clock: FixedClock, portal: Portal) -> None:
    """Adds the HubSpot source of deals and syncs it, as `sources add` and `sources sync` do:
    the deals' properties are then known to the workflows saved."""
    source_id = connect_source(sessions, clock)
    synced = sync_source(
        sessions,
        source_id,
        "process-a",
        clock,
        {"HUBSPOT_TOKEN": TOKEN, "HUBSPOT_API_URL": portal.url}.get,
        portals=lambda token, url: client(url or "", portal.time, token),
    )
    assert synced.error is None


def results(sessions: sessionmaker[Session], index: int) -> dict[str, tuple[str, str | None, Any]]:
    """External id -> (outcome, reason, reference) of action ``index``."""
    with transaction(sessions) as session:
        rows = session.execute(
            select(Record.external_id, ActionResult.outcome, ActionResult.reason,
                   ActionResult.reference)
            .join(Record, Record.id == ActionResult.record_id)
            .where(ActionResult.action_index == index)
        )  # fmt: skip
        return {external_id: (o, r, ref) for external_id, o, r, ref in rows}


def local_value(sessions: sessionmaker[Session], external_id: str, name: str) -> Any:
    with transaction(sessions) as session:
        record = session.scalars(select(Record).where(Record.external_id == external_id)).one()
        return record.properties.get(name)


def test_a_scheduled_run_writes_its_changes_to_hubspot_and_posts_to_slack(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    portal: Portal,
    processes: Any,
    slack_api: SlackStandIn,
) -> None:
    clock.set(RUN_TIME - timedelta(hours=2))
    first_sync(sessions, clock, portal)
    # Changed in HubSpot since: the run syncs first (its data is older than an hour).
    portal.standin.put("deals", "13", T0 + 1, dealname="Initech", dealstage="contractsent")
    portal.standin.put("deals", "14", T0 + 1, dealname="Umbrella", dealstage="contractsent")
    portal.standin.archive("deals", "14")
    text = "{{ name }} is in contract"
    actions = [channel_message(text), EXISTING_BUSINESS, CALL_TASK]
    save(sessions, workflow_document(criteria=IN_CONTRACT, actions=actions), clock.now())
    clock.set(RUN_TIME + timedelta(seconds=5))

    [(_run, status)] = portal.engine(sessions, clock, processes.slack()).tick()

    assert status is not None and status.value == "succeeded"
    # The run synced the portal first (Umbrella left, Initech changed), then posted.
    posted = sorted(m["text"] for m in slack_api.posted_messages(DEALS_CHANNEL))
    assert posted == [
        "Acme &amp; Sons is in contract",
        "Globex is in contract",
        "Initech is in contract",
    ]
    # One batch update for the three deals, and HubSpot holds the new value.
    assert portal.requests_to("/deals/batch/update") == 1
    deals = portal.standin.objects["deals"]
    assert [deals[i].properties.get("dealtype") for i in ("11", "12", "13", "14")] == [
        "existingbusiness",
        "existingbusiness",
        "existingbusiness",
        None,
    ]
    assert local_value(sessions, "12", "dealtype") == "existingbusiness"
    assert {k: v[0] for k, v in results(sessions, 1).items()} == dict.fromkeys(
        ("11", "12", "13"), "ok"
    )
    # One batch create for the three tasks, each associated with its deal (HubSpot's
    # task-to-deal type 216), owned by the deal's owner, due two days after the run.
    assert portal.requests_to("/tasks/batch/create") == 1
    [acme_task] = portal.standin.tasks_of("deals", "11")
    assert acme_task.properties["hs_task_subject"] == "Call about Acme & Sons"
    assert acme_task.properties["hubspot_owner_id"] == "101"
    assert acme_task.properties["hs_timestamp"] == "2026-12-09T09:00:00.000Z"
    assert portal.standin.associations[acme_task.id] == [("deals", "11", 216)]
    [initech_task] = portal.standin.tasks_of("deals", "13")
    assert "hubspot_owner_id" not in initech_task.properties  # the deal has no owner
    tasks = results(sessions, 2)
    assert tasks["11"][0] == "ok"
    assert tasks["11"][2] == {"hubspot": {"task_id": acme_task.id}}
    assert len(portal.standin.objects["tasks"]) == 3


def test_what_hubspot_refuses_fails_that_record_with_hubspots_words_and_the_run_goes_on(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    portal: Portal,
    processes: Any,
    slack_api: SlackStandIn,
) -> None:
    clock.set(RUN_TIME - timedelta(minutes=10))
    first_sync(sessions, clock, portal)
    # Deleted in HubSpot after the last sync, which is recent enough for the run.
    portal.standin.archive("deals", "12")
    actions = [EXISTING_BUSINESS, CALL_TASK, channel_message()]
    save(sessions, workflow_document(criteria=IN_CONTRACT, actions=actions), clock.now())
    clock.set(RUN_TIME + timedelta(seconds=5))

    [(_run, status)] = portal.engine(sessions, clock, processes.slack()).tick()

    assert status is not None
    updated = results(sessions, 0)
    assert updated["11"][0] == updated["13"][0] == "ok"
    outcome, reason, _reference = updated["12"]
    assert outcome == "failed"
    assert reason is not None and reason.startswith("HubSpot refused it: Could not get some deals")
    # Not written locally either: the local copy follows HubSpot.
    assert local_value(sessions, "12", "dealtype") == "newbusiness"
    assert local_value(sessions, "11", "dealtype") == "existingbusiness"
    tasks = results(sessions, 1)
    assert tasks["12"][0] == "failed" and "Could not find deals with id 12" in str(tasks["12"][1])
    assert tasks["11"][0] == "ok"
    # The run went on to its message for every deal.
    assert len(slack_api.posted_messages(DEALS_CHANNEL)) == 3


def test_a_read_only_property_fails_each_record_with_hubspots_message(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    portal: Portal,
    processes: Any,
) -> None:
    clock.set(RUN_TIME - timedelta(minutes=10))
    first_sync(sessions, clock, portal)
    score = {"type": "set_property", "property": "hs_deal_score", "value": "high"}
    save(sessions, workflow_document(criteria=IN_CONTRACT, actions=[score]), clock.now())
    clock.set(RUN_TIME + timedelta(seconds=5))

    [(_run, status)] = portal.engine(sessions, clock, processes.slack()).tick()

    assert status is not None and status.value == "failed"
    said = '"hs_deal_score" is a read only property; its value cannot be set.'
    assert {k: v[:2] for k, v in results(sessions, 0).items()} == dict.fromkeys(
        ("11", "12", "13"), ("failed", f"HubSpot refused it: {said}")
    )
    assert local_value(sessions, "11", "hs_deal_score") is None


KILL_PATIENCE = 60  # seconds: a process that never gets to the kill fails the test


def test_a_process_killed_between_creating_tasks_and_recording_them_resumes_without_duplicates(
    database_url: str,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    portal: Portal,
    processes: Any,
) -> None:
    for number in range(100, 350):
        portal.standin.put("deals", str(number), T0, dealname=f"Deal {number}",
                           dealstage="contractsent", hubspot_owner_id="101")  # fmt: skip
    clock.set(RUN_TIME - timedelta(minutes=10))
    first_sync(sessions, clock, portal)
    actions = [EXISTING_BUSINESS, CALL_TASK]
    save(sessions, workflow_document(criteria=IN_CONTRACT, actions=actions), clock.now())
    clock.set(RUN_TIME + timedelta(seconds=5))
    # 253 deals: three batches of updates, then of tasks. The process dies when HubSpot has
    # created the second batch of tasks, before it hears so (and so before it records it).
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
    tasks_before = len(portal.standin.objects["tasks"])
    assert tasks_before == 200  # HubSpot has the second batch; the bot has not recorded it
    portal.standin.after_acting = None

    # Another process takes the run over once the dead one's lease has run out.
    clock.set(RUN_TIME + timedelta(minutes=10))
    [(_run, status)] = portal.engine(sessions, clock, processes.slack()).tick()

    assert status is not None and status.value == "succeeded"
    deals = [str(n) for n in (11, 12, 13, *range(100, 350))]
    # Every deal has exactly one task, and the tasks the dead process created were found,
    # not created again: one more batch of creates (the third), not two.
    assert [len(portal.standin.tasks_of("deals", d)) for d in deals] == [1] * len(deals)
    assert portal.requests_to("/tasks/batch/create") == 3
    tasks = results(sessions, 1)
    assert sorted(tasks) == sorted(deals)
    assert {outcome for outcome, _reason, _reference in tasks.values()} == {"ok"}
    recorded = {reference["hubspot"]["task_id"] for _o, _r, reference in tasks.values()}
    assert recorded == set(portal.standin.objects["tasks"])
    # The property was written once for every deal before the crash, not again after it.
    assert portal.requests_to("/deals/batch/update") == 3
    assert {outcome for outcome, _r, _ref in results(sessions, 0).values()} == {"ok"}


def test_saving_says_which_actions_write_to_hubspot(
    sessions: sessionmaker[Session], clock: FixedClock, portal: Portal
) -> None:
    first_sync(sessions, clock, portal)
    actions = [channel_message(), EXISTING_BUSINESS, CALL_TASK]

    saved = save(sessions, workflow_document(criteria=IN_CONTRACT, actions=actions), clock.now())

    assert saved.writes_to_hubspot == (
        "Writes to HubSpot: action 2 (Set a property: dealtype), action 3 (Create a task) "
        "change HubSpot (the source 'crm') each time the workflow runs."
    )
    assert saved.warnings == ()


def test_setting_a_property_a_sql_source_would_undo_is_refused_at_save(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with write_transaction(sessions) as session:
        object_types = ObjectTypeRepository(session)
        object_types.ensure_built_ins(TEAM, clock.now())
        deals = object_types.get(TEAM, "deals")
        object_types.declare(deals.id, {"stage": PropertyType.STRING})
        RecordSourceRepository(session).add(
            RecordSource(
                team_id=TEAM,
                name="warehouse",
                kind=SourceKind.SQL.value,
                object_type_id=deals.id,
                url_env="WAREHOUSE_URL",
                query="SELECT id, name, stage FROM deals",
                id_column="id",
                created_at=clock.now(),
            )
        )
    stage = {"type": "set_property", "property": "stage", "value": "reviewed"}
    document = workflow_document(actions=[channel_message(), stage, CALL_TASK])

    with pytest.raises(WorkflowError) as refused:
        save(sessions, document, clock.now())

    assert str(refused.value) == (
        "action 2 (Set a property: stage) cannot be saved: deals come from the source "
        "'warehouse', a database query, whose next sync would set the property back to "
        "what the database holds. Change the value in that database instead, or remove the "
        "action."
    )
    with transaction(sessions) as session:
        assert session.scalars(select(Workflow)).all() == []  # nothing half-written


def test_a_message_links_each_record_to_its_page_in_hubspot(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    portal: Portal,
    processes: Any,
    slack_api: SlackStandIn,
) -> None:
    clock.set(RUN_TIME - timedelta(hours=2))
    first_sync(sessions, clock, portal)
    text = "{{ name }}: {{ hubspot.link }}"
    save(sessions, workflow_document(criteria=IN_CONTRACT, actions=[channel_message(text)]),
         clock.now())  # fmt: skip
    clock.set(RUN_TIME + timedelta(seconds=5))

    portal.engine(sessions, clock, processes.slack()).tick()

    posted = sorted(m["text"] for m in slack_api.posted_messages(DEALS_CHANNEL))
    page = "https://app.hubspot.com/contacts/2468135/record/0-3"
    assert posted == [
        f"Acme &amp; Sons: <{page}/11|View in HubSpot>",
        f"Globex: <{page}/12|View in HubSpot>",
        f"Initech: <{page}/13|View in HubSpot>",
    ]
    # The portal's id was asked once, at the first sync, not again before the run's sync.
    assert portal.requests_to("/account-info/v3/details") == 1


class DroppedConnection(Exception):
    """The stand-in acted on a request, then the connection broke before its answer."""


def test_hubspot_unreachable_after_creating_tasks_postpones_the_run_which_then_finds_them(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    portal: Portal,
    processes: Any,
) -> None:
    clock.set(RUN_TIME - timedelta(minutes=10))
    first_sync(sessions, clock, portal)
    save(sessions, workflow_document(criteria=IN_CONTRACT, actions=[CALL_TASK]), clock.now())
    clock.set(RUN_TIME + timedelta(seconds=5))

    def break_after_creating(request: Request) -> None:
        if request.path.endswith("/tasks/batch/create"):
            portal.standin.after_acting = None  # once
            raise DroppedConnection

    portal.standin.after_acting = break_after_creating
    engine = portal.engine(sessions, clock, processes.slack())
    [(_run, postponed)] = engine.tick()

    assert postponed is None  # waiting for HubSpot, not failed
    assert len(portal.standin.objects["tasks"]) == 3  # HubSpot has them; the bot never heard
    assert {o for o, _r, _ref in results(sessions, 0).values()} == {"unknown"}

    clock.set(RUN_TIME + timedelta(minutes=5))  # the lease has run out: claimed again
    [(_run, status)] = engine.tick()

    assert status is not None and status.value == "succeeded"
    assert len(portal.standin.objects["tasks"]) == 3  # found, not created again
    assert portal.requests_to("/tasks/batch/create") == 1
    assert {o for o, _r, _ref in results(sessions, 0).values()} == {"ok"}


@dataclass
class TasksNeverConfirmed:
    """A task run whose every attempt lost HubSpot's answers about its tasks, so that it
    gave up; HubSpot answers again afterwards."""

    engine: Engine
    run_id: int
    statuses: list[RunStatus | None]


def tasks_never_confirmed(
    sessions: sessionmaker[Session], clock: FixedClock, portal: Portal, processes: Any
) -> TasksNeverConfirmed:
    clock.set(RUN_TIME - timedelta(minutes=10))
    first_sync(sessions, clock, portal)
    save(sessions, workflow_document(criteria=IN_CONTRACT, actions=[CALL_TASK]), clock.now())
    clock.set(RUN_TIME + timedelta(seconds=5))
    hubspot_down = [True]

    def break_tasks(request: Request) -> None:
        # HubSpot acts on each request, and every answer about tasks is lost on the way.
        if hubspot_down[0] and "/tasks/" in request.path:
            raise DroppedConnection

    portal.standin.after_acting = break_tasks
    engine = portal.engine(sessions, clock, processes.slack())
    statuses = []
    for _attempt in range(MAX_ATTEMPTS):
        [(run_id, status)] = engine.tick()
        statuses.append(status)
        clock.set(clock.now() + timedelta(minutes=5))
    hubspot_down[0] = False
    return TasksNeverConfirmed(engine, run_id, statuses)


def test_re_running_a_run_that_never_learnt_whether_hubspot_created_its_tasks_finds_them(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    portal: Portal,
    processes: Any,
) -> None:
    given_up = tasks_never_confirmed(sessions, clock, portal, processes)
    engine, run_id, statuses = given_up.engine, given_up.run_id, given_up.statuses
    # Postponed four times, then given up with the tasks' outcome unknown, not failed.
    assert statuses[:-1] == [None] * (MAX_ATTEMPTS - 1) and statuses[-1] is not None
    assert {o for o, _r, _ref in results(sessions, 0).values()} == {"unknown"}
    assert len(portal.standin.objects["tasks"]) == 3

    asked = retry(UnitOfWork(sessions), TEAM, run_id, CLI_ACTOR, clock.now())
    [(rerun_id, status)] = engine.tick()

    assert rerun_id == asked.run_id and status is not None and status.value == "succeeded"
    assert len(portal.standin.objects["tasks"]) == 3  # found in HubSpot, not created again
    with transaction(sessions) as session:
        rerun = session.scalars(
            select(ActionResult.outcome).where(ActionResult.run_id == rerun_id)
        ).all()
    assert rerun == ["ok"] * 3


def test_a_re_run_leaves_the_task_of_a_record_removed_since_to_the_run_it_retries(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    portal: Portal,
    processes: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    given_up = tasks_never_confirmed(sessions, clock, portal, processes)
    engine, run_id = given_up.engine, given_up.run_id
    assert given_up.statuses[-1] is not None
    assert {o for o, _r, _ref in results(sessions, 0).values()} == {"unknown"}
    # A sync since then found Initech (deal 13) gone from HubSpot: the re-run does not
    # enroll it, though the retried run may have created its task.
    with write_transaction(sessions) as session:
        [gone] = session.scalars(select(Record.id).where(Record.external_id == "13")).all()
        RecordRemoval(session).remove([gone], clock.now())
    asked = retry(UnitOfWork(sessions), TEAM, run_id, CLI_ACTOR, clock.now())
    with caplog.at_level(logging.INFO, logger="bot.workflows.hubspot_writes"):
        [(rerun_id, status)] = engine.tick()

    assert rerun_id == asked.run_id and status is not None and status.value == "succeeded"
    with transaction(sessions) as session:
        rerun = session.scalars(
            select(ActionResult.outcome).where(ActionResult.run_id == rerun_id)
        ).all()
    assert rerun == ["ok"] * 2
    assert len(portal.standin.objects["tasks"]) == 3  # none created again
    # The retried run still says Initech's task may exist, and the log says why the re-run
    # left it there.
    assert results(sessions, 0)["13"][0] == "unknown"
    [left] = [r for r in caplog.records if r.name == "bot.workflows.hubspot_writes"]
    assert f"run {run_id}" in left.getMessage() and f"[{gone}]" in left.getMessage()
    assert "for 1 records" in left.getMessage()


def test_a_log_line_names_the_first_ten_record_ids_and_counts_the_rest() -> None:
    assert logged_ids(list(range(1, 26))) == "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10] and 15 more"
    assert logged_ids([7, 8]) == "[7, 8]"


@pytest.mark.parametrize("follows", [True, False], ids=["survivor-answers", "merged-id-unknown"])
def test_a_deal_merged_in_hubspot_since_the_sync_is_answered_for_by_its_survivor_or_fails(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    portal: Portal,
    processes: Any,
    follows: bool,
) -> None:
    clock.set(RUN_TIME - timedelta(minutes=10))
    first_sync(sessions, clock, portal)
    # Globex merged into Initech after the last sync, which is recent enough for the run.
    portal.standin.updates_follow_merges = follows
    portal.standin.merge("deals", "12", into_id="13", modified_ms=T0 + 1)
    save(sessions, workflow_document(criteria=IN_CONTRACT, actions=[EXISTING_BUSINESS]),
         clock.now())  # fmt: skip
    clock.set(RUN_TIME + timedelta(seconds=5))

    portal.engine(sessions, clock, processes.slack()).tick()

    updated = results(sessions, 0)
    assert updated["11"] == ("ok", None, None)
    assert updated["13"] == ("ok", None, None)
    deals = portal.standin.objects["deals"]
    assert deals["13"].properties.get("dealtype") == "existingbusiness"
    if follows:
        # HubSpot echoed the trace id 12 on the survivor's result: 12's answer, not a loss.
        assert updated["12"] == ("ok", None, {"hubspot": {"merged_into": "13"}})
        assert local_value(sessions, "12", "dealtype") == "existingbusiness"
    else:
        outcome, reason, _reference = updated["12"]
        assert outcome == "failed"
        assert reason is not None and reason.startswith("HubSpot refused it: ")
        assert local_value(sessions, "12", "dealtype") == "newbusiness"


def test_a_task_hubspots_answer_leaves_out_stays_unknown_and_a_re_run_finds_it(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    portal: Portal,
    processes: Any,
) -> None:
    clock.set(RUN_TIME - timedelta(minutes=10))
    first_sync(sessions, clock, portal)
    save(sessions, workflow_document(criteria=IN_CONTRACT, actions=[CALL_TASK]), clock.now())
    clock.set(RUN_TIME + timedelta(seconds=5))
    # HubSpot creates Globex's task but its answer does not mention it.
    portal.standin.tasks_left_out_for = {"12"}
    engine = portal.engine(sessions, clock, processes.slack())

    [(run_id, _status)] = engine.tick()

    tasks = results(sessions, 0)
    assert tasks["11"][0] == tasks["13"][0] == "ok"
    outcome, reason, _reference = tasks["12"]
    assert (outcome, reason) == ("unknown", TASK_NOT_CONFIRMED)
    assert len(portal.standin.objects["tasks"]) == 3
    assert "nothing was changed" not in TASK_NOT_CONFIRMED

    portal.standin.tasks_left_out_for = set()
    clock.set(clock.now() + timedelta(minutes=10))
    asked = retry(UnitOfWork(sessions), TEAM, run_id, CLI_ACTOR, clock.now())
    [(rerun_id, status)] = engine.tick()

    assert rerun_id == asked.run_id and status is not None
    assert len(portal.standin.objects["tasks"]) == 3  # found in HubSpot, not created again
    [globex_task] = portal.standin.tasks_of("deals", "12")
    with transaction(sessions) as session:
        rerun = session.execute(
            select(ActionResult.outcome, ActionResult.reference).where(
                ActionResult.run_id == rerun_id
            )
        ).all()
    assert [(o, ref["hubspot"]["task_id"]) for o, ref in rerun] == [("ok", globex_task.id)]
