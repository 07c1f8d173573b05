"""Claims due runs a batch at a time and carries out the small, common ones together: the
Monday 09:00 burst, where hundreds of reminders fall due at one instant.

A run is carried out as a batch when it is the first claim of a scheduled run whose actions
are all channel messages sent per record (no owner named, no source to sync first) and it
enrolls at most MAX_BATCHED_RECORDS records. For those, what the per-run path does in about
25 statements and 7 transactions each is done for the whole batch in a few: one claim, one
enrollment transaction (an ``INSERT ... SELECT`` per shape of criteria, run for each run of
that shape, and one statement reading every run's records), one transaction recording every
result and finishing the runs. Their messages are posted by a bounded pool, each run's
messages one at a time in the per-run order, so Slack's answers overlap while each channel
keeps its pace (the workspace's notifier paces channels and honours 429s for the whole
pool).

Every other run (a resumed one, a re-run, one that messages owners, writes records, posts
digests, or waits on a source) goes through ``Runner.execute`` alone, as before: one per
claim, claimed with the batch. A batched run whose results are not all recorded (its process
died) is resumed by that per-run path, which looks for its messages by their marks before
posting, so nothing is posted twice.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from queue import Empty, SimpleQueue
from typing import Any

from sqlalchemy.orm import Session

from bot.workflows.definitions import (
    DIGEST_THRESHOLD,
    MessageMode,
    SendChannelMessage,
    WorkflowDefinition,
)
from bot.workflows.owner_aliases import named_owners
from bot.workflows.run_observer import UNEXPECTED_ERROR
from bot.workflows.runner import (
    ClaimedRun,
    EnrolledRecord,
    Execution,
    LeaseLost,
    Postponed,
    Runner,
    names_owners,
)
from bot.workflows.stored import DefinitionReader
from bot.workflows.summary import EarlierRuns, RunSummary
from bot.workflows.vocabulary import PropertyType, RunSource, RunStatus
from storage.database import transaction, write_transaction
from storage.record_sources import RecordSourceRepository
from storage.runs import ClaimableRun, NewResult, RunRepository
from storage.workflows import StoredWorkflow

log = logging.getLogger(__name__)

# Runs claimed at once: enough that a burst costs a few statements per run, few enough that
# processes ticking at the same moment share the burst. 50 rather than 25: in-process, 1,000
# due on PostgreSQL took 10-16% less CPU (100 saved only 5% more, and makes the last run of
# a batch of slow runs wait longer while other processes could take it).
BATCH_SIZE = 50
# Runs of a batch posting at the same time (each its own messages in order).
POSTING_RUNS = 8
# Ticks carrying out batches side by side in one process (the scheduler's workers).
TICKS_AT_ONCE = 4
# A run enrolling more records posts them alone (a per-record run of more than this many is
# a digest unless its author chose otherwise, and its channel's pace makes it slow anyway).
MAX_BATCHED_RECORDS = DIGEST_THRESHOLD
# How many times a claim reads candidates again when other processes took those it chose.
CLAIM_TRIES = 3


_posting_pool: ThreadPoolExecutor | None = None
_posting_pool_made = threading.Lock()


def posting_threads() -> ThreadPoolExecutor:
    """The process's posting threads, enough for every tick's batch at once, kept for its
    life: a pool started for each batch cost a thread start per posting run (about 5% of a
    burst's CPU)."""
    global _posting_pool
    with _posting_pool_made:
        if _posting_pool is None:
            _posting_pool = ThreadPoolExecutor(
                POSTING_RUNS * TICKS_AT_ONCE, thread_name_prefix="run-batch"
            )
        return _posting_pool


def _forget_posting_pool() -> None:
    # A forked child has none of its parent's threads, but the pool would count them idle.
    global _posting_pool, _posting_pool_made
    _posting_pool, _posting_pool_made = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_posting_pool)


@dataclass(frozen=True)
class Claimed:
    """What one claim took: runs to carry out as a batch, and at most one run to carry out
    alone (the earliest run that is not batchable)."""

    batch: list[ClaimedRun] = field(default_factory=list)
    alone: int | None = None

    @property
    def run_ids(self) -> list[int]:
        return [run.run_id for run in self.batch] + ([self.alone] if self.alone else [])


def claim_batch(
    session: Session, owner: str, now: datetime, lease: timedelta, limit: int
) -> Claimed:
    """Claims up to ``limit`` due runs: the batchable ones, and the first one that is not
    (the others wait for the next claim). One write transaction."""
    runs = RunRepository(session)
    # Candidates another process claims meanwhile are skipped; when it took them all, the
    # next ones are read, skipping (and locking) those being claimed: in a burst, every
    # process reads the same earliest runs, and reading them again unlocked met them again
    # (1,501 of 1,701 claims came back empty with 5,000 runs due on four processes). The
    # first read locks nothing, so that the runs it does not claim (beyond the first that
    # is not batchable) stay free for others while it chooses.
    for attempt in range(CLAIM_TRIES):
        candidates = runs.claimable(now, limit, locking=attempt > 0)
        if not candidates:
            return Claimed()
        chosen = _choose(session, candidates, now)
        alone = [] if chosen.alone is None else [chosen.alone]
        batch = [run.run_id for run in chosen.batch]
        claimed = runs.claim(alone, owner, now, lease, first_claims=batch)
        if claimed:
            return Claimed(
                [run for run in chosen.batch if run.run_id in claimed],
                chosen.alone if chosen.alone in claimed else None,
            )
    return Claimed()


def _choose(session: Session, candidates: list[ClaimableRun], now: datetime) -> Claimed:
    """The candidates to carry out as a batch, and the first one that is not batchable."""
    fed = RecordSourceRepository(session).fed_types(
        {run.workflow.object_type_id for run in candidates}
    )
    definitions = DefinitionReader(session)
    batch: list[ClaimedRun] = []
    alone: int | None = None
    for run in candidates:
        workflow = run.workflow
        types = definitions.types(workflow.object_type_id)
        definition = definitions.stored_definition(workflow)
        if batchable(run, definition, fed=workflow.object_type_id in fed):
            batch.append(_first_claim(run, workflow, types, definition, now))
        elif alone is None:
            alone = run.id
    return Claimed(batch, alone)


def batchable(run: ClaimableRun, definition: WorkflowDefinition, *, fed: bool) -> bool:
    """Whether the run can be carried out as part of a batch: its first claim, scheduled,
    enrolling by its criteria on a type no source feeds (nothing to sync first, nothing to
    write back), and only sending channel messages per record that name no owner."""
    first_claim = (
        run.status == RunStatus.PENDING.value
        and run.attempts == 0
        and run.enrolled_at is None
        and run.retry_of is None
        and run.source == RunSource.SCHEDULE.value
    )
    return (
        first_claim
        and not fed
        and all(
            isinstance(action, SendChannelMessage) and action.mode is not MessageMode.DIGEST
            for action in definition.actions
        )
        and not names_owners(definition)
        and not named_owners(definition.criteria, definition.suppression)
    )


def _first_claim(
    run: ClaimableRun,
    workflow: StoredWorkflow,
    types: dict[str, PropertyType],
    definition: WorkflowDefinition,
    now: datetime,
) -> ClaimedRun:
    """The run as its claim in this transaction leaves it (first attempt, started now)."""
    return ClaimedRun(
        run_id=run.id,
        team_id=workflow.team_id,
        workflow_id=workflow.id,
        object_type_id=workflow.object_type_id,
        types=types,
        definition=definition,
        scheduled_at=run.scheduled_at,
        started_at=now,
        attempts=1,
        source=RunSource.SCHEDULE,
        triggered_by=None,
        enrolled=False,
        by_criteria=True,
        retry=None,
        write_target=None,
    )


@dataclass
class _Posting:
    """What one run of the batch posted: how many of each outcome, the result the batch
    records at its end, and why the run stopped early if it did."""

    counts: Counter[str] = field(default_factory=Counter)
    unrecorded: list[NewResult] = field(default_factory=list)
    stopped: LeaseLost | Postponed | None = None


class _Leases:
    """Keeps the batch's leases: renewed together, in one statement, every third of a
    lease while the batch posts; a run another process took over stops posting."""

    def __init__(self, runner: Runner, run_ids: Sequence[int]) -> None:
        self.runner = runner
        self.held = set(run_ids)
        self.renewed = runner.clock.now()
        self._lock = threading.Lock()

    def check(self, run_id: int) -> None:
        runner = self.runner
        with self._lock:
            now = runner.clock.now()
            if now - self.renewed >= runner.lease / 3:
                with write_transaction(runner.sessions) as session:
                    self.held = RunRepository(session).renew_leases(
                        sorted(self.held), runner.owner, now, runner.lease
                    )
                self.renewed = now
            if run_id not in self.held:
                raise LeaseLost(run_id)


class BatchExecution:
    """Carries out one claim: its batch together, then its run to carry out alone."""

    def __init__(self, runner: Runner, claimed: Claimed) -> None:
        self.runner = runner
        self.claimed = claimed
        self.executions = {run.run_id: Execution(runner, run) for run in claimed.batch}
        self.leases = _Leases(runner, claimed.run_ids)
        # Set when the process is dying (a BaseException in a posting): the others stop
        # before their next post.
        self.stopping = threading.Event()
        # Runs whose enrollment failed unexpectedly: left to their leases, as a run carried
        # out alone is when it fails, while the others go on.
        self.unenrolled: list[int] = []

    def run(self) -> list[tuple[int, RunStatus | None]]:
        ended: list[tuple[int, RunStatus | None]] = []
        alone = [] if self.claimed.alone is None else [self.claimed.alone]
        if self.executions:
            records = self._enroll()
            ended += self._left_to_leases(self.unenrolled)
            # Runs with more records than a batch takes carry on alone, enrolled already.
            alone = [run_id for run_id in self.executions if run_id not in records] + alone
            ended += self._isolated_batch(records)
        # Each run carried out alone keeps the leases of those after it renewed (they were
        # claimed now and would run out while it posts): a run whose lease ran out anyway
        # is not started (Runner.execute checks its lease first).
        for position, run_id in enumerate(alone):
            waiting = alone[position + 1 :]
            ended.append((run_id, self._isolated(run_id, self.runner.execute, run_id, waiting)))
        return ended

    def _isolated_batch(
        self, records: dict[int, list[EnrolledRecord]]
    ) -> list[tuple[int, RunStatus | None]]:
        """The batch's posting and finishing, whose unexpected failure (a bug) leaves its
        runs to their leases (resumed from their marks) while the runs alone carry on."""
        try:
            return self._post_and_finish(records)
        except Exception:
            run_ids = sorted(records)
            log.exception("runs %s failed unexpectedly; resumed once their leases run out", run_ids)
            return self._left_to_leases(run_ids)

    def _isolated(
        self, run_id: int, step: Callable[..., RunStatus | None], *arguments: Any
    ) -> RunStatus | None:
        """One run's step, whose unexpected failure (a bug) stops that run only: the other
        runs of the claim carry on, and this one is resumed once its lease runs out."""
        try:
            return step(*arguments)
        except Exception:
            log.exception("run %s failed unexpectedly; resumed once its lease runs out", run_id)
            self._left_to_leases([run_id])
            return None

    def _left_to_leases(self, run_ids: Sequence[int]) -> list[tuple[int, RunStatus | None]]:
        """Runs that failed unexpectedly, counted as such (metrics), to be resumed later."""
        for _ in run_ids:
            self.runner.observer.run_ended(UNEXPECTED_ERROR)
        return [(run_id, None) for run_id in run_ids]

    def _enroll(self) -> dict[int, list[EnrolledRecord]]:
        """Enrolls every run of the batch in one transaction; the records of those that
        enrolled few enough to post as a batch, by run. When that fails (one run's query
        does: a clause that cannot be built, an error running it), each run enrolls again
        in a savepoint of its own, and only those that fail again are left to their leases,
        counted and logged as the per-run path does; the batch's other runs go on."""
        try:
            return self._enroll_runs(together=True)
        except Exception as error:
            log.warning(
                "runs %s: enrolling together failed (%s); each enrolls on its own",
                sorted(self.executions),
                type(error).__name__,
            )
        try:
            return self._enroll_runs(together=False)
        except Exception:
            # Not one run's failure (the database went away, say): none of them enrolled.
            run_ids = sorted(self.executions)
            log.exception("runs %s failed unexpectedly; resumed once their leases run out", run_ids)
            self._leave_unenrolled(run_ids)
            return {}

    def _enroll_runs(self, *, together: bool) -> dict[int, list[EnrolledRecord]]:
        runner = self.runner
        with write_transaction(runner.sessions) as session:
            # Read before the records are selected: `why` finds the values they had then.
            enrolled_at = runner.clock.now()
            runs = RunRepository(session)
            newest = runs.newest_record_id()
            if together:
                written = runs.enroll_selected_together(
                    [execution.enrollment_query() for execution in self.executions.values()],
                    enrolled_at,
                    newest,
                )
            else:
                written = self._enroll_each(session, enrolled_at, newest)
            small = []
            for run_id, execution in self.executions.items():
                execution.note_enrolled(written[run_id])
                if written[run_id] <= MAX_BATCHED_RECORDS:
                    small.append(run_id)
            runs.mark_enrolled(list(self.executions), newest, enrolled_at)
            records: dict[int, list[EnrolledRecord]] = {run_id: [] for run_id in small}
            for run_id, record in runs.enrolled_with_records(small):
                records[run_id].append(EnrolledRecord.of(record))
        return records

    def _enroll_each(self, session: Session, enrolled_at: datetime, newest: int) -> Counter[int]:
        """Enrolls each run in a savepoint of its own; a run whose enrollment fails leaves
        the batch, left to its lease (resumed by the per-run path, which fails it the same
        way until it gives up, saying so)."""
        runs = RunRepository(session)
        written: Counter[int] = Counter()
        failed = []
        for run_id, execution in self.executions.items():
            try:
                with session.begin_nested():
                    selection = [execution.enrollment_query()]
                    written += runs.enroll_selected_together(selection, enrolled_at, newest)
            except Exception:
                log.exception("run %s failed unexpectedly; resumed once its lease runs out", run_id)
                failed.append(run_id)
        self._leave_unenrolled(failed)
        return written

    def _leave_unenrolled(self, run_ids: Sequence[int]) -> None:
        """The runs leave the batch, their leases no longer renewed by it."""
        for run_id in run_ids:
            del self.executions[run_id]
            self.leases.held.discard(run_id)
        self.unenrolled += run_ids

    def _post_and_finish(
        self, records: dict[int, list[EnrolledRecord]]
    ) -> list[tuple[int, RunStatus | None]]:
        runner = self.runner
        postings, failed = self._post(records)
        now = runner.clock.now()
        with write_transaction(runner.sessions) as session:
            RunRepository(session).record_outcomes(
                [result for posting in postings.values() for result in posting.unrecorded], now
            )
        ended = self._left_to_leases(failed)
        ended += [
            (run_id, runner.ended(run_id, posting.stopped))
            for run_id, posting in postings.items()
            if posting.stopped is not None
        ]
        # Counted in a read transaction, as a run alone is (other processes' claims do not
        # wait for it on SQLite); only this process writes these runs' results.
        done = [run_id for run_id, posting in postings.items() if posting.stopped is None]
        with transaction(runner.sessions) as session:
            earlier = EarlierRuns.of(session, done)
            summaries = {
                run_id: self.executions[run_id].summarised(
                    session, now, postings[run_id].counts, earlier
                )
                for run_id in done
            }
        quiet = {
            run_id: summarised
            for run_id, summarised in summaries.items()
            if not self.executions[run_id].reports(summarised[0])
        }
        with write_transaction(runner.sessions) as session:
            # Guarded by the lease: a run another process took over is not finished here.
            finished = RunRepository(session).finish_many(
                [(run_id, status, stored) for run_id, (_, stored, status) in quiet.items()],
                runner.owner,
                now,
            )
        for run_id, (_, _, status) in quiet.items():
            outcome = status if run_id in finished else LeaseLost(run_id)
            ended.append((run_id, runner.ended(run_id, outcome)))
        # Runs that post a summary or alert their owner do it after, each alone.
        for run_id, (summary, stored, status) in summaries.items():
            if run_id not in quiet:
                report = (run_id, summary, stored, status, now)
                ended.append((run_id, self._isolated(run_id, self._report, *report)))
        return ended

    def _report(
        self,
        run_id: int,
        summary: RunSummary,
        stored: dict[str, Any],
        status: RunStatus,
        now: datetime,
    ) -> RunStatus | None:
        try:
            # Renews the claim's leases (every third of a lease): the runs carried out alone
            # after the reports wait for them, and a report may post for a while.
            self.leases.check(run_id)
            finished = self.executions[run_id].report_and_finish(summary, stored, status, now)
        except (LeaseLost, Postponed) as stopped:
            # As on the per-run path: a run whose report Slack could not take now stays
            # running, and is resumed (its messages found by their marks) once its lease ends.
            return self.runner.ended(run_id, stopped)
        return self.runner.ended(run_id, finished)

    def _post(
        self, records: dict[int, list[EnrolledRecord]]
    ) -> tuple[dict[int, _Posting], list[int]]:
        """Posts the runs' messages, POSTING_RUNS runs at a time, each lane of the process's
        posting threads taking the next waiting run; what each run posted, and the
        runs whose posting failed unexpectedly (a bug: logged, and left to be resumed once
        their leases run out, while the others post and are recorded). A process dying
        (BaseException) stops the other runs before their next post and is raised once they
        stopped: nothing is recorded then, and the runs are resumed later from their marks."""
        postings: dict[int, _Posting] = {}
        failed: list[int] = []
        failure: BaseException | None = None
        waiting: SimpleQueue[tuple[int, Sequence[EnrolledRecord]]] = SimpleQueue()
        for run_id, run_records in records.items():
            waiting.put((run_id, run_records))
        lanes: list[Future[tuple[dict[int, _Posting], list[int]]]] = []
        try:
            for _ in range(min(POSTING_RUNS, len(records))):
                lanes.append(posting_threads().submit(self._post_lane, waiting))
        except BaseException:
            # No lane left posting behind the batch's back (the interpreter stopping).
            self.stopping.set()
            wait(lanes)
            raise
        for lane in as_completed(lanes):
            try:
                posted, lane_failed = lane.result()
            except BaseException as error:
                failure = failure or error
                continue
            postings |= posted
            failed += lane_failed
        if failure is not None:
            raise failure
        return postings, failed

    def _post_lane(
        self, waiting: SimpleQueue[tuple[int, Sequence[EnrolledRecord]]]
    ) -> tuple[dict[int, _Posting], list[int]]:
        """Posts the waiting runs one after the other until none is left: what each posted,
        and those whose posting failed unexpectedly."""
        postings: dict[int, _Posting] = {}
        failed: list[int] = []
        while True:
            try:
                run_id, run_records = waiting.get_nowait()
            except Empty:
                return postings, failed
            try:
                postings[run_id] = self._post_run(self.executions[run_id], run_records)
            except Exception:
                log.exception("run %s failed unexpectedly while posting", run_id)
                failed.append(run_id)
            except BaseException:
                self.stopping.set()
                raise

    def _post_run(self, execution: Execution, records: Sequence[EnrolledRecord]) -> _Posting:
        """One run's messages, action by action and record by record as the per-run path
        posts them (a resumed run searches them in that order). As on that path, at most one
        message of the run has an outcome not recorded yet: a message's result is recorded
        before the next is posted, and the last one's with the batch."""
        posting = _Posting()
        for index, action in enumerate(execution.definition.actions):
            assert isinstance(action, SendChannelMessage)
            for record in records:
                if self.stopping.is_set():
                    return posting
                try:
                    self.leases.check(execution.run_id)
                    self._record_before_next(posting)
                    message = execution.record_message(action.channel, index, action, record)
                    outcome, reason, reference = execution.delivery(message)
                except (LeaseLost, Postponed) as stopped:
                    posting.stopped = stopped
                    return posting
                posting.counts[outcome.value] += 1
                posting.unrecorded.append(
                    NewResult(execution.run_id, record.id, index, outcome, reason, reference)
                )
        return posting

    def _record_before_next(self, posting: _Posting) -> None:
        if not posting.unrecorded:
            return
        runner = self.runner
        with write_transaction(runner.sessions) as session:
            RunRepository(session).record_outcomes(posting.unrecorded, runner.clock.now())
        posting.unrecorded = []
