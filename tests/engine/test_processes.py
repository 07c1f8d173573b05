"""Exactly-once with real processes: ``workflow-bot`` processes share one database and post to
the Slack stand-in over HTTP; several run the same due occurrences at once, and a process
killed mid-run has its run resumed by another without a message posted twice.

Nothing waits for the clock: the workflows are saved a minute before an occurrence that has
already come, so they are due as soon as a process looks, and a dead process's lease is
ended by moving its expiry into the past, which stands for the lease time passing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import SystemClock
from bot.workflows.planner import plan_due
from bot.workflows.vocabulary import RunSource, RunStatus
from storage.database import transaction, write_transaction
from storage.models import ActionResult, Run
from tests.engine.builders import (
    DEALS_CHANNEL,
    NAME,
    SUMMARY_CHANNEL,
    channel_message,
    daily,
    deal,
    enrollments,
    import_deals,
    record_ids,
    results,
    runs,
    save,
    workflow_document,
)
from tests.slack_standin import HeldCall, SlackStandIn

pytestmark = pytest.mark.slow

PROCESS_TIMEOUT = 60
# The processes run this checkout's code, as the test does, whatever the venv installed.
SOURCE_ROOT = Path(__file__).resolve().parents[2]
POST = "chat.postMessage"
Mark = tuple[int, int, int, int]  # run id, record id, action index, part


@dataclass
class Bot:
    """Starts real ``workflow-bot`` processes on one database, posting to the stand-in."""

    database_url: str
    slack: SlackStandIn
    directory: Path
    started: list[subprocess.Popen[str]] = field(default_factory=list)

    def start(self, *arguments: str, token: str | None = None) -> subprocess.Popen[str]:
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "DATABASE_URL": self.database_url,
            "SLACK_BOT_TOKEN": token or self.slack.token,
            "SLACK_API_URL": self.slack.url,
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(SOURCE_ROOT),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", *arguments],
            cwd=self.directory,  # no developer .env is read
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.started.append(process)
        return process

    def serve_together(self, count: int) -> dict[str, int]:
        """Starts ``count`` ``serve --once`` processes at once, each with a token of its own
        (the stand-in tells their calls apart by it); how many runs each ran, by token."""
        tokens = [f"xoxb-process-{n}" for n in range(count)]
        started = [self.start("serve", "--once", token=token) for token in tokens]
        return {
            token: ran(finished(process)) for token, process in zip(tokens, started, strict=True)
        }

    def serve_once(self) -> str:
        return finished(self.start("serve", "--once"))

    def stop_all(self) -> None:
        """Kills what a failed test left running, so it cannot act on a later test's data."""
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.communicate()


def finished(process: subprocess.Popen[str]) -> str:
    """The output of a process that must exit cleanly without warnings."""
    stdout, stderr = process.communicate(timeout=PROCESS_TIMEOUT)
    assert process.returncode == 0, stdout + stderr
    assert stderr == "", stderr  # WARNING would show a lost lease or a postponed run
    return stdout


def ran(output: str) -> int:
    found = re.search(r"Ran (\d+) runs? that", output)
    assert found is not None, output
    return int(found.group(1))


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    # On the real clock, unlike the engine tests' stand-in: message timestamps must agree with
    # the run start times that the processes (on the system clock) search history from.
    with SlackStandIn() as slack:
        yield slack


@pytest.fixture
def bot(database_url: str, standin: SlackStandIn, tmp_path: Path) -> Iterator[Bot]:
    processes = Bot(database_url, standin, tmp_path)
    yield processes
    processes.stop_all()


def due_schedule() -> tuple[dict[str, Any], datetime]:
    """A daily schedule whose occurrence today has just come, and the instant a minute before
    it to save workflows at: they are due at once, and on time."""
    occurrence = SystemClock().now().replace(second=0, microsecond=0)
    return daily(f"{occurrence:%H:%M}"), occurrence - timedelta(minutes=1)


def marks(slack: SlackStandIn, channel: str | None = None) -> list[Mark]:
    """The action marks of the messages that reached the stand-in, from their metadata."""
    found = []
    for message in slack.posted_messages(channel):
        payload = message["metadata"]["event_payload"]
        found.append(
            (
                int(payload["run_id"]),
                int(payload["record_id"]),
                int(payload["action_index"]),
                int(payload["part"]),
            )
        )
    return found


def result_counts(sessions: sessionmaker[Session]) -> Counter[tuple[int, int, int]]:
    """How many results each (run, record, action) has."""
    key = (ActionResult.run_id, ActionResult.record_id, ActionResult.action_index)
    with sessions() as session:
        rows = session.execute(select(*key, func.count()).group_by(*key))
        return Counter({(run_id, record, index): n for run_id, record, index, n in rows})


def only_run(sessions: sessionmaker[Session]) -> Run:
    (found,) = runs(sessions)
    return found


def expire_lease(sessions: sessionmaker[Session], run_id: int) -> None:
    with transaction(sessions) as session:
        session.execute(
            update(Run)
            .where(Run.id == run_id)
            .values(lease_expires_at=SystemClock().now() - timedelta(seconds=1))
        )


def kill_when_held(process: subprocess.Popen[str], held: HeldCall) -> None:
    """Kills the process (SIGKILL: no cleanup runs) once it made the held call."""
    deadline = time.monotonic() + PROCESS_TIMEOUT
    while not held.reached.wait(0.05):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            stdout, stderr = process.communicate()
            pytest.fail(f"the process never made the held call:\n{stdout}{stderr}")
    process.kill()
    process.wait()
    held.drop()


# -- several processes at once -----------------------------------------------------------

WORKFLOWS = 20
DEALS_EACH = 3


def batch_workflow(number: int, schedule: dict[str, Any]) -> dict[str, Any]:
    """Workflow ``number``: a DM to each of its deals' owners, a digest in its own channel and
    a summary in another, so no two messages of a run wait for one channel's pacing."""
    return workflow_document(
        name=f"Review {number:02}",
        schedule=schedule,
        criteria={"any": [{"all": [{"property": "batch", "operator": "eq", "value": number}]}]},
        actions=[
            {"type": "send_owner_dm", "text": "Please update {{ name }}"},
            channel_message(channel=f"C0DEALS{number:02}", mode="digest"),
        ],
        settings={"summary_channel": f"C0SUMMARY{number:02}", "summary": "always"},
    )


def due_batch_workflows(sessions: sessionmaker[Session]) -> None:
    schedule, saved_at = due_schedule()
    import_deals(
        sessions,
        [
            deal(f"W{w:02}-{d}", owner=f"U0OWNER{w:02}{d}", batch=w)
            for w in range(WORKFLOWS)
            for d in range(DEALS_EACH)
        ],
        saved_at,
    )
    for number in range(WORKFLOWS):
        save(sessions, batch_workflow(number, schedule), saved_at)


def assert_each_occurrence_ran_once(sessions: sessionmaker[Session], slack: SlackStandIn) -> None:
    """One run per workflow, succeeded at the first claim; one result per record and action;
    one message per record and action at the stand-in, plus one digest and one summary."""
    found = runs(sessions)
    assert len({r.workflow_id for r in found}) == len(found) == WORKFLOWS
    assert {(r.source, r.status, r.attempts) for r in found} == {
        (RunSource.SCHEDULE.value, RunStatus.SUCCEEDED.value, 1)
    }
    counts = result_counts(sessions)
    assert len(counts) == WORKFLOWS * DEALS_EACH * 2
    assert set(counts.values()) == {1}
    expected: list[Mark] = []
    for r in found:
        expected += [(r.id, e.record_id, 0, 0) for e in enrollments(sessions, r.id)]
        expected += [(r.id, 0, 1, 0), (r.id, 0, -1, 0)]  # the digest, the summary
    posted = marks(slack)
    assert len(slack.calls(POST)) == len(posted) == WORKFLOWS * (DEALS_EACH + 2)
    assert Counter(posted) == Counter(expected)


def test_processes_started_together_run_each_occurrence_exactly_once(
    bot: Bot, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    due_batch_workflows(sessions)
    # Half the occurrences were planned by a process that then stopped; the processes plan
    # the other half themselves, at the same time, and run them all.
    with write_transaction(sessions) as session:
        now = SystemClock().now()
        assert len(plan_due(session, now, WORKFLOWS // 2)) == WORKFLOWS // 2
    # Each process holds its first post until all three have claimed a run and posted: they
    # then provably work side by side, rather than one doing all while the others start.
    meeting = standin.rendezvous(POST, 3)

    ran_by = bot.serve_together(3)

    assert meeting.met, f"only {meeting.tokens} posted"
    assert sum(ran_by.values()) == WORKFLOWS
    assert all(ran_by.values()), ran_by
    posts_by = Counter(call.token for call in standin.calls(POST))
    assert {token: posts_by[token] for token in ran_by} == {
        token: count * (DEALS_EACH + 2) for token, count in ran_by.items()
    }
    assert_each_occurrence_ran_once(sessions, standin)
    print(f"runs per process: {list(ran_by.values())}")


# -- a process killed mid-run --------------------------------------------------------------

DEALS = 4


@dataclass(frozen=True)
class Crash:
    """Where the first process dies: at its ``nth`` post, once Slack stored the message
    (``stored``) or before; ``recorded`` results were written by then."""

    nth: int
    stored: bool
    recorded: int


POST_NOT_RECORDED = Crash(nth=2, stored=True, recorded=1)
BETWEEN_RECORDS = Crash(nth=2, stored=False, recorded=1)
SUMMARY_NOT_RECORDED = Crash(nth=DEALS + 1, stored=True, recorded=DEALS)


@pytest.mark.parametrize(
    ("database_url", "crash"),
    [
        pytest.param("postgresql", POST_NOT_RECORDED, id="postgresql-post-not-recorded"),
        pytest.param("postgresql", BETWEEN_RECORDS, id="postgresql-between-two-records"),
        pytest.param("postgresql", SUMMARY_NOT_RECORDED, id="postgresql-summary-not-recorded"),
        pytest.param("sqlite", POST_NOT_RECORDED, id="sqlite-post-not-recorded"),
    ],
    indirect=["database_url"],
)
def test_a_killed_run_resumes_in_another_process_and_posts_each_message_once(
    bot: Bot, standin: SlackStandIn, sessions: sessionmaker[Session], crash: Crash
) -> None:
    schedule, saved_at = due_schedule()
    import_deals(sessions, [deal(f"D{n}") for n in range(1, DEALS + 1)], saved_at)
    document = workflow_document(
        schedule=schedule,
        actions=[channel_message(mode="per_record")],
        settings={"summary_channel": SUMMARY_CHANNEL, "summary": "always"},
    )
    save(sessions, document, saved_at)
    held = standin.hold(POST, crash.nth, after_handling=crash.stored)

    kill_when_held(bot.start("serve", "--once"), held)

    killed = only_run(sessions)
    assert (killed.status, killed.attempts) == (RunStatus.RUNNING.value, 1)
    assert len(results(sessions, killed.id)) == crash.recorded
    assert len(standin.posted_messages()) == crash.nth - (not crash.stored)
    # The last deal leaves the criteria while the run is down: its enrollment stands.
    import_deals(sessions, [deal(f"D{DEALS}", stage="lost")], saved_at)
    expire_lease(sessions, killed.id)

    assert ran(bot.serve_once()) == 1

    resumed = only_run(sessions)
    assert (resumed.status, resumed.attempts) == (RunStatus.SUCCEEDED.value, 2)
    assert standin.calls("conversations.history")  # it looked before posting again
    ids = record_ids(sessions)
    enrolled = [e.record_id for e in enrollments(sessions, resumed.id)]
    assert enrolled == sorted(ids[f"D{n}"] for n in range(1, DEALS + 1))
    assert Counter(marks(standin, DEALS_CHANNEL)) == Counter(
        (resumed.id, record_id, 0, 0) for record_id in enrolled
    )
    assert marks(standin, SUMMARY_CHANNEL) == [(resumed.id, 0, -1, 0)]
    assert_results_point_at_the_messages(sessions, standin, resumed.id, enrolled)
    assert resumed.summary["enrolled"] == DEALS


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_killed_manual_enrollment_is_resumed_by_a_serving_process(
    bot: Bot, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    now = SystemClock().now()
    import_deals(sessions, [deal("D1"), deal("D2", stage="lost"), deal("D3")], now)
    # Next due in twelve hours: the manual run is the only run.
    later = daily(f"{now + timedelta(hours=12):%H:%M}")
    save(sessions, workflow_document(schedule=later), now)
    held = standin.hold(POST, 2)

    kill_when_held(bot.start("workflows", "enroll", NAME, "D2", "D3"), held)

    killed = only_run(sessions)
    assert (killed.source, killed.attempts) == (RunSource.MANUAL.value, 1)
    assert ran(bot.serve_once()) == 0  # the lease of the dead process still holds
    expire_lease(sessions, killed.id)

    assert ran(bot.serve_once()) == 1

    resumed = only_run(sessions)
    assert (resumed.status, resumed.attempts) == (RunStatus.SUCCEEDED.value, 2)
    ids = record_ids(sessions)
    enrolled = [e.record_id for e in enrollments(sessions, resumed.id)]
    assert enrolled == [ids["D2"], ids["D3"]]  # D2 does not match the criteria: still there
    assert Counter(marks(standin)) == Counter((resumed.id, r, 0, 0) for r in enrolled)
    assert_results_point_at_the_messages(sessions, standin, resumed.id, enrolled)


def assert_results_point_at_the_messages(
    sessions: sessionmaker[Session], slack: SlackStandIn, run_id: int, record_ids: Sequence[int]
) -> None:
    """Each record has one ok result, referring to the one message that reached Slack for it
    (a message found again after the crash rather than posted twice)."""
    by_record = {}
    for message in slack.posted_messages(DEALS_CHANNEL):
        payload = message["metadata"]["event_payload"]
        by_record[int(payload["record_id"])] = (message["channel"], message["ts"])
    found = results(sessions, run_id)
    assert [(r.record_id, r.action_index, r.outcome) for r in found] == [
        (record_id, 0, "ok") for record_id in record_ids
    ]
    references = {r.record_id: r.reference or {} for r in found}
    assert {k: (ref.get("channel"), ref.get("ts")) for k, ref in references.items()} == by_record
