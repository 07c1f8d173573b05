"""The in-process timer: the only module that imports APScheduler.

It keeps no jobs of its own worth persisting. The database says what is due; this module
only wakes the engine at the earliest stored instant (a one-off job moved after every
tick) and on a short safety tick, which also picks up changes other processes made.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.database_outage import DatabaseOutage
from bot.workflows.clock import Clock
from bot.workflows.engine import Engine
from bot.workflows.readable import plural
from bot.workflows.run_batch import TICKS_AT_ONCE
from bot.workflows.vocabulary import RunStatus

log = logging.getLogger(__name__)

SAFETY_TICK = timedelta(seconds=10)
# Runs of different workflows proceed side by side; claims keep them from colliding.
WORKERS = TICKS_AT_ONCE
WAKE_UP_JOB = "wake-up"
RETRY_DELAY = timedelta(seconds=1)
SAFETY_JOB = "safety-tick"


class Scheduler:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        safety_tick: timedelta = SAFETY_TICK,
        outage: DatabaseOutage | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.safety_tick = safety_tick
        # Shared with the process's /healthz, so that an outage is told once.
        self.outage = outage or DatabaseOutage(engine.sessions, clock)
        self._arming = threading.Lock()
        self._timer = BackgroundScheduler(
            timezone="UTC",
            executors={"default": ThreadPoolExecutor(WORKERS)},
            # A late wake-up must still run (never a silent misfire); piled-up wake-ups
            # are one tick.
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": WORKERS},
        )
        self.last_tick: datetime | None = None
        self.last_error: str | None = None

    @property
    def running(self) -> bool:
        return bool(self._timer.running)

    def start(self) -> None:
        self._timer.add_job(
            self.tick, IntervalTrigger(seconds=self.safety_tick.total_seconds()), id=SAFETY_JOB
        )
        # The wake-up jobs live as long as the timer and are only moved: one-off jobs added
        # and replaced by id raced APScheduler's own removal of a fired job (JobLookupError
        # in its main loop). Between wake-ups they idle on a daily interval.
        for worker in range(WORKERS):
            self._timer.add_job(
                self.tick, IntervalTrigger(days=1), id=f"{WAKE_UP_JOB}-{worker}", next_run_time=None
            )
        self._timer.start()
        self.wake_now()

    def shutdown(self) -> None:
        # Waiting lets a run in progress finish its current action; a run cut short by a
        # kill is resumed by the next process once its lease expires.
        self._timer.shutdown(wait=True)

    def wake_now(self) -> None:
        """Ticks as soon as a worker is free: after this process changed a workflow."""
        self._arm(self.clock.now())

    def tick(self) -> None:
        executed: list[tuple[int, RunStatus | None]] = []
        try:
            executed = self.engine.tick()
            self.outage.answered()
            self.last_error = None
        except Exception as error:
            # The database keeps the run, so the next tick retries it rather than anything
            # being lost. An outage is told in a line a minute; anything else is a bug,
            # logged with its traceback.
            if not self.outage.absorbs(error):
                log.exception("scheduler tick failed")
            self.last_error = f"{type(error).__name__}: {error}"
        finally:
            self.last_tick = self.clock.now()
            self._arm_next()
        # Said once the tick is over: /healthz then shows it too.
        if executed:
            log.info("ran %s: %s", plural(len(executed), "run"), _outcomes(executed))

    def _arm_next(self) -> None:
        try:
            wake_up = self.engine.next_wake_up()
        except Exception as error:
            if not self.outage.absorbs(error):
                log.exception("could not read the next wake-up; the safety tick will retry")
            return
        if wake_up is not None:
            # Anything already due that this tick left is held by a run in progress (the
            # next run of a busy workflow waits for it): look again shortly, not at once,
            # or the ticks would spin.
            self._arm(max(wake_up, self.clock.now() + RETRY_DELAY))

    def _arm(self, at: datetime) -> None:
        if not self._timer.running:
            return
        with self._arming:
            current = self._timer.get_job(f"{WAKE_UP_JOB}-0")
            pending = current.next_run_time if current is not None else None
            if pending is not None and pending <= at:
                return  # an earlier wake-up is already set: it will re-arm after its tick
            # One tick per worker: runs due at the same instant are claimed and run side by
            # side (claims keep the ticks from taking the same run).
            for worker in range(WORKERS):
                self._timer.modify_job(f"{WAKE_UP_JOB}-{worker}", next_run_time=at)


def _outcomes(executed: list[tuple[int, RunStatus | None]]) -> str:
    """``run 4 succeeded, run 5 left for later``: None is a run postponed or taken over."""
    return ", ".join(f"run {run_id} {status or 'left for later'}" for run_id, status in executed)
