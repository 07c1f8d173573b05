"""What a run summary lets its workflow's owner (or an admin) do next: re-run the run's
failed actions, skip the workflow's next run once, or snooze a record the run enrolled.

Each use case takes the run the summary was about and refuses, saying why, when that run is
no longer the latest of its workflow (or was already re-run): a button on an old summary
must not act on a newer state it never showed. Snoozes and skips are read back here too,
for the displays of a workflow and for explanations of why a record is (not) enrolled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.workflows.audit import record
from bot.workflows.lifecycle import Actor, PermissionDenied, WorkflowError, changeable_workflow
from bot.workflows.schedules import Schedule
from bot.workflows.vocabulary import RunSource, RunStatus, WorkflowEventKind, WorkflowStatus
from storage.followups import FollowUpRepository
from storage.models import Run, Workflow
from storage.records import RecordRepository
from storage.runs import NewRun, RunRepository
from storage.unit_of_work import UnitOfWork

MIN_SNOOZE_DAYS = 1
MAX_SNOOZE_DAYS = 90
_FINISHED = (RunStatus.SUCCEEDED.value, RunStatus.FAILED.value)
_HAPPENED = (RunStatus.RUNNING.value, *_FINISHED)


class StaleButton(WorkflowError):
    """The button belongs to a summary of a run that is no longer the latest (or was
    already re-run): nothing was done; the message says where to look instead."""


class UnknownRun(WorkflowError, LookupError):
    """A run id that is not one of this workspace's runs (or no longer exists)."""

    def __init__(self, run_id: object) -> None:
        super().__init__(
            "That run is not in this workspace's history: it may have been deleted with "
            "its workflow. Open /workflow history NAME to see the runs there are."
        )
        self.run_id = run_id


class InvalidSnoozeDays(WorkflowError):
    def __init__(self, days: object) -> None:
        super().__init__(
            f"{days} is not a number of days to snooze for: enter a whole number from "
            f"{MIN_SNOOZE_DAYS} to {MAX_SNOOZE_DAYS}."
        )


@dataclass(frozen=True)
class RunAbout:
    """The run a summary was about, and its workflow: what a button's click acts on."""

    run_id: int
    workflow_id: int
    workflow_name: str
    scheduled_at: datetime  # in the workflow's zone


@dataclass(frozen=True)
class RetryRequested:
    run_id: int  # the new manual run
    retried_run_id: int
    workflow_name: str
    actions: int  # failed (or unknown) actions it retries


@dataclass(frozen=True)
class SkippedRun:
    workflow_id: int
    workflow_name: str
    occurrence_key: str
    scheduled_at: datetime  # in the workflow's zone
    skipped_by: str
    already: bool  # it was skipped before this request


@dataclass(frozen=True)
class Snoozed:
    workflow_name: str
    record_name: str
    until: date  # the first day the record is enrolled again, in the workflow's zone


@dataclass(frozen=True)
class ActiveSnooze:
    """A record kept out of a workflow's runs until ``until`` (in the workflow's zone)."""

    record_id: int
    external_id: str
    record_name: str
    until: datetime
    snoozed_by: str


@dataclass(frozen=True)
class SkipLine:
    scheduled_at: datetime  # in the workflow's zone
    skipped_by: str


# The run a button is about ------------------------------------------------------------------


def run_about(session: Session, team_id: str, run_id: int) -> tuple[Run, Workflow]:
    """Run ``run_id`` of the workspace with its workflow; UnknownRun otherwise."""
    found = RunRepository(session).in_team(run_id, team_id)
    if found is None:
        raise UnknownRun(run_id)
    return found


def followed_run(session: Session, team_id: str, run_id: int, actor: Actor) -> RunAbout:
    """The run a summary's button is about, when ``actor`` may act on its workflow and the
    run is still its latest: PermissionDenied, StaleButton or UnknownRun otherwise."""
    run, workflow = run_about(session, team_id, run_id)
    if workflow.deleted_at is not None:
        raise StaleButton(
            f"{workflow.deleted_name!r} was deleted since this run: nothing was done. "
            f"`/workflow restore {workflow.deleted_name}` brings it back."
        )
    if not actor.may_change(workflow):
        raise PermissionDenied(workflow.name, workflow.owner_user_id)
    _refuse_unless_latest(session, run, workflow)
    zone = ZoneInfo(workflow.timezone)
    return RunAbout(run.id, workflow.id, workflow.name, run.scheduled_at.astimezone(zone))


def _refuse_unless_latest(session: Session, run: Run, workflow: Workflow) -> None:
    newer = RunRepository(session).newest_scheduled_after(run, _HAPPENED)
    if newer is None:
        return
    zone = ZoneInfo(workflow.timezone)
    raise StaleButton(
        f"This summary is about run #{run.id} of {workflow.name!r} "
        f"({_when(run.scheduled_at.astimezone(zone))}), and a newer run has happened since "
        f"({_when(newer.scheduled_at.astimezone(zone))}): nothing was done. Use the buttons "
        "of the newest summary."
    )


# Re-run failed ------------------------------------------------------------------------------


def _refuse_retried(followups: FollowUpRepository, about: RunAbout) -> None:
    retry = followups.retry_of(about.run_id)
    if retry is not None:
        raise StaleButton(
            f"Run #{about.run_id} of {about.workflow_name!r} was already re-run (run #{retry}): "
            "nothing was done. See that run's summary, or /workflow history "
            f"{about.workflow_name}."
        )


# Skip next run ------------------------------------------------------------------------------


def skip_next_run(session: Session, workflow: Workflow, actor: Actor, now: datetime) -> SkippedRun:
    """Skips the workflow's next occurrence once, which ``actor`` may change: the planner
    records it as a skipped run in ``actor``'s name. Skipping it again changes nothing."""
    if not actor.may_change(workflow):
        raise PermissionDenied(workflow.name, workflow.owner_user_id)
    if workflow.status != WorkflowStatus.ACTIVE.value:
        raise WorkflowError(
            f"{workflow.name!r} is {workflow.status}, so it has no next run to skip: activate "
            "it first."
        )
    schedule = Schedule.from_json(workflow.schedule)
    occurrence = schedule.next_after(now)
    if occurrence is None:
        raise WorkflowError(f"{workflow.name!r} has no run left in its schedule: nothing to skip.")
    followups = FollowUpRepository(session)
    found = followups.skip(workflow.id, occurrence.key)
    already = found is not None
    if found is None:
        found = followups.add_skip(workflow.id, occurrence.key, occurrence.utc, actor.user_id, now)
    return SkippedRun(
        workflow.id,
        workflow.name,
        occurrence.key,
        occurrence.at,
        found.created_by,
        already,
    )


def upcoming_skips(session: Session, workflow: Workflow, now: datetime) -> tuple[SkipLine, ...]:
    """The workflow's occurrences skipped once by hand that have not come yet."""
    zone = ZoneInfo(workflow.timezone)
    return tuple(
        SkipLine(skip.scheduled_at.astimezone(zone), skip.created_by)
        for skip in FollowUpRepository(session).skips_after(workflow.id, now)
    )


# Snooze a record ----------------------------------------------------------------------------


def snooze_days(text: object) -> int:
    """The number of days typed in, checked: InvalidSnoozeDays when not 1 to 90."""
    try:
        days = int(str(text).strip())
    except ValueError:
        raise InvalidSnoozeDays(text) from None
    if not MIN_SNOOZE_DAYS <= days <= MAX_SNOOZE_DAYS:
        raise InvalidSnoozeDays(days)
    return days


@dataclass(frozen=True)
class SnoozeChoice:
    record_id: int
    external_id: str
    name: str


def snooze_choices(
    session: Session, team_id: str, run_id: int, typed: str, limit: int
) -> list[SnoozeChoice]:
    """The records run ``run_id`` (of the workspace) enrolled, whose name or id contains
    ``typed``, by name: what the Snooze a record picker offers."""
    run_about(session, team_id, run_id)
    rows = FollowUpRepository(session).enrolled_choices(run_id, typed, limit)
    return [SnoozeChoice(*row) for row in rows]


@dataclass(frozen=True)
class SnoozePicker:
    """What the Snooze a record dialog offers: the run's records, or none listed when it
    enrolled more than a picker lists at once (``searched``: they are searched instead)."""

    about: RunAbout
    choices: tuple[SnoozeChoice, ...]
    searched: bool


def _snooze(
    session: Session,
    workflow: Workflow,
    record_id: int,
    record_name: str,
    days: int,
    actor: Actor,
    now: datetime,
) -> Snoozed:
    zone = ZoneInfo(workflow.timezone)
    back_on = now.astimezone(zone).date() + timedelta(days=days)
    until = datetime.combine(back_on, time(0, 0), tzinfo=zone)
    FollowUpRepository(session).snooze(workflow.id, record_id, until, actor.user_id, now)
    return Snoozed(workflow.name, record_name, back_on)


def active_snoozes(session: Session, workflow_id: int, at: datetime) -> list[ActiveSnooze]:
    """The records snoozed in the workflow at ``at``, the soonest back first: what a run
    at ``at`` leaves out (the same rows its enrollment query excludes)."""
    workflow = session.get(Workflow, workflow_id)
    zone = ZoneInfo(workflow.timezone) if workflow is not None else ZoneInfo("UTC")
    return [
        ActiveSnooze(
            row.record_id,
            row.external_id,
            row.record_name,
            row.until.astimezone(zone),
            row.created_by,
        )
        for row in FollowUpRepository(session).active_snoozes(workflow_id, at)
    ]


def _when(instant: datetime) -> str:
    return f"{instant:%a %d %b %Y %H:%M} {instant.tzname()}"


# Use cases: each opens its own transaction on the unit of work it is given -----------------


def retry(
    work: UnitOfWork, team_id: str, run_id: int, actor: Actor, now: datetime
) -> RetryRequested:
    """A manual run linked to run ``run_id`` that retries only its failed actions (and
    those whose message may be missing: the runner looks for them before posting)."""
    with work.writing() as session:
        about = followed_run(session, team_id, run_id, actor)
        run, workflow = run_about(session, team_id, run_id)
        followups = FollowUpRepository(session)
        _refuse_retried(followups, about)
        if run.status not in _FINISHED:
            raise WorkflowError(
                f"Run #{run.id} of {workflow.name!r} has not finished yet: re-run its failed "
                "actions once its summary is posted."
            )
        if run.revision != workflow.revision:
            raise StaleButton(
                f"{workflow.name!r} was edited after run #{run.id}, so its actions may not be the "
                "ones that failed: nothing was re-run. Use Run now to run the workflow as it is."
            )
        pairs = followups.retried_pairs(run.id)
        if not pairs:
            raise WorkflowError(
                f"No failed action of run #{run.id} of {workflow.name!r} is left to re-run: none "
                "failed, or the records they failed for were removed since."
            )
        runs = RunRepository(session)
        new_id = runs.add(
            NewRun(
                workflow_id=workflow.id,
                revision=workflow.revision,
                # One re-run per run: two clicks at once meet this key's unique index.
                occurrence_key=f"retry-{run.id}",
                scheduled_at=now,
                source=RunSource.MANUAL,
                triggered_by=actor.user_id,
                retry_of=run.id,
            ),
            now,
        )
        if new_id is None:
            _refuse_retried(followups, about)
            raise StaleButton(f"Run #{run.id} was already re-run: nothing was done.")
        new_run = runs.get(new_id)
        assert new_run is not None
        record_ids = sorted({record_id for record_id, _index, _outcome in pairs})
        runs.enroll(new_id, record_ids, RunSource.MANUAL, actor.user_id, now)
        new_run.enrolled_at = now
        session.flush()
        detail = {"run_id": new_id, "retry_of": run.id}
        record(session, workflow, WorkflowEventKind.RAN, actor.user_id, now, detail)
        return RetryRequested(new_id, run.id, workflow.name, len(pairs))


def skip_next(
    work: UnitOfWork, team_id: str, run_id: int, actor: Actor, now: datetime
) -> SkippedRun:
    """Skip next run, pressed under the summary of run ``run_id``."""
    with work.writing() as session:
        followed_run(session, team_id, run_id, actor)
        _run, workflow = run_about(session, team_id, run_id)
        return skip_next_run(session, workflow, actor, now)


def skip_next_of(
    work: UnitOfWork, team_id: str, name: str, actor: Actor, now: datetime
) -> SkippedRun:
    """Skip next run of the workflow named ``name`` (the command line's skip-next)."""
    with work.writing() as session:
        return skip_next_run(
            session, changeable_workflow(session, team_id, name, actor), actor, now
        )


def undo(
    work: UnitOfWork,
    team_id: str,
    workflow_id: int,
    occurrence_key: str,
    actor: Actor,
    now: datetime,
) -> SkippedRun:
    """Takes a skip back, while its occurrence has not come yet."""
    with work.writing() as session:
        workflow = session.get(Workflow, workflow_id)
        if workflow is None or workflow.team_id != team_id or workflow.deleted_at is not None:
            raise WorkflowError("That workflow was deleted since: there is no skip to undo.")
        if not actor.may_change(workflow):
            raise PermissionDenied(workflow.name, workflow.owner_user_id)
        followups = FollowUpRepository(session)
        skip = followups.skip(workflow.id, occurrence_key)
        if skip is None:
            raise WorkflowError(
                f"That run of {workflow.name!r} is not skipped (any more): nothing to undo."
            )
        zone = ZoneInfo(workflow.timezone)
        when = skip.scheduled_at.astimezone(zone)
        if skip.scheduled_at <= now:
            raise WorkflowError(
                f"Too late: the run of {_when(when)} was due already and was skipped."
            )
        undone = SkippedRun(workflow.id, workflow.name, occurrence_key, when, skip.created_by, True)
        followups.remove_skip(workflow.id, occurrence_key)
        return undone


def picker(work: UnitOfWork, team_id: str, run_id: int, actor: Actor, listed: int) -> SnoozePicker:
    """The records of run ``run_id`` to snooze one of, when ``actor`` may (as for every
    button of a summary); refused when the run enrolled none that is still there."""
    with work.reading() as session:
        about = followed_run(session, team_id, run_id, actor)
        if FollowUpRepository(session).enrolled_more_than(run_id, listed):
            return SnoozePicker(about, (), searched=True)
        choices = tuple(snooze_choices(session, team_id, run_id, "", listed))
        if not choices:
            raise WorkflowError(
                f"Run #{run_id} of {about.workflow_name!r} enrolled no record (or they were "
                "removed since): there is nothing to snooze. Use Snooze a record under the "
                "summary of a run that enrolled the record."
            )
        return SnoozePicker(about, choices, searched=False)


def snooze_options(
    work: UnitOfWork, team_id: str, run_id: int, typed: str, limit: int
) -> list[SnoozeChoice]:
    """The run's records that ``typed`` names (snooze_choices)."""
    with work.reading() as session:
        return snooze_choices(session, team_id, run_id, typed, limit)


def snooze(
    work: UnitOfWork,
    team_id: str,
    run_id: int,
    record_id: int,
    days: int,
    actor: Actor,
    now: datetime,
) -> Snoozed:
    """Keeps a record run ``run_id`` enrolled out of its workflow's criteria-based runs
    for ``days`` days: until the start of that day in the workflow's zone (snoozed today for
    7 days, it is enrolled again by the runs a week from today)."""
    with work.writing() as session:
        days = snooze_days(days)
        about = followed_run(session, team_id, run_id, actor)
        followups = FollowUpRepository(session)
        record = followups.enrolled_record(run_id, record_id)
        if record is None:
            raise WorkflowError(
                "That record was not enrolled by this run, or was removed since: pick another one."
            )
        workflow = session.get(Workflow, about.workflow_id)
        assert workflow is not None
        return _snooze(session, workflow, record.id, record.name, days, actor, now)


def snooze_named(
    work: UnitOfWork,
    team_id: str,
    name: str,
    external_id: str,
    days: int,
    actor: Actor,
    now: datetime,
) -> Snoozed:
    """Snoozes the record ``external_id`` in the workflow named ``name`` (the command line)."""
    with work.writing() as session:
        days = snooze_days(days)
        workflow = changeable_workflow(session, team_id, name, actor)
        record = RecordRepository(session).live(workflow.object_type_id, external_id)
        if record is None:
            type_name = workflow.object_type.name
            raise WorkflowError(
                f"No {type_name} record has the id {external_id}: check the ids with "
                f"`workflow-bot records list --type {type_name}`."
            )
        return _snooze(session, workflow, record.id, record.name, days, actor, now)
