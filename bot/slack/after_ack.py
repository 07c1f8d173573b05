"""What a listener does once Slack has its acknowledgement, on a few threads of its own.

Every listener runs on one pool (bot.slack.handoff), and Slack's answer waits until the
listener's ack() there: an ack needs a turn of that pool and of the interpreter. Work after
the ack (reading and rendering a list of 50 workflows, say) on the same pool is as many more
threads taking turns with the acks. Here that work queues for a few threads instead, and
the listener's thread is free as soon as it acked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.slack.response_url import AnswerNotDelivered

log = logging.getLogger(__name__)

# Enough to overlap database and Web API waits; few enough that acks rarely wait for a turn.
THREADS = 4
# Answers waiting for a thread, past which a request is told at once to try again: the
# response URL answers for 30 minutes, and an answer queued behind hundreds would be late
# or never sent, with only a log line left.
MAX_WAITING = 50
# At shutdown, how long the answers being worked out and the messages to the users of those
# dropped get, all together. Under gunicorn's graceful timeout
# (web_workers.GRACEFUL_TIMEOUT_S, 10 s), which kills the worker after it.
STOP_WAIT_S = 5.0
# Threads telling the users of dropped answers at once: one slow message to Slack does not
# hold up the others.
TELLERS = 4
# How long one socket operation of such a message may take (Slack's clients wait 30 s by
# default): with Slack slow, four threads tell about ten users within STOP_WAIT_S and the
# others are logged; with Slack answering, all fifty.
TELL_TIMEOUT_S = 2

Work = Callable[[], None]
Failed = Callable[[BaseException], None]
Tell = Callable[[], None]


@dataclass
class _Answer:
    work: Work
    failed: Failed
    dropped: Tell | None
    who: str
    told: bool = False  # once dropped: its user was told
    tried: threading.Event = field(default_factory=threading.Event)


class AfterAck:
    """Runs ``work`` after the caller's ack: queued for this pool's threads, or at once in
    the caller's thread when ``threads`` is 0 (Bolt then answers Slack only after the
    listener, as with process_before_response). An error is handed to ``failed``, which
    tells the user: the ack is sent, so Bolt's error handler cannot.

    At most ``waiting`` answers wait for a thread: past that, ``busy`` tells the user at once.
    stop() drops the answers not started, calling each one's ``dropped`` (the user is told
    to ask again), and waits a while for those being worked out.

    The threads are daemon threads, not a ThreadPoolExecutor's: Python joins those at exit
    (concurrent.futures registers the join with threading._register_atexit), so an answer
    stuck on Slack or the database would keep a stopping process alive past stop()."""

    def __init__(self, threads: int = THREADS, waiting: int = MAX_WAITING) -> None:
        self._threads = threads
        self._max_waiting = waiting
        self._lock = threading.Lock()
        self._queued = threading.Condition(self._lock)  # an answer waits, or stop()
        self._ended = threading.Condition(self._lock)  # an answer ended, stop() waiting
        self._waiting: deque[_Answer] = deque()
        self._working: list[str] = []  # who each answer being worked out is for
        self._serving = 0  # threads started
        self._stopped = False

    def run(
        self,
        work: Work,
        failed: Failed,
        busy: Tell | None = None,
        dropped: Tell | None = None,
        who: str = "a user",
    ) -> None:
        """``who``: the user and request, named in the log if stop() could not tell them."""
        if not self._threads:
            _guarded(work, failed)
            return
        with self._lock:  # stop() takes the waiting answers under it: none is added after
            stopped, full = self._stopped, len(self._waiting) >= self._max_waiting
            if not (stopped or full):
                if self._serving < self._threads:
                    self._start()
                self._waiting.append(_Answer(work, failed, dropped, who))
                self._queued.notify()
                return
        told = dropped if stopped else busy
        if told is not None:
            _guarded(told, failed)

    def stop(self, wait_s: float = STOP_WAIT_S) -> None:
        """Drops the answers still waiting and tells their users to ask again, on a few
        threads at once, while waiting for those being worked out: all within ``wait_s``.
        The users who could not be told in time are logged."""
        if not self._threads:
            return
        deadline = time.monotonic() + wait_s
        with self._lock:
            self._stopped = True
            dropped = list(self._waiting)
            self._waiting.clear()
            self._queued.notify_all()  # idle threads end
        _tell(dropped)
        with self._lock:
            if not self._ended.wait_for(lambda: not self._working, _left(deadline)):
                # Their threads are daemon threads: the process ends them where they are.
                log.warning(
                    "stopped while answering %d user(s), who may get no answer: %s",
                    len(self._working),
                    "; ".join(self._working),
                )
        untold = [
            answer.who
            for answer in dropped
            if not (answer.tried.wait(_left(deadline)) and answer.told)
        ]
        if untold:
            log.warning(
                "stopped without telling %d user(s) that their answer was dropped: %s",
                len(untold),
                "; ".join(untold),
            )

    def _start(self) -> None:
        # On the first answer, so that a pool never used (tests, a worker never asked) has
        # no threads to stop. Counted as they start: one that could not start raises to the
        # listener (the user gets an error id), and the next answer starts only the missing.
        while self._serving < self._threads:
            name = f"after-ack-{self._serving}"
            threading.Thread(target=self._serve, name=name, daemon=True).start()
            self._serving += 1

    def _serve(self) -> None:
        while True:
            with self._lock:
                self._queued.wait_for(lambda: self._waiting or self._stopped)
                if self._stopped:  # stop() took the answers still waiting
                    return
                answer = self._waiting.popleft()
                self._working.append(answer.who)
            try:
                _guarded(answer.work, answer.failed)
            except BaseException:
                # SystemExit and the like, which _guarded lets through: the thread goes on
                # serving, or the pool would lose it for good and answer "busy" at last.
                log.exception("an answer for %s ended its thread's work", answer.who)
            finally:
                with self._lock:
                    self._working.remove(answer.who)
                    if self._stopped:
                        self._ended.notify_all()


def _tell(dropped: list[_Answer]) -> None:
    """Tells the users of ``dropped`` on up to TELLERS daemon threads, setting each answer's
    ``tried`` once its message is sent (``told``) or failed."""
    left = deque(dropped)

    def teller() -> None:
        while True:
            try:
                answer = left.popleft()
            except IndexError:
                return
            try:
                if answer.dropped is not None:  # none: nothing to tell them with, logged
                    answer.dropped()
                    answer.told = True
            except AnswerNotDelivered as refused:
                log.warning("%s", refused)  # expected when Slack refuses: no traceback
            except Exception:
                log.exception("could not tell %s that their answer was dropped", answer.who)
            finally:
                answer.tried.set()

    for number in range(min(TELLERS, len(dropped))):
        threading.Thread(target=teller, name=f"after-ack-tell-{number}", daemon=True).start()


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _guarded(work: Work, failed: Failed) -> None:
    try:
        work()
    except Exception as error:
        try:
            failed(error)
        except Exception:
            # Telling the user failed too (Slack unreachable): the log is all that is left.
            log.exception("could not tell the user about an error after the acknowledgement")
