"""A burst of runs due at one instant, shared by several real ``workflow-bot`` processes, one
of which is killed in the middle of a run: every occurrence still runs exactly once, nothing
is posted twice and nothing is lost (the dead process's run is resumed by another)."""

from __future__ import annotations

import subprocess
import time
from collections import Counter

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.vocabulary import RunStatus
from tests.engine.builders import deal, enrollments, import_deals, runs, save
from tests.engine.test_processes import (
    POST,
    PROCESS_TIMEOUT,
    Bot,
    Mark,
    batch_workflow,
    bot,
    due_schedule,
    expire_lease,
    kill_when_held,
    marks,
    ran,
    result_counts,
    standin,
)
from tests.slack_standin import Rendezvous, SlackStandIn

__all__ = ["bot", "standin"]  # the fixtures of the process tests

pytestmark = pytest.mark.slow

BURST = 30
DEALS_EACH = 2
PROCESSES = 3
KILLED = "xoxb-process-0"


def due_burst(sessions: sessionmaker[Session]) -> None:
    """BURST workflows due at the same instant, each with a DM per deal owner, a digest in a
    channel of its own and a summary in another."""
    schedule, saved_at = due_schedule()
    import_deals(
        sessions,
        [
            deal(f"B{w:02}-{d}", owner=f"U0OWNER{w:02}{d}", batch=w)
            for w in range(BURST)
            for d in range(DEALS_EACH)
        ],
        saved_at,
    )
    for number in range(BURST):
        save(sessions, batch_workflow(number, schedule), saved_at)


def expected_marks(sessions: sessionmaker[Session]) -> Counter[Mark]:
    """One message per record of each run (its owner's DM), one digest, one summary."""
    expected: Counter[Mark] = Counter()
    for run in runs(sessions):
        expected.update((run.id, e.record_id, 0, 0) for e in enrollments(sessions, run.id))
        expected.update([(run.id, 0, 1, 0), (run.id, 0, -1, 0)])
    return expected


def wait_until_posting(process: subprocess.Popen[str], meeting: Rendezvous) -> None:
    """Waits for the process's first post to reach the rendezvous."""
    deadline = time.monotonic() + PROCESS_TIMEOUT
    while KILLED not in meeting.tokens:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            stdout, stderr = process.communicate()
            pytest.fail(f"the process never posted:\n{stdout}{stderr}")
        time.sleep(0.05)  # polls another process's progress, not the clock


@pytest.mark.parametrize("database_url", ["postgresql", "sqlite"], indirect=True)
def test_a_process_killed_in_a_burst_loses_nothing_and_posts_nothing_twice(
    bot: Bot, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> None:
    due_burst(sessions)
    # The killed process dies at its third post, once Slack stored it (before its result was
    # recorded), while the others are at work on the rest of the burst.
    held = standin.hold(POST, 3, token=KILLED)
    # Their first posts wait for one another: all three provably work on the burst at once.
    meeting = standin.rendezvous(POST, PROCESSES, timeout=90)
    # The process to be killed starts first and has runs of its own (its first post waits at
    # the rendezvous) before the others start: otherwise they may claim the whole burst
    # between them and leave it nothing to be killed in.
    started = [bot.start("serve", "--once", token=KILLED)]
    wait_until_posting(started[0], meeting)
    others = [f"xoxb-process-{n}" for n in range(1, PROCESSES)]
    started += [bot.start("serve", "--once", token=token) for token in others]

    kill_when_held(started[0], held)
    outputs = [p.communicate(timeout=180) for p in started[1:]]

    assert meeting.met, f"only {meeting.tokens} posted: {outputs}"
    survivors = [ran(stdout) for stdout, _ in outputs]
    assert all(survivors), survivors  # the burst was shared, not left to one process
    killed = [r for r in runs(sessions) if r.status == RunStatus.RUNNING.value]
    assert len(killed) == 1, [(r.id, r.status) for r in runs(sessions)]
    expire_lease(sessions, killed[0].id)

    assert ran(bot.serve_once()) == 1

    found = runs(sessions)
    assert len(found) == BURST
    assert {r.status for r in found} == {RunStatus.SUCCEEDED.value}
    assert [r.attempts for r in found if r.id == killed[0].id] == [2]
    assert Counter(marks(standin)) == expected_marks(sessions)  # each once, none missing
    assert len(standin.calls(POST)) == sum(expected_marks(sessions).values())
    assert set(result_counts(sessions).values()) == {1}
    assert len(result_counts(sessions)) == BURST * DEALS_EACH * 2  # a DM and a digest each
