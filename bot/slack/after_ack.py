"""What a listener does once Slack has its acknowledgement, on a few threads of its own.

Bolt runs every listener on one pool, and Slack's answer waits until the listener's ack()
there: an ack needs a turn of that pool and of the interpreter. Work after the ack (reading
and rendering a list of 50 workflows, say) on the same pool is as many more threads taking
turns with the acks. Here that work queues for a few threads instead, and the listener's
thread is free as soon as it acked.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for

log = logging.getLogger(__name__)

# Enough to overlap database and Web API waits; few enough that acks rarely wait for a turn.
THREADS = 4
# Answers waiting for a thread, past which a request is told at once to try again: the
# response URL answers for 30 minutes, and an answer queued behind hundreds would be late
# or never sent, with only a log line left.
MAX_WAITING = 50
# At shutdown, how long the answers being worked out get to finish. Under gunicorn's
# graceful timeout (web_workers.GRACEFUL_TIMEOUT_S, 10 s), which kills the worker after it.
STOP_WAIT_S = 5.0

Work = Callable[[], None]
Failed = Callable[[BaseException], None]
Tell = Callable[[], None]


class AfterAck:
    """Runs ``work`` after the caller's ack: queued for this pool's threads, or at once in
    the caller's thread when ``threads`` is 0 (Bolt then answers Slack only after the
    listener, as with process_before_response). An error is handed to ``failed``, which
    tells the user: the ack is sent, so Bolt's error handler cannot.

    At most ``waiting`` answers wait for a thread: past that, ``busy`` tells the user at once.
    stop() drops the answers not started, calling each one's ``dropped`` (the user is told
    to ask again), and waits a while for those being worked out."""

    def __init__(self, threads: int = THREADS, waiting: int = MAX_WAITING) -> None:
        self._pool = (
            ThreadPoolExecutor(threads, thread_name_prefix="after-ack") if threads else None
        )
        self._max_waiting = waiting
        self._lock = threading.Lock()
        self._waiting = 0
        self._stopped = False
        self._queued: set[Future[None]] = set()

    def run(
        self,
        work: Work,
        failed: Failed,
        busy: Tell | None = None,
        dropped: Tell | None = None,
    ) -> None:
        if self._pool is None:
            _guarded(work, failed)
            return
        future: Future[None] | None = None
        with self._lock:  # stop() shuts the pool down under it: none is submitted after
            stopped, full = self._stopped, self._waiting >= self._max_waiting
            if not (stopped or full):
                self._waiting += 1
                future = self._pool.submit(self._started, work, failed)
                self._queued.add(future)
        if future is not None:
            future.add_done_callback(lambda done: self._finished(done, dropped, failed))
            return
        told = dropped if stopped else busy
        if told is not None:
            _guarded(told, failed)

    def stop(self, wait_s: float = STOP_WAIT_S) -> None:
        """Drops the answers still waiting (their users are told to ask again), then waits
        up to ``wait_s`` for those being worked out."""
        if self._pool is None:
            return
        with self._lock:
            self._stopped = True
            running = set(self._queued)
        # Cancelling calls each dropped answer's callback (_finished) in this thread.
        self._pool.shutdown(wait=False, cancel_futures=True)
        wait_for(running, timeout=wait_s)

    def _started(self, work: Work, failed: Failed) -> None:
        self._left()
        _guarded(work, failed)

    def _left(self) -> None:
        with self._lock:
            self._waiting -= 1

    def _finished(self, future: Future[None], dropped: Tell | None, failed: Failed) -> None:
        with self._lock:
            self._queued.discard(future)
        if future.cancelled():
            self._left()
            if dropped is not None:
                _guarded(dropped, failed)


def _guarded(work: Work, failed: Failed) -> None:
    try:
        work()
    except Exception as error:
        try:
            failed(error)
        except Exception:
            # Telling the user failed too (Slack unreachable): the log is all that is left.
            log.exception("could not tell the user about an error after the acknowledgement")
