"""Fixtures of the engine tests: a stepped clock, the Slack stand-in on that clock, and bot
"processes" (engines with their own owner and notifier) sharing one database."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator
from sqlalchemy.orm import Session, sessionmaker

from bot.console_notifier import ConsoleNotifier
from bot.slack.notifier import SlackNotifier, make_web_client
from bot.workflows.clock import FixedClock
from bot.workflows.engine import DEFAULT_LEASE, Engine
from bot.workflows.notifier import ActionMark, Message, Notifier, Posted
from tests.slack_standin import SlackStandIn

# A Monday; the workflows of these tests run daily at 09:00 UTC unless they say otherwise.
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
QUICK_RETRIES = FixedValueRetryIntervalCalculator(0.001)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def slack_api(clock: FixedClock) -> Iterator[SlackStandIn]:
    # Message timestamps follow the test's clock, as Slack's follow the real one: a resumed run
    # looks for its messages in history from the run's start, which is a test-clock instant.
    with SlackStandIn(clock=lambda: clock.now().timestamp()) as standin:
        yield standin


class SteppedTime:
    """Monotonic time for the notifier's pacing that jumps instead of sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Processes:
    """Starts bot processes on one database: each an Engine with its own owner and, unless
    given one, its own SlackNotifier talking to the stand-in over HTTP."""

    sessions: sessionmaker[Session]
    clock: FixedClock
    slack_api: SlackStandIn
    console: io.StringIO = field(default_factory=io.StringIO)

    def slack(self, max_retries: int = 1) -> SlackNotifier:
        client = make_web_client(
            self.slack_api.token,
            self.slack_api.url,
            max_retries=max_retries,
            retry_interval=QUICK_RETRIES,
        )
        pacing = SteppedTime()
        return SlackNotifier(client, monotonic=pacing.monotonic, sleep=pacing.sleep)

    def start(
        self,
        owner: str = "process-a",
        notifier: Notifier | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> Engine:
        chosen = notifier if notifier is not None else self.slack()
        return Engine(self.sessions, self.clock, lambda _team: chosen, owner=owner, lease=lease)

    def start_on_console(self, owner: str = "process-a") -> Engine:
        return self.start(owner, ConsoleNotifier(self.console))


@pytest.fixture
def processes(
    sessions: sessionmaker[Session], clock: FixedClock, slack_api: SlackStandIn
) -> Processes:
    return Processes(sessions, clock, slack_api)


class Crash(BaseException):
    """The process dies here: not an Exception, so nothing in the engine can catch it."""


class WrappingNotifier:
    """A notifier around the real one, for tests that change what posting does: it finds
    posted messages as the real one does."""

    def __init__(self, inner: Notifier) -> None:
        self.inner = inner

    def post(self, message: Message) -> Posted:
        return self.inner.post(message)

    def find_marked(
        self, channel: str, mark: ActionMark, since: datetime, thread_ts: str | None = None
    ) -> Posted | None:
        return self.inner.find_marked(channel, mark, since, thread_ts)


class DyingNotifier(WrappingNotifier):
    """A real notifier in a process that dies just before or just after its n-th post.

    Runs of a batch post from several threads: the count is kept under a lock, and once the
    process died every later post dies too (a dead process posts nothing more)."""

    def __init__(
        self, inner: Notifier, *, before_post: int | None = None, after_post: int | None = None
    ) -> None:
        super().__init__(inner)
        self.before_post = before_post
        self.after_post = after_post
        self.posts = 0
        self.dead = False
        self._lock = threading.Lock()

    def post(self, message: Message) -> Posted:
        with self._lock:
            if self.dead:
                raise Crash("the process died already")
            self.posts += 1
            number = self.posts
            if number == self.before_post:
                self.dead = True
                raise Crash(f"died before post {number}")
        posted = self.inner.post(message)
        if number == self.after_post:
            with self._lock:
                self.dead = True
            raise Crash(f"died after post {number}, before recording it")
        return posted
