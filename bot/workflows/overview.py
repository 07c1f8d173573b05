"""Read models of workflows for people: the list, one workflow's details, its runs and what
one run did, with instants in the workflow's own time zone. Shared by the command line and
Slack."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.workflows.audit import revision_actions
from bot.workflows.definitions import WorkflowDefinition, read_settings
from bot.workflows.forecast import (
    PlannedRun,
    coming_runs,
    planned_runs_in_team,
    planned_runs_of,
    upcoming_runs,
)
from bot.workflows.lifecycle import Actor, WorkflowError, get_workflow
from bot.workflows.readable import instant_text
from bot.workflows.run_followups import (
    ActiveSnooze,
    SkipLine,
    active_snoozes,
    upcoming_skips,
)
from bot.workflows.schedules import Schedule
from bot.workflows.stored import definition_of
from bot.workflows.summary import FINISHED_WITH_FAILURES, run_outcome
from bot.workflows.vocabulary import RunSource, RunStatus, WorkflowStatus
from bot.workflows.wording import Phrase, describe_action
from storage.models import Run, Workflow
from storage.runs import LatestRun, RunRepository
from storage.unit_of_work import UnitOfWork
from storage.workflows import ListedWorkflow, WorkflowRepository

UPCOMING = 5
RECENT_RUNS = 10
# Enrolled records, and action results, read for one run's details: what a modal shows.
DETAIL_ROWS = 50
# A workflow's "last run" is the latest that happened (or is happening), not one still
# waiting for its time, cancelled by an edit, or skipped for a pause day.
LAST_RUN_STATUSES = (
    RunStatus.RUNNING.value,
    RunStatus.SUCCEEDED.value,
    RunStatus.FAILED.value,
    RunStatus.MISSED.value,
)
# Runs that may have enrollments and action results to show.
_WITH_DETAILS = frozenset(
    {RunStatus.RUNNING.value, RunStatus.SUCCEEDED.value, RunStatus.FAILED.value}
)


class UnknownRun(WorkflowError, LookupError):
    """A run id that is not one of this workspace's runs (or no longer exists)."""

    def __init__(self, run_id: object) -> None:
        super().__init__(
            "That run is not in this workspace's history: it may have been deleted with "
            "its workflow. Open /workflow history NAME to see the runs there are."
        )
        self.run_id = run_id


@dataclass(frozen=True)
class RunLine:
    id: int
    scheduled_at: datetime  # in the workflow's zone
    source: str
    status: str
    triggered_by: str | None
    enrolled: int | None  # None: the run enrolled nothing yet (pending, missed, cancelled)
    ok: int
    failed: int
    skipped: int
    reason: str | None
    unknown: int = 0  # messages Slack may or may not have posted
    retry_of: int | None = None  # the run whose failed actions this one re-ran

    @classmethod
    def of(cls, run: Run | LatestRun, zone: ZoneInfo) -> RunLine:
        summary = run.summary or {}
        enrolled = summary.get("enrolled")
        return cls(
            id=run.id,
            scheduled_at=run.scheduled_at.astimezone(zone),
            source=run.source,
            status=run.status,
            triggered_by=run.triggered_by,
            enrolled=enrolled if isinstance(enrolled, int) else None,
            ok=int(summary.get("ok", 0)),
            failed=int(summary.get("failed", 0)),
            skipped=int(summary.get("skipped", 0)),
            reason=run.reason or None,
            unknown=int(summary.get("unknown", 0)),
            retry_of=run.retry_of,
        )

    @property
    def outcome(self) -> str:
        """How it ended, in words (summary.run_outcome): "finished with failed actions" for
        a run that succeeded with some actions failed."""
        return run_outcome(self.status, self.failed)

    @property
    def finished_with_failures(self) -> bool:
        return self.outcome == FINISHED_WITH_FAILURES

    def describe(self) -> str:
        """One plain-text line, e.g. "2026-12-03T07:00:00-05:00 schedule succeeded, 4
        enrolled, 8 ok, 0 failed", the instant as every command line output writes one."""
        counts = ""
        if self.enrolled is not None:
            counts = f", {self.enrolled} enrolled, {self.ok} ok, {self.failed} failed"
            if self.unknown:
                counts += f", {self.unknown} unknown"
            if self.skipped:
                counts += f", {self.skipped} skipped"
        reason = f" ({self.reason})" if self.reason else ""
        when = instant_text(self.scheduled_at, self.scheduled_at.tzinfo or "UTC")
        if self.source == RunSource.SCHEDULE.value and self.triggered_by:
            reason += f" by {self.triggered_by}"  # who skipped it (Skip next run)
        if self.retry_of is not None:
            reason += f" (re-run of run {self.retry_of})"
        return f"{when} {self.source} {self.outcome}{counts}{reason}"

    @property
    def has_details(self) -> bool:
        """Whether the run may have enrolled records and action results to show."""
        return self.status in _WITH_DETAILS


@dataclass(frozen=True)
class WorkflowLine:
    name: str
    status: str
    object_type: str
    owner: str
    schedule: str
    next_run: datetime | None  # in the workflow's zone
    revision: int
    last_run: RunLine | None = None  # the latest in LAST_RUN_STATUSES
    # Whether the one viewing the list may change it (its owner or an admin): the others
    # see it read-only.
    may_change: bool = True


@dataclass(frozen=True)
class WorkflowDetails:
    line: WorkflowLine
    definition: WorkflowDefinition
    upcoming: tuple[datetime, ...]  # only for an active workflow
    runs: tuple[RunLine, ...]
    # Runs skipped once by hand that have not come yet, and the records kept out of its
    # runs for now (Skip next run, Snooze a record).
    skips: tuple[SkipLine, ...] = ()
    snoozes: tuple[ActiveSnooze, ...] = ()


@dataclass(frozen=True)
class WorkflowHistory:
    name: str
    runs: tuple[RunLine, ...]  # newest first
    more: bool  # older runs exist beyond these


@dataclass(frozen=True)
class RecordLine:
    name: str
    external_id: str


@dataclass(frozen=True)
class ResultLine:
    record: RecordLine
    action_number: int  # from 1, as people count
    outcome: str
    reason: str | None


@dataclass(frozen=True)
class RunDetails:
    """What one run did: its records and the result of each action for each record, the
    first DETAIL_ROWS of each (failures first), with the totals to say how many more."""

    workflow_name: str
    run: RunLine
    # The actions of the revision the run ran (numbers in results point at these); none
    # for a revision saved before revisions were kept.
    actions: tuple[Phrase, ...]
    enrolled: int
    records: tuple[RecordLine, ...]
    outcomes: Mapping[str, int]  # every result of the run, counted per outcome
    results: tuple[ResultLine, ...]

    @property
    def result_count(self) -> int:
        return sum(self.outcomes.values())


def _line(
    workflow: Workflow | ListedWorkflow,
    object_type: str,
    schedule: str,
    zone: ZoneInfo,
    next_run: datetime | None,
    last_run: LatestRun | None = None,
    may_change: bool = True,
) -> WorkflowLine:
    """A workflow in one line, from its row (its schedule worded in ``schedule``, its next
    run worked out, its last run read, by the caller), its instants in ``zone``: a line of
    the list, and what a workflow's details head with."""
    return WorkflowLine(
        name=workflow.name,
        status=workflow.status,
        object_type=object_type,
        owner=workflow.owner_user_id,
        schedule=schedule,
        next_run=next_run.astimezone(zone) if next_run else None,
        revision=workflow.revision,
        last_run=RunLine.of(last_run, zone) if last_run is not None else None,
        may_change=may_change,
    )


def list_workflows(
    session: Session, team_id: str, viewer: Actor | None = None, *, now: datetime
) -> list[WorkflowLine]:
    """The team's workflows by name, each with its last run and whether ``viewer`` may
    change it: everyone sees every workflow of the workspace, the others' read-only.

    Each next run is the one the engine will run after ``now`` (coming_run: pause days and
    holidays, a deferral already planned, a skip by hand). Read as plain rows on every
    call, so that a change from any process shows at once; what is worked out from a
    schedule and settings (parsing, wording, the next run) is kept by their stored text,
    not by workflow (listing must not parse and check each whole definition: that costs a
    query per workflow)."""
    workflows = WorkflowRepository(session).listed(team_id)
    if not workflows:
        return []
    last_runs = RunRepository(session).latest_in_team(team_id, LAST_RUN_STATUSES)
    planned = planned_runs_in_team(session, team_id, now)
    lines = []
    for workflow in workflows:
        shown = _shown(workflow.schedule_json, workflow.settings_json)
        next_run = None
        if _running(workflow.status, workflow.next_run_at):
            next_run = _NEXT_RUNS.after(
                shown.schedule,
                shown.settings_json,
                shown.settings,
                now,
                planned.get(workflow.id, {}),
            )
        lines.append(
            _line(
                workflow,
                workflow.object_type,
                shown.description,
                shown.schedule.zone,
                next_run,
                last_runs.get(workflow.id),
                viewer is None or viewer.may_change_one_owned_by(workflow.owner_user_id),
            )
        )
    return lines


def coming_run(session: Session, workflow: Workflow, now: datetime) -> datetime | None:
    """An active workflow's next run after ``now`` as the engine will run it, in its zone,
    from its row (its settings alone, not its whole definition); None for one that is not
    running. What every surface says as its next run."""
    if not _running(workflow.status, workflow.next_run_at):
        return None
    planned = planned_runs_of(session, [workflow.id], now)
    return _NEXT_RUNS.after(
        Schedule.from_json(workflow.schedule),
        json.dumps(workflow.settings, sort_keys=True),
        workflow.settings,
        now,
        planned.get(workflow.id, {}),
    )


def _running(status: str, next_run_at: datetime | None) -> bool:
    """Whether a workflow with this status and stored next run has a next run to show."""
    return status == WorkflowStatus.ACTIVE.value and next_run_at is not None


@dataclass(frozen=True)
class _Shown:
    """What a list shows of a stored schedule with its settings, worked out once."""

    schedule: Schedule
    description: str
    settings_json: str  # as stored: the key of its next runs
    settings: Any  # decoded; read (read_settings) only when a next run is worked out


# Kept by the stored text of a schedule and its settings: the same text always reads the
# same, so what is kept is never stale, whoever changed a workflow; a changed schedule is
# new text. A list of 50 parsed and worded 50 schedules on every request. Bounded, so
# schedules edited since do not grow it.
@functools.lru_cache(maxsize=4096)
def _shown(schedule_json: str, settings_json: str) -> _Shown:
    schedule = Schedule.from_json(json.loads(schedule_json))
    return _Shown(schedule, schedule.describe(), settings_json, json.loads(settings_json))


class _NextRuns:
    """The next run after ``now`` of a schedule with its settings and planned runs, kept
    from one request to the next while it cannot have changed. coming_runs reads ``now``
    only as where the schedule's occurrences start: for any ``now`` from the instant an
    answer was worked out up to (not including) the first occurrence after that instant,
    the occurrences after ``now`` are the same ones, so the answer is the same. A list of
    50 workflows worked out each one's next run (a few date rules each) on every request.

    Thread-safe (listeners list at once); at most MAX_KEPT answers, all forgotten at once
    past that (schedules edited since leave theirs behind)."""

    MAX_KEPT = 4096

    def __init__(self) -> None:
        self._kept: dict[object, tuple[datetime, datetime | None, datetime | None]] = {}
        self._lock = threading.Lock()

    def after(
        self,
        schedule: Schedule,
        settings_key: str,
        settings: Mapping[str, Any],
        now: datetime,
        planned: Mapping[str, PlannedRun],
    ) -> datetime | None:
        """``settings`` as stored, and a text that stands for them (the same text only for
        the same settings): they are read only when the answer is not kept."""
        key = (schedule, settings_key, frozenset(planned.items()))
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None:
            since, until, answer = kept
            if since <= now and (until is None or now < until):
                return answer
        coming = coming_runs(schedule, read_settings(settings), now, 1, planned)
        answer = next(iter(coming), None)
        first = schedule.next_after(now)
        with self._lock:
            if len(self._kept) >= self.MAX_KEPT:
                self._kept.clear()
            self._kept[key] = (now, None if first is None else first.utc, answer)
        return answer


_NEXT_RUNS = _NextRuns()


def workflow_details(
    work: UnitOfWork, team_id: str, name: str, now: datetime, runs: int = RECENT_RUNS
) -> WorkflowDetails:
    with work.reading() as session:
        workflow = get_workflow(session, team_id, name)
        skips = upcoming_skips(session, workflow, now)
        schedule = Schedule.from_json(workflow.schedule)
        definition = definition_of(session, workflow)
        upcoming: tuple[datetime, ...] = ()
        if workflow.status == WorkflowStatus.ACTIVE.value:
            # The runs that happen, as the engine will run them (pause days deferred or
            # skipped); those skipped once by hand are listed apart (details.skips).
            planned = upcoming_runs(session, workflow.id, definition, now, UPCOMING)
            upcoming = tuple(run.at for run in planned if not run.skipped)[:UPCOMING]
        next_run = upcoming[0] if upcoming else None  # none for a workflow not running
        line = _line(
            workflow, workflow.object_type.name, schedule.describe(), schedule.zone, next_run
        )
        history = tuple(run_history(session, workflow, runs))
        snoozes = tuple(active_snoozes(session, workflow.id, now))
        return WorkflowDetails(line, definition, upcoming, history, skips, snoozes)


def run_history(session: Session, workflow: Workflow, limit: int) -> list[RunLine]:
    zone = ZoneInfo(workflow.timezone)
    return [RunLine.of(run, zone) for run in RunRepository(session).history(workflow.id, limit)]


def run_details(
    work: UnitOfWork, team_id: str, run_id: int, limit: int = DETAIL_ROWS
) -> RunDetails:
    """One run of the workspace ``team_id``; a run of another workspace is UnknownRun, as
    one that does not exist."""
    with work.reading() as session:
        runs = RunRepository(session)
        found = runs.in_team(run_id, team_id)
        if found is None:
            raise UnknownRun(run_id)
        run, workflow = found
        # The actions of the revision the run ran, which an edit since may have changed.
        ran = workflow.actions if run.revision == workflow.revision else None
        if ran is None:
            ran = revision_actions(session, workflow, run.revision)
        actions = tuple(describe_action(action) for action in ran)
        results = tuple(
            ResultLine(
                RecordLine(row.record_name, row.external_id),
                row.action_index + 1,
                row.outcome,
                row.reason,
            )
            for row in runs.results_with_records(run_id, limit)
        )
        return RunDetails(
            workflow_name=workflow.deleted_name or workflow.name,  # a deleted one's, as it was
            run=RunLine.of(run, ZoneInfo(workflow.timezone)),
            actions=actions,
            enrolled=runs.enrollment_count(run_id),
            records=tuple(RecordLine(*row) for row in runs.enrolled_records(run_id, limit)),
            outcomes=runs.outcome_counts(run_id),
            results=results,
        )
