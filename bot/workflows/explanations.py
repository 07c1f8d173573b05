"""Why a record is (not) enrolled by a workflow: at its next run (or a given instant), filter
by filter, the record's value, the filter and whether it holds, which group matched, what
suppresses it, pause days, and the workflow's recent runs that did or did not enroll it,
each with what the record's values then (record_versions) say of it.

The verdict is the runs' own: the SQL clause a run enrolls by
(storage.criteria_sql.enrollment_criteria_clause), evaluated for this one record in the same
query as each filter on its own; for a past run, on the record as it was when the run
enrolled, with the run's own revision of the workflow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, case
from sqlalchemy.orm import Session

from bot.workflows.criteria import Criteria, Filter, Group
from bot.workflows.definitions import InvalidDefinition, WorkflowDefinition, load_definition
from bot.workflows.fields import record_values
from bot.workflows.forecast import upcoming_runs
from bot.workflows.lifecycle import WorkflowError, get_workflow
from bot.workflows.owner_aliases import with_known_aliases
from bot.workflows.planner import SKIPPED_BY_HAND, pause_decision
from bot.workflows.record_history import RUNS_LOOKED_AT
from bot.workflows.schedules import Occurrence
from bot.workflows.stored import definition_of
from bot.workflows.vocabulary import PropertyType, RunStatus, WorkflowStatus
from bot.workflows.wording import describe_filter
from storage.criteria_sql import criteria_clause, enrollment_criteria_clause
from storage.followups import FollowUpRepository, not_snoozed, snoozed_since
from storage.models import Record, Run, Workflow
from storage.object_types import ObjectTypeRepository
from storage.properties import StoredValue
from storage.record_search import RecordSearch
from storage.record_versions import RecordVersions
from storage.records import RecordRepository
from storage.runs import RunRepository
from storage.unit_of_work import UnitOfWork
from storage.workflow_revisions import RevisionRepository

# Records offered when a typed text names several; past runs shown.
MAX_CHOICES = 25
PAST_RUNS = 10


class UnknownRecord(WorkflowError, LookupError):
    def __init__(self, typed: str, object_type: str) -> None:
        super().__init__(
            f"No {object_type} record has the id {typed!r} or a name containing it: check the "
            "spelling, or give the record's id."
        )


class WorkflowGone(WorkflowError, LookupError):
    """A workflow picked from a list earlier that no longer exists."""

    def __init__(self) -> None:
        super().__init__(
            "That workflow no longer exists (it was deleted or renamed since the list was "
            "shown): ask again by its name."
        )


class AmbiguousRecord(WorkflowError):
    """A typed text that names several records: the person picks one of ``choices``."""

    def __init__(self, typed: str, workflow_id: int, choices: list[RecordChoice]) -> None:
        shown = ", ".join(f"{c.name} ({c.external_id})" for c in choices[:5])
        super().__init__(
            f"{len(choices)}{'+' if len(choices) >= MAX_CHOICES else ''} records match "
            f"{typed!r}, e.g. {shown}: give the record's id instead."
        )
        self.typed = typed
        self.workflow_id = workflow_id
        self.choices = choices


@dataclass(frozen=True)
class RecordChoice:
    id: int
    external_id: str
    name: str


@dataclass(frozen=True)
class FilterCheck:
    """One filter for one record: ``text`` as written, ``resolved`` what it compared at the
    instant when that differs (a relative date's bounds, an owner's other names)."""

    property: str
    text: str
    resolved: str | None
    value: StoredValue | None  # the record's value; None when it has none
    passed: bool


@dataclass(frozen=True)
class GroupCheck:
    filters: tuple[FilterCheck, ...]

    @property
    def matched(self) -> bool:
        return all(f.passed for f in self.filters)


class ValuesThen(StrEnum):
    """What is known of a record's values when a past run enrolled."""

    KNOWN = "known"
    NOT_STORED = "not_stored"  # the record was first stored after the run
    NOT_KEPT = "not_kept"  # before the oldest change kept (see record_history)


@dataclass(frozen=True)
class ValueChange:
    property: str
    then: StoredValue | None
    now: StoredValue | None


@dataclass(frozen=True)
class RunThen:
    """The runs' clause on the record as it was when a past run enrolled: ``would_enroll``
    is that verdict; ``failed`` the criteria filters that did not hold then and
    ``suppressed`` the filters of the suppression group that held it back (each with the
    value then); ``changed`` the filtered values that differ now. Only snoozes made by the
    time the run enrolled count; ``snooze_unknown`` when the record's snooze was made
    since, replacing whatever snooze it had then."""

    values: ValuesThen
    would_enroll: bool = False
    removed: bool = False
    snoozed: bool = False
    snooze_unknown: bool = False
    failed: tuple[FilterCheck, ...] = ()
    suppressed: tuple[FilterCheck, ...] = ()
    changed: tuple[ValueChange, ...] = ()


@dataclass(frozen=True)
class PastRun:
    id: int
    scheduled_at: datetime  # in the schedule's zone
    source: str
    enrolled: bool
    # None for a run on records picked by hand: it chose them by no criteria.
    then: RunThen | None = None


@dataclass(frozen=True)
class Explanation:
    workflow_name: str
    record_name: str
    external_id: str
    at: datetime  # the instant evaluated, in the schedule's zone
    given: bool  # ``at`` was asked for; else it is the next run (or now, with no next run)
    has_next_run: bool
    # What pause days (or a run skipped once by hand) do to the runs up to ``at``.
    pauses: tuple[str, ...]
    removed: bool  # removed records are never enrolled
    # Until when the record is snoozed in the workflow (in the schedule's zone), and by whom.
    snoozed_until: datetime | None
    snoozed_by: str | None
    criteria: tuple[GroupCheck, ...]  # none: every record matches
    suppression: tuple[GroupCheck, ...]
    enrolled: bool  # the verdict of the runs' own clause
    past_runs: tuple[PastRun, ...]  # newest first
    # For an instant given: why no run happens then (a pause day skipped, or a skip by
    # hand), or the instant asked for when a pause day defers its run to ``at``.
    no_run_because: str | None = None
    deferred_from: datetime | None = None

    @property
    def matched_group(self) -> int | None:
        """The number (from 1) of the first criteria group the record matches."""
        if not self.criteria:
            return None
        return next((n for n, g in enumerate(self.criteria, start=1) if g.matched), None)

    @property
    def matches_criteria(self) -> bool:
        return not self.criteria or self.matched_group is not None

    @property
    def suppressed_by(self) -> int | None:
        """The number (from 1) of the first suppression group the record matches."""
        return next((n for n, g in enumerate(self.suppression, start=1) if g.matched), None)

    @property
    def reason(self) -> str:
        """Why, in a few words that hold no user data: what the record's state, the
        criteria, the suppression and a snooze decided."""
        if self.removed:
            return "the record was removed, and removed records are never enrolled"
        snooze = None
        if self.snoozed_until is not None:
            until = f"{self.snoozed_until:%Y-%m-%d %H:%M} {self.snoozed_until.tzname()}"
            snooze = f"it is snoozed in this workflow until {until}"
        if not self.matches_criteria:
            why = (
                "a filter of the criteria does not hold"
                if len(self.criteria) == 1
                else "no group of the criteria matches"
            )
            return why if snooze is None else f"{why}, and {snooze}"
        matched = (
            f"it matches group {self.matched_group}"
            if self.criteria
            else "every record matches its criteria"
        )
        if self.suppressed_by is not None:
            held = f"{matched}, but suppression group {self.suppressed_by} holds it back"
            return held if snooze is None else f"{held}, and {snooze}"
        return matched if snooze is None else f"{matched}, but {snooze}"


def shown_value(value: StoredValue | None) -> str:
    """A record's value as people read it: 5000 rather than 5000.0, "(no value)" for none."""
    if value is None:
        return "(no value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value)}"
    return str(value)


def find_record(session: Session, workflow: Workflow, typed: str) -> Record:
    """The record of the workflow's type whose id is ``typed`` (even a removed one), else
    the one live record whose name contains it; AmbiguousRecord when several do."""
    text = typed.strip()
    records = RecordRepository(session)
    exact = records.of_type(workflow.object_type_id, text)
    if exact is not None:
        return exact
    found = records.live_named_containing(workflow.object_type_id, text, MAX_CHOICES)
    if not text or not found:
        raise UnknownRecord(typed, workflow.object_type.name)
    if len(found) > 1:
        choices = [RecordChoice(r.id, r.external_id, r.name) for r in found]
        raise AmbiguousRecord(typed, workflow.id, choices)
    return found[0]


def explain_by_text(
    session: Session,
    team_id: str,
    name: str,
    typed: str,
    now: datetime,
    at: datetime | None = None,
) -> Explanation:
    """Why the record ``typed`` names (its id, or a part of its name) is or is not enrolled
    by the workflow ``name``: at ``at``, or at the workflow's next run."""
    workflow = get_workflow(session, team_id, name)
    return explain(session, workflow, find_record(session, workflow, typed), now, at)


def explain_by_ids(
    session: Session, team_id: str, workflow_id: int, record_id: int, now: datetime
) -> Explanation:
    """As explain_by_text, for a record picked from a list (by row id)."""
    workflow = session.get(Workflow, workflow_id)
    if workflow is None or workflow.team_id != team_id:
        raise WorkflowGone()
    record = session.get(Record, record_id)
    if record is None or record.object_type_id != workflow.object_type_id:
        raise UnknownRecord(f"#{record_id}", workflow.object_type.name)
    return explain(session, workflow, record, now)


def explain(
    session: Session,
    workflow: Workflow,
    record: Record,
    now: datetime,
    at: datetime | None = None,
) -> Explanation:
    """Why ``record`` is or is not enrolled by ``workflow`` at ``at``, or at its next run
    (pause days applied; now when it has none, e.g. paused)."""
    definition = definition_of(session, workflow)
    types = ObjectTypeRepository(session).property_types(workflow.object_type_id)
    zone = definition.schedule.zone
    given = at is not None
    no_run_because = deferred_from = None
    if at is not None:
        at, pauses, no_run_because, deferred_from = _run_at(session, workflow, definition, at)
        has_next_run = False
    elif workflow.status == WorkflowStatus.ACTIVE.value:
        at, pauses, has_next_run = _next_run(session, workflow, definition, now)
    else:
        at, pauses, has_next_run = now, (), False  # paused or a draft: no run to come
    at = at.astimezone(zone)
    criteria, suppression = (
        with_known_aliases(session, workflow.team_id, each)
        for each in (definition.criteria, definition.suppression)
    )
    verdict, passed = _evaluate(session, workflow, record, criteria, suppression, types, at)
    snooze = next(
        (
            row
            for row in FollowUpRepository(session).active_snoozes(workflow.id, at)
            if row.record_id == record.id
        ),
        None,
    )
    values = record_values(
        record.properties,
        external_id=record.external_id,
        name=record.name,
        owner=record.owner,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
    checks = iter(passed)
    return Explanation(
        workflow_name=workflow.name,
        record_name=record.name,
        external_id=record.external_id,
        at=at,
        given=given,
        has_next_run=has_next_run,
        pauses=pauses,
        removed=record.deleted_at is not None,
        snoozed_until=None if snooze is None else snooze.until.astimezone(zone),
        snoozed_by=None if snooze is None else snooze.created_by,
        criteria=_checks(definition.criteria, criteria, types, at, values, checks),
        suppression=_checks(definition.suppression, suppression, types, at, values, checks),
        enrolled=verdict,
        past_runs=_past_runs(session, workflow, record, values, types),
        no_run_because=no_run_because,
        deferred_from=None if deferred_from is None else deferred_from.astimezone(zone),
    )


def _next_run(
    session: Session, workflow: Workflow, definition: WorkflowDefinition, now: datetime
) -> tuple[datetime, tuple[str, ...], bool]:
    """The next run's instant and what pause days skip or defer up to it; now when the
    schedule has no run to come."""
    upcoming = upcoming_runs(session, workflow.id, definition, now, 1)
    pauses = tuple(run.reason for run in upcoming if run.reason)
    coming = [run for run in upcoming if not run.skipped]
    if not coming:
        return now, pauses, False
    return coming[0].at, pauses, True


def _run_at(
    session: Session, workflow: Workflow, definition: WorkflowDefinition, at: datetime
) -> tuple[datetime, tuple[str, ...], str | None, datetime | None]:
    """What the planner would do with a run at the instant ``at``, as it decides it: the
    instant the run would enroll at, what pause days say of it, why there is no run then
    (a skip by hand, or a pause day skipped), and the instant a deferral moved it from."""
    schedule = definition.schedule
    local = at.astimezone(schedule.zone)
    # Keyed by its wall time, as occurrences are: a deferred run keeps its time of day.
    occurrence = Occurrence(at=local, utc=at.astimezone(UTC), key=f"{local:%Y-%m-%dT%H:%M}")
    skip = FollowUpRepository(session).skip(workflow.id, occurrence.key)
    if skip is not None:  # the planner skips it before pause days are looked at
        return at, (), f"it was {SKIPPED_BY_HAND} by {skip.created_by}", None
    decision = pause_decision(schedule, definition.settings, occurrence)
    if decision.status is RunStatus.SKIPPED:
        return at, (), decision.reason, None
    pauses = (decision.reason,) if decision.reason else ()
    return decision.scheduled_at, pauses, None, decision.deferred_from


def _evaluate(
    session: Session,
    workflow: Workflow,
    record: Record,
    criteria: Criteria,
    suppression: Criteria,
    types: dict[str, PropertyType],
    at: datetime,
) -> tuple[bool, list[bool]]:
    """The runs' verdict for the record at ``at`` (their enrollment clause, and not snoozed,
    as runner._enroll writes it), and each criteria then suppression filter's outcome
    alone, in one query on the record's row."""
    columns = _verdict_columns(session, workflow, criteria, suppression, types, at)
    row = RecordSearch(session).evaluate(record.id, columns)
    return bool(row[0]), [bool(value) for value in row[2:]]


def _verdict_columns(
    session: Session,
    workflow: Workflow,
    criteria: Criteria,
    suppression: Criteria,
    types: dict[str, PropertyType],
    at: datetime,
    snoozes_made_by: datetime | None = None,
) -> list[ColumnElement[bool]]:
    """The runs' verdict, whether no snooze holds the record, and each criteria then
    suppression filter alone: columns of one query on a ``records`` row. A past run's
    verdict counts only the snoozes made by ``snoozes_made_by``, when it enrolled."""
    dialect = session.get_bind().dialect.name
    unsnoozed = not_snoozed(workflow.id, at, snoozes_made_by)
    enrolls = enrollment_criteria_clause(
        criteria.at(at, types), suppression.at(at, types), types, dialect
    )
    verdict = and_(enrolls, unsnoozed)
    filters = [
        f
        for each in (criteria, suppression)
        for group in each.at(at, types).groups
        for f in group.filters
    ]
    return [_true_or_false(verdict), _true_or_false(unsnoozed)] + [
        _true_or_false(criteria_clause(Criteria((Group((f,)),)), types, dialect)) for f in filters
    ]


def _true_or_false(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    # A comparison with a missing property is NULL in SQL: false here, as a WHERE reads it.
    return case((clause, True), else_=False)


def _checks(
    written: Criteria,
    used: Criteria,
    types: dict[str, PropertyType],
    at: datetime,
    values: dict[str, StoredValue],
    outcomes: Iterator[bool],
) -> tuple[GroupCheck, ...]:
    """Each group of ``written`` with its filters' ``outcomes``, taken in order."""
    groups = []
    for written_group, resolved_group in zip(
        written.groups, used.at(at, types).groups, strict=True
    ):
        filters = []
        for written_filter, resolved in zip(
            written_group.filters, resolved_group.filters, strict=True
        ):
            filters.append(_check(written_filter, resolved, values, next(outcomes)))
        groups.append(GroupCheck(tuple(filters)))
    return tuple(groups)


def _check(
    written: Filter, resolved: Filter, values: dict[str, StoredValue], passed: bool
) -> FilterCheck:
    text = describe_filter(written.to_json())
    shown = describe_filter(resolved.to_json())
    return FilterCheck(
        written.property,
        text,
        None if shown == text else shown,
        values.get(written.property),
        passed,
    )


def _past_runs(
    session: Session,
    workflow: Workflow,
    record: Record,
    values_now: dict[str, StoredValue],
    types: dict[str, PropertyType],
) -> tuple[PastRun, ...]:
    """The workflow's latest runs that enrolled by its criteria, whether each enrolled
    this record, and what its values then say of it; a run on records picked by hand says
    nothing about the others, so it is shown only when it enrolled this one."""
    kept_since = RecordVersions(session).kept_since()
    # Read once for all the runs: a revision's definition needs the type names too.
    names = ObjectTypeRepository(session).names(workflow.team_id)
    shown = []
    latest = RunRepository(session).latest_enrolled_with_record(
        workflow.id, record.id, RUNS_LOOKED_AT
    )
    for run, was in latest:
        by_criteria = run.enrolls_by_criteria
        if not (was or by_criteria):
            continue
        definition = _definition_of_run(session, workflow, run, types, names)
        then = None
        if by_criteria:
            then = _run_then(
                session, workflow, record, run, definition, types, values_now, kept_since
            )
        zone = definition.schedule.zone
        shown.append(
            PastRun(run.id, run.scheduled_at.astimezone(zone), run.source, bool(was), then)
        )
        if len(shown) == PAST_RUNS:
            break
    return tuple(shown)


def _definition_of_run(
    session: Session,
    workflow: Workflow,
    run: Run,
    types: dict[str, PropertyType],
    type_names: list[str],
) -> WorkflowDefinition:
    """The revision of the workflow the run ran; the workflow as it is now when that
    revision is no longer kept or no longer reads (a property it filters was dropped)."""
    saved = RevisionRepository(session).get(workflow.id, run.revision)
    if saved is not None:
        try:
            return load_definition(saved.document, types, type_names)
        except InvalidDefinition:
            pass
    return definition_of(session, workflow, types)


def _run_then(
    session: Session,
    workflow: Workflow,
    record: Record,
    run: Run,
    definition: WorkflowDefinition,
    types: dict[str, PropertyType],
    values_now: dict[str, StoredValue],
    kept_since: datetime | None,
) -> RunThen:
    """The run's own clause (its revision's criteria at its instant) on the record as it
    was when the run enrolled."""
    enrolled_at, newest = run.enrolled_at, run.newest_record_id
    if enrolled_at is None or newest is None or (kept_since and enrolled_at < kept_since):
        return RunThen(ValuesThen.NOT_KEPT)
    if record.id > newest:
        return RunThen(ValuesThen.NOT_STORED)
    versions = RecordVersions(session)
    row = versions.as_of(record.id, enrolled_at)
    at = run.scheduled_at.astimezone(definition.schedule.zone)
    criteria, suppression = (
        with_known_aliases(session, workflow.team_id, each)
        for each in (definition.criteria, definition.suppression)
    )
    columns = _verdict_columns(session, workflow, criteria, suppression, types, at, enrolled_at)
    columns.append(snoozed_since(workflow.id, record.id, enrolled_at))
    found = versions.evaluated_on(row, columns)
    outcomes = [bool(value) for value in found[2 : len(columns) - 1]]
    snooze_unknown = bool(found[len(columns) - 1])
    external_id, name, owner, properties, created_at, updated_at, deleted_at = found[len(columns) :]
    values = record_values(
        properties,
        external_id=external_id,
        name=name,
        owner=owner,
        created_at=created_at,
        updated_at=updated_at,
    )
    checks = iter(outcomes)
    groups = _checks(definition.criteria, criteria, types, at, values, checks)
    held_back = _checks(definition.suppression, suppression, types, at, values, checks)
    suppressed = next((g.filters for g in held_back if g.matched), ())
    watched = dict.fromkeys(
        f.property for each in (groups, held_back) for g in each for f in g.filters
    )
    return RunThen(
        ValuesThen.KNOWN,
        would_enroll=bool(found[0]),
        removed=deleted_at is not None,
        snoozed=not found[1],
        snooze_unknown=snooze_unknown,
        failed=tuple(f for g in groups if not g.matched for f in g.filters if not f.passed),
        suppressed=suppressed,
        changed=tuple(
            ValueChange(name, values.get(name), values_now.get(name))
            for name in watched
            if values.get(name) != values_now.get(name)
        ),
    )


def then_phrase(
    then: RunThen | None,
    enrolled: bool,
    code: Callable[[str], str],
    plain: Callable[[str], str],
) -> str | None:
    """What the record's values when a run enrolled say of it, in a few words: why a run
    left it out ("`amount` was `4000` then: amount is at least 5000"), or, for a run that
    enrolled it, which filtered values have changed since. ``code`` shows one value or
    property name as the surface writes code, ``plain`` a filter's text (each escaped as
    the surface needs); the rest holds no user data."""
    if then is None:
        return None
    if then.values is ValuesThen.NOT_STORED:
        return "it was not yet in the records"
    if then.values is ValuesThen.NOT_KEPT:
        return "its values then are no longer kept"
    if enrolled:
        if not then.changed:
            return None
        return "since then " + "; ".join(
            f"{code(c.property)} went from {code(shown_value(c.then))} to "
            f"{code(shown_value(c.now))}"
            for c in then.changed
        )
    if then.removed:
        return "it was removed then"
    reasons = [_was(check, code, plain) for check in then.failed]
    if then.suppressed:
        held = ", ".join(_was(check, code, plain) for check in then.suppressed)
        reasons.append(f"suppression held it back ({held})")
    if then.snoozed:
        reasons.append("it was snoozed in this workflow")
    if not reasons and then.snooze_unknown:
        return (
            "its values then matched; it has been snoozed again since, so whether a snooze "
            "held it out then is not known"
        )
    if not reasons:
        # The runs' own clause on the values then would have enrolled it.
        return "its values then matched; what left it out is not known"
    return "; ".join(reasons)


def _was(check: FilterCheck, code: Callable[[str], str], plain: Callable[[str], str]) -> str:
    filter_text = plain(check.text if check.resolved is None else check.resolved)
    return f"{code(check.property)} was {code(shown_value(check.value))} then ({filter_text})"


# Use cases: each opens its own transaction on the unit of work it is given -----------------


def explain_typed(
    work: UnitOfWork,
    team_id: str,
    name: str,
    typed: str,
    now: datetime,
    at: datetime | None = None,
) -> Explanation:
    """Why the record ``typed`` names is or is not enrolled (explain_by_text)."""
    with work.reading() as session:
        return explain_by_text(session, team_id, name, typed, now, at)


def explain_picked(
    work: UnitOfWork, team_id: str, workflow_id: int, record_id: int, now: datetime
) -> Explanation:
    """As explain_typed, for a record picked from a list (explain_by_ids)."""
    with work.reading() as session:
        return explain_by_ids(session, team_id, workflow_id, record_id, now)
