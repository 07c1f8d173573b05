"""The scheduler wakes the engine: work already due runs as soon as it starts.

These tests use the real APScheduler on the wall clock; they wait for an event (the message
arriving), never for the clock to reach an instant."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.console_notifier import ConsoleNotifier
from bot.scheduler import Scheduler
from bot.workflows.clock import SystemClock
from bot.workflows.engine import Engine
from bot.workflows.lifecycle import CLI_ACTOR, request_run
from bot.workflows.notifier import ActionMark, Message, Posted
from storage.database import transaction
from tests.engine.builders import NAME, TEAM, deal, import_deals, save, workflow_document


class SignallingConsole:
    """The console notifier, signalling the test once ``expected`` messages were printed."""

    def __init__(self, expected: int) -> None:
        self.printed = io.StringIO()
        self.inner = ConsoleNotifier(self.printed)
        self.expected = expected
        self.count = 0
        self.lock = threading.Lock()
        self.done = threading.Event()

    def post(self, message: Message) -> Posted:
        with self.lock:
            posted = self.inner.post(message)
            self.count += 1
            if self.count >= self.expected:
                self.done.set()
            return posted

    def find_marked(
        self, channel: str, mark: ActionMark, since: datetime, thread_ts: str | None = None
    ) -> Posted | None:
        return None


def test_runs_already_due_run_when_the_scheduler_starts(sessions: sessionmaker[Session]) -> None:
    clock = SystemClock()
    import_deals(sessions, [deal("D1"), deal("D2")], clock.now())
    names = [f"{NAME} {n}" for n in range(6)]
    for name in names:
        save(sessions, workflow_document(name=name), clock.now())
    with transaction(sessions) as session:
        for name in names:
            request_run(session, TEAM, name, CLI_ACTOR, clock.now())
    console = SignallingConsole(expected=12)
    scheduler = Scheduler(Engine(sessions, clock, lambda _team: console), clock)

    scheduler.start()
    try:
        assert console.done.wait(timeout=30), console.printed.getvalue()
    finally:
        scheduler.shutdown()

    assert console.count == 12
    assert "Deal D1 is in contract" in console.printed.getvalue()
    assert scheduler.last_error is None
    assert scheduler.last_tick is not None and scheduler.last_tick <= datetime.now(UTC)
