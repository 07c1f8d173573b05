"""A client-side limiter for HubSpot's rolling windows, so that a sync stays under the limit
instead of learning of it from 429 answers. Time is injected: a monotonic reading and a
sleep, which tests and the benchmark replace with a clock that only moves when slept on."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

# Private apps: 190 requests per rolling 10 seconds on Professional and Enterprise portals
# (HubSpot's changelog "Increasing our API limits", 2024; 100 on Free and Starter), and the
# CRM search endpoints 5 requests per second per account (HubSpot's search guide, "Limitations").
PRIVATE_APP_WINDOW = (190, 10.0)
SEARCH_WINDOW = (5, 1.0)
# HubSpot counts a request when it arrives, the limiter when it leaves: a request sent just
# as the oldest one leaves the window may arrive faster than that one did, inside the window.
ARRIVAL_MARGIN = 0.1


@dataclass
class RollingWindow:
    """At most ``limit`` requests in any ``seconds``: a request that would be one too many
    waits until the oldest one in the window leaves it."""

    limit: int
    seconds: float
    monotonic: Callable[[], float]
    sleep: Callable[[float], None]

    def __post_init__(self) -> None:
        self.sent: deque[float] = deque()
        self.waited = 0.0
        # Shared by the syncs and runs of a process (bot.hubspot.portal.PortalPool): one
        # request at a time takes its slot, a waiting one holding the others back.
        self.lock = threading.Lock()

    def acquire(self) -> None:
        with self.lock:
            self._acquire()

    def _acquire(self) -> None:
        now = self.monotonic()
        self._forget(now)
        if len(self.sent) >= self.limit:
            wait = self.sent[0] + self.seconds + ARRIVAL_MARGIN - now
            if wait > 0:
                self.sleep(wait)
                self.waited += wait
            now = self.monotonic()
            self._forget(now)
        self.sent.append(now)

    def _forget(self, now: float) -> None:
        while self.sent and self.sent[0] <= now - self.seconds:
            self.sent.popleft()


class SteppedTime:
    """A monotonic clock that moves only when slept on (or told to): the limiter waits
    without waiting, and what it would have waited adds up in ``now``."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
