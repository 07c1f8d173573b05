"""Slack gets its answer the moment a listener acks, not at Bolt's next look.

Bolt's threaded mode (process_before_response off) runs a listener on its pool and looks
for the ack every 10 ms: every answer waited for the next look, up to 10 ms past its ack.
A command acknowledged at once was answered after 13 ms at the median, as long as an app
that does nothing but ack. So the app runs with process_before_response on (Bolt answers
when the listener function returns, in the request's thread), and the listener function
hands the listener to the pool and returns as soon as it acks or ends: its work after
the ack goes on there, as it did in the threaded mode.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from slack_bolt import Ack, BoltContext

log = logging.getLogger(__name__)

# Where the listeners' pool is found in each request's context (create_app puts it there).
POOL = "listener_pool"
# Slack's own limit for an answer; Bolt's threaded mode waits as long (ack_timeout).
ACK_WAIT_S = 3.0


def pool_of(context: BoltContext) -> Executor | None:
    """The pool that the request's listener is handed to; None when the listener runs in the
    request's thread to its end (process_before_response asked of create_app)."""
    pool = context.get(POOL)
    return pool if isinstance(pool, Executor) else None


class SignallingAck:
    """The request's ack, which also says that it was called: the request's thread waits for
    that, not for the listener to end."""

    def __init__(self, ack: Ack, called: threading.Event) -> None:
        self._ack = ack
        self._called = called

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._ack(*args, **kwargs)
        finally:
            self._called.set()

    @property
    def response(self) -> Any:
        return self._ack.response


def until_acked(pool: Executor, listener: Callable[[SignallingAck], Any], ack: Ack) -> Any:
    """Runs ``listener`` on ``pool`` with an ack that signals, and returns once it acked or
    ended, whichever comes first. An error raised before the ack is raised here, in the
    request's thread, where Bolt answers Slack and its error handler tells the user; an
    error after the ack is the listener's to tell (errors.reported). Past ACK_WAIT_S with
    neither, Slack has stopped waiting: Bolt answers that nothing acked, as its threaded
    mode does, and the listener carries on."""
    called = threading.Event()
    done: Future[Any] = pool.submit(listener, SignallingAck(ack, called))
    done.add_done_callback(lambda _: called.set())
    if not called.wait(ACK_WAIT_S):
        log.warning("a listener neither acked nor ended within %.0f s", ACK_WAIT_S)
        done.add_done_callback(_log_error)
        return None
    if ack.response is None:
        # It ended without an ack, or its ack() raised: what it raised is Bolt's to answer.
        return done.result(ACK_WAIT_S)
    done.add_done_callback(_log_error)
    return None


def _log_error(done: Future[Any]) -> None:
    """An error past the ack that the listener did not tell (errors.reported tells the
    user of every Exception): nobody else would see it."""
    error = None if done.cancelled() else done.exception()
    if error is not None:
        log.error("a listener failed after its ack", exc_info=error)
