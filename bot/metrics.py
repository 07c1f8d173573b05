"""The process's Prometheus metrics, served at GET /metrics: runs by outcome, first-post
lateness, Slack and source errors, Slack acks by listener, and the age of the oldest run
waiting for a process (read from the database at each scrape).

Each ``Metrics`` has a registry of its own, not prometheus_client's global one: two bots in
one test process count apart. The domain reports through its RunObserver port, which this
class implements; only this module imports prometheus_client."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import timedelta

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.database_outage import DatabaseOutage
from bot.workflows.run_observer import POSTPONED, TAKEN_OVER, UNEXPECTED_ERROR
from bot.workflows.vocabulary import RunSource, RunStatus
from storage.database import transaction
from storage.runs import RunRepository

log = logging.getLogger(__name__)

PREFIX = "workflow_bot"
# From "on time" to "an hour late": a run's first message should go out within seconds of
# its time, and the buckets above a minute tell a slow run from a stuck scheduler.
LATENESS_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
# Slack wants an answer within 3 s.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5)


class Metrics:
    """The metrics of one process. ``outage`` (with its database) adds the gauges read at
    scrape time: without it (a process with no database to ask) they are left out."""

    def __init__(self, outage: DatabaseOutage | None = None) -> None:
        # A *_created sample per series (when it was first counted) only doubles the page:
        # Prometheus knows counter resets without it. The switch is process-wide.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.runs = Counter(
            f"{PREFIX}_runs",
            "Executions of runs by how they ended: a run status (succeeded, failed), or "
            "postponed (resumed later) or taken_over (another process took it).",
            ["outcome"],
            registry=registry,
        )
        self.first_post_lateness = Histogram(
            f"{PREFIX}_first_post_lateness_seconds",
            "How long after it was due a run posted its first message, by run source "
            "(schedule or manual).",
            ["source"],
            buckets=LATENESS_BUCKETS,
            registry=registry,
        )
        self.slack_errors = Counter(
            f"{PREFIX}_slack_errors",
            "Slack Web API errors met by runs, by Slack's error code (slack_unavailable: "
            "unreachable or overloaded; slack_outcome_unknown: a post answered with an error).",
            ["code"],
            registry=registry,
        )
        self.source_errors = Counter(
            f"{PREFIX}_source_errors",
            "Failed syncs of SQL sources, by source name and kind of failure (url_unset, "
            "unreachable, bad_url, refused, query_failed, read_failed, bad_columns, bad_value, "
            "repeated_id, empty_result, changed, sync_failed).",
            ["source", "code"],
            registry=registry,
        )
        self.acks = Counter(
            f"{PREFIX}_slack_acks",
            "Requests from Slack answered, by listener (kind:id) and HTTP status.",
            ["listener", "status"],
            registry=registry,
        )
        self.ack_seconds = Histogram(
            f"{PREFIX}_slack_ack_seconds",
            "Time from a verified Slack request to the bot's answer, by listener.",
            ["listener"],
            buckets=ACK_BUCKETS,
            registry=registry,
        )
        if outage is not None:
            registry.register(DatabaseGauges(outage))
        # Series that exist from the start, at 0: a rate over them works before the first
        # run, and an alert on "failed" does not wait for the first failure to appear.
        outcomes = (RunStatus.SUCCEEDED, RunStatus.FAILED, POSTPONED, TAKEN_OVER, UNEXPECTED_ERROR)
        for outcome in outcomes:
            self.runs.labels(outcome)
        for source in RunSource:
            self.first_post_lateness.labels(source.value)

    # The domain's RunObserver port ------------------------------------------------------

    def run_ended(self, outcome: str) -> None:
        self.runs.labels(outcome).inc()

    def first_post(self, source: str, lateness: timedelta) -> None:
        self.first_post_lateness.labels(source).observe(max(lateness.total_seconds(), 0.0))

    def delivery_error(self, code: str) -> None:
        self.slack_errors.labels(code).inc()

    def source_failed(self, source: str, code: str) -> None:
        self.source_errors.labels(source, code).inc()

    # Slack requests ---------------------------------------------------------------------

    def acked(self, listener: str, status: int, seconds: float) -> None:
        self.acks.labels(listener, str(status)).inc()
        self.ack_seconds.labels(listener).observe(seconds)

    # Exposition -------------------------------------------------------------------------

    def exposition(self) -> tuple[str, bytes]:
        """The content type and body of GET /metrics (Prometheus text format)."""
        return CONTENT_TYPE_LATEST, generate_latest(self.registry)


class DatabaseGauges(Collector):
    """Gauges read when scraped: whether the database answers (as the process last found),
    and how long the oldest due run has waited for a process to take it (0 when none
    waits). A scrape during an outage leaves the age out rather than failing."""

    def __init__(self, outage: DatabaseOutage) -> None:
        self.outage = outage

    def describe(self) -> Iterable[Metric]:
        # Named without asking the database: the registry calls this when registering.
        return [_reachable_family(), _age_family()]

    def collect(self) -> Iterator[Metric]:
        age = self._oldest_pending_age()
        reachable = _reachable_family()
        reachable.add_metric([], 0.0 if self.outage.ongoing else 1.0)
        yield reachable
        if age is not None:
            family = _age_family()
            family.add_metric([], age)
            yield family

    def _oldest_pending_age(self) -> float | None:
        now = self.outage.clock.now()
        try:
            with transaction(self.outage.sessions) as session:
                oldest = RunRepository(session).oldest_due_pending(now)
        except (DBAPIError, PoolTimeout) as error:
            self.outage.failed(error)
            return None
        self.outage.answered()
        return 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0)


def _reachable_family() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        f"{PREFIX}_database_reachable",
        "1 when the database answered this process's last query, 0 during an outage.",
    )


def _age_family() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        f"{PREFIX}_oldest_pending_run_age_seconds",
        "Seconds since the oldest due run that no process has taken yet was due (0: none).",
    )
