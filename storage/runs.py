"""Repository of runs: one row per occurrence, claimed by one process at a time with a lease.

The database, not any process's memory, decides what is due and who runs it: a run row is
written under its unique (workflow, occurrence key) before anything runs, and is claimed
with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL or under SQLite's single writer lock, so
several processes sharing one database run each occurrence exactly once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    Insert,
    Select,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session, aliased

from bot.workflows.vocabulary import ActionOutcome, RunSource, RunStatus
from storage.columns import among_ids
from storage.database import dialect_insert
from storage.enrollment_sql import ENROLLMENT_COLUMNS, EnrollmentQuery, enrollment_statements
from storage.followups import RETRIED_OUTCOMES
from storage.models import ActionResult, Enrollment, ObjectType, Record, Run, Workflow
from storage.workflows import StoredWorkflow, stored_columns, team_live_ids


@dataclass(frozen=True)
class NewRun:
    workflow_id: int
    revision: int
    occurrence_key: str
    scheduled_at: datetime
    source: RunSource
    status: RunStatus = RunStatus.PENDING
    triggered_by: str | None = None
    # Counts noted before the run (e.g. missed_not_recorded); the run's own come at its finish.
    summary: dict[str, Any] | None = None
    evaluates_all_records: bool = False  # Run now: every record matching the criteria
    reason: str | None = None  # why it is skipped, missed or deferred
    deferred_from: datetime | None = None  # the occurrence's own instant, when deferred
    retry_of: int | None = None  # the run whose failed actions it re-runs


@dataclass(frozen=True)
class ResultRow:
    """One action's result for one record, with the record's name and external id."""

    record_name: str
    external_id: str
    action_index: int
    outcome: str
    reason: str | None


@dataclass(frozen=True)
class NewResult:
    """One action's outcome for one record of a run, to be recorded."""

    run_id: int
    record_id: int
    action_index: int
    outcome: ActionOutcome
    reason: str | None = None
    reference: dict[str, Any] | None = None


# Failures first, then messages that may be missing, so that a capped list of results
# never hides a problem behind successes.
_OUTCOME_ORDER = case(
    (ActionResult.outcome == ActionOutcome.FAILED.value, 0),
    (ActionResult.outcome == ActionOutcome.UNKNOWN.value, 1),
    (ActionResult.outcome == ActionOutcome.DEFERRED.value, 2),
    (ActionResult.outcome == ActionOutcome.SKIPPED.value, 3),
    else_=4,
)


def _insert_ignoring_duplicates(session: Session, table: Any) -> Insert:
    return dialect_insert(session, table).on_conflict_do_nothing()


def _result_of_enrolled(
    run_id: int, action_index: int, *more: ColumnElement[bool]
) -> ColumnElement[bool]:
    """Whether the enrollment's record has a result for action ``action_index`` of run
    ``run_id`` (and ``more``), looked up per enrollment through the unique index on
    (run_id, record_id, action_index).

    OFFSET 0 keeps PostgreSQL from planning the EXISTS as an anti- or semi-join: with
    statistics older than the run's results (a table it thinks nearly empty) it joined each
    enrollment against every result of the action, materialised (100,000 of each: over a
    minute where this takes 0.2 s). SQLite runs the EXISTS per row anyway."""
    return (
        select(literal(1))
        .where(
            ActionResult.run_id == run_id,
            ActionResult.record_id == Enrollment.record_id,
            ActionResult.action_index == action_index,
            *more,
        )
        .offset(0)
        .exists()
    )


def _pending(run_id: int, action_index: int, retried_run_id: int | None) -> ColumnElement[bool]:
    """The run's enrollments (``_retried``) whose record has no result for action
    ``action_index`` yet."""
    done = _result_of_enrolled(run_id, action_index)
    return and_(_retried(run_id, action_index, retried_run_id), ~done)


def _retried(run_id: int, action_index: int, retried_run_id: int | None) -> ColumnElement[bool]:
    """The run's enrollments; in a re-run (of ``retried_run_id``), only those whose action
    ``action_index`` failed or ended unknown there: a re-run leaves the others alone,
    unrecorded (FollowUpRepository.not_retried)."""
    enrolled = Enrollment.run_id == run_id
    if retried_run_id is None:
        return enrolled
    retried = _result_of_enrolled(
        retried_run_id, action_index, ActionResult.outcome.in_(RETRIED_OUTCOMES)
    )
    return and_(enrolled, retried)


def _finished(now: datetime, owner_alerted: bool) -> dict[str, Any]:
    """What finishing a run sets besides its status and summary."""
    return {
        "owner_alerted": owner_alerted,
        "finished_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
    }


def _run_row(run: NewRun, now: datetime) -> dict[str, Any]:
    return {
        "workflow_id": run.workflow_id,
        "revision": run.revision,
        "occurrence_key": run.occurrence_key,
        "scheduled_at": run.scheduled_at,
        "source": run.source.value,
        "status": run.status.value,
        "triggered_by": run.triggered_by,
        "summary": run.summary or {},
        "evaluates_all_records": run.evaluates_all_records,
        "reason": run.reason,
        "deferred_from": run.deferred_from,
        "retry_of": run.retry_of,
        "attempts": 0,
        "created_at": now,
    }


class LatestRun(NamedTuple):
    """What a line about a run shows of it, read without building the ORM object
    (RunRepository.latest)."""

    id: int
    scheduled_at: datetime
    source: str
    status: str
    triggered_by: str | None
    summary: dict[str, Any] | None
    reason: str | None
    retry_of: int | None


# Another run of the same workflow, in a claim's query: one alias for every claim, whose
# columns SQLAlchemy adapts once (a new alias per claim adapted them anew, a third of
# building the query).
_OTHER_RUN = aliased(Run)


class ClaimableRun(NamedTuple):
    """A due run as a claim chooses among them (RunRepository.claimable), read without
    building the ORM objects: with its workflow as stored, whose definition is found by
    that text."""

    id: int
    status: str
    attempts: int
    enrolled_at: datetime | None
    retry_of: int | None
    source: str
    scheduled_at: datetime
    workflow: StoredWorkflow


_CLAIMABLE_RUN_COLUMNS = (
    Run.id,
    Run.status,
    Run.attempts,
    Run.enrolled_at,
    Run.retry_of,
    Run.source,
    Run.scheduled_at,
)


class RunRepository:
    """Writes, claims and finishes runs and their enrollments and results. Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, run: NewRun, now: datetime) -> int | None:
        """Writes the run unless its occurrence already has one; returns the new id or None."""
        statement = (
            _insert_ignoring_duplicates(self.session, Run)
            .values(**_run_row(run, now))
            .returning(Run.id)
        )
        return self.session.scalar(statement)

    def add_many(self, runs: Sequence[NewRun], now: datetime) -> None:
        """Writes the runs in one statement, each unless its occurrence already has one."""
        if runs:
            self.session.execute(
                _insert_ignoring_duplicates(self.session, Run), [_run_row(r, now) for r in runs]
            )

    def get(self, run_id: int) -> Run | None:
        return self.session.get(Run, run_id)

    def claim_next(
        self, owner: str, now: datetime, lease: timedelta, run_id: int | None = None
    ) -> Run | None:
        """Takes the earliest due run (or run ``run_id``) no other process holds, and leases
        it to ``owner``."""
        run: Run | None = self.session.scalars(self._claimable(now, run_id).limit(1)).first()
        if run is None:
            return None
        run.status = RunStatus.RUNNING.value
        run.lease_owner = owner
        run.lease_expires_at = now + lease
        run.attempts += 1
        run.started_at = run.started_at or now
        self.session.flush()
        return run

    def claimable(self, now: datetime, limit: int, *, locking: bool = False) -> list[ClaimableRun]:
        """Up to ``limit`` due runs no other process holds, earliest first, each with its
        workflow; at most one run per workflow (its next run waits for it). Read without
        locking them unless ``locking``: other processes still claim these while this one
        chooses, and ``claim`` takes those chosen that are still free. With ``locking``, on
        PostgreSQL, those other processes are claiming now are skipped and those read stay
        locked until the caller's transaction ends (runs and workflows, not object types)."""
        columns = (*_CLAIMABLE_RUN_COLUMNS, *stored_columns())
        query = (
            self._claimable(now, None, locking=locking, columns=columns)
            .join(ObjectType, ObjectType.id == Workflow.object_type_id)
            .limit(limit)
        )
        run_columns = len(_CLAIMABLE_RUN_COLUMNS)
        chosen: dict[int, ClaimableRun] = {}
        for row in self.session.connection().execute(query):
            workflow = StoredWorkflow(*row[run_columns:])
            if workflow.id not in chosen:
                chosen[workflow.id] = ClaimableRun._make((*row[:run_columns], workflow))
        return list(chosen.values())

    def claim(
        self,
        run_ids: Sequence[int],
        owner: str,
        now: datetime,
        lease: timedelta,
        *,
        first_claims: Sequence[int] = (),
    ) -> set[int]:
        """Leases to ``owner`` those of runs ``run_ids`` and ``first_claims`` still due and
        held by no other process (locked, skipping those another process is claiming), in
        two statements; the ids it claimed. Those of ``first_claims`` only while never
        claimed nor enrolled: the caller chose them as such from a read that did not lock
        them, and one may have become a running run whose lease ran out since."""
        if not run_ids and not first_claims:
            return set()
        never_claimed = and_(
            among_ids(self.session, Run.id, first_claims),
            Run.status == RunStatus.PENDING.value,
            Run.attempts == 0,
            Run.enrolled_at.is_(None),
        )
        # Their ids only: the whole rows were 50 ORM objects per claim, each summary decoded.
        free = self._claimable(now, None, columns=(Run.id,)).where(
            or_(among_ids(self.session, Run.id, run_ids), never_claimed)
        )
        claimed = set(self.session.scalars(free))
        if not claimed:
            return claimed
        self.session.execute(
            update(Run)
            .where(among_ids(self.session, Run.id, claimed))
            .values(
                status=RunStatus.RUNNING.value,
                lease_owner=owner,
                lease_expires_at=now + lease,
                attempts=Run.attempts + 1,
                started_at=func.coalesce(Run.started_at, now),
            ),
            execution_options={"synchronize_session": False},
        )
        return claimed

    def _claimable(
        self,
        now: datetime,
        run_id: int | None,
        *,
        locking: bool = True,
        columns: tuple[Any, ...] = (Run,),
    ) -> Select[Any]:
        """Due runs no other process holds, earliest first (or run ``run_id`` if it is one).

        Due means pending and scheduled by now, or running under a lease that expired (its
        process died). A workflow with a run under a live lease has its next run wait, so
        one workflow never runs twice at once. On PostgreSQL the workflow row is locked with
        the run so two processes cannot both claim runs of one workflow; on SQLite the
        caller's BEGIN IMMEDIATE already makes this the only writer.
        """
        other = _OTHER_RUN
        busy = exists().where(
            other.workflow_id == Run.workflow_id,
            other.id != Run.id,
            other.status == RunStatus.RUNNING.value,
            other.lease_expires_at > now,
        )
        due = or_(
            and_(Run.status == RunStatus.PENDING.value, Run.scheduled_at <= now),
            and_(Run.status == RunStatus.RUNNING.value, Run.lease_expires_at <= now),
        )
        query = (
            select(*columns)
            .select_from(Run)
            .join(Workflow, Workflow.id == Run.workflow_id)
            .where(due, ~busy, true() if run_id is None else Run.id == run_id)
            .order_by(Run.scheduled_at, Run.id)
        )
        if locking and self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=[Run, Workflow])
        return query

    def renew_lease(
        self, run_id: int, owner: str, now: datetime, lease: timedelta, *, unexpired: bool = False
    ) -> bool:
        """Extends the lease; False when ``owner`` lost it (another process took the run) or,
        with ``unexpired``, when it had run out (another process may be claiming it)."""
        statement = update(Run).where(
            Run.id == run_id,
            Run.lease_owner == owner,
            Run.status == RunStatus.RUNNING.value,
        )
        if unexpired:
            statement = statement.where(Run.lease_expires_at > now)
        result = self.session.execute(statement.values(lease_expires_at=now + lease))
        return bool(getattr(result, "rowcount", 0))

    def renew_leases(
        self, run_ids: Sequence[int], owner: str, now: datetime, lease: timedelta
    ) -> set[int]:
        """Extends the leases of several runs at once; the ids ``owner`` still holds. The rows
        are locked first in id order, as finish_many locks them: two processes locking
        the same runs in different orders could deadlock on PostgreSQL."""
        if not run_ids:
            return set()
        # Two statements on purpose. One UPDATE ... WHERE id IN (this SELECT) would lock in
        # id order too on PostgreSQL 15 (its plan keeps the subquery's LockRows over the
        # ordered scan), but only as the planner's choice; a top-level SELECT ... ORDER BY
        # ... FOR UPDATE locks in the order it returns rows, which is what we rely on.
        # SQLite has no FOR UPDATE: its single writer needs no order.
        ours = self.session.scalars(
            select(Run.id)
            .where(
                among_ids(self.session, Run.id, run_ids),
                Run.lease_owner == owner,
                Run.status == RunStatus.RUNNING.value,
            )
            .order_by(Run.id)
            .with_for_update()
        ).all()
        if not ours:
            return set()
        self.session.execute(
            update(Run)
            .where(among_ids(self.session, Run.id, ours))
            .values(lease_expires_at=now + lease),
            execution_options={"synchronize_session": False},
        )
        return set(ours)

    def finish(
        self,
        run_id: int,
        owner: str,
        status: RunStatus,
        summary: dict[str, Any],
        now: datetime,
        *,
        owner_alerted: bool = False,
        reason: str | None = None,
    ) -> bool:
        """Finishes the run if ``owner`` still holds it; ``reason`` (why it stopped), when
        given, replaces the one it had. False when another process took the run over."""
        statement = (
            update(Run)
            .where(Run.id == run_id, Run.lease_owner == owner)
            .values(status=status.value, summary=summary, **_finished(now, owner_alerted))
        )
        if reason is not None:
            statement = statement.values(reason=reason)
        result = self.session.execute(statement)
        return bool(getattr(result, "rowcount", 0))

    def finish_many(
        self, finished: Sequence[tuple[int, RunStatus, dict[str, Any]]], owner: str, now: datetime
    ) -> set[int]:
        """Finishes the runs (id, status, summary) ``owner`` still holds, all updates sent at
        once; the ids it finished. Which are still ours is read first, locked (the write
        lock on SQLite): a run another process took over, finished or not, is not counted."""
        if not finished:
            return set()
        ids = [run_id for run_id, _, _ in finished]
        held = select(Run.id).where(
            among_ids(self.session, Run.id, ids),
            Run.lease_owner == owner,
            Run.finished_at.is_(None),
        )
        # Locked in id order, as renew_leases locks them (no deadlock between the two).
        ours = set(self.session.scalars(held.order_by(Run.id).with_for_update()))
        if not ours:
            return ours
        # Each run its own values: an executemany, which SQLAlchemy cannot have return the
        # ids it changed on either database; hence the read of those still ours, above.
        table = cast(Table, Run.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("run"), table.c.lease_owner == owner)
            .values(
                status=bindparam("outcome"),
                summary=bindparam("counts", type_=table.c.summary.type),
                **_finished(now, owner_alerted=False),
            )
        )
        self.session.execute(
            statement,
            [
                {"run": run_id, "outcome": status.value, "counts": summary}
                for run_id, status, summary in finished
                if run_id in ours
            ],
        )
        return ours

    def cancel_pending(self, workflow_id: int, now: datetime, reason: str) -> int:
        """Cancels the workflow's runs that have not started (after an edit, pause or delete)."""
        return self.cancel_pending_of([workflow_id], now, reason)

    def cancel_pending_of(self, workflow_ids: Sequence[int], now: datetime, reason: str) -> int:
        """Cancels the runs not started of several workflows at once (a workspace paused)."""
        if not workflow_ids:
            return 0
        result = self.session.execute(
            update(Run)
            .where(Run.workflow_id.in_(workflow_ids), Run.status == RunStatus.PENDING.value)
            .values(status=RunStatus.CANCELLED.value, finished_at=now, reason=reason)
        )
        return int(getattr(result, "rowcount", 0))

    def next_wake_up(self) -> datetime | None:
        """The earliest instant at which some run becomes claimable."""
        pending = select(func.min(Run.scheduled_at)).where(Run.status == RunStatus.PENDING.value)
        leased = select(func.min(Run.lease_expires_at)).where(Run.status == RunStatus.RUNNING.value)
        candidates = [self.session.scalar(pending), self.session.scalar(leased)]
        present = [c for c in candidates if c is not None]
        return min(present) if present else None

    def oldest_due_pending(self, now: datetime) -> datetime | None:
        """When the oldest run that is due and still waiting for a process was due; None
        when none waits. Reads only pending runs' rows (the status index): cheap enough for
        every metrics scrape."""
        return self.session.scalar(
            select(func.min(Run.scheduled_at)).where(
                Run.status == RunStatus.PENDING.value, Run.scheduled_at <= now
            )
        )

    def missed_since_last_run(self, workflow_id: int, before: datetime) -> list[Run]:
        """Missed occurrences after the workflow's previous finished run, oldest first."""
        last_run = (
            select(func.max(Run.scheduled_at))
            .where(
                Run.workflow_id == workflow_id,
                Run.status.in_([RunStatus.SUCCEEDED.value, RunStatus.FAILED.value]),
                Run.scheduled_at < before,
            )
            .scalar_subquery()
        )
        query = (
            select(Run)
            .where(
                Run.workflow_id == workflow_id,
                Run.status == RunStatus.MISSED.value,
                Run.scheduled_at < before,
                or_(last_run.is_(None), Run.scheduled_at > last_run),
            )
            .order_by(Run.scheduled_at)
        )
        return list(self.session.scalars(query))

    def workflows_with_missed(self, workflow_ids: Collection[int]) -> set[int]:
        """Which of these workflows have missed runs (a summary lists those since the last
        run that finished)."""
        query = select(Run.workflow_id).where(
            among_ids(self.session, Run.workflow_id, workflow_ids),
            Run.status == RunStatus.MISSED.value,
        )
        return set(self.session.scalars(query.distinct()))

    def workflows_finished_after(
        self, workflow_ids: Collection[int], instant: datetime
    ) -> set[int]:
        """Which of these workflows have a run that finished after ``instant`` (a run due
        then may have waited for it)."""
        query = select(Run.workflow_id).where(
            among_ids(self.session, Run.workflow_id, workflow_ids), Run.finished_at > instant
        )
        return set(self.session.scalars(query.distinct()))

    def in_team(self, run_id: int, team_id: str) -> tuple[Run, Workflow] | None:
        """The run and its workflow, if the run belongs to a workflow of ``team_id``."""
        query = (
            select(Run, Workflow)
            .join(Workflow, Workflow.id == Run.workflow_id)
            .where(Run.id == run_id, Workflow.team_id == team_id)
        )
        row = self.session.execute(query).one_or_none()
        return None if row is None else (row[0], row[1])

    def latest_in_team(self, team_id: str, statuses: tuple[str, ...]) -> dict[int, LatestRun]:
        """The latest run (by scheduled time) of each live workflow of the team among runs
        in ``statuses``, in one query, as plain rows of what a line of it shows: workflow id
        -> run."""
        rows = self.session.connection().execute(_latest_in_team(statuses), {"team_id": team_id})
        return {row[0]: LatestRun(*row[1:]) for row in rows}

    def pending_scheduled_after(
        self, workflow_ids: Sequence[int], now: datetime
    ) -> list[tuple[int, str, datetime, str | None]]:
        """(workflow id, occurrence key, scheduled at, reason) of the scheduled runs of these
        workflows already written and still to come after ``now``."""
        query = _pending_scheduled(Run.workflow_id.in_(workflow_ids), now)
        return [(id_, key, at, reason) for id_, key, at, reason in self.session.execute(query)]

    def pending_scheduled_in_team(
        self, team_id: str, now: datetime
    ) -> list[tuple[int, str, datetime, str | None]]:
        """pending_scheduled_after of every live workflow of the team."""
        rows = self.session.connection().execute(
            _pending_scheduled_in_team(), {"team_id": team_id, "now": now}
        )
        return [(id_, key, at, reason) for id_, key, at, reason in rows]

    def newest_scheduled_after(self, run: Run, statuses: Sequence[str]) -> Run | None:
        """The newest scheduled run of the same workflow, among runs in ``statuses``, that
        was scheduled after ``run``; None when ``run`` is the latest."""
        query = (
            select(Run)
            .where(
                Run.workflow_id == run.workflow_id,
                Run.id != run.id,
                Run.source == RunSource.SCHEDULE.value,
                Run.status.in_(statuses),
                Run.scheduled_at > run.scheduled_at,
            )
            .order_by(Run.scheduled_at.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def latest_enrolled_with_record(
        self, workflow_id: int, record_id: int, limit: int
    ) -> list[tuple[Run, bool]]:
        """The workflow's latest runs that enrolled (newest first), each with whether it
        enrolled the record."""
        enrolled = (
            select(Enrollment.id)
            .where(Enrollment.run_id == Run.id, Enrollment.record_id == record_id)
            .exists()
        )
        query = (
            select(Run, enrolled)
            .where(Run.workflow_id == workflow_id, Run.enrolled_at.is_not(None))
            .order_by(Run.scheduled_at.desc(), Run.id.desc())
            .limit(limit)
        )
        return [(run, was) for run, was in self.session.execute(query)]

    def history(self, workflow_id: int, limit: int) -> list[Run]:
        query = (
            select(Run)
            .where(Run.workflow_id == workflow_id)
            .order_by(Run.scheduled_at.desc(), Run.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    # Enrollments and action results ------------------------------------------------------

    def enroll(
        self,
        run_id: int,
        record_ids: Sequence[int],
        source: RunSource,
        enrolled_by: str | None,
        now: datetime,
    ) -> None:
        """Enrolls records in a run; a record already enrolled in it stays enrolled once."""
        if not record_ids:
            return
        rows = [
            {
                "run_id": run_id,
                "record_id": record_id,
                "source": source.value,
                "enrolled_by": enrolled_by,
                "created_at": now,
            }
            for record_id in record_ids
        ]
        self.session.execute(_insert_ignoring_duplicates(self.session, Enrollment), rows)

    def newest_record_id(self) -> int:
        """The newest record's id: what runs enrolling now can see, read before they select
        their records (a record committed while they insert is not enrolled, and `why` tells
        it was stored since by its larger id)."""
        return self.session.scalar(select(func.max(Record.id))) or 0

    def enroll_selected(
        self,
        run_id: int,
        record_ids: Any,
        source: RunSource,
        enrolled_by: str | None,
        now: datetime,
        newest: int,
    ) -> int:
        """Enrolls the records a subquery selects, up to ``newest_record_id``, in one
        ``INSERT ... SELECT``: a run that enrolls 100,000 records never brings their ids into
        Python. Returns how many rows it wrote (records enrolled already are not counted).
        ``mark_enrolled`` then says the run enrolled."""
        statement = self._enrollments(
            literal(run_id), record_ids.c.id, source, enrolled_by, now, newest
        )
        written = self.session.execute(statement, execution_options={"preserve_rowcount": True})
        return int(getattr(written, "rowcount", 0))

    def enroll_selected_together(
        self, selections: Sequence[EnrollmentQuery], now: datetime, newest: int
    ) -> Counter[int]:
        """Enrolls, in scheduled runs, the records each run's query selects, up to
        ``newest_record_id``, with one ``INSERT ... SELECT`` per shape of query run for each
        of its runs (storage.enrollment_sql): the database parses a shape once for all its
        runs, where 50 runs' queries joined in one statement were parsed and planned anew
        in every batch (on PostgreSQL, 8-12 ms of planning for 3-5 ms of work), and a run's
        statement holds only its own bound values (each value of an ``in`` filter is one,
        and a run may list thousands). How many records each run has enrolled (none
        before: see below)."""
        if not selections:
            return Counter()
        connection = self.session.connection()
        for statement in enrollment_statements(selections, connection.dialect, now, newest):
            connection.exec_driver_sql(statement.sql, list(statement.runs))
        # Counted after, in the database, where RETURNING sent every row written to Python
        # just to count it (100,000 for a run turning into a digest). Exact: only a first
        # claim of a scheduled run enrolls this way, and nothing enrolled in it before.
        counted = (
            select(Enrollment.run_id, func.count())
            .where(among_ids(self.session, Enrollment.run_id, [s.run_id for s in selections]))
            .group_by(Enrollment.run_id)
        )
        return Counter({run_id: count for run_id, count in self.session.execute(counted)})

    def _enrollments(
        self,
        run_id: ColumnElement[Any],
        record_id: ColumnElement[Any],
        source: RunSource,
        enrolled_by: str | None,
        now: datetime,
        newest: int,
    ) -> Insert:
        """The ``INSERT ... SELECT`` of enroll_selected: the (run, record) pairs a query
        selects, of records up to ``newest``, each pair enrolled already left as it is (a
        run batch's, enroll_selected_together's, are made from queries compiled per shape by
        storage.enrollment_sql, with the same columns and values)."""
        selected = select(
            run_id,
            record_id,
            literal(source.value),
            literal(enrolled_by, type_=Enrollment.__table__.c.enrolled_by.type),
            literal(now, type_=Run.__table__.c.created_at.type),
        ).where(record_id <= newest)
        # ENROLLMENT_COLUMNS, which the batches' statements insert too, so the two can't drift.
        return _insert_ignoring_duplicates(self.session, Enrollment).from_select(
            list(ENROLLMENT_COLUMNS), selected
        )

    def mark_enrolled(
        self,
        run_ids: Sequence[int],
        newest: int | None,
        enrolled_at: datetime,
        stale_source: dict[str, Any] | None = None,
    ) -> None:
        """Runs that enrolled their records at ``enrolled_at``, one statement for all of them:
        ``newest``, the newest record they could see (None: chosen by hand, not selected);
        ``stale_source``, the source that could not be synced first, if one."""
        values: dict[str, Any] = {"enrolled_at": enrolled_at}
        if newest is not None:
            values["newest_record_id"] = newest or None
        if stale_source is not None:
            values["stale_source"] = stale_source
        self.session.execute(
            update(Run).where(among_ids(self.session, Run.id, run_ids)).values(**values),
            execution_options={"synchronize_session": False},
        )

    def enrolled_with_records(self, run_ids: Sequence[int]) -> list[tuple[int, Record]]:
        """(run id, record) of every enrollment of these runs, by run and record id: the
        records of a batch of small runs in one query."""
        query = (
            select(Enrollment.run_id, Record)
            .join(Record, Record.id == Enrollment.record_id)
            .where(among_ids(self.session, Enrollment.run_id, run_ids))
            .order_by(Enrollment.run_id, Enrollment.record_id)
        )
        return [(run_id, record) for run_id, record in self.session.execute(query)]

    def record_result(
        self,
        run_id: int,
        record_id: int,
        action_index: int,
        outcome: ActionOutcome,
        reason: str | None,
        reference: dict[str, Any] | None,
        now: datetime,
    ) -> bool:
        """Records one action's outcome for one record; False if it was recorded already."""
        statement = (
            _insert_ignoring_duplicates(self.session, ActionResult)
            .values(
                run_id=run_id,
                record_id=record_id,
                action_index=action_index,
                outcome=outcome.value,
                reason=reason,
                reference=reference,
                created_at=now,
            )
            .returning(ActionResult.id)
        )
        return self.session.scalar(statement) is not None

    def record_results(
        self,
        run_id: int,
        record_ids: Sequence[int],
        action_index: int,
        outcome: ActionOutcome,
        reason: str | None,
        reference: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        """Records one outcome for many records at once (records removed since a run
        enrolled them, a batch of writes); existing ones stay."""
        self.record_outcomes(
            [
                NewResult(run_id, record_id, action_index, outcome, reason, reference)
                for record_id in record_ids
            ],
            now,
        )

    def record_outcomes(self, results: Sequence[NewResult], now: datetime) -> None:
        """Records many outcomes, of one run or several, in few statements; existing ones
        stay."""
        rows = [
            {
                "run_id": result.run_id,
                "record_id": result.record_id,
                "action_index": result.action_index,
                "outcome": result.outcome.value,
                "reason": result.reason,
                "reference": result.reference,
                "created_at": now,
            }
            for result in results
        ]
        for start in range(0, len(rows), 5_000):
            self.session.execute(
                _insert_ignoring_duplicates(self.session, ActionResult), rows[start : start + 5_000]
            )

    def pending_records(
        self, run_id: int, action_index: int, retried_run_id: int | None, limit: int
    ) -> tuple[int, list[Record]]:
        """How many of the run's records action ``action_index`` is still to be done for
        (``_pending``), and the first ``limit`` of them, by id: a digest never brings the
        other records into Python."""
        pending = _pending(run_id, action_index, retried_run_id)
        count = select(func.count()).select_from(Enrollment).where(pending)
        first = (
            select(Record)
            .join(Enrollment, Enrollment.record_id == Record.id)
            .where(pending)
            .order_by(Enrollment.record_id)
            .limit(limit)
        )
        return self.session.scalar(count) or 0, list(self.session.scalars(first))

    def record_pending(
        self,
        run_id: int,
        action_index: int,
        retried_run_id: int | None,
        outcome: ActionOutcome,
        reason: str | None,
        reference: dict[str, Any] | None,
        now: datetime,
        removed_only: bool = False,
    ) -> int:
        """Records one outcome for every record action ``action_index`` is still to be done
        for (``_pending``; ``removed_only``: those removed since they were enrolled) in one
        ``INSERT ... SELECT``, where a digest of 100,000 records sent as many rows; how many
        it wrote. The results already there are left by the unique index's ON CONFLICT DO
        NOTHING, not by a NOT EXISTS: on PostgreSQL that anti-join, planned on a table it
        thinks empty, scanned every row the statement had written so far for each row."""
        columns = ActionResult.__table__.c
        selected = select(
            literal(run_id),
            Enrollment.record_id,
            literal(action_index),
            literal(outcome.value, type_=columns.outcome.type),
            literal(reason, type_=columns.reason.type),
            literal(reference, type_=columns.reference.type),
            literal(now, type_=columns.created_at.type),
        ).where(_retried(run_id, action_index, retried_run_id))
        if removed_only:
            removed = exists().where(
                Record.id == Enrollment.record_id, Record.deleted_at.isnot(None)
            )
            selected = selected.where(removed)
        statement = _insert_ignoring_duplicates(self.session, ActionResult).from_select(
            ["run_id", "record_id", "action_index", "outcome", "reason", "reference", "created_at"],
            selected,
        )
        written = self.session.execute(statement, execution_options={"preserve_rowcount": True})
        return int(getattr(written, "rowcount", 0))

    def enrollment_count(self, run_id: int) -> int:
        query = select(func.count()).select_from(Enrollment).where(Enrollment.run_id == run_id)
        return self.session.scalar(query) or 0

    def done_records(self, run_id: int, action_index: int) -> set[int]:
        """The records for which this action already has a result in this run."""
        query = select(ActionResult.record_id).where(
            ActionResult.run_id == run_id, ActionResult.action_index == action_index
        )
        return set(self.session.scalars(query))

    def outcome_counts(self, run_id: int) -> dict[str, int]:
        query = (
            select(ActionResult.outcome, func.count())
            .where(ActionResult.run_id == run_id)
            .group_by(ActionResult.outcome)
        )
        return {outcome: count for outcome, count in self.session.execute(query)}

    def enrolled_records(self, run_id: int, limit: int | None) -> list[tuple[str, str]]:
        """(name, external id) of the first ``limit`` records enrolled in the run (None:
        all), by record id (the enrollments' unique index serves the order)."""
        query = (
            select(Record.name, Record.external_id)
            .join(Enrollment, Enrollment.record_id == Record.id)
            .where(Enrollment.run_id == run_id)
            .order_by(Enrollment.record_id)
            .limit(limit)
        )
        return [(name, external_id) for name, external_id in self.session.execute(query)]

    def results_with_records(self, run_id: int, limit: int | None) -> list[ResultRow]:
        """The run's first ``limit`` action results (None: all) with their records, in one
        query: failures first, then deferred, skipped and ok; by action, then record."""
        query = (
            select(
                Record.name,
                Record.external_id,
                ActionResult.action_index,
                ActionResult.outcome,
                ActionResult.reason,
            )
            .join(Record, Record.id == ActionResult.record_id)
            .where(ActionResult.run_id == run_id)
            .order_by(_OUTCOME_ORDER, ActionResult.action_index, ActionResult.record_id)
            .limit(limit)
        )
        return [ResultRow(*row) for row in self.session.execute(query)]

    def failures(
        self, run_id: int, limit: int, outcome: ActionOutcome = ActionOutcome.FAILED
    ) -> list[ActionResult]:
        """The run's first ``limit`` results with ``outcome`` (failures by default)."""
        query = (
            select(ActionResult)
            .where(
                ActionResult.run_id == run_id,
                ActionResult.outcome == outcome.value,
            )
            .order_by(ActionResult.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))


def _pending_scheduled(
    workflows: ColumnElement[bool], after: Any
) -> Select[int, str, datetime, str | None]:
    return select(Run.workflow_id, Run.occurrence_key, Run.scheduled_at, Run.reason).where(
        workflows,
        Run.source == RunSource.SCHEDULE.value,
        Run.status == RunStatus.PENDING.value,
        Run.scheduled_at > after,
    )


# The list's statements, built once (building them cost more than running them), their team
# bound as ``team_id``.


@cache
def _pending_scheduled_in_team() -> Select[int, str, datetime, str | None]:
    return _pending_scheduled(Run.workflow_id.in_(team_live_ids()), bindparam("now"))


@cache
def _latest_in_team(statuses: tuple[str, ...]) -> Select[Any]:
    rank = (
        func.row_number()
        .over(partition_by=Run.workflow_id, order_by=(Run.scheduled_at.desc(), Run.id.desc()))
        .label("rank")
    )
    ranked = (
        select(Run.id, rank)
        .where(Run.workflow_id.in_(team_live_ids()), Run.status.in_(statuses))
        .subquery()
    )
    return (
        select(
            Run.workflow_id,
            Run.id,
            Run.scheduled_at,
            Run.source,
            Run.status,
            Run.triggered_by,
            Run.summary,
            Run.reason,
            Run.retry_of,
        )
        .join(ranked, ranked.c.id == Run.id)
        .where(ranked.c.rank == 1)
    )
