"""What the process says while its database cannot be reached: one line when the outage
starts, one a minute while it lasts and one when it ends, instead of a traceback at every
tick and every health check. Shared by the scheduler, /healthz and /metrics of a process."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import Clock

log = logging.getLogger(__name__)

REMINDER_EVERY = timedelta(minutes=1)


class DatabaseOutage:
    """Tracks whether the database answers, from what its callers report, and logs the
    changes. Thread-safe: the scheduler's workers fail together and say it once. Each line
    carries ``database_outage`` (started, ongoing, ended) and ``outage_seconds``: fields of
    their own in JSON lines, for alerts that read the log."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        reminder_every: timedelta = REMINDER_EVERY,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.reminder_every = reminder_every
        self._lock = threading.Lock()
        self._since: datetime | None = None
        self._reminded_at: datetime | None = None

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def absorbs(self, error: BaseException) -> bool:
        """Whether ``error`` is the database being out of reach (a connection error, and a
        fresh connection does not answer either): the outage is then logged as due and the
        caller need not log ``error``. Anything else (a statement timeout, a bug) is the
        caller's to log, with its traceback."""
        if not _may_be_unreachable(error):
            return False
        # During an outage the database was just found silent: no need to ask again.
        if not self.ongoing and self.answers():
            return False
        self.failed(error)
        return True

    def answers(self) -> bool:
        """Whether the database answers a trivial query on a connection of its own."""
        try:
            with self.sessions() as session:
                session.execute(text("SELECT 1"))
        except (DBAPIError, PoolTimeout):
            return False
        return True

    def failed(self, error: BaseException) -> None:
        """The database did not answer: logs the start of an outage, or a reminder when the
        last line is a minute old."""
        now = self.clock.now()
        with self._lock:
            if self._since is None:
                self._since = self._reminded_at = now
                log.error(
                    "database unreachable: %s",
                    one_line(error),
                    extra={"database_outage": "started", "outage_seconds": 0},
                )
                return
            assert self._reminded_at is not None
            if now - self._reminded_at < self.reminder_every:
                return
            self._reminded_at = now
            minutes = int((now - self._since) / timedelta(minutes=1))
            log.warning(
                "database still unreachable for %d min: %s",
                minutes,
                one_line(error),
                extra={"database_outage": "ongoing", "outage_seconds": _seconds(now - self._since)},
            )

    def answered(self) -> None:
        """The database answered: ends the outage, if there was one, with how long it was."""
        if self._since is None:  # the usual case, without taking the lock
            return
        now = self.clock.now()
        with self._lock:
            if self._since is None:
                return
            lasted = now - self._since
            self._since = self._reminded_at = None
        log.warning(
            "database reachable again after %s",
            _duration(lasted),
            extra={"database_outage": "ended", "outage_seconds": _seconds(lasted)},
        )


def _may_be_unreachable(error: BaseException) -> bool:
    """Errors a lost connection shows up as: the driver's connection errors, a connection
    the pool found dead, or no connection free in the pool in time."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def one_line(error: BaseException) -> str:
    """The driver's own message on one line: SQLAlchemy's wrapper adds the statement and
    its parameters (user data) and a link, which do not belong in an outage line."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    words = " ".join(str(cause).split())
    return words or type(cause).__name__


def _seconds(lasted: timedelta) -> int:
    return int(lasted.total_seconds())


def _duration(lasted: timedelta) -> str:
    seconds = int(lasted.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
