"""The run engine: plans due occurrences into runs, claims them a batch at a time and runs
them (bot.workflows.run_batch). Whatever wakes it (the scheduler, a test, a command) calls
``tick``."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import Clock
from bot.workflows.definitions import InvalidDefinition
from bot.workflows.freshness import next_periodic_sync, sync_periodic
from bot.workflows.hubspot_portal import PortalFactory
from bot.workflows.owners import PeopleFor
from bot.workflows.planner import plan_due, prune_after_planning
from bot.workflows.run_batch import BATCH_SIZE, BatchExecution, Claimed, claim_batch
from bot.workflows.run_observer import RunObserver
from bot.workflows.runner import NotifierFor, Runner
from bot.workflows.source_reading import EnvironmentLookup
from bot.workflows.sources import SyncOutcome
from bot.workflows.stored import DefinitionReader
from bot.workflows.vocabulary import RunStatus
from storage.database import transaction, write_transaction
from storage.runs import RunRepository
from storage.workflows import WorkflowRepository

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=2)
# Syncs and imports keep versions with no run planned: a tick prunes at least this often.
PRUNE_EVERY = timedelta(hours=1)
# A tick parses the definitions of the workflows due this soon (up to as many as the cache
# keeps), so that a burst's planning and claims find them parsed: 1,000 workflows due at
# 09:00 were each parsed at 09:00, in the planning transactions, none before.
PARSE_AHEAD = timedelta(minutes=1)
PARSE_AHEAD_LIMIT = 2000


def process_identity() -> str:
    """Names this process in run leases, so an operator can tell who holds a run."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Engine:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        notifier_for: NotifierFor,
        owner: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
        people_for: PeopleFor | None = None,
        environment: EnvironmentLookup | None = None,
        observer: RunObserver | None = None,
        portals: PortalFactory | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.pruned_at: datetime | None = None
        # Workflow id -> updated_at of the workflows parse_ahead read, to skip them while
        # they do not change.
        self.parsed_ahead: dict[int, datetime] = {}
        self.owner = owner or process_identity()
        self.lease = lease
        self.runner = Runner(
            sessions,
            clock,
            notifier_for,
            self.owner,
            lease,
            people_for,
            environment,
            observer,
            portals,
        )

    def tick(self, max_runs: int | None = None) -> list[tuple[int, RunStatus | None]]:
        """Plans what is due and runs claimable runs until nothing is left (or ``max_runs``).

        Planning goes in small batches between claims, so that processes ticking at the same
        moment share the runs instead of one planning everything while the others find
        nothing yet.
        """
        executed: list[tuple[int, RunStatus | None]] = []
        # Once a planning batch finds nothing due, claims go on without asking again (a
        # query and a write transaction per run saved in a burst) until none is left.
        planning = True
        planned_any = False
        while max_runs is None or len(executed) < max_runs:
            planned = self.plan_batch() if planning else 0
            planned_any = planned_any or planned > 0
            limit = BATCH_SIZE if max_runs is None else min(BATCH_SIZE, max_runs - len(executed))
            claimed = self.claim_batch(limit)
            if not claimed.run_ids:
                if planned or not planning:
                    planning = True
                    continue
                break
            planning = planned > 0
            executed += BatchExecution(self.runner, claimed).run()
        if planned_any or self._pruning_due():
            self.prune_history()
        self.sync_sources()
        self.parse_ahead()
        return executed

    def parse_ahead(self) -> int:
        """Parses the definitions of the workflows due within PARSE_AHEAD that changed since
        this engine last read them (by their updated_at): every tick of every wake-up worker
        and safety tick read up to 2,000 rows and encoded each one's cache key, even when all
        were parsed. How many definitions it parsed (a row read whose definition was
        parsed already, or no longer parses, is not one). One that no longer parses is left
        to the planner, which says why at its instant."""
        with transaction(self.sessions) as session:
            workflows = WorkflowRepository(session)
            coming = dict(workflows.coming(self.clock.now() + PARSE_AHEAD, PARSE_AHEAD_LIMIT))
            known = self.parsed_ahead
            changed = {id_ for id_, updated_at in coming.items() if known.get(id_) != updated_at}
            definitions = DefinitionReader(session)
            # As stored rows: the planner and the claims find them by that text.
            read = workflows.stored(changed)
            found = {workflow.id for workflow in read}
            for workflow in read:
                try:
                    definitions.stored_definition(workflow)
                except InvalidDefinition:
                    pass
                except ValueError:
                    # A column whose text is not JSON (a row edited by hand): reading ahead
                    # only saves the planner time, so it must not fail the tick after its
                    # runs finished. Said once per change of the row; the planner meets it
                    # again at its instant. Anything else, a database error first (after
                    # which PostgreSQL fails every read of the transaction), is raised.
                    log.exception("workflow %s: its definition could not be read", workflow.id)
        # Replaced, not updated: forgets the workflows no longer coming, and ticks of other
        # threads reading it meanwhile see a whole one. A row changed again since it was
        # listed keeps the older stamp, and is read again next time.
        self.parsed_ahead = {
            id_: updated_at
            for id_, updated_at in coming.items()
            if id_ not in changed or id_ in found
        }
        return definitions.parses

    def prune_history(self) -> None:
        now = self.clock.now()
        with write_transaction(self.sessions) as session:
            prune_after_planning(session, now)
        self.pruned_at = now

    def _pruning_due(self) -> bool:
        return self.pruned_at is None or self.clock.now() - self.pruned_at >= PRUNE_EVERY

    def sync_sources(self) -> list[SyncOutcome]:
        """Syncs the sources due on their period (after the runs: a run syncs its own
        source first when its data is too old)."""
        runner = self.runner
        outcomes = sync_periodic(
            self.sessions,
            self.clock,
            self.owner,
            runner.environment,
            runner.notifier_for,
            runner.portals,
        )
        for failed in (outcome for outcome in outcomes if outcome.error is not None):
            runner.observer.source_failed(failed.name, failed.error_code or "sync_failed")
        return outcomes

    def plan(self) -> None:
        """Plans every due workflow, batch after batch."""
        planned_any = False
        while self.plan_batch():
            planned_any = True
        if planned_any:
            self.prune_history()

    def plan_batch(self) -> int:
        """Plans up to one batch of due workflows; returns how many were planned."""
        with write_transaction(self.sessions) as session:
            # As many as a claim takes: tick plans a batch, then claims one, so processes
            # ticking together share the runs of a burst.
            return len(plan_due(session, self.clock.now(), BATCH_SIZE))

    def claim_batch(self, limit: int) -> Claimed:
        """Claims due runs, as many as can run together (bot.workflows.run_batch)."""
        with write_transaction(self.sessions) as session:
            return claim_batch(session, self.owner, self.clock.now(), self.lease, limit)

    def claim(self, run_id: int | None = None) -> int | None:
        with write_transaction(self.sessions) as session:
            run = RunRepository(session).claim_next(
                self.owner, self.clock.now(), self.lease, run_id
            )
            return None if run is None else run.id

    def run_now(self, run_id: int) -> RunStatus | None:
        """Runs one pending run at once (a manual run); None if it could not be claimed."""
        if self.claim(run_id) is None:
            return None
        return self.runner.execute(run_id)

    def next_wake_up(self) -> datetime | None:
        """When something next becomes due: a workflow's occurrence, a run's lease end, or
        a source's periodic sync."""
        with transaction(self.sessions) as session:
            candidates = [
                WorkflowRepository(session).earliest_next_run(),
                RunRepository(session).next_wake_up(),
                next_periodic_sync(session),
            ]
        present = [c for c in candidates if c is not None]
        return min(present) if present else None
