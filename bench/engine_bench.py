"""Engine benchmark, each figure next to a baseline measured in the same run: how late due runs
post (the scheduler process against a bare APScheduler job), how fast the scheduler process is
ready (against importing the CLI), and a digest run enrolling 100,000 of 1,000,000 records
(against a hand-written ``INSERT ... SELECT``).

python -m bench.engine_bench [--workflows N] [--records N] [--databases sqlite,postgresql]
                             [--due 100,300,600] [--benchmarks firing,startup,digest,burst]
                             [--bursts 1000x1,1000x4]

Slack is the local stand-in of the tests (tests/slack_standin.py), served by a process of its
own so that it takes no CPU time from the processes measured. The scheduler runs as the real
``python -m bot serve`` in a child process on the real clock: firing waits for whole minutes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import Engine, bindparam, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import DATA_DIR, empty_database
from bench.measure import (
    PeakMemory,
    cpu_seconds_of,
    machine_busy_seconds,
    process_cpu_seconds,
    rss_mb,
)
from bot.scheduler import WORKERS
from bot.workflows.clock import SystemClock
from bot.workflows.lifecycle import CLI_ACTOR, request_run, save_workflow
from bot.workflows.planner import next_run_after
from bot.workflows.schedules import Schedule
from bot.workflows.stored import definition_of
from bot.workflows.vocabulary import PropertyType, RunSource, RunStatus
from storage.columns import UTCDateTime
from storage.database import session_factory, transaction, write_transaction
from storage.enrollment_sql import EnrollmentQuery, selected_records
from storage.models import ActionResult, Run, Workflow
from storage.object_types import ObjectTypeRepository
from storage.runs import NewRun, RunRepository

REPO_ROOT = Path(__file__).resolve().parent.parent
TEAM = "TBENCH"
OWNER = "U0BENCH"
TOKEN = "xoxb-bench-token"
REFERENCE_DAY = "2026-11-27"
STAGES = ("appointment", "qualified", "presentation", "contract_sent", "closed_won")
REGIONS = ("north", "south", "east", "west", "central", "overseas")
DEAL_PROPERTIES = {
    "stage": PropertyType.STRING,
    "amount": PropertyType.NUMBER,
    "close_date": PropertyType.DATE,
    "region": PropertyType.STRING,
    "hot": PropertyType.BOOLEAN,
    "slot": PropertyType.NUMBER,
}
# Zones the due workflows are written in: the same instant is a different wall time in each.
ZONES = (
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "America/Sao_Paulo",
    "Asia/Tokyo",
)
# How far ahead of the scheduler process's start the first instant lies at least, and how long
# writing the workflows is expected to take before that.
FIRING_LEAD = timedelta(seconds=20)
SETUP_ESTIMATE = timedelta(seconds=10)
# How long after the last instant the runs may take to post before the benchmark stops waiting.
FIRING_DRAIN = timedelta(seconds=90)
# The CPU a burst costs is read this long before its instant: the schedulers are idle then.
CPU_LEAD_SECONDS = 0.25
# No workflow that is not meant to fire may come due while the benchmarks run.
QUIET_MINUTES = 45
# stage = contract_sent (1 in 5) and amount >= 5000 (half of those): 10% of the generated deals.
DIGEST_CRITERIA = {
    "any": [
        {
            "all": [
                {"property": "stage", "operator": "eq", "value": "contract_sent"},
                {"property": "amount", "operator": "gte", "value": 5000},
            ]
        }
    ]
}
HAND_WRITTEN_ENROLLMENT = {
    "sqlite": """
        INSERT INTO enrollments (run_id, record_id, source, enrolled_by, created_at)
        SELECT :run_id, id, 'schedule', NULL, :now FROM records
        WHERE object_type_id = :type_id
          AND json_extract(folded, '$.stage') = 'contract_sent'
          AND json_extract(properties, '$.amount') >= 5000.0""",
    "postgresql": """
        INSERT INTO enrollments (run_id, record_id, source, enrolled_by, created_at)
        SELECT :run_id, id, 'schedule', NULL, :now FROM records
        WHERE object_type_id = :type_id
          AND folded ->> 'stage' = 'contract_sent'
          AND CAST(properties ->> 'amount' AS DOUBLE PRECISION) >= 5000.0""",
}
GENERATE_DEALS = {
    "sqlite": """
        WITH RECURSIVE n(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM n WHERE i < :last),
        g AS (
          SELECT i,
            CASE i % 5 WHEN 0 THEN 'appointment' WHEN 1 THEN 'qualified'
              WHEN 2 THEN 'presentation' WHEN 3 THEN 'contract_sent' ELSE 'closed_won' END
              AS stage,
            CASE i % 6 WHEN 0 THEN 'north' WHEN 1 THEN 'south' WHEN 2 THEN 'east'
              WHEN 3 THEN 'west' WHEN 4 THEN 'central' ELSE 'overseas' END AS region
          FROM n)
        INSERT INTO records (object_type_id, external_id, name, owner, properties, folded,
                             created_at, updated_at)
        SELECT :type_id, 'G-' || i, 'Deal ' || i,
          CASE WHEN i % 5 = 4 THEN NULL ELSE printf('U%05d', i % 10000) END,
          json_object('stage', stage, 'amount', (i / 5) % 2 * 5000 + (i / 10) % 5000,
            'close_date', date(:day, '-' || (i % 365) || ' days'), 'region', region,
            'hot', json(CASE WHEN i % 10 = 0 THEN 'true' ELSE 'false' END), 'slot', i),
          json_object('stage', stage, 'region', region),
          :now, :now
        FROM g""",
    "postgresql": """
        INSERT INTO records (object_type_id, external_id, name, owner, properties, folded,
                             created_at, updated_at)
        SELECT :type_id, 'G-' || i, 'Deal ' || i,
          CASE WHEN i % 5 = 4 THEN NULL ELSE 'U' || lpad((i % 10000)::text, 5, '0') END,
          jsonb_build_object('stage', stage, 'amount', (i / 5) % 2 * 5000 + (i / 10) % 5000,
            'close_date', to_char(CAST(:day AS date) - i % 365, 'YYYY-MM-DD'),
            'region', region, 'hot', i % 10 = 0, 'slot', i),
          jsonb_build_object('stage', stage, 'region', region),
          :now, :now
        FROM (
          SELECT i,
            (ARRAY['appointment', 'qualified', 'presentation', 'contract_sent',
                   'closed_won'])[i % 5 + 1] AS stage,
            (ARRAY['north', 'south', 'east', 'west', 'central', 'overseas'])[i % 6 + 1]
              AS region
          FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS i) AS g""",
}


# -- measuring ------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value at least ``share`` of them reach."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    peak_rss_mb: float


def _wait_child(process: subprocess.Popen[bytes], started: float, memory: PeakMemory) -> ChildRun:
    process.wait()
    return ChildRun(time.perf_counter() - started, memory.stop())


def _bot_environment(database_url: str, slack_url: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    return {
        **environment,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack_url,
        "SLACK_TEAM_ID": TEAM,
        "LOG_LEVEL": "WARNING",
    }


def _start_bot(
    args: list[str], environment: Mapping[str, str], log: Path
) -> subprocess.Popen[bytes]:
    # Started from the data folder, so that no developer .env is read.
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            env=dict(environment),
            cwd=DATA_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


# -- the Slack stand-in, in a process of its own ---------------------------------------------


def _report(standin: Any, call: Any) -> dict[str, Any]:
    """A stand-in method of the benchmark: when each run's first message arrived, and how
    many calls of each Web API method were made (message ts are the stand-in's arrival time)."""
    first: dict[str, float] = {}
    for message in standin.posted_messages():
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        if "run_id" not in payload:
            continue
        run_id, arrived = str(payload["run_id"]), float(message["ts"])
        first[run_id] = min(arrived, first.get(run_id, arrived))
    calls = Counter(c.method for c in standin.calls() if not c.method.startswith("bench."))
    # Each scheduler process of a burst posts with a token of its own: posts per process.
    by_token = Counter(c.token for c in standin.calls("chat.postMessage"))
    return {"ok": True, "first_posts": first, "calls": dict(calls), "by_token": dict(by_token)}


def _serve_standin(connection: Connection) -> None:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from tests.slack_standin import SlackStandIn

    standin = SlackStandIn(token=TOKEN)
    standin.handlers["bench.report"] = _report
    with standin:
        connection.send(standin.url)
        connection.recv()  # anything: stop


class StandIn:
    """The Slack stand-in served by a child process; ``report()`` asks it what it saw."""

    def __init__(self) -> None:
        context = get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve_standin, args=(child,), daemon=True)
        self.posts_by_token: Counter[str | None] = Counter()

    def __enter__(self) -> StandIn:
        self._process.start()
        self.url = str(self._connection.recv())
        return self

    def cpu_seconds(self) -> float:
        """The stand-in process's CPU so far: Slack's work, which is not on the bot's
        machine in production but shares this one's cores here."""
        pid = self._process.pid
        return 0.0 if pid is None else process_cpu_seconds(pid)

    def __exit__(self, *exc: object) -> None:
        self._connection.send("stop")
        self._process.join(10)

    def report(self) -> tuple[dict[int, float], Counter[str]]:
        request = urllib.request.Request(
            f"{self.url}bench.report",
            data=b"{}",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        first = {int(run_id): arrived for run_id, arrived in answer["first_posts"].items()}
        self.posts_by_token = Counter(answer["by_token"])
        return first, Counter(answer["calls"])


# -- databases and data ---------------------------------------------------------------------


def _deals_type(sessions: sessionmaker[Session], now: datetime) -> int:
    with write_transaction(sessions) as session:
        object_types = ObjectTypeRepository(session)
        object_types.ensure_built_ins(TEAM, now)
        deals = object_types.get(TEAM, "deals")
        object_types.declare(deals.id, DEAL_PROPERTIES)
        return deals.id


def generate_deals(engine: Engine, type_id: int, rows: int, now: datetime) -> float:
    """Writes ``rows`` deals straight in SQL, as an import stores them; returns the seconds.

    Deal i has stage STAGES[i % 5], an amount of 5000 or more when i // 5 is odd, and slot
    i: one deal in ten (i = 5k + 3 with k odd) is in contract_sent with 5000 or more.
    """
    statement = text(GENERATE_DEALS[engine.dialect.name]).bindparams(
        bindparam("now", type_=UTCDateTime())
    )
    started = time.perf_counter()
    step = 250_000
    for first in range(1, rows + 1, step):
        with engine.begin() as connection:
            connection.execute(
                statement,
                {
                    "first": first,
                    "last": min(first + step - 1, rows),
                    "type_id": type_id,
                    "day": REFERENCE_DAY,
                    "now": now,
                },
            )
    seconds = time.perf_counter() - started
    _analyze(engine)
    return seconds


# The tables a run reads: on PostgreSQL a bare ANALYZE would visit every schema of the
# database (other benchmarks' and tests' too) and can deadlock with their DDL.
ANALYZED = ("records", "workflows", "runs", "enrollments", "action_results", "object_types")


def _analyze(engine: Engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"ANALYZE {', '.join(ANALYZED)}"))
        else:
            connection.execute(text("ANALYZE"))


def _document(name: str, wall_time: str, zone: str, slot: int, channel: str) -> dict[str, Any]:
    return {
        "name": name,
        "object_type": "deals",
        "status": "active",
        "owner": OWNER,
        "schedule": {"frequency": "daily", "time": wall_time, "timezone": zone},
        "criteria": {"any": [{"all": [{"property": "slot", "operator": "eq", "value": slot}]}]},
        "actions": [
            {
                "type": "send_channel_message",
                "channel": channel,
                "text": "{{ name }} needs a look: {{ properties.amount }} USD",
            }
        ],
        "settings": {},
    }


@dataclass(frozen=True)
class WorkflowSpec:
    """One benchmark workflow: daily at ``wall_time`` in ``zone``, messaging the deal whose
    slot is ``slot`` to a channel of its own."""

    slot: int
    wall_time: str
    zone: str

    @property
    def name(self) -> str:
        return f"Bench workflow {self.slot:05d}"

    @property
    def channel(self) -> str:
        return f"CB{self.slot:07d}"


def add_workflows(
    sessions: sessionmaker[Session], specs: Sequence[WorkflowSpec], now: datetime
) -> None:
    """Saves the first workflow through the use case (which also indexes ``slot``), then
    writes the others as copies of its row: saving 10,000 one by one takes minutes."""
    first = specs[0]
    with write_transaction(sessions) as session:
        document = _document(first.name, first.wall_time, first.zone, first.slot, first.channel)
        save_workflow(session, TEAM, document, CLI_ACTOR, "UTC", now)
        template = session.scalars(select(Workflow).where(Workflow.name == first.name)).one()
        columns = {
            c.key: getattr(template, c.key)
            for c in Workflow.__table__.columns
            if c.key not in ("id", "name", "schedule", "criteria", "actions", "timezone")
        }
        rows = []
        schedules: dict[tuple[str, str], tuple[dict[str, Any], datetime | None]] = {}
        for spec in specs[1:]:
            key = (spec.wall_time, spec.zone)
            if key not in schedules:
                stored = {**template.schedule, "time": spec.wall_time, "timezone": spec.zone}
                schedules[key] = (stored, next_run_after(Schedule.from_json(stored), now))
            schedule, next_run_at = schedules[key]
            criteria = json.loads(json.dumps(template.criteria))
            criteria["any"][0]["all"][0]["value"] = spec.slot
            rows.append(
                {
                    **columns,
                    "name": spec.name,
                    "schedule": schedule,
                    "timezone": spec.zone,
                    "criteria": criteria,
                    "actions": [{**template.actions[0], "channel": spec.channel}],
                    "next_run_at": next_run_at,
                }
            )
        for start in range(0, len(rows), 2_000):
            session.execute(insert(Workflow), rows[start : start + 2_000])
    with transaction(sessions) as session:  # the copies read back as the engine will read them
        for workflow in session.scalars(select(Workflow).order_by(Workflow.id.desc()).limit(5)):
            definition_of(session, workflow)


# -- 1. firing precision --------------------------------------------------------------------


@dataclass
class InstantFigures:
    scheduled_at: datetime
    due: int
    posted: int = 0
    post_delays: list[float] = field(default_factory=list)
    claim_delays: list[float] = field(default_factory=list)
    first_claim: float = 0.0
    last_planned: float = 0.0
    baseline_delays: list[float] = field(default_factory=list)


@dataclass
class FiringFigures:
    workflows: int
    instants: list[InstantFigures]
    engine_peak_rss_mb: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    processes: int = 1
    posts_per_process: list[int] = field(default_factory=list)
    cpu: CpuFigures | None = None


@dataclass(frozen=True)
class CpuReading:
    at: float
    machine: float
    schedulers: float
    database: float
    standin: float


def _read_cpu(bots: Sequence[Any], slack: StandIn) -> CpuReading:
    return CpuReading(
        time.perf_counter(),
        machine_busy_seconds(),
        sum(process_cpu_seconds(bot.pid) for bot in bots),
        cpu_seconds_of("postgres"),
        slack.cpu_seconds(),
    )


@dataclass(frozen=True)
class CpuFigures:
    """CPU spent from just before the instant until the bench saw the last post (at most
    a second late): by the whole machine (the schedulers, PostgreSQL, the Slack stand-in
    and this process) and by the schedulers alone. Their total over the cores is how soon
    the last post could come if nothing waited."""

    wall_seconds: float
    machine_seconds: float
    scheduler_seconds: float
    database_seconds: float
    standin_seconds: float

    @classmethod
    def between(cls, before: CpuReading, after: CpuReading) -> CpuFigures:
        return cls(
            after.at - before.at,
            after.machine - before.machine,
            after.schedulers - before.schedulers,
            after.database - before.database,
            after.standin - before.standin,
        )


def _ceil_minute(instant: datetime) -> datetime:
    floor = instant.replace(second=0, microsecond=0)
    return floor if floor == instant else floor + timedelta(minutes=1)


def _quiet_wall_times(now: datetime) -> list[str]:
    """UTC wall times that do not come in the next QUIET_MINUTES (nor came in the last one)."""
    start = now.hour * 60 + now.minute
    busy = {(start + offset) % 1440 for offset in range(-1, QUIET_MINUTES + 1)}
    return [f"{m // 60:02d}:{m % 60:02d}" for m in range(1440) if m not in busy]


def _firing_specs(
    workflows: int, due: Sequence[int], instants: Sequence[datetime], now: datetime
) -> tuple[list[WorkflowSpec], list[WorkflowSpec]]:
    """The workflows that never fire during the benchmark, and those due at ``instants``."""
    quiet = _quiet_wall_times(now)
    firing = []
    slot = 1
    for instant, count in zip(instants, due, strict=True):
        for number in range(count):
            zone = ZONES[number % len(ZONES)]
            local = instant.astimezone(ZoneInfo(zone))
            firing.append(WorkflowSpec(slot, f"{local:%H:%M}", zone))
            slot += 1
    others = [
        WorkflowSpec(s, quiet[(s * 7) % len(quiet)], "UTC") for s in range(slot, workflows + 1)
    ]
    return others, firing


def _baseline_timer(
    instants: Sequence[datetime], due: Sequence[int]
) -> tuple[BackgroundScheduler, dict[datetime, list[float]]]:
    """A bare APScheduler with the scheduler's executor, running as many jobs as there are
    due runs at each instant; each job records how late it started."""
    delays: dict[datetime, list[float]] = {instant: [] for instant in instants}
    lock = threading.Lock()

    def job(instant: datetime) -> None:
        late = time.time() - instant.timestamp()
        with lock:
            delays[instant].append(late)

    timer = BackgroundScheduler(
        timezone="UTC",
        executors={"default": ThreadPoolExecutor(WORKERS)},
        job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": WORKERS},
    )
    for instant, count in zip(instants, due, strict=True):
        for _ in range(count):
            timer.add_job(job, DateTrigger(run_date=instant), args=[instant])
    timer.start()
    return timer, delays


def _free_ports(count: int) -> list[int]:
    """Ports free now, one per scheduler process's /healthz."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def _start_schedulers(url: str, slack: StandIn, processes: int, log: Path) -> list[Any]:
    """``processes`` `serve --role scheduler` processes on one database, each posting with a
    token of its own (so the stand-in tells their posts apart) and its own health port."""
    bots = []
    for number, port in enumerate(_free_ports(processes)):
        environment = {
            **_bot_environment(url, slack.url),
            "SLACK_BOT_TOKEN": f"{TOKEN}-{number}",
            "HEALTH_PORT": str(port),
        }
        bots.append(_start_bot(["serve", "--role", "scheduler"], environment, log))
    return bots


def firing(
    engine: Engine,
    url: str,
    slack: StandIn,
    workflows: int,
    due: Sequence[int],
    log: Path,
    processes: int = 1,
) -> FiringFigures:
    sessions = session_factory(engine)
    clock = SystemClock()
    type_id = _deals_type(sessions, clock.now())
    generate_deals(engine, type_id, workflows, clock.now())
    # Instants a minute apart (schedules have minute resolution), the first at least
    # FIRING_LEAD after the workflows are written.
    setup_started = time.perf_counter()
    now = clock.now()
    first_instant = _ceil_minute(now + SETUP_ESTIMATE + FIRING_LEAD)
    instants = [first_instant + timedelta(minutes=n) for n in range(len(due))]
    others, due_specs = _firing_specs(workflows, due, instants, now)
    add_workflows(sessions, due_specs + others, now)
    _analyze(engine)
    if clock.now() > first_instant - timedelta(seconds=5):
        raise RuntimeError(
            f"setting up took {time.perf_counter() - setup_started:.0f} s: "
            "too long to reach the first instant; try again"
        )
    bots = _start_schedulers(url, slack, processes, log)
    started = time.perf_counter()
    memories = [PeakMemory(bot.pid) for bot in bots]
    timer, baseline = _baseline_timer(instants, due)
    expected = sum(due)
    time.sleep(max(0.0, instants[0].timestamp() - CPU_LEAD_SECONDS - time.time()))
    cpu_before = _read_cpu(bots, slack)
    cpu_after = cpu_before
    # A slow burst is still measured to its end (its lateness is the figure), not cut off.
    deadline = instants[-1] + max(FIRING_DRAIN, timedelta(seconds=0.05 * expected))
    try:
        while clock.now() < deadline:
            time.sleep(1.0)
            if clock.now() > instants[-1] and len(slack.report()[0]) >= expected:
                break
        cpu_after = _read_cpu(bots, slack)
    finally:
        timer.shutdown(wait=True)
        for bot in bots:
            bot.send_signal(signal.SIGTERM)
        children = [
            _wait_child(bot, started, memory) for bot, memory in zip(bots, memories, strict=True)
        ]
    first_posts, calls = slack.report()
    peak = max(child.peak_rss_mb for child in children)
    figures = FiringFigures(workflows, [], peak, calls, processes)
    figures.posts_per_process = [slack.posts_by_token[f"{TOKEN}-{n}"] for n in range(processes)]
    figures.cpu = CpuFigures.between(cpu_before, cpu_after)
    with transaction(sessions) as session:
        runs = session.execute(
            select(Run.id, Run.scheduled_at, Run.created_at, Run.started_at).where(
                Run.source == RunSource.SCHEDULE.value
            )
        ).all()
    for instant, count in zip(instants, due, strict=True):
        group = InstantFigures(instant, count, baseline_delays=baseline[instant])
        at = [r for r in runs if r.scheduled_at == instant]
        group.posted = sum(1 for r in at if r.id in first_posts)
        group.post_delays = [
            first_posts[r.id] - instant.timestamp() for r in at if r.id in first_posts
        ]
        group.claim_delays = [(r.started_at - instant).total_seconds() for r in at if r.started_at]
        group.first_claim = min(group.claim_delays, default=math.nan)
        # created_at is the "now" of the planning transaction that wrote the run.
        group.last_planned = max(((r.created_at - instant).total_seconds() for r in at), default=0)
        figures.instants.append(group)
    return figures


# -- 2. start-up ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StartupFigures:
    workflows: int
    ready_seconds: list[float]
    ready_rss_mb: list[float]
    peak_rss_mb: list[float]
    import_seconds: list[float]
    import_peak_rss_mb: list[float]


def _start_once(
    url: str, slack: StandIn, sessions: sessionmaker[Session], log: Path
) -> tuple[float, float, float]:
    """Starts the scheduler process with one manual run pending; it is ready once its first
    tick has posted that run's message. Returns seconds to ready, RSS then, and peak RSS."""
    with transaction(sessions) as session:
        name = session.scalars(select(Workflow.name).order_by(Workflow.id).limit(1)).one()
        run_id = request_run(session, TEAM, name, CLI_ACTOR, SystemClock().now()).run_id
    spawned = time.time()
    started = time.perf_counter()
    bot = _start_bot(["serve", "--role", "scheduler"], _bot_environment(url, slack.url), log)
    memory = PeakMemory(bot.pid)
    ready: float | None = None
    rss = 0.0
    try:
        while time.perf_counter() - started < 60 and bot.poll() is None:
            first_posts, _ = slack.report()
            if run_id in first_posts:
                rss = rss_mb(bot.pid)[0]
                ready = first_posts[run_id] - spawned
                time.sleep(0.5)  # the tick finishes the run and arms the next wake-up
                break
            time.sleep(0.02)
    finally:
        bot.send_signal(signal.SIGTERM)
        child = _wait_child(bot, started, memory)
    if ready is None:
        raise RuntimeError(f"the scheduler process never posted the pending run: see {log}")
    return ready, rss, child.peak_rss_mb


def _import_cli() -> ChildRun:
    """The baseline: a process that only imports the CLI; seconds until the imports are done
    (its exit is left out, as the scheduler's is)."""
    spawned = time.time()
    process = subprocess.Popen(
        [sys.executable, "-c", "import time, bot.cli; print(time.time())"],
        cwd=DATA_DIR,
        stdout=subprocess.PIPE,
    )
    memory = PeakMemory(process.pid)
    output, _ = process.communicate()
    return ChildRun(float(output) - spawned, memory.stop())


def startup(
    engine: Engine, url: str, slack: StandIn, workflows: int, log: Path, repeat: int = 3
) -> StartupFigures:
    """Expects the database the firing benchmark left: ``workflows`` active workflows."""
    sessions = session_factory(engine)
    figures = StartupFigures(workflows, [], [], [], [], [])
    for _ in range(repeat):
        imported = _import_cli()
        figures.import_seconds.append(imported.seconds)
        figures.import_peak_rss_mb.append(imported.peak_rss_mb)
        ready, rss, peak = _start_once(url, slack, sessions, log)
        figures.ready_seconds.append(ready)
        figures.ready_rss_mb.append(rss)
        figures.peak_rss_mb.append(peak)
    return figures


# -- 3. a digest run over 1,000,000 records -------------------------------------------------


@dataclass
class DigestFigures:
    records: int
    generate_seconds: float = 0.0
    enrolled: int = 0
    results: int = 0
    enroll_seconds: float = 0.0
    post_seconds: float = 0.0
    finish_seconds: float = 0.0
    process: ChildRun | None = None
    hand_written_seconds: list[float] = field(default_factory=list)
    hand_written_commit_seconds: list[float] = field(default_factory=list)
    # The run's own enrolling statement, run as it runs it, beside each hand-written one.
    ours_seconds: list[float] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    digest_channel_posts: int = 0


def _hand_written_enrollment(engine: Engine, type_id: int, run_id: int) -> tuple[float, float, int]:
    """Seconds of the statement, then with its commit, and the rows written; then removes them."""
    statement = text(HAND_WRITTEN_ENROLLMENT[engine.dialect.name]).bindparams(
        bindparam("now", type_=UTCDateTime())
    )
    parameters = {"run_id": run_id, "type_id": type_id, "now": SystemClock().now()}
    started = time.perf_counter()
    with engine.begin() as connection:
        written = connection.execute(statement, parameters).rowcount
        executed = time.perf_counter() - started
    committed = time.perf_counter() - started
    _forget_enrollments(engine, run_id)
    return executed, committed, written


def _our_enrollment(
    engine: Engine, sessions: sessionmaker[Session], query: EnrollmentQuery, run_id: int
) -> tuple[float, int]:
    """Seconds of the statement a scheduled run enrolls with (RunRepository.enroll_selected
    of selected_records, as Execution.enroll_by_criteria runs it), before its commit, and
    the rows written; then removes them. Timed apart from the run: the run reads its
    enrolled_at before this statement, so its own timestamps cannot tell how long it took."""
    with write_transaction(sessions) as session:
        runs = RunRepository(session)
        newest = runs.newest_record_id()
        selected = selected_records(query, engine.dialect.name)
        started = time.perf_counter()
        written = runs.enroll_selected(
            run_id, selected.subquery(), RunSource.MANUAL, None, SystemClock().now(), newest
        )
        executed = time.perf_counter() - started
    _forget_enrollments(engine, run_id)
    return executed, written


def _forget_enrollments(engine: Engine, run_id: int) -> None:
    """Removes a timed statement's enrollments, leaving no dead rows for the next one."""
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM enrollments WHERE run_id = :run"), {"run": run_id})
    _vacuum(engine, "enrollments")


def _digest_query(
    sessions: sessionmaker[Session], type_id: int, workflow_id: int, occurrence: datetime
) -> EnrollmentQuery:
    """What the digest workflow's run at ``occurrence`` enrolls, from its stored definition
    as Execution.enrollment_query builds it."""
    with transaction(sessions) as session:
        types = ObjectTypeRepository(session).property_types(type_id)
        workflow = session.get_one(Workflow, workflow_id)
        definition = definition_of(session, workflow, types)
    at = occurrence.astimezone(definition.schedule.zone)
    return EnrollmentQuery(
        run_id=0,
        object_type_id=type_id,
        workflow_id=workflow_id,
        snoozed_at=occurrence,
        criteria=definition.criteria.at(at, types),
        suppression=definition.suppression.at(at, types),
        property_types=types,
    )


def _vacuum(engine: Engine, table: str) -> None:
    """Leaves no dead rows behind for the next writer to wade through (SQLite has none)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM ANALYZE {table}"))


def digest(
    engine: Engine, url: str, slack: StandIn, records: int, log: Path, repeat: int = 3
) -> DigestFigures:
    sessions = session_factory(engine)
    clock = SystemClock()
    figures = DigestFigures(records)
    type_id = _deals_type(sessions, clock.now())
    figures.generate_seconds = generate_deals(engine, type_id, records, clock.now())
    # Due at the current minute: `serve --once` then finds it on time and runs it at once.
    occurrence = clock.now().replace(second=0, microsecond=0)
    document = {
        "name": "Digest of big deals in contract",
        "object_type": "deals",
        "status": "active",
        "owner": OWNER,
        "schedule": {"frequency": "daily", "time": f"{occurrence:%H:%M}", "timezone": "UTC"},
        "criteria": DIGEST_CRITERIA,
        "actions": [
            {
                "type": "send_channel_message",
                "channel": "C0DIGEST",
                "text": "{{ name }} ({{ owner }}): {{ properties.amount }} USD",
                "mode": "digest",
            }
        ],
        "settings": {"summary_channel": "C0SUMMARY", "summary": "always"},
    }
    with write_transaction(sessions) as session:  # also indexes stage and amount on 1M records
        saved = save_workflow(
            session, TEAM, document, CLI_ACTOR, "UTC", occurrence - timedelta(seconds=1)
        )
        # Run rows nobody claims, one per try: rows deleted under the same keys would make
        # PostgreSQL's unique index visit their dead tuples until a vacuum.
        baseline_runs = [
            RunRepository(session).add(
                NewRun(
                    workflow_id=saved.workflow_id,
                    revision=saved.revision,
                    occurrence_key=f"bench-baseline-{number}",
                    scheduled_at=occurrence,
                    source=RunSource.MANUAL,
                    status=RunStatus.CANCELLED,
                ),
                clock.now(),
            )
            for number in range(repeat)
        ]
    _analyze(engine)
    query = _digest_query(sessions, type_id, saved.workflow_id, occurrence)
    for baseline_run in baseline_runs:
        assert baseline_run is not None
        executed, committed, written = _hand_written_enrollment(engine, type_id, baseline_run)
        figures.hand_written_seconds.append(executed)
        figures.hand_written_commit_seconds.append(committed)
        executed, ours = _our_enrollment(engine, sessions, query, baseline_run)
        figures.ours_seconds.append(executed)
        if ours != written:
            raise AssertionError(f"hand-written SQL enrolled {written}, the run's statement {ours}")
    started = time.perf_counter()
    bot = _start_bot(["serve", "--once"], _bot_environment(url, slack.url), log)
    figures.process = _wait_child(bot, started, PeakMemory(bot.pid))
    if bot.returncode != 0:
        raise RuntimeError(f"serve --once failed: see {log}")
    with transaction(sessions) as session:
        run = session.scalars(select(Run).where(Run.source == RunSource.SCHEDULE.value)).one()
        figures.enrolled = RunRepository(session).enrollment_count(run.id)
        figures.results = sum(RunRepository(session).outcome_counts(run.id).values())
        results_at = session.scalar(
            select(func.min(ActionResult.created_at)).where(ActionResult.run_id == run.id)
        )
        assert run.started_at and run.enrolled_at and run.finished_at and results_at
        figures.enroll_seconds = (run.enrolled_at - run.started_at).total_seconds()
        figures.post_seconds = (results_at - run.enrolled_at).total_seconds()
        figures.finish_seconds = (run.finished_at - results_at).total_seconds()
    if written != figures.enrolled:
        raise AssertionError(f"hand-written SQL enrolled {written}, the run {figures.enrolled}")
    _, figures.calls = slack.report()
    figures.digest_channel_posts = figures.calls["chat.postMessage"] - 1  # less the summary
    return figures


# -- report ---------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def print_firing(database: str, figures: FiringFigures) -> None:
    due = " / ".join(f"{g.due:,}" for g in figures.instants)
    print(
        f"\n### Firing on {database}: {figures.workflows:,} active daily workflows; "
        f"{due} due at {len(figures.instants)} instants a minute apart"
    )
    print(
        "Delay from the scheduled instant to the run's first chat.postMessage at the stand-in "
        "(`serve --role scheduler`), next to a bare APScheduler job per due run at the same "
        "instants (same executor). Target p99 <= 1 s."
    )
    print(
        "| due at the instant | runs posted | first post p50 (s) | p99 (s) | max (s) "
        "| claimed p50 / p99 (s) | first claim / last plan batch (s) "
        "| bare APScheduler p50 / p99 (ms) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    every: list[float] = []
    every_baseline: list[float] = []
    for group in figures.instants:
        every += group.post_delays
        every_baseline += group.baseline_delays
        posts = group.post_delays or [math.nan]
        claims = group.claim_delays or [math.nan]
        base = group.baseline_delays or [math.nan]
        print(
            f"| {group.due:,} at {group.scheduled_at:%H:%M:%S} | {group.posted:,} "
            f"| {percentile(posts, 0.5):.2f} | {percentile(posts, 0.99):.2f} "
            f"| {max(posts):.2f} "
            f"| {percentile(claims, 0.5):.2f} / {percentile(claims, 0.99):.2f} "
            f"| {group.first_claim:.2f} / {group.last_planned:.2f} "
            f"| {_ms(percentile(base, 0.5))} / {_ms(percentile(base, 0.99))} |"
        )
    if every:
        print(
            f"| all {sum(g.due for g in figures.instants):,} | {len(every):,} "
            f"| {percentile(every, 0.5):.2f} | {percentile(every, 0.99):.2f} | {max(every):.2f} "
            f"| | | {_ms(percentile(every_baseline, 0.5))} / "
            f"{_ms(percentile(every_baseline, 0.99))} |"
        )
    print(
        f"scheduler process peak RSS {figures.engine_peak_rss_mb:.0f} MB; Slack calls: "
        + ", ".join(f"{method} {count:,}" for method, count in sorted(figures.calls.items()))
    )


def print_startup(database: str, figures: StartupFigures) -> None:
    print(f"\n### Start-up on {database}: {figures.workflows:,} active workflows")
    print(
        "Ready = from spawning `python -m bot serve --role scheduler` to the message of a run "
        "that was pending at start reaching the stand-in (its first tick ran it), median of "
        f"{len(figures.ready_seconds)}. Targets <= 3 s, <= 250 MB."
    )
    print("| process | seconds (median) | all runs (s) | RSS at ready (MB) | peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|")
    runs = ", ".join(f"{s:.2f}" for s in figures.ready_seconds)
    print(
        f"| serve --role scheduler, ready | {_median(figures.ready_seconds):.2f} | {runs} "
        f"| {_median(figures.ready_rss_mb):.0f} | {_median(figures.peak_rss_mb):.0f} |"
    )
    runs = ", ".join(f"{s:.2f}" for s in figures.import_seconds)
    print(
        f'| baseline: python -c "import bot.cli" | {_median(figures.import_seconds):.2f} '
        f"| {runs} | | {_median(figures.import_peak_rss_mb):.0f} |"
    )


def print_digest(database: str, figures: DigestFigures) -> None:
    print(
        f"\n### Digest run on {database}: {figures.enrolled:,} of {figures.records:,} deals "
        f"enrolled (generated in SQL in {figures.generate_seconds:.0f} s)"
    )
    hand = _median(figures.hand_written_seconds)
    assert figures.process is not None
    print(
        "The run is `serve --once` in a child process; its phases come from the run's own "
        "timestamps. Targets: enrollment <= 2x the hand-written SQL, Slack calls O(channels), "
        "peak RSS <= 300 MB."
    )
    print("| step | ms | x hand-written |")
    print("|---|---:|---:|")
    ours = _median(figures.ours_seconds)
    tries = ", ".join(_ms(s) for s in figures.ours_seconds)
    print(
        f"| the run's enrolling statement, {figures.enrolled:,} enrollment rows, before commit "
        f"(run alone, alternated with the baseline; median of {tries}) | {_ms(ours)} "
        f"| {ours / hand:.2f} |"
    )
    tries = ", ".join(_ms(s) for s in figures.hand_written_seconds)
    print(
        f"| baseline: hand-written INSERT INTO enrollments ... SELECT, before commit "
        f"(median of {tries}) | {_ms(hand)} | 1.00 |"
    )
    committed = _median(figures.hand_written_commit_seconds)
    print(f"| baseline with its commit | {_ms(committed)} | {committed / hand:.2f} |")
    print(
        "| the run: claim to enrolled_at (the claim, its source checked, the write "
        "transaction opened; the clock is read before the records are selected) "
        f"| {_ms(figures.enroll_seconds)} | |"
    )
    # The results' instant is taken after the whole digest is posted where writers wait for
    # each other (SQLite), else after its first message, the replies posted while writing.
    pacing = f"{max(figures.digest_channel_posts - 1, 0)} s of Slack pacing"
    posted_first = database == "sqlite"
    print(
        f"| the run: enroll the records, read the first ones, render, post the digest "
        f"({figures.digest_channel_posts} messages in one channel"
        f"{': ' + pacing if posted_first else '; here only its first'}) "
        f"| {_ms(figures.post_seconds)} | |"
    )
    print(
        f"| the run: write {figures.results:,} action results, summary, its message"
        f"{'' if posted_first else ', while posting the replies (' + pacing + ')'} "
        f"| {_ms(figures.finish_seconds)} | |"
    )
    whole = figures.enroll_seconds + figures.post_seconds + figures.finish_seconds
    print(f"| the run: claim to summary (the goal: <= 5 s) | {_ms(whole)} | |")
    print(f"| whole `serve --once` process | {_ms(figures.process.seconds)} | |")
    print(
        "Slack calls: "
        + ", ".join(f"{method} {count:,}" for method, count in sorted(figures.calls.items()))
        + f"; peak RSS of the run's process {figures.process.peak_rss_mb:.0f} MB"
    )


# -- 4. the Monday 09:00 burst: many due at one instant, one or several processes ----------

# (due at one instant, scheduler processes): the curve `make bench` draws on each database.
BURSTS = {
    "postgresql": [(d, p) for d in (100, 1_000, 5_000) for p in (1, 2, 4)],
    "sqlite": [(300, 1)],
}


def burst(
    kind: str, workflows: int, bursts: Sequence[tuple[int, int]], log: Path
) -> list[FiringFigures]:
    """One burst per (due, processes), each on a fresh database and stand-in, with
    ``workflows`` active workflows of which ``due`` fire at one instant."""
    figures = []
    for due, processes in bursts:
        with StandIn() as slack, empty_database(kind) as (engine, url):
            figures.append(firing(engine, url, slack, max(workflows, due), [due], log, processes))
    return figures


def print_burst(database: str, bursts: Sequence[FiringFigures], load: Sequence[float]) -> None:
    print(
        f"\n### Burst on {database}: one instant, `serve --role scheduler` processes sharing "
        "one database (each its own token at the stand-in)"
    )
    print(
        "Delay from the instant to each run's first chat.postMessage at the stand-in, next to "
        "a bare APScheduler job per due run at the same instant. Goals: PostgreSQL 1,000 due "
        "on one process p99 <= 2 s, 5,000 on four p99 <= 3 s; SQLite 300 due p99 <= 2 s. "
        f"Load average before / after: {load[0]:.1f} / {load[1]:.1f}."
    )
    cores = os.cpu_count() or 1
    print(
        "CPU: core-seconds busy from just before the instant to the last post (seen at most "
        "1 s late), by the whole machine (schedulers, PostgreSQL, stand-in, this bench) and by "
        "the schedulers, PostgreSQL's processes (0 on SQLite) and the Slack stand-in (Slack's "
        f"work, on other machines in production); the machine's divided by its {cores} cores "
        "is the soonest the last post could come at that cost."
    )
    print(
        "| due | processes | workflows | runs posted | p50 (s) | p99 (s) | max (s) "
        "| posts per process | bare APScheduler p99 (ms) | p99 / bare p99 "
        "| machine CPU (core-s) | schedulers' CPU (s) | PostgreSQL's CPU (s) "
        "| stand-in's CPU (s) | machine CPU per run (ms) | machine CPU / cores (s) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for figures in bursts:
        group = figures.instants[0]
        posts = group.post_delays or [math.nan]
        base = percentile(group.baseline_delays or [math.nan], 0.99)
        p99 = percentile(posts, 0.99)
        print(
            f"| {group.due:,} | {figures.processes} | {figures.workflows:,} | {group.posted:,} "
            f"| {percentile(posts, 0.5):.2f} | {p99:.2f} | {max(posts):.2f} "
            f"| {' / '.join(f'{n:,}' for n in figures.posts_per_process)} "
            f"| {_ms(base)} | {p99 / base:,.0f} | {_cpu_columns(figures.cpu, group.due, cores)}"
        )


def _cpu_columns(cpu: CpuFigures | None, due: int, cores: int) -> str:
    if cpu is None:
        return "| | | | | |"
    return (
        f"{cpu.machine_seconds:.2f} | {cpu.scheduler_seconds:.2f} "
        f"| {cpu.database_seconds:.2f} | {cpu.standin_seconds:.2f} "
        f"| {1000 * cpu.machine_seconds / max(due, 1):.2f} | {cpu.machine_seconds / cores:.2f} |"
    )


# -- entry point ----------------------------------------------------------------------------


BENCHMARKS = ("firing", "startup", "digest", "burst")


def run(
    kind: str,
    workflows: int = 10_000,
    records: int = 1_000_000,
    due: Sequence[int] = (100, 300, 600),
    benchmarks: Sequence[str] = BENCHMARKS,
    bursts: Sequence[tuple[int, int]] | None = None,
) -> None:
    """Runs the engine benchmarks on fresh databases of ``kind`` (one for firing and
    start-up, one for the digest run) and prints their tables."""
    DATA_DIR.mkdir(exist_ok=True)
    log = DATA_DIR / f"engine-bench-{kind}.log"
    log.write_text("")
    if "firing" in benchmarks or "startup" in benchmarks:
        with StandIn() as slack, empty_database(kind) as (engine, url):
            if "firing" in benchmarks:
                print_firing(kind, firing(engine, url, slack, workflows, due, log))
            else:  # start-up alone: the workflows without the wait for them to fire
                sessions = session_factory(engine)
                now = SystemClock().now()
                generate_deals(engine, _deals_type(sessions, now), workflows, now)
                others, _ = _firing_specs(workflows, (), (), now)
                add_workflows(sessions, others, now)
            if "startup" in benchmarks:
                print_startup(kind, startup(engine, url, slack, workflows, log))
    if "digest" in benchmarks:
        with StandIn() as slack, empty_database(kind) as (engine, url):
            print_digest(kind, digest(engine, url, slack, records, log))
    if "burst" in benchmarks:
        before = os.getloadavg()[0]
        figures = burst(kind, workflows, BURSTS[kind] if bursts is None else bursts, log)
        print_burst(kind, figures, (before, os.getloadavg()[0]))
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workflows", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--due", default="100,300,600", help="runs due at each instant, a minute apart"
    )
    parser.add_argument("--benchmarks", default=",".join(BENCHMARKS))
    parser.add_argument(
        "--bursts",
        help="DUExPROCESSES,... for the burst benchmark, e.g. 1000x1,1000x4 "
        "(default: 100, 1,000, 5,000 on 1, 2, 4 processes on PostgreSQL; 300 on SQLite)",
    )
    args = parser.parse_args()
    due = [int(n) for n in args.due.split(",")]
    if sum(due) > args.workflows:
        parser.error("--due asks for more due runs than --workflows")
    bursts = None
    if args.bursts:
        pairs = [item.split("x") for item in args.bursts.split(",")]
        bursts = [(int(count), int(processes)) for count, processes in pairs]
    for kind in args.databases.split(","):
        run(kind, args.workflows, args.records, due, args.benchmarks.split(","), bursts)


if __name__ == "__main__":
    main()
