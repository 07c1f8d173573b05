"""What a listener does once Slack has its acknowledgement, on a few threads of its own.

Bolt runs every listener on one pool, and Slack's answer waits until the listener's ack()
there: an ack needs a turn of that pool and of the interpreter. Work after the ack (reading
and rendering a list of 50 workflows, say) on the same pool is as many more threads taking
turns with the acks. Here that work queues for a few threads instead, and the listener's
thread is free as soon as it acked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

# Enough to overlap database and Web API waits; few enough that acks rarely wait for a turn.
THREADS = 4

Work = Callable[[], None]
Failed = Callable[[BaseException], None]


class AfterAck:
    """Runs ``work`` after the caller's ack: queued for this pool's threads, or at once in
    the caller's thread when ``threads`` is 0 (Bolt then answers Slack only after the
    listener, as with process_before_response). An error is handed to ``failed``, which
    tells the user: the ack is sent, so Bolt's error handler cannot."""

    def __init__(self, threads: int = THREADS) -> None:
        self._pool = (
            ThreadPoolExecutor(threads, thread_name_prefix="after-ack") if threads else None
        )

    def run(self, work: Work, failed: Failed) -> None:
        if self._pool is None:
            _guarded(work, failed)
        else:
            self._pool.submit(_guarded, work, failed)


def _guarded(work: Work, failed: Failed) -> None:
    try:
        work()
    except Exception as error:
        try:
            failed(error)
        except Exception:
            # Telling the user failed too (Slack unreachable): the log is all that is left.
            log.exception("could not tell the user about an error after the acknowledgement")
