"""Forecasts: a workflow's next runs as the planner makes them (pause days deferred or
skipped, by planner.pause_decision) and how many records each would enroll on today's data,
with relative dates ("in the next 7 days") evaluated at each run's own instant."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, true
from sqlalchemy.orm import Session

from bot.workflows.criteria import Criteria, Group
from bot.workflows.definitions import WorkflowDefinition, WorkflowSettings
from bot.workflows.lifecycle import get_workflow
from bot.workflows.owner_aliases import with_known_aliases
from bot.workflows.planner import SKIPPED_BY_HAND, pause_decision
from bot.workflows.schedules import Schedule
from bot.workflows.stored import definition_of
from bot.workflows.vocabulary import PropertyType, RunStatus, WorkflowStatus
from storage.criteria_sql import criteria_clause, enrollment_criteria_clause
from storage.followups import FollowUpRepository, not_snoozed
from storage.object_types import ObjectTypeRepository
from storage.record_search import RecordSearch
from storage.runs import RunRepository
from storage.unit_of_work import UnitOfWork

DEFAULT_RUNS = 5
MAX_RUNS = 50
# Occurrences skipped for pause days looked past, at most, while gathering the runs asked
# for: a year of daily pause days is a mistake, not a forecast to compute.
MAX_SKIPPED = 366


@dataclass(frozen=True)
class PlannedRun:
    """One coming run, or an occurrence pause days skip. ``at`` is when it runs (or would
    have), in the schedule's zone; ``reason`` says what pause days did to it, if anything."""

    at: datetime
    skipped: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class ForecastRun:
    run: PlannedRun
    matching: int | None  # None for a skipped occurrence: nothing runs


@dataclass(frozen=True)
class Forecast:
    workflow_name: str
    status: str  # the workflow's status: only an active workflow's runs happen
    zone: str
    runs: tuple[ForecastRun, ...]

    @property
    def active(self) -> bool:
        return self.status == WorkflowStatus.ACTIVE.value


def next_runs(
    schedule: Schedule,
    settings: WorkflowSettings,
    after: datetime,
    count: int,
    planned: Mapping[str, PlannedRun] | None = None,
) -> list[PlannedRun]:
    """The next ``count`` runs after ``after``, with the occurrences pause days skip among
    them. ``planned`` are runs already written and still to come (by occurrence key, e.g.
    one deferred from a pause day): they run as written, and are not planned again."""
    planned = planned or {}
    zone = schedule.zone
    found = [
        PlannedRun(run.at.astimezone(zone), run.skipped, run.reason)
        for run in sorted(planned.values(), key=lambda run: run.at)
    ][:count]
    taken, skipped = sum(not run.skipped for run in found), 0
    for occurrence in schedule.occurrences_after(after):
        if taken >= count or skipped > MAX_SKIPPED:
            break
        if occurrence.key in planned:
            continue
        decision = pause_decision(schedule, settings, occurrence)
        at = decision.scheduled_at.astimezone(zone)
        if decision.status is RunStatus.SKIPPED:
            skipped += 1
            found.append(PlannedRun(at, skipped=True, reason=decision.reason))
            continue
        taken += 1
        found.append(PlannedRun(at, reason=decision.reason))
    return sorted(found, key=lambda run: run.at)


def upcoming_runs(
    session: Session, workflow_id: int, definition: WorkflowDefinition, now: datetime, count: int
) -> list[PlannedRun]:
    """A saved workflow's next ``count`` runs: those already planned, then its schedule's."""
    planned = _planned_runs(session, workflow_id, now)
    return next_runs(definition.schedule, definition.settings, now, count, planned)


def coming_runs(
    schedule: Schedule,
    settings: WorkflowSettings,
    after: datetime,
    count: int,
    planned: Mapping[str, PlannedRun] | None = None,
) -> tuple[datetime, ...]:
    """The instants of the next ``count`` runs that will happen (next_runs without the
    occurrences skipped), in the schedule's zone: what every surface shows as next runs."""
    # Planned runs may be skipped ones: ask for enough that ``count`` remain after them.
    runs = next_runs(schedule, settings, after, count + len(planned or {}), planned)
    return tuple(run.at for run in runs if not run.skipped)[:count]


def forecast_definition(
    session: Session,
    team_id: str,
    definition: WorkflowDefinition,
    object_type_id: int,
    types: dict[str, PropertyType],
    now: datetime,
    runs: int = DEFAULT_RUNS,
    workflow_id: int | None = None,
) -> tuple[ForecastRun, ...]:
    """The forecast of a definition not saved yet (the wizard's review); ``workflow_id``
    when it edits a saved workflow, whose snoozed records its runs leave out."""
    upcoming = next_runs(definition.schedule, definition.settings, now, runs)
    return count_runs(session, team_id, definition, object_type_id, types, upcoming, workflow_id)


def count_runs(
    session: Session,
    team_id: str,
    definition: WorkflowDefinition,
    object_type_id: int,
    types: dict[str, PropertyType],
    upcoming: list[PlannedRun],
    workflow_id: int | None = None,
) -> tuple[ForecastRun, ...]:
    """Counts, per run, the records the runs' own clause
    (storage.criteria_sql.enrollment_criteria_clause, and not snoozed in workflow
    ``workflow_id``) selects at the run's instant. Runs whose criteria resolve alike (no
    relative date, or dates on the same day) share a count, and the distinct ones are
    counted in one query."""
    # Owners named in criteria stand for their other names too, as far as already known.
    criteria, suppression = (
        with_known_aliases(session, team_id, each)
        for each in (definition.criteria, definition.suppression)
    )
    instants = [run.at for run in upcoming if not run.skipped]
    counts = iter(
        count_at(session, object_type_id, criteria, suppression, types, instants, workflow_id)
    )
    return tuple(ForecastRun(run, None if run.skipped else next(counts)) for run in upcoming)


def count_at(
    session: Session,
    object_type_id: int,
    criteria: Criteria,
    suppression: Criteria,
    types: dict[str, PropertyType],
    instants: list[datetime],
    workflow_id: int | None = None,
) -> list[int]:
    """How many records a run at each of ``instants`` would enroll, by the runs' own clause
    (and, for a saved workflow, leaving out the records snoozed in it at that instant).

    Instants whose criteria resolve alike share a count. One count reads the records once;
    several are read in one pass too, each counted by its own run's clause among the records
    any of them can match (the prefilter), so that ten daily runs cost far less than ten
    counts."""
    search = RecordSearch(session)
    dialect = search.dialect
    # Snoozes end at their own instants: runs alike but for the snoozes still holding
    # are counted apart.
    untils = _snooze_ends(session, workflow_id, min(instants, default=None))
    first_at: dict[_Key, datetime] = {}
    keys = [
        (
            criteria.at(at, types),
            suppression.at(at, types),
            tuple(until > at for until in untils),
        )
        for at in instants
    ]
    for key, at in zip(keys, instants, strict=True):
        first_at.setdefault(key, at)
    clauses = {
        key: _run_clause(criteria, suppression, types, at, dialect, workflow_id if untils else None)
        for key, at in first_at.items()
    }
    if len(clauses) <= 1:
        counted = {key: search.count(object_type_id, clause) for key, clause in clauses.items()}
        return [counted[key] for key in keys]
    distinct = list(clauses)
    prefilter = _any_of([key[0] for key in distinct], types, dialect)
    # Rather than one count per clause: several counts, one scan.
    row = search.counts_in_one_scan(object_type_id, [clauses[key] for key in distinct], prefilter)
    counted = dict(zip(distinct, row, strict=True))
    return [counted[key] for key in keys]


_Key = tuple[Criteria, Criteria, tuple[bool, ...]]


def _snooze_ends(
    session: Session, workflow_id: int | None, first: datetime | None
) -> list[datetime]:
    """When each snooze of the workflow still holding at ``first`` ends."""
    if workflow_id is None or first is None:
        return []
    return [row.until for row in FollowUpRepository(session).active_snoozes(workflow_id, first)]


def _run_clause(
    criteria: Criteria,
    suppression: Criteria,
    types: dict[str, PropertyType],
    at: datetime,
    dialect: str,
    snoozes_of: int | None,
) -> ColumnElement[bool]:
    """What a run at ``at`` enrolls by, as the runner writes it: the enrollment clause, and
    not snoozed in workflow ``snoozes_of`` (None: no snooze to leave out)."""
    clause = enrollment_criteria_clause(
        criteria.at(at, types), suppression.at(at, types), types, dialect
    )
    return clause if snoozes_of is None else and_(clause, not_snoozed(snoozes_of, at))


def _any_of(
    resolved: list[Criteria], types: dict[str, PropertyType], dialect: str
) -> ColumnElement[bool]:
    """A clause every record matching any of ``resolved`` satisfies (more may): the same
    criteria resolved at several instants differ only in their bounds, so each filter
    becomes the OR of its variants, and filters alike at every instant stay as they are,
    which lets an index on the criteria serve it as it serves one count."""
    first = resolved[0]
    if not first.groups:
        return true()
    groups = []
    for position, group in enumerate(first.groups):
        filters = []
        for index in range(len(group.filters)):
            variants = list(dict.fromkeys(c.groups[position].filters[index] for c in resolved))
            filters.append(
                or_(*(criteria_clause(Criteria((Group((f,)),)), types, dialect) for f in variants))
            )
        groups.append(and_(*filters))
    return or_(*groups)


def _planned_runs(session: Session, workflow_id: int, now: datetime) -> dict[str, PlannedRun]:
    """Scheduled runs already written and still to come, by occurrence key, and the
    occurrences skipped once by hand (Skip next run), which the planner will skip."""
    return planned_runs_of(session, [workflow_id], now).get(workflow_id, {})


def planned_runs_of(
    session: Session, workflow_ids: Sequence[int], now: datetime
) -> dict[int, dict[str, PlannedRun]]:
    """_planned_runs of several workflows in two queries: workflow id -> occurrence key ->
    planned run."""
    if not workflow_ids:
        return {}
    pending = RunRepository(session).pending_scheduled_after(workflow_ids, now)
    skips = [
        (skip.workflow_id, skip.occurrence_key, skip.scheduled_at, skip.created_by)
        for skip in FollowUpRepository(session).skips_of(list(workflow_ids), now)
    ]
    return _planned_by_workflow(pending, skips)


def planned_runs_in_team(
    session: Session, team_id: str, now: datetime
) -> dict[int, dict[str, PlannedRun]]:
    """planned_runs_of every live workflow of the team (a list of them shows each one's
    next run), in two queries that name the team."""
    pending = RunRepository(session).pending_scheduled_in_team(team_id, now)
    skips = FollowUpRepository(session).skips_in_team(team_id, now)
    return _planned_by_workflow(pending, skips)


def _planned_by_workflow(
    pending: Iterable[tuple[int, str, datetime, str | None]],
    skips: Iterable[tuple[int, str, datetime, str]],
) -> dict[int, dict[str, PlannedRun]]:
    found: dict[int, dict[str, PlannedRun]] = {}
    for workflow_id, key, at, reason in pending:
        found.setdefault(workflow_id, {})[key] = PlannedRun(at, reason=reason)
    for workflow_id, key, at, created_by in skips:
        planned = PlannedRun(at, skipped=True, reason=f"{SKIPPED_BY_HAND} by {created_by}")
        found.setdefault(workflow_id, {})[key] = planned
    return found


def forecast(
    work: UnitOfWork, team_id: str, name: str, now: datetime, runs: int = DEFAULT_RUNS
) -> Forecast:
    """The next ``runs`` runs of the workflow named ``name`` after ``now``, each with the
    number of records it would enroll on the data as it is now."""
    with work.reading() as session:
        workflow = get_workflow(session, team_id, name)
        definition = definition_of(session, workflow)
        types = ObjectTypeRepository(session).property_types(workflow.object_type_id)
        upcoming = upcoming_runs(session, workflow.id, definition, now, runs)
        counted = count_runs(
            session, team_id, definition, workflow.object_type_id, types, upcoming, workflow.id
        )
        return Forecast(workflow.name, workflow.status, definition.schedule.timezone, counted)
