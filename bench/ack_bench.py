"""Acknowledgement benchmark: how fast the bot answers Slack's HTTP requests while 20 users
send signed ``/workflow list`` commands and wizard submissions at once, next to a Bolt app
that only acks, measured in the same run on the same server (bench/ack_server.py).

python -m bench.ack_bench [--databases sqlite,postgresql] [--scenarios paced,saturated]
                          [--think SECONDS] [--requests N] [--users N] [--clients N]

Two scenarios. "paced": before each request, each user waits a think time drawn from an
exponential distribution (mean ``--think``, 0.25 s: 20 users offer about 80 requests/s, far
more than 20 people do), so latency is how fast an acknowledgement is when people use the
bot; the issue's targets are judged on it. "saturated": each user sends its next request as
soon as the previous one is answered, so latency is mostly users / throughput; it measures
capacity.

Each app is served by a child process of its own; Slack's side (the Web API stand-in of the
tests, and the response URLs the bot replies to after acking) by another; the simulated users
are threads in ``--clients`` further processes (one is enough: a user costs about a third of
the minimal app's CPU per request). The two apps take turns, in rounds, so that both meet the
same load from the rest of the machine. Every request is a fresh connection, as Slack opens
one per request, and is signed before the timed part.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import math
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import get_context
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.ack_server import SIGNING_SECRET, TOKEN
from bench.databases import DATA_DIR, empty_database
from bench.engine_bench import DEAL_PROPERTIES, REPO_ROOT, STAGES, generate_deals, percentile
from bot.slack.ids import SLASH_COMMAND, WizardAction, WizardBlock
from bot.slack.views.wizard import build_wizard_view
from bot.workflows.clock import SystemClock
from bot.workflows.drafts import start_create, wizard_page
from bot.workflows.lifecycle import CLI_ACTOR, save_workflow
from storage.database import session_factory, write_transaction
from storage.object_types import ObjectTypeRepository

TEAM = "T0STANDIN"  # the stand-in's workspace
APPS = ("ours", "minimal")
COMMAND = "command"
SUBMISSION = "view submission"
WORKFLOWS = 50
DEALS = 3_000
EVENTS_PATH = "/slack/events"
# The targets of the issue, judged on the paced scenario.
TARGET_RATIO = 1.5
TARGET_P99_SECONDS = 0.300
# The scenarios: think time between a user's requests, and requests per app, timed.
PACED = "paced"
SATURATED = "saturated"
SCENARIOS = (PACED, SATURATED)
THINK_SECONDS = 0.25
REQUESTS = {PACED: 960, SATURATED: 2_000}  # multiples of users x rounds


def _user(number: int) -> str:
    return f"U0ACK{number:04d}"


# -- Slack's side, in a process of its own ---------------------------------------------------


def _calls(standin: Any, call: Any) -> dict[str, Any]:
    """A stand-in method of the benchmark: the Web API calls made, by method."""
    calls = Counter(c.method for c in standin.calls() if not c.method.startswith("bench."))
    return {"ok": True, "calls": dict(calls)}


class _ReplyServer(ThreadingHTTPServer):
    """Takes the replies the bot posts to response URLs: counts them all and checks the
    first few against Block Kit. Not the stand-in's own response URLs: it validates every
    reply with jsonschema.validate, which checks the Block Kit schema itself first, about
    0.2 s of CPU per reply on this machine, taken from the processes measured."""

    daemon_threads = True
    CHECKED = 5

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReplyHandler)
        self.lock = threading.Lock()
        self.replies = 0
        self.invalid = 0

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def take(self, raw: bytes) -> None:
        from tests.block_kit import assert_valid_blocks

        reply = json.loads(raw)
        with self.lock:
            self.replies += 1
            check = self.replies <= self.CHECKED
        if not check:
            return
        try:
            assert_valid_blocks(reply.get("blocks") or [])
        except Exception:
            with self.lock:
                self.invalid += 1


class _ReplyHandler(BaseHTTPRequestHandler):
    server: _ReplyServer

    def do_POST(self) -> None:
        self.server.take(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self._answer(b"ok")

    def do_GET(self) -> None:
        with self.server.lock:
            counts = {"replies": self.server.replies, "invalid": self.server.invalid}
        self._answer(json.dumps(counts).encode())

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve_slack(connection: Connection, users: int) -> None:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from tests.slack_standin import SlackStandIn

    standin = SlackStandIn(token=TOKEN)
    standin.handlers["bench.calls"] = _calls
    for number in range(users):
        standin.add_user(_user(number), tz="Europe/Paris")
    replies = _ReplyServer()
    thread = threading.Thread(target=replies.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    with standin:
        connection.send((standin.url, replies.url))
        connection.recv()  # anything: stop
    replies.shutdown()
    thread.join()


@dataclass(frozen=True)
class SlackReport:
    replies: int
    invalid_replies: int
    calls: Counter[str]


class Slack:
    """Slack's side, served by a child process: the Web API stand-in of the tests
    (tests/slack_standin.py) and the response URLs of the commands."""

    def __init__(self, users: int) -> None:
        context = get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve_slack, args=(child, users), daemon=True)

    def __enter__(self) -> Slack:
        self._process.start()
        self.url, self._replies_url = self._connection.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._connection.send("stop")
        self._process.join(10)

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

    def response_url(self, number: int) -> str:
        return f"{self._replies_url}/response/ack/{number}"

    def report(self) -> SlackReport:
        with urllib.request.urlopen(f"{self._replies_url}/count", timeout=30) as answer:
            counts = json.load(answer)
        request = urllib.request.Request(
            f"{self.url}bench.calls",
            data=b"{}",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            calls = Counter(json.load(answer)["calls"])
        return SlackReport(int(counts["replies"]), int(counts["invalid"]), calls)

    def wait_for_replies(self, expected: int, timeout: float = 30.0) -> int:
        """Waits until ``expected`` replies reached response URLs (the work the bot does
        after its acks); returns how many did."""
        deadline = time.monotonic() + timeout
        while True:
            with urllib.request.urlopen(f"{self._replies_url}/count", timeout=30) as answer:
                received = int(json.load(answer)["replies"])
            if received >= expected or time.monotonic() > deadline:
                return received
            time.sleep(0.05)


# -- the apps, in processes of their own -----------------------------------------------------


@dataclass
class Server:
    app: str
    process: subprocess.Popen[str]
    port: int

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.process.pid)

    def settle(self, timeout: float = 10.0) -> None:
        """Waits until the server is idle (no work left over from its last turn to take CPU
        time from the other app's turn)."""
        deadline = time.monotonic() + timeout
        before = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = self.cpu_seconds()
            if now - before < 0.005:
                return
            before = now


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far, with its live children's (a server's
    worker processes) (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds(child) for child in _children(pid))


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found += [int(child) for child in children.read().split()]
    except FileNotFoundError:
        pass  # gone meanwhile
    return found


@contextmanager
def serving(
    app: str, slack_url: str, database_url: str | None, workers: int = 1
) -> Iterator[Server]:
    arguments = [sys.executable, "-m", "bench.ack_server", app, "--slack-url", slack_url]
    arguments += ["--workers", str(workers)]
    if database_url:
        arguments += ["--database-url", database_url]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    process = subprocess.Popen(
        arguments,
        cwd=REPO_ROOT,
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    line = process.stdout.readline()
    if not line.strip().isdigit():
        process.kill()
        raise RuntimeError(f"the {app} app did not start (see its error output above)")
    try:
        yield Server(app, process, int(line))
    finally:
        process.stdin.close()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- requests as Slack sends them ------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    kind: str
    body: bytes
    headers: dict[str, str]


def _signed(kind: str, body: str, content_type: str, verifier: SignatureVerifier) -> Request:
    # Signed ahead of the timed part: Bolt accepts a signature for five minutes.
    stamp = str(int(time.time()))
    signature = verifier.generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    return Request(
        kind,
        body.encode(),
        {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature,
        },
    )


def command_request(
    user_id: str, response_url: str, verifier: SignatureVerifier, text: str = "list"
) -> Request:
    form = {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "team_domain": "standin",
        "channel_id": "C0GENERAL",
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": SLASH_COMMAND,
        "text": text,
        "api_app_id": "A0WORKFLOWBOT",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{time.time_ns()}.ack-bench",
    }
    return _signed(COMMAND, urlencode(form), "application/x-www-form-urlencoded", verifier)


def submission_request(
    user_id: str, view: dict[str, Any], values: dict[str, Any], verifier: SignatureVerifier
) -> Request:
    """A view submission of ``view`` (as Slack holds it) with ``values`` as its state."""
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "standin"},
        "user": {"id": user_id, "team_id": TEAM},
        "api_app_id": "A0WORKFLOWBOT",
        "trigger_id": f"{time.time_ns()}.ack-bench",
        "view": {**view, "state": {"values": values}},
    }
    body = urlencode({"payload": json.dumps(payload)})
    return _signed(SUBMISSION, body, "application/x-www-form-urlencoded", verifier)


# -- the wizard's first step -----------------------------------------------------------------


@dataclass(frozen=True)
class Submissions:
    """One signed submission per slot, by user, and the answer the bot should give each."""

    description: str
    expected_action: str
    by_user: dict[str, list[Request]]


def wizard_submissions(
    sessions: sessionmaker[Session], needed: dict[str, int], verifier: SignatureVerifier
) -> Submissions:
    """Valid submissions of the create wizard's first step (a name and the deals type), each
    of a draft of its own: the bot reads the draft's step from the draft, so a draft
    submitted twice would be at step 2 the second time."""
    now = SystemClock().now()
    by_user: dict[str, list[Request]] = {}
    with write_transaction(sessions) as session:
        drafts = {
            user: [start_create(session, TEAM, user, "Europe/Paris", now) for _ in range(count)]
            for user, count in needed.items()
        }
        # Every first step looks the same but for its draft id: built once.
        first = next(d for user_drafts in drafts.values() for d in user_drafts)
        view = build_wizard_view(wizard_page(session, first, "UTC", now))
    number = 0
    for user, user_drafts in drafts.items():
        by_user[user] = []
        for draft in user_drafts:
            number += 1
            shown = {
                **view,
                "id": f"VACK{number:06d}",
                "team_id": TEAM,
                "hash": f"{number:08x}",
                "root_view_id": f"VACK{number:06d}",
                "previous_view_id": None,
                "private_metadata": draft.id,
                "external_id": "",
            }
            values: dict[str, Any] = {
                WizardBlock.NAME: {
                    WizardAction.INPUT: {"type": "plain_text_input", "value": f"Ack {number}"}
                },
                WizardBlock.OBJECT_TYPE: {
                    WizardAction.INPUT: {
                        "type": "static_select",
                        "selected_option": {
                            "text": {"type": "plain_text", "text": "deals"},
                            "value": "deals",
                        },
                    }
                },
            }
            by_user[user].append(submission_request(user, shown, values, verifier))
    return Submissions(
        "the create wizard's first step (a new name and the deals type), valid, each of a "
        "draft of its own, answered with the second step (response_action update)",
        "update",
        by_user,
    )


# -- the simulated users ---------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    kind: str
    seconds: float
    status: int  # 0: no HTTP answer
    outcome: str  # a submission's response_action, or the error that stopped the request


@dataclass(frozen=True)
class LoadResult:
    samples: list[Sample]
    wall_seconds: float
    user_seconds: float  # the users' times from the start to their last answer, summed
    cpu_seconds: float


def _send(port: int, request: Request) -> tuple[float, int, bytes | str]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", EVENTS_PATH, body=request.body, headers=request.headers)
        response = connection.getresponse()
        body = response.read()
        return time.perf_counter() - started, response.status, body
    except (OSError, http.client.HTTPException) as error:
        return time.perf_counter() - started, 0, type(error).__name__
    finally:
        connection.close()


def _outcome(kind: str, status: int, body: bytes | str) -> str:
    if isinstance(body, str):
        return body
    if kind != SUBMISSION or status != 200:
        return ""
    try:
        answer = json.loads(body) if body else {}
    except ValueError:
        return "not JSON"
    return str(answer.get("response_action") or "ack")


def drive(
    port: int, queues: list[list[Request]], think: float = 0.0, seeds: Sequence[int] = ()
) -> LoadResult:
    """One thread per user, each sending its requests one after the other; in the client
    processes. With a ``think`` time (seconds, the mean), a user waits a time drawn from an
    exponential distribution before each request (from ``random.Random(seeds[user])``);
    without, it sends the next as soon as the previous one is answered."""
    answers: list[list[tuple[float, int, bytes | str]]] = [[] for _ in queues]
    spent = [0.0 for _ in queues]
    start = threading.Barrier(len(queues) + 1)

    def user(number: int) -> None:
        pauses = random.Random(seeds[number] if seeds else number)
        start.wait()
        began = time.perf_counter()
        for request in queues[number]:
            if think:
                time.sleep(pauses.expovariate(1 / think))
            answers[number].append(_send(port, request))
        spent[number] = time.perf_counter() - began

    threads = [threading.Thread(target=user, args=(n,)) for n in range(len(queues))]
    for thread in threads:
        thread.start()
    cpu = time.process_time()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    samples = [
        Sample(request.kind, seconds, status, _outcome(request.kind, status, body))
        for queue, sent in zip(queues, answers, strict=True)
        for request, (seconds, status, body) in zip(queue, sent, strict=True)
    ]
    return LoadResult(samples, wall, sum(spent), cpu)


def _ready() -> int:
    return os.getpid()


class Users:
    """The simulated users, spread over ``clients`` processes of threads."""

    def __init__(self, clients: int) -> None:
        self.clients = clients
        self._pool = ProcessPoolExecutor(clients, mp_context=get_context("spawn"))

    def __enter__(self) -> Users:
        # Starts the worker processes now, so that no round pays for it.
        for future in [self._pool.submit(_ready) for _ in range(self.clients)]:
            future.result()
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown()

    def send(
        self, port: int, queues: list[list[Request]], think: float = 0.0, seed: int = 0
    ) -> LoadResult:
        """Sends every user's queue at once (see ``drive``; the think times of user n are
        drawn from the seed ``seed * users + n``); the wall time is the slowest process's."""
        seeds = [seed * len(queues) + number for number in range(len(queues))]
        futures = [
            self._pool.submit(
                drive, port, queues[client :: self.clients], think, seeds[client :: self.clients]
            )
            for client in range(self.clients)
        ]
        results = [future.result() for future in futures]
        return LoadResult(
            [s for r in results for s in r.samples],
            max(r.wall_seconds for r in results),
            sum(r.user_seconds for r in results),
            sum(r.cpu_seconds for r in results),
        )


# -- the database ----------------------------------------------------------------------------


def seed(engine: Engine, users: Sequence[str], workflows: int, deals: int, now: datetime) -> None:
    """Deals and active workflows in the stand-in's workspace, as `/workflow list` lists."""
    sessions = session_factory(engine)
    with write_transaction(sessions) as session:
        object_types = ObjectTypeRepository(session)
        object_types.ensure_built_ins(TEAM, now)
        deals_type = object_types.get(TEAM, "deals")
        object_types.declare(deals_type.id, DEAL_PROPERTIES)
        type_id = deals_type.id
    generate_deals(engine, type_id, deals, now)
    with write_transaction(sessions) as session:
        for number in range(workflows):
            save_workflow(session, TEAM, _workflow(number, users), CLI_ACTOR, "UTC", now)


def _workflow(number: int, users: Sequence[str]) -> dict[str, Any]:
    return {
        "name": f"Ack bench workflow {number:02d}",
        "object_type": "deals",
        "status": "paused" if number % 10 == 9 else "active",
        "owner": users[number % len(users)],
        "schedule": {
            "frequency": "weekly",
            "weekdays": ["mon", "wed", "fri"][: 1 + number % 3],
            "time": f"{8 + number % 10:02d}:{number % 4 * 15:02d}",
            "timezone": ("Europe/Paris", "America/New_York", "Asia/Tokyo")[number % 3],
        },
        "criteria": {
            "any": [
                {
                    "all": [
                        {"property": "stage", "operator": "eq", "value": STAGES[number % 5]},
                        {"property": "amount", "operator": "gte", "value": 1000 * (number % 6)},
                    ]
                }
            ]
        },
        "actions": [
            {
                "type": "send_channel_message",
                "channel": f"C0ACK{number:04d}",
                "text": "{{ name }} ({{ owner }}): {{ properties.amount }} USD",
            }
        ],
        "settings": {},
    }


# -- the benchmark ---------------------------------------------------------------------------


@dataclass
class AppFigures:
    app: str
    samples: list[Sample] = field(default_factory=list)
    wall_seconds: float = 0.0
    user_seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    standin_cpu_seconds: float = 0.0

    def add(self, result: LoadResult, server_cpu: float, standin_cpu: float) -> None:
        self.samples += result.samples
        self.wall_seconds += result.wall_seconds
        self.user_seconds += result.user_seconds
        self.client_cpu_seconds += result.cpu_seconds
        self.server_cpu_seconds += server_cpu
        self.standin_cpu_seconds += standin_cpu

    def of(self, kind: str | None) -> list[Sample]:
        return [s for s in self.samples if kind is None or s.kind == kind]

    def rate(self, users: int) -> float:
        """Requests per second achieved while the users were at work: requests over the
        users' mean time from the start to their last answer (the wall time of a turn also
        counts the wait for the last user, which in the paced scenario is long)."""
        return len(self.samples) / (self.user_seconds / users) if self.user_seconds else math.nan


@dataclass
class AckFigures:
    database: str
    users: int
    clients: int
    think: float  # seconds, the mean; 0: saturated
    submissions: str
    expected_action: str
    apps: dict[str, AppFigures]
    load_before: float = 0.0  # the machine's load average over a minute, before and after
    load_after: float = 0.0
    replies_expected: int = 0
    replies_received: int = 0
    invalid_replies: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    workers: int = 1  # server worker processes of each app


def _queues(
    people: Sequence[str],
    per_user: int,
    slack: Slack,
    verifier: SignatureVerifier,
    sessions: sessionmaker[Session],
) -> tuple[list[list[Request]], Submissions]:
    """Each user alternates commands and submissions, half the users starting with each;
    every submission has a draft of its own, so that each does the same work."""
    kinds = [
        [COMMAND if (number + step) % 2 == 0 else SUBMISSION for step in range(per_user)]
        for number in range(len(people))
    ]
    needed = {user: kinds[n].count(SUBMISSION) for n, user in enumerate(people)}
    submissions = wizard_submissions(sessions, needed, verifier)
    replies = itertools.count()
    queues: list[list[Request]] = []
    for user, user_kinds in zip(people, kinds, strict=True):
        drafts = iter(submissions.by_user[user])
        queues.append(
            [
                command_request(user, slack.response_url(next(replies)), verifier)
                if kind == COMMAND
                else next(drafts)
                for kind in user_kinds
            ]
        )
    return queues, submissions


def _turn(
    load: Users,
    server: Server,
    queues: list[list[Request]],
    part: slice,
    slack: Slack,
    replies: int,
    think: float,
    seed: int,
) -> tuple[LoadResult, float, float]:
    """Sends one part of every queue to ``server``; waits for the work ours does after its
    acks (``replies`` in all so far) and until the server is idle before reading the CPU
    time of the server and of Slack's side."""
    cpu = server.cpu_seconds()
    standin_cpu = _cpu_seconds(slack.pid)
    result = load.send(server.port, [queue[part] for queue in queues], think, seed)
    if server.app == "ours":
        slack.wait_for_replies(replies)
    server.settle()
    return result, server.cpu_seconds() - cpu, _cpu_seconds(slack.pid) - standin_cpu


def run(
    kind: str,
    requests: int = REQUESTS[SATURATED],
    users: int = 20,
    clients: int = 1,
    warmup: int = 100,
    rounds: int = 4,
    think: float = 0.0,
    workers: int = 1,
) -> AckFigures:
    """Measures both apps on a fresh database of ``kind``: ``requests`` each after
    ``warmup``, in ``rounds`` turns that alternate which app goes first. With a ``think``
    time, each user pauses before each request (see ``drive``), the same pauses for both
    apps."""
    load_before = os.getloadavg()[0]
    DATA_DIR.mkdir(exist_ok=True)
    per_round = math.ceil(requests / rounds / users)
    warm = math.ceil(warmup / users)
    people = [_user(n) for n in range(users)]
    verifier = SignatureVerifier(SIGNING_SECRET)
    with Slack(users) as slack, empty_database(kind) as (engine, url):
        seed(engine, people, WORKFLOWS, DEALS, SystemClock().now())
        sessions = session_factory(engine)
        queues, submissions = _queues(people, warm + per_round * rounds, slack, verifier, sessions)
        figures = AckFigures(
            kind,
            users,
            clients,
            think,
            submissions.description,
            submissions.expected_action,
            {app: AppFigures(app) for app in APPS},
            load_before,
        )
        sent_commands = 0
        with (
            serving("ours", slack.url, url, workers) as ours,
            serving("minimal", slack.url, None, workers) as minimal,
            Users(clients) as load,
        ):
            servers = {"ours": ours, "minimal": minimal}
            parts = [slice(0, warm)] + [
                slice(warm + r * per_round, warm + (r + 1) * per_round) for r in range(rounds)
            ]
            for number, part in enumerate(parts):
                commands = sum(r.kind == COMMAND for q in queues for r in q[part])
                order = APPS if number % 2 == 0 else APPS[::-1]
                for app in order:
                    if app == "ours":
                        sent_commands += commands
                    measured = _turn(
                        load, servers[app], queues, part, slack, sent_commands, think, number
                    )
                    if number > 0:  # the first part warms both up
                        figures.apps[app].add(*measured)
            figures.replies_expected = sent_commands
            report = slack.report()
            figures.replies_received = report.replies
            figures.invalid_replies = report.invalid_replies
            figures.calls = report.calls
    figures.load_after = os.getloadavg()[0]
    figures.workers = workers
    return figures


def run_scenario(
    kind: str,
    scenario: str,
    think: float = THINK_SECONDS,
    requests: int | None = None,
    users: int = 20,
    clients: int = 1,
    workers: int = 1,
) -> AckFigures:
    """``run`` for one of SCENARIOS, with its number of requests unless given."""
    return run(
        kind,
        requests or REQUESTS[scenario],
        users,
        clients,
        think=think if scenario == PACED else 0.0,
        workers=workers,
    )


def scenarios(names: str) -> list[str]:
    """The ``--scenarios`` option: names from SCENARIOS, separated by commas."""
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"scenarios are {', '.join(SCENARIOS)}: got {names!r}")
    return chosen


def _think(text: str) -> float:
    seconds = float(text)
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"a think time is more than 0 seconds: got {text!r}")
    return seconds


def add_scenario_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenarios",
        type=scenarios,
        default=list(SCENARIOS),
        help="scenarios of the acknowledgement benchmark, among "
        f"{','.join(SCENARIOS)} (default: both)",
    )
    parser.add_argument(
        "--think",
        type=_think,
        default=THINK_SECONDS,
        metavar="SECONDS",
        help="mean think time of a user before each request in the paced scenario",
    )
    parser.add_argument(
        "--web-workers",
        type=int,
        default=2,
        metavar="N",
        help="worker processes of both apps' servers (WEB_WORKERS; 1: the bot's waitress "
        "server in one process); default 2, the README's advice for 2 cores",
    )


# -- report ----------------------------------------------------------------------------------


def _expected(app: str, kind: str, expected_action: str) -> str:
    if kind == COMMAND:
        return ""
    return expected_action if app == "ours" else "ack"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def offered(figures: AckFigures) -> str:
    """The request rate the users offer: users over the mean think time (a user thinks
    after its last answer, so a slow app is offered a little less); none when saturated."""
    return f"{figures.users / figures.think:,.0f}" if figures.think else "as answered"


def server_of(workers: int) -> str:
    if workers == 1:
        return "the bot's waitress server in one process"
    return f"gunicorn with {workers} worker processes (serve --role web, WEB_WORKERS={workers})"


def print_figures(figures: AckFigures) -> None:
    mine, bare = figures.apps["ours"], figures.apps["minimal"]
    scenario = PACED if figures.think else SATURATED
    print(
        f"\n### Acknowledgement on {figures.database}, {scenario}: {figures.users} users at "
        f"once, {len(mine.samples):,} requests per app (load average {figures.load_before:.1f} "
        f"before, {figures.load_after:.1f} after)"
    )
    pacing = (
        f"each waiting a think time drawn from an exponential distribution (mean "
        f"{figures.think:g} s, seeded) before each request, about {offered(figures)} "
        "requests/s offered"
        if figures.think
        else "each sending its next request as soon as the last is answered"
    )
    print(
        "Client-side time from connecting to the whole answer (a new connection per request), "
        f"{figures.users} users in {figures.clients} client process(es), {pacing}; half "
        f"`/workflow list`, half submissions: {figures.submissions}. The apps take turns; "
        f"both on {server_of(figures.workers)}. Achieved req/s: requests over the users' "
        "mean time from the start to their last answer."
    )
    print(
        "| app | kind | requests | p50 ms | p99 ms | max ms | errors | offered req/s "
        "| achieved req/s | p99 ours / minimal |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for app in (mine, bare):
        for kind in (COMMAND, SUBMISSION, None):
            samples = app.of(kind)
            times = [s.seconds for s in samples] or [math.nan]
            errors = sum(s.status != 200 for s in samples)
            offer = offered(figures) if kind is None else ""
            rate = f"{app.rate(figures.users):,.0f}" if kind is None else ""
            ratio = ""
            if app is mine:
                base = [s.seconds for s in bare.of(kind)] or [math.nan]
                ratio = f"{percentile(times, 0.99) / percentile(base, 0.99):.2f}"
            print(
                f"| {app.app} | {kind or 'all'} | {len(samples):,} "
                f"| {_ms(percentile(times, 0.5))} | {_ms(percentile(times, 0.99))} "
                f"| {_ms(max(times))} | {errors} | {offer} | {rate} | {ratio} |"
            )
    print(_verdict(figures) if figures.think else _capacity(figures))
    for app in (mine, bare):
        failed = Counter(
            f"{s.kind}: {f'HTTP {s.status}' if s.status else s.outcome}"
            for s in app.samples
            if s.status != 200
        )
        if failed:
            print(f"errors of {app.app}: {dict(failed)}")
        wrong = Counter(
            f"{s.kind}: {s.outcome or 'empty'}"
            for s in app.samples
            if s.status == 200 and s.outcome != _expected(app.app, s.kind, figures.expected_action)
        )
        if wrong:
            print(f"unexpected answers from {app.app}: {dict(wrong)}")
    for app in (mine, bare):
        count = len(app.samples) or 1
        print(
            f"CPU per request, {app.app}: server {app.server_cpu_seconds / count * 1000:.2f} ms, "
            f"simulated users {app.client_cpu_seconds / count * 1000:.2f} ms, Slack side "
            f"{app.standin_cpu_seconds / count * 1000:.2f} ms"
        )
    print(
        f"replies of ours at response URLs after the acks: {figures.replies_received:,} of "
        f"{figures.replies_expected:,} (the first {_ReplyServer.CHECKED} checked against Block "
        f"Kit: {figures.invalid_replies} invalid); Web API calls: "
        + (", ".join(f"{m} {n:,}" for m, n in sorted(figures.calls.items())) or "none")
    )


def _verdict(figures: AckFigures) -> str:
    """The issue's targets, p99 <= 1.5x the minimal app and <= 300 ms, by kind."""
    mine, bare = figures.apps["ours"], figures.apps["minimal"]
    parts = []
    met = not any(s.status != 200 for s in mine.samples)
    for kind in (COMMAND, SUBMISSION):
        p99 = percentile([s.seconds for s in mine.of(kind)] or [math.nan], 0.99)
        base = percentile([s.seconds for s in bare.of(kind)] or [math.nan], 0.99)
        met = met and p99 <= TARGET_P99_SECONDS and p99 <= TARGET_RATIO * base
        parts.append(f"{kind} p99 {_ms(p99)} ms = {p99 / base:.2f}x the minimal app")
    return (
        f"targets (p99 <= {TARGET_RATIO}x the minimal app and <= {_ms(TARGET_P99_SECONDS)} ms) "
        f"{'met' if met else 'NOT met'}: " + "; ".join(parts)
    )


def _capacity(figures: AckFigures) -> str:
    """What the saturated scenario measures: requests per second at saturation."""
    parts = []
    for app in figures.apps.values():
        p99 = percentile([s.seconds for s in app.samples] or [math.nan], 0.99)
        parts.append(f"{app.app} {app.rate(figures.users):,.0f} req/s at p99 {_ms(p99)} ms")
    return "capacity (not judged against the targets): " + "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--databases", default="sqlite,postgresql")
    add_scenario_options(parser)
    parser.add_argument(
        "--requests",
        type=int,
        help="per app, timed (default: "
        + ", ".join(f"{n:,} {name}" for name, n in REQUESTS.items())
        + ")",
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--clients", type=int, default=1, help="processes the users run in")
    args = parser.parse_args()
    for kind in args.databases.split(","):
        for scenario in args.scenarios:
            figures = run_scenario(
                kind,
                scenario,
                args.think,
                args.requests,
                args.users,
                args.clients,
                args.web_workers,
            )
            print_figures(figures)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
