"""Slack gets its answer the moment a listener acks, not at Bolt's next look.

Bolt's threaded mode (process_before_response off) runs a listener on its pool and looks
for the ack every 10 ms: every answer waited for the next look, up to 10 ms past its ack.
A command acknowledged at once was answered after 13 ms at the median, as long as an app
that does nothing but ack. So the app runs with process_before_response on (Bolt answers
when the listener function returns, in the request's thread), and every listener function
(errors.reported) hands the listener to the pool and returns as soon as it acks or ends:
its work after the ack goes on there, as it did in the threaded mode.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from slack_bolt import Ack, BoltContext

log = logging.getLogger(__name__)

# Where the listeners' pool, and how long the request's thread waits for its listener's ack,
# are found in each request's context (create_app puts them there).
POOL = "listener_pool"
ACK_WAIT_KEY = "ack_wait_s"
# Slack's own limit for an answer; Bolt's threaded mode waits as long (ack_timeout).
ACK_WAIT_S = 3.0

Failed = Callable[[BaseException], None]


def pool_of(context: BoltContext) -> Executor | None:
    """The pool that the request's listener is handed to; None when the listener runs in the
    request's thread to its end (create_app's process_before_response)."""
    pool = context.get(POOL)
    return pool if isinstance(pool, Executor) else None


def ack_wait_of(context: BoltContext) -> float:
    """How long the request's thread waits for its listener's ack: Slack's limit, unless
    create_app was given another (tests, on a machine too loaded to answer in time)."""
    wait_s = context.get(ACK_WAIT_KEY)
    return float(wait_s) if isinstance(wait_s, int | float) else ACK_WAIT_S


class SignallingAck:
    """The request's ack, which also says that it was taken: the request's thread waits for
    that, not for the listener to end. An ack() that raises signals nothing: the listener
    goes on to fail, and its error is answered as one before the ack."""

    def __init__(self, ack: Ack, taken: threading.Event) -> None:
        self._ack = ack
        self._taken = taken

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        response = self._ack(*args, **kwargs)
        self._taken.set()
        return response

    @property
    def response(self) -> Any:
        return self._ack.response


def until_acked(
    pool: Executor,
    listener: Callable[[SignallingAck], Any],
    ack: Ack,
    unanswered: Failed,
    wait_s: float,
) -> Any:
    """Runs ``listener`` on ``pool`` with an ack that signals, and returns once it acked or
    ended, whichever comes first. An error raised before the ack is raised here, in the
    request's thread, where Bolt answers Slack and its error handler tells the user.

    Past ``wait_s`` (Slack's limit) with neither, Slack has stopped waiting: this returns
    None (Bolt then answers as when nothing acked, or acks an event itself). A listener still
    waiting for a thread then never runs: Slack told its user it failed, and a submission
    the user makes again would otherwise be done twice. One already running carries on; an
    error it raises then goes to ``unanswered``, as nobody else would see it. An error after
    the ack is the listener's to tell (errors.reported)."""
    taken = threading.Event()
    done: Future[Any] = pool.submit(listener, SignallingAck(ack, taken))
    done.add_done_callback(lambda _: taken.set())
    if not taken.wait(wait_s):
        if done.cancel():
            log.warning("a listener found no free thread within %s s: not run", wait_s)
            return None
        log.warning("a listener neither acked nor ended within %s s", wait_s)
        done.add_done_callback(lambda ended: _hand_on_error(ended, unanswered))
        return None
    if ack.response is None:
        return done.result()  # it ended without an ack: what it raised is Bolt's to answer
    done.add_done_callback(_log_error)
    return None


def _log_error(done: Future[Any]) -> None:
    """An error past the ack that the listener did not tell (errors.reported tells every
    Exception it can): nobody else would see it."""
    error = None if done.cancelled() else done.exception()
    if error is not None:
        log.error("a listener failed after its ack, and told no one", exc_info=error)


def _hand_on_error(done: Future[Any], failed: Failed) -> None:
    error = None if done.cancelled() else done.exception()
    if error is not None:
        failed(error)


def acked_at_once(ack: Ack, pool: Executor, work: Callable[[], Any]) -> None:
    """An event: acked here, in the request's thread, and worked on in the pool; Slack
    retries an event it has no answer to within 3 s, and it does not wait for a free thread
    of the pool. The work tells its own errors (errors.reported): what escapes is logged."""
    ack()
    pool.submit(work).add_done_callback(_log_error)
