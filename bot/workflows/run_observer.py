"""The port through which runs report what operators watch: how runs end, how late a run's
first message goes out, and which deliveries and source syncs fail. The Prometheus metrics
implement it (bot.metrics); the domain knows only this interface."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from bot.workflows.clock import Clock
from bot.workflows.notifier import (
    ActionMark,
    DeliveryFailed,
    DeliveryUnavailable,
    HistoryUnreadable,
    Message,
    Notifier,
    Posted,
)

# How an execution of a run ended, besides a final RunStatus: it stopped to be resumed later
# (Slack or its source unavailable for now), its lease ran out or another process took it
# over, or it failed unexpectedly (a bug) and is left to its lease.
POSTPONED = "postponed"
TAKEN_OVER = "taken_over"
UNEXPECTED_ERROR = "unexpected_error"


class RunObserver(Protocol):
    def run_ended(self, outcome: str) -> None:
        """An execution of a run ended: a RunStatus value, POSTPONED, TAKEN_OVER or
        UNEXPECTED_ERROR."""
        ...

    def first_post(self, source: str, lateness: timedelta) -> None:
        """A run (``source``: schedule or manual) posted its first message ``lateness``
        after it was due."""
        ...

    def delivery_error(self, code: str) -> None:
        """The messaging service refused or failed a call with ``code`` (Slack's error code,
        or slack_unavailable / slack_outcome_unknown)."""
        ...

    def source_failed(self, source: str, code: str) -> None:
        """A sync of the source named ``source`` failed with ``code`` (SourceError.code,
        e.g. unreachable, query_failed, repeated_id)."""
        ...


class Unobserved:
    """Observes nothing: commands and tests that do not watch."""

    def run_ended(self, outcome: str) -> None:
        return None

    def first_post(self, source: str, lateness: timedelta) -> None:
        return None

    def delivery_error(self, code: str) -> None:
        return None

    def source_failed(self, source: str, code: str) -> None:
        return None


class ObservedNotifier:
    """A run's notifier that reports its errors and the lateness of the run's first post.

    A message a resumed run finds already posted means an earlier attempt made the first
    post: this attempt's posts are then not the first."""

    def __init__(
        self,
        notifier: Notifier,
        observer: RunObserver,
        clock: Clock,
        source: str,
        due_at: datetime,
    ) -> None:
        self._notifier = notifier
        self._observer = observer
        self._clock = clock
        self._source = source
        self._due_at = due_at
        self._first_posted = False

    def post(self, message: Message) -> Posted:
        try:
            posted = self._notifier.post(message)
        except (DeliveryFailed, DeliveryUnavailable) as error:
            self._observer.delivery_error(error.code)
            raise
        if not self._first_posted:
            self._first_posted = True
            self._observer.first_post(self._source, self._clock.now() - self._due_at)
        return posted

    def find_marked(
        self, channel: str, mark: ActionMark, since: datetime, thread_ts: str | None = None
    ) -> Posted | None:
        try:
            found = self._notifier.find_marked(channel, mark, since, thread_ts)
        except (DeliveryFailed, DeliveryUnavailable, HistoryUnreadable) as error:
            self._observer.delivery_error(error.code)
            raise
        if found is not None:
            self._first_posted = True
        return found
