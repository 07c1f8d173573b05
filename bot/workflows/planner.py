"""Turns a workflow's due occurrences into run rows: the one that is on time (or late within
the catch-up window) to run, older ones as missed, pause days deferred or skipped."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.workflows.definitions import PauseBehaviour, WorkflowSettings
from bot.workflows.record_history import prune_record_versions
from bot.workflows.schedules import Occurrence, Schedule
from bot.workflows.stored import DefinitionReader
from bot.workflows.vocabulary import RunSource, RunStatus
from storage.followups import FollowUpRepository
from storage.runs import NewRun, RunRepository
from storage.workflows import WorkflowRepository

# An occurrence handled this soon after its instant is on time, whatever the catch-up
# window: a process waking a few seconds late (a busy machine, a slow tick) must not turn
# a catch-up window of 0 into "never runs".
ON_TIME = timedelta(minutes=2)
# A workflow that was down for years records at most this many missed rows; the summary
# still counts the rest.
MAX_MISSED_ROWS = 500
# Why a run is skipped when a person skipped its occurrence once (the run names who).
SKIPPED_BY_HAND = "skipped once by hand (Skip next run)"


@dataclass(frozen=True)
class Planned:
    workflow_id: int
    runs: int
    missed: int


def plan_due(session: Session, now: datetime, limit: int) -> list[Planned]:
    """Plans up to ``limit`` active workflows whose next occurrence has come. One
    transaction; what the batch's workflows share (property types, object type names, whether
    any of them has a skipped occurrence) is read once for all of them, and their run rows
    are written in one statement, their next runs in another. The workflows are read as
    stored rows, their definitions parsed ahead (Engine.parse_ahead) found by that text."""
    workflows = WorkflowRepository(session)
    due = workflows.due_stored(now, limit)
    definitions = DefinitionReader(session)
    skipping = FollowUpRepository(session).workflows_with_skips([w.id for w in due])
    rows: list[NewRun] = []
    planned: list[Planned] = []
    next_runs: list[tuple[int, datetime | None]] = []
    for workflow in due:
        assert workflow.next_run_at is not None
        definition = definitions.stored_definition(workflow)
        occurring = _Occurring(
            workflow.id, workflow.revision, workflow.next_run_at, definition.schedule
        )
        result, next_run = _plan(
            session, occurring, definition.settings, now, workflow.id in skipping, rows
        )
        planned.append(result)
        next_runs.append((workflow.id, next_run))
    RunRepository(session).add_many(rows, now)
    workflows.move_next_runs(next_runs)
    return planned


def prune_after_planning(session: Session, now: datetime) -> None:
    """New runs push the oldest out of what `why` looks at: the record values only those
    needed can go. Once per tick that planned, after its runs, and at least hourly (syncs
    and imports keep versions too): not in every planning batch of a burst, where every
    process's planners would queue on the same row."""
    prune_record_versions(session, now)


def next_run_after(schedule: Schedule, after: datetime) -> datetime | None:
    occurrence = schedule.next_after(after)
    return None if occurrence is None else occurrence.utc


@dataclass(frozen=True)
class _Occurring:
    """What planning reads of a workflow: its occurrences from its next run, and the
    revision its runs are of."""

    workflow_id: int
    revision: int
    next_run_at: datetime
    schedule: Schedule


def _plan(
    session: Session,
    workflow: _Occurring,
    settings: WorkflowSettings,
    now: datetime,
    skipping: bool,
    rows: list[NewRun],
) -> tuple[Planned, datetime | None]:
    """Adds to ``rows`` the run rows of the workflow's occurrences up to ``now``; what it
    planned, and the workflow's next run after them. ``skipping`` False when the caller
    knows no occurrence of it was skipped by hand."""
    schedule = workflow.schedule
    due, skipped_count, following = _due_occurrences(schedule, workflow.next_run_at, now)
    next_run = None if following is None else following.utc
    if not due:
        # next_run_at is not an occurrence of the stored schedule (it can only come from a
        # change made outside the use cases): move on rather than fail every tick.
        return Planned(workflow.workflow_id, 0, 0), next_run
    latest, older = due[-1], due[:-1]
    for occurrence in older:
        rows.append(_missed(workflow, occurrence, "the bot was not running at that time"))
    late = now - latest.utc
    if late <= max(ON_TIME, timedelta(minutes=settings.catch_up_minutes)):
        on_time = _on_time(workflow, schedule, settings, latest, skipped_count)
        skipped = _skipped_by_hand(session, on_time) if skipping else None
        rows.append(skipped or on_time)
        planned = 1
    else:
        reason = (
            f"{_minutes(late)} late, beyond the catch-up window of {settings.catch_up_minutes} min"
        )
        rows.append(_missed(workflow, latest, reason))
        planned = 0
    missed = len(older) + skipped_count + (1 - planned)
    return Planned(workflow.workflow_id, planned, missed), next_run


def _skipped_by_hand(session: Session, run: NewRun) -> NewRun | None:
    """The run as skipped when someone skipped its occurrence once (Skip next run under a
    summary, or the command line's skip-next), in their name; None otherwise."""
    skip = FollowUpRepository(session).skip(run.workflow_id, run.occurrence_key)
    if skip is None:
        return None
    return replace(
        run,
        status=RunStatus.SKIPPED,
        scheduled_at=skip.scheduled_at,  # its own time, not a pause day's deferral
        triggered_by=skip.created_by,
        reason=SKIPPED_BY_HAND,
        deferred_from=None,
    )


def _due_occurrences(
    schedule: Schedule, next_run_at: datetime, now: datetime
) -> tuple[list[Occurrence], int, Occurrence | None]:
    """Occurrences from ``next_run_at`` up to ``now``: at most MAX_MISSED_ROWS + 1 of the
    latest, how many older ones were left out, and the first after ``now`` (None when the
    schedule has ended): the workflow's next run, which asking the schedule again computed
    a second time (half of planning's CPU in a burst)."""
    due: list[Occurrence] = []
    left_out = 0
    for occurrence in schedule.occurrences_after(next_run_at - timedelta(microseconds=1)):
        if occurrence.utc > now:
            return due, left_out, occurrence
        due.append(occurrence)
        if len(due) > MAX_MISSED_ROWS + 1:
            due.pop(0)
            left_out += 1
    return due, left_out, None


def _minutes(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 60)} min"


def _missed(workflow: _Occurring, occurrence: Occurrence, reason: str) -> NewRun:
    return NewRun(
        workflow_id=workflow.workflow_id,
        revision=workflow.revision,
        occurrence_key=occurrence.key,
        scheduled_at=occurrence.utc,
        source=RunSource.SCHEDULE,
        status=RunStatus.MISSED,
        reason=reason,
    )


@dataclass(frozen=True)
class PauseDecision:
    """What pause days make of one on-time occurrence: it runs (PENDING) at ``scheduled_at``,
    perhaps deferred from its own instant, or is SKIPPED; ``reason`` says why, if either."""

    status: RunStatus
    scheduled_at: datetime
    reason: str | None = None
    deferred_from: datetime | None = None


def pause_decision(
    schedule: Schedule, settings: WorkflowSettings, occurrence: Occurrence
) -> PauseDecision:
    """The one place pause days are applied: the planner's runs and forecasts both ask it."""
    day = occurrence.at.date()
    if not settings.is_pause_day(day):
        return PauseDecision(RunStatus.PENDING, occurrence.utc)
    kind = settings.pause_kind(day)  # a pause day, or which public holiday
    if settings.on_pause_day is PauseBehaviour.SKIP:
        skipped = "them" if kind == "a pause day" else "public holidays"
        reason = f"{day.isoformat()} is {kind}; the workflow skips {skipped}"
        return PauseDecision(RunStatus.SKIPPED, occurrence.utc, reason)
    resumed = settings.next_unpaused_day(day)
    scheduled_at = schedule.instant_on(resumed, occurrence.wall_time)
    following = schedule.next_after(occurrence.utc)
    if following is not None and following.utc <= scheduled_at:
        # A later occurrence comes before the deferred time (a daily workflow, or
        # several pause days in a row): that run covers this one, and deferring
        # too would send the same messages twice at the same time.
        reason = f"{day.isoformat()} is {kind}: the run on {resumed.isoformat()} covers it"
        return PauseDecision(RunStatus.SKIPPED, occurrence.utc, reason)
    reason = f"{day.isoformat()} is {kind}: deferred to {resumed.isoformat()}"
    return PauseDecision(RunStatus.PENDING, scheduled_at, reason, occurrence.utc)


def _on_time(
    workflow: _Occurring,
    schedule: Schedule,
    settings: WorkflowSettings,
    occurrence: Occurrence,
    left_out: int,
) -> NewRun:
    decision = pause_decision(schedule, settings, occurrence)
    return NewRun(
        workflow_id=workflow.workflow_id,
        revision=workflow.revision,
        occurrence_key=occurrence.key,
        scheduled_at=decision.scheduled_at,
        source=RunSource.SCHEDULE,
        status=decision.status,
        summary={"missed_not_recorded": left_out} if left_out else None,
        reason=decision.reason,
        deferred_from=decision.deferred_from,
    )
