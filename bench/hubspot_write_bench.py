"""HubSpot write-back benchmark: a scheduled run whose set_property matches N deals synced
from the HubSpot stand-in (a process of its own, enforcing HubSpot's private-app window of
190 requests per 10 seconds and answering 429 past it), written back through the real
client in batch updates of 100, against a baseline in the same run: the same workflow on N
deals imported from a file, whose set_property changes the records here only.

Figures: HubSpot calls made / the minimum (N / 100), the write-back run's wall time, the
baseline's, their ratio, and the rate limit's floor for those calls. Real time throughout;
the stand-in answers locally (HubSpot's own latency per request is not in the figures).
"""

from __future__ import annotations

import io
import math
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.hubspot_bench import standin_portal
from bot.console_notifier import ConsoleNotifier
from bot.hubspot.portal import ClientPortal, PortalPool
from bot.hubspot.rate_limit import PRIVATE_APP_WINDOW
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine as WorkflowEngine
from bot.workflows.hubspot_portal import BATCH_WRITE
from bot.workflows.hubspot_sync import ObjectToSync
from bot.workflows.lifecycle import CLI_ACTOR, save_workflow
from bot.workflows.sources import NewHubSpotSource, add_hubspot_sources, sync_source
from bot.workflows.vocabulary import PropertyType, RunStatus
from storage.database import session_factory, transaction, write_transaction
from storage.models import ActionResult, Run, Workflow
from storage.object_types import ObjectTypeRepository
from storage.record_sources import RecordSourceRepository
from storage.records import NewRecord, RecordRepository
from tests.hubspot_standin import TOKEN

TEAM = "TBENCH"
RUN_AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@dataclass
class WriteFigures:
    database: str
    deals: int
    update_calls: int
    other_calls: int
    throttled: int
    hubspot_seconds: float
    local_seconds: float
    load: tuple[float, float, float]
    # A second workflow on the same deals: create_task, 100 tasks a call.
    task_calls: int = 0
    task_seconds: float = 0.0

    @property
    def minimum_calls(self) -> int:
        return math.ceil(self.deals / BATCH_WRITE)

    @property
    def floor_seconds(self) -> float:
        """The least time HubSpot's window allows for the update calls when the window is
        already full (its sustained rate); with an empty window, calls up to its size go
        at once."""
        limit, seconds = PRIVATE_APP_WINDOW
        return self.update_calls / (limit / seconds)


def run(kind: str, engine: Engine, deals: int) -> WriteFigures:
    with standin_portal(deals) as url:
        return _measure(kind, engine, url, deals)


def _measure(kind: str, engine: Engine, url: str, deals: int) -> WriteFigures:
    sessions = session_factory(engine)
    clock = FixedClock(RUN_AT - timedelta(minutes=1))
    environment = {"HUBSPOT_TOKEN": TOKEN, "HUBSPOT_API_URL": url}
    pool = PortalPool()
    opened: list[ClientPortal] = []

    def portals(token: str, api_url: str | None) -> ClientPortal:
        portal = pool(token, api_url)
        opened.append(portal)
        return portal

    with write_transaction(sessions) as session:
        types = ObjectTypeRepository(session)
        types.ensure_built_ins(TEAM, clock.now())
        new = NewHubSpotSource("crm", "HUBSPOT_TOKEN", max_staleness=timedelta(hours=1))
        add_hubspot_sources(session, TEAM, new, [ObjectToSync("deals", "deals")], clock.now())
        found = RecordSourceRepository(session).find(TEAM, "crm")
        assert found is not None
        source_id = found.id
    synced = sync_source(sessions, source_id, "bench", clock, environment.get, portals=portals)
    assert synced.error is None and synced.report is not None, synced
    _local_deals(sessions, deals, clock.now())
    for type_name in ("deals", "local_deals"):
        _save(sessions, type_name, clock.now())
    _save(sessions, "deals", clock.now(), tasks=True)

    load = os.getloadavg()
    clock.set(RUN_AT + timedelta(seconds=5))
    opened.clear()
    runner = WorkflowEngine(
        sessions,
        clock,
        lambda _team: ConsoleNotifier(io.StringIO()),
        owner="bench",
        environment=environment.get,
        portals=portals,
    )
    timings: dict[str, float] = {}
    # The workflows are due at the same instant; each tick runs one.
    for _ in range(3):
        started = time.monotonic()
        [(run_id, status)] = runner.tick(max_runs=1)
        seconds = time.monotonic() - started
        assert status is RunStatus.SUCCEEDED, (run_id, status)
        with transaction(sessions) as session:
            run = session.get(Run, run_id)
            assert run is not None
            workflow = session.get(Workflow, run.workflow_id)
            assert workflow is not None
            timings[_label(workflow.name)] = seconds
    with transaction(sessions) as session:
        written = session.scalar(
            select(func.count()).select_from(ActionResult).where(ActionResult.outcome == "ok")
        )
    assert written == 3 * deals, written
    by_kind: dict[str, int] = {}
    throttled = 0
    for portal in opened:
        counts = portal.counts()
        throttled += counts.throttled
        for name, count in counts.by_kind.items():
            by_kind[name] = by_kind.get(name, 0) + count
    updates = by_kind.pop("batch_update", 0)
    creates = by_kind.pop("batch_create", 0)
    return WriteFigures(
        kind,
        deals,
        updates,
        sum(by_kind.values()),
        throttled,
        timings["hubspot"],
        timings["local"],
        load,
        creates,
        timings["tasks"],
    )


def _label(workflow_name: str) -> str:
    if workflow_name.startswith("Tasks"):
        return "tasks"
    return "local" if "local" in workflow_name else "hubspot"


def _local_deals(sessions: sessionmaker[Session], deals: int, now: datetime) -> None:
    """The baseline's deals, as a file import leaves them: the same names and amounts."""
    with write_transaction(sessions) as session:
        types = ObjectTypeRepository(session)
        local = types.create_custom(TEAM, "local_deals", now)
        types.declare(local.id, {"amount": PropertyType.NUMBER, "region": PropertyType.STRING})
        rows: list[NewRecord] = [
            {
                "object_type_id": local.id,
                "external_id": str(number),
                "name": f"Deal {number}",
                "owner": None,
                "properties": {"amount": number * 7919 % 10_000, "region": "north"},
                "folded": {"region": "north"},
                "created_at": now,
                "updated_at": now,
            }
            for number in range(1, deals + 1)
        ]
        RecordRepository(session).insert_many(rows)


def _save(
    sessions: sessionmaker[Session], type_name: str, now: datetime, tasks: bool = False
) -> None:
    action = (
        {"type": "create_task", "title": "Call {{ name }}", "due_in_days": 2}
        if tasks
        else {"type": "set_property", "property": "region", "value": "emea"}
    )
    document = {
        "name": f"{'Tasks' if tasks else 'Regions'} of {type_name}",
        "object_type": type_name,
        "status": "active",
        "owner": "U0BENCH",
        "schedule": {"frequency": "daily", "time": "09:00", "timezone": "UTC"},
        "criteria": {"any": [{"all": [{"property": "amount", "operator": "gte", "value": 0}]}]},
        "actions": [action],
    }
    with write_transaction(sessions) as session:
        save_workflow(session, TEAM, document, CLI_ACTOR, "UTC", now)


def print_figures(figures: WriteFigures) -> None:
    f = figures
    print(f"\n## HubSpot write-back on {f.database}: set_property on {f.deals:,} deals")
    print(
        f"batch updates {f.update_calls} / minimum {f.minimum_calls} "
        f"({f.update_calls / f.minimum_calls:.2f}x), other HubSpot calls in the run "
        f"{f.other_calls}, 429s {f.throttled}"
    )
    print(
        f"run with write-back: {f.hubspot_seconds:.2f} s; the same run on {f.deals:,} "
        f"imported deals (local only): {f.local_seconds:.2f} s "
        f"(ratio {f.hubspot_seconds / f.local_seconds:.2f}); rate limit floor for "
        f"{f.update_calls} calls: 0 s in a fresh 10-second window of 190, "
        f"{f.floor_seconds:.1f} s at its sustained 19 a second "
        f"(wall time / sustained floor {f.hubspot_seconds / f.floor_seconds:.2f})"
    )
    print(
        f"create_task on the same {f.deals:,} deals: {f.task_seconds:.2f} s, tasks batch "
        f"creates {f.task_calls} / minimum {f.minimum_calls} "
        f"({f.task_calls / f.minimum_calls:.2f}x; one owners read besides)"
    )
    print(f"load average before the runs: {', '.join(f'{v:.2f}' for v in f.load)}")
