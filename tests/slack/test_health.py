"""/healthz: the database answers, and a scheduler in this process runs and ticks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.slack.server import Health
from bot.workflows.clock import FixedClock
from storage.database import make_engine, session_factory

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TICK = timedelta(seconds=10)


@dataclass
class SchedulerReport:
    """What bot.scheduler.Scheduler exposes to the health check."""

    running: bool
    last_tick: datetime | None
    last_error: str | None = None
    safety_tick: timedelta = TICK


def test_healthy_without_a_scheduler_here(sessions: sessionmaker[Session]) -> None:
    healthy, report = Health(sessions, FixedClock(NOW), None).report()
    assert healthy
    assert report == {"status": "ok", "database": "ok", "scheduler": {"state": "not run here"}}


def test_a_scheduler_that_ticked_recently_is_healthy(sessions: sessionmaker[Session]) -> None:
    scheduler = SchedulerReport(running=True, last_tick=NOW - TICK)
    healthy, report = Health(sessions, FixedClock(NOW), scheduler).report()
    assert healthy and report["scheduler"]["state"] == "ok"


def test_a_stalled_stopped_or_failing_scheduler_is_unhealthy(
    sessions: sessionmaker[Session],
) -> None:
    clock = FixedClock(NOW)
    cases = {
        "stalled": SchedulerReport(running=True, last_tick=NOW - 4 * TICK),
        "stopped": SchedulerReport(running=False, last_tick=NOW),
        "failing": SchedulerReport(running=True, last_tick=NOW, last_error="OperationalError"),
        "starting": SchedulerReport(running=True, last_tick=None),
    }
    for state, scheduler in cases.items():
        healthy, report = Health(sessions, clock, scheduler).report()
        assert not healthy, state
        assert report["scheduler"]["state"] == state


def test_an_unreachable_database_is_reported() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    healthy, report = Health(session_factory(engine), FixedClock(NOW), None).report()
    assert not healthy
    assert report["database"] == "unreachable"
    assert "nobody" not in str(report), "connection details must stay in the log"
