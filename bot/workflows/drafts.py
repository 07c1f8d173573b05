"""The create/edit wizard's use cases: a workflow document filled in step by step in a draft,
checked one step at a time, previewed, and saved as a workflow only at the end. No Slack here:
the wizard's views read the user's input into the draft document and render what is here.

Steps (WizardStep): 1 name and object type, 2 schedule, 3 enrollment criteria, 4 actions,
5 settings and suppression, 6 review. The draft's document is the workflow document of the
YAML files, as far as it is filled in; nothing is a workflow until ``finish``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from bot.workflows.channel_access import ChannelAccess, check_channel_access
from bot.workflows.criteria import InvalidCriteria, parse_criteria
from bot.workflows.definitions import (
    MAX_NAME,
    DocumentField,
    InvalidDefinition,
    WorkflowSettings,
    read_settings,
    to_document,
)
from bot.workflows.draft_document import (
    SET_ASIDE,
    CriteriaDocument,
    CriteriaField,
    DraftDocument,
    FilterDocument,
    GroupDocument,
    ScheduleDocument,
)
from bot.workflows.forecast import ForecastRun, coming_runs, forecast_definition
from bot.workflows.lifecycle import (
    Actor,
    NameTaken,
    PermissionDenied,
    Saved,
    TeamDefinition,
    WorkflowError,
    get_workflow,
    index_workflow,
    parse_for_team,
    save_workflow,
)
from bot.workflows.overview import RecordLine, coming_run
from bot.workflows.preview import matching_now
from bot.workflows.problems import Problem, ProblemCode
from bot.workflows.property_labels import NO_LABELS, PropertyLabels, property_labels
from bot.workflows.records import count_matching
from bot.workflows.schedules import InvalidSchedule, parse_schedule
from bot.workflows.stored import definition_of
from bot.workflows.vocabulary import PropertyType, WorkflowStatus
from bot.workflows.wording import Phrase, describe_action, describe_criteria, describe_settings
from storage.drafts import DraftRepository
from storage.models import WizardDraft, Workflow
from storage.object_types import ObjectTypeRepository, UnknownObjectType
from storage.record_sources import RecordSourceRepository
from storage.unit_of_work import UnitOfWork
from storage.workflows import WorkflowRepository


class WizardStep(IntEnum):
    """The wizard's steps in their order. A draft stores its step as this number, so the
    values are the step numbers drafts were always stored with."""

    NAME = 1
    SCHEDULE = 2
    CRITERIA = 3
    ACTIONS = 4
    SETTINGS = 5
    REVIEW = 6

    @property
    def title(self) -> str:
        """What the dialog calls the step ("Step 3 of 6 · Enrollment criteria")."""
        return STEP_NAMES[self - 1]

    def next(self) -> WizardStep:
        return WizardStep(min(self + 1, WizardStep.REVIEW))

    def previous(self) -> WizardStep:
        return WizardStep(max(self - 1, WizardStep.NAME))


STEP_NAMES = ("Name", "Schedule", "Enrollment criteria", "Actions", "Settings", "Review")
FIRST_STEP = WizardStep.NAME
REVIEW_STEP = WizardStep.REVIEW
# A draft nobody touched for this long belongs to a dialog that was closed or forgotten.
DRAFT_LIFETIME = timedelta(days=1)
PREVIEW_RUNS = 5
SHOWN_RECORDS = 5
DEFAULT_TIME = "09:00"

# The document fields each step edits (the review edits none). A problem belongs to the
# step of its location's first field.
STEP_FIELDS: Mapping[WizardStep, tuple[DocumentField, ...]] = {
    WizardStep.NAME: ("name", "object_type"),
    WizardStep.SCHEDULE: ("schedule",),
    WizardStep.CRITERIA: ("criteria",),
    WizardStep.ACTIONS: ("actions",),
    WizardStep.SETTINGS: ("settings", "suppression"),
}
_FIELD_STEPS: Mapping[str, WizardStep] = {
    name: step for step, names in STEP_FIELDS.items() for name in names
}
# The fields edited with the criteria editor, whose empty filter rows are no filters.
_CRITERIA_FIELDS: tuple[CriteriaField, ...] = ("criteria", "suppression")
# What a field of a step not reached yet is checked with: valid, and saying nothing. A
# field without a placeholder (suppression) is optional and left out until its step.
_PLACEHOLDERS: DraftDocument = {
    "schedule": {"frequency": "daily", "time": DEFAULT_TIME, "timezone": "UTC"},
    "criteria": {},
    "actions": [],
    "settings": {},
}
# Only an active workflow needs an action: from the actions step on, a draft is checked as
# if it were being activated.
_ACTIVE_FROM_STEP = WizardStep.ACTIONS
# The steps whose inputs name the object type's properties (criteria, actions, suppression).
_PROPERTY_STEPS = frozenset(_FIELD_STEPS[name] for name in ("criteria", "actions", "suppression"))
# The steps whose page counts records (the criteria's matches, the review's forecast): read
# in a transaction of their own, never under the write lock of the step's submission.
_RECORD_PREVIEWS = frozenset({WizardStep.CRITERIA, REVIEW_STEP})


class UnsavableDraft(InvalidDefinition):
    """A draft that cannot be saved as a workflow: its problems, with the draft's document
    and the labels of the properties they may name, so that the dialog words them as its
    review does."""

    def __init__(
        self, problems: Sequence[Problem], document: DraftDocument, labels: PropertyLabels
    ) -> None:
        super().__init__(problems)
        self.document = document
        self.labels = labels


class DraftNotFound(WorkflowError, LookupError):
    def __init__(self) -> None:
        super().__init__(
            "This dialog is no longer open for changes: it was finished, its workflow was "
            "deleted, or it was left untouched for more than a day. Start again with "
            "/workflow create or /workflow edit NAME."
        )


@dataclass(frozen=True)
class SchedulePreview:
    """A schedule as the user reads it: its sentence and next runs (aware, in its zone),
    with warnings; or, when it cannot run, its ``problems`` (located in the schedule)."""

    sentence: str | None
    next_runs: tuple[datetime, ...] = ()
    warnings: tuple[Problem, ...] = ()  # located in the schedule, as ``problems``
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Review:
    """The whole workflow before it is saved. When it cannot be saved, ``problems`` (located
    in the document) say why, and what depends on a valid workflow is left empty."""

    name: str
    object_type: str
    schedule: str = ""
    next_runs: tuple[datetime, ...] = ()
    matching: int = 0
    # The next runs (pause days applied), each with the records it would enroll.
    forecast: tuple[ForecastRun, ...] = ()
    records: tuple[RecordLine, ...] = ()
    criteria: tuple[str, ...] = ()  # one sentence per group; none: every record
    suppression: tuple[str, ...] = ()
    actions: tuple[Phrase, ...] = ()
    settings: tuple[Phrase, ...] = ()
    warnings: tuple[Problem, ...] = ()  # located in the document, as ``problems``
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Matching:
    """The criteria step's live count: records matching the finished filters now, and how
    many filters are not counted yet (still being filled in, or wrong)."""

    records: int
    unfinished: int = 0


@dataclass(frozen=True)
class ObjectTypeChoice:
    name: str
    records: int


@dataclass(frozen=True)
class WizardPage:
    """Everything the wizard shows at the draft's current step."""

    draft_id: str
    step: WizardStep
    layout: int
    document: DraftDocument
    # The stored status of the workflow being edited; None while creating.
    editing: WorkflowStatus | None = None
    object_types: tuple[ObjectTypeChoice, ...] = ()
    # The object type's property types, at the steps that name properties (3 to 5).
    properties: Mapping[str, PropertyType] = field(default_factory=dict)
    # The options of its enumeration properties, at the same steps: criteria offer them.
    options: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # What the pickers show for properties and options with labels (HubSpot's).
    labels: PropertyLabels = NO_LABELS
    # The source that feeds the object type, when one does, at the settings step: what a
    # run does when that source fails is one of the settings then.
    source: str | None = None
    schedule: SchedulePreview | None = None
    matching: Matching | None = None  # records matching the criteria now (criteria step)
    review: Review | None = None
    # Why the last attempt failed when no field of the form can show it (e.g. saving).
    problems: tuple[str, ...] = ()


# --- Starting and loading -------------------------------------------------------------------


def start_create(
    session: Session,
    team_id: str,
    user_id: str,
    timezone: str,
    now: datetime,
    name: str | None = None,
    schedule: ScheduleDocument | None = None,
) -> WizardDraft:
    """A new draft owned by the user, weekly on Monday at 09:00 in ``timezone`` (the user's
    zone, or the bot's default when Slack does not know it), named ``name`` when given
    (``/workflow create NAME``; checked with step 1, like a name typed there), on
    ``schedule`` when given (``/workflow create every Monday at 9am``; in ``timezone``
    unless it names a zone; checked with step 2)."""
    drafts = DraftRepository(session)
    drafts.purge(now - DRAFT_LIFETIME)
    # A workspace that never imported records still offers the built-in object types.
    ObjectTypeRepository(session).ensure_built_ins(team_id, now)
    document: DraftDocument = {"owner": user_id}
    if name is not None and name.strip():
        # Step 1's name input holds at most MAX_NAME characters: the rest would not fit.
        document["name"] = name.strip()[:MAX_NAME]
    document |= {
        "schedule": {
            "frequency": "weekly",
            "weekdays": ["mon"],
            "time": DEFAULT_TIME,
            "timezone": timezone,
        },
        "criteria": {},
        "actions": [],
        "settings": {},
    }
    if schedule is not None:
        document["schedule"] = {**schedule, "timezone": schedule.get("timezone", timezone)}
    return drafts.add(team_id, user_id, document, now)


def start_edit(
    session: Session, team_id: str, name: str, actor: Actor, now: datetime
) -> WizardDraft:
    """A draft holding the workflow as stored; UnknownWorkflow or PermissionDenied when the
    actor may not edit it."""
    drafts = DraftRepository(session)
    drafts.purge(now - DRAFT_LIFETIME)
    workflow = get_workflow(session, team_id, name)
    if not actor.may_change(workflow):
        raise PermissionDenied(workflow.name, workflow.owner_user_id)
    document = to_document(definition_of(session, workflow))
    return drafts.add(team_id, actor.user_id, document, now, workflow_id=workflow.id)


def load_draft(
    session: Session, draft_id: str, team_id: str, user_id: str, for_update: bool = False
) -> WizardDraft:
    """The user's draft; DraftNotFound when it is gone or someone else's. ``for_update``
    locks its row until the transaction ends, for a use case that writes it from what it
    read: a change committed meanwhile is then waited for, not overwritten."""
    drafts = DraftRepository(session)
    get = drafts.get_for_update if for_update else drafts.get
    draft = get(draft_id, team_id, user_id)
    if draft is None:
        raise DraftNotFound()
    return draft


def document_of(draft: WizardDraft) -> DraftDocument:
    """The draft's document, typed. Storage keeps it as JSON it does not look into; the
    wizard is its only writer (start_create, start_edit, keep_values), so it is taken as the
    DraftDocument written, not checked: the readers of its parts stay lenient, and the
    domain's reader says what is wrong with a value."""
    return cast(DraftDocument, draft.document)


# --- Moving between steps -------------------------------------------------------------------


def keep_values(draft: WizardDraft, document: DraftDocument, now: datetime) -> None:
    """Stores what the user entered, checked or not, so that nothing typed is lost."""
    draft.document = copy.deepcopy(dict(document))
    draft.updated_at = now


def submit_step(
    session: Session,
    draft: WizardDraft,
    document: DraftDocument,
    default_timezone: str,
    now: datetime,
) -> tuple[Problem, ...]:
    """Stores the step's values and moves to the next step when they are valid; returns
    the step's problems otherwise (see step_problems)."""
    keep_values(draft, document, now)
    step = draft_step(draft)
    problems = step_problems(session, draft, step, default_timezone, now)
    if problems and _leave_out_empty_filters(draft):
        if step_problems(session, draft, step, default_timezone, now):
            # Something else is wrong too: said beside the rows as the user left them.
            keep_values(draft, document, now)
            draft.layout -= 1
        else:
            problems = ()
    if not problems:
        draft.step = step.next()
    return problems


def go_back(draft: WizardDraft, document: DraftDocument, now: datetime) -> None:
    """Stores the step's values unchecked and returns to the step before."""
    keep_values(draft, document, now)
    _leave_out_empty_filters(draft)
    draft.step = draft_step(draft).previous()


def restructure(draft: WizardDraft, document: DraftDocument, now: datetime) -> None:
    """Stores a document whose filters or actions were added, removed or moved: the new
    layout gives their inputs new ids, so no value lands in another row."""
    keep_values(draft, document, now)
    draft.layout += 1


def workflow_document(document: DraftDocument) -> DraftDocument:
    """The workflow document a draft's document holds: without what only the dialog keeps."""
    kept = document.copy()
    kept.pop(SET_ASIDE, None)
    return kept


def _leave_out_empty_filters(draft: WizardDraft) -> bool:
    """Leaves out the filter rows of the criteria and suppression in which nothing was
    chosen ("+ Add filter" pressed, then left alone): an empty row is no filter, not a
    mistake. Their rows go, so the layout changes; False when there were none."""
    tidied = document_of(draft).copy()
    for name in _CRITERIA_FIELDS:
        if (criteria := tidied.get(name)) is not None:
            tidied[name] = without_empty_filters(criteria)
    if tidied == draft.document:
        return False
    draft.document = dict(tidied)
    draft.layout += 1
    return True


def without_empty_filters(criteria: CriteriaDocument) -> CriteriaDocument:
    """``criteria`` (their document form) without the filters in which nothing was chosen,
    nor the groups left without filters; no group left means no criteria."""
    groups = criteria.get("any")
    if not isinstance(groups, list):
        return criteria.copy()
    kept: list[GroupDocument] = []
    for group in groups:
        filters = group.get("all") if isinstance(group, Mapping) else None
        if not isinstance(filters, list):
            kept.append(group)
            continue
        chosen = [f for f in filters if not _is_empty_filter(f)]
        if chosen or not filters:
            kept.append({**group, "all": chosen})
    return {**criteria, "any": kept} if kept else {}


def _is_empty_filter(raw: object) -> bool:
    return isinstance(raw, Mapping) and all(value in (None, "", []) for value in raw.values())


# --- Checking -------------------------------------------------------------------------------


def draft_step(draft: WizardDraft) -> WizardStep:
    """The step the draft is at (stored as its number)."""
    return WizardStep(draft.step)


def step_of(problem: Problem) -> WizardStep:
    """The wizard step where a problem is fixed, by its location's first key: the review
    step for a location no other step edits (as "owner")."""
    first = problem.location[0] if problem.location else None
    return _FIELD_STEPS.get(first, REVIEW_STEP) if isinstance(first, str) else REVIEW_STEP


def step_problems(
    session: Session, draft: WizardDraft, step: WizardStep, default_timezone: str, now: datetime
) -> tuple[Problem, ...]:
    """The problems of one step, located in the document (("name",), ("schedule", "time"),
    ("actions", 0, "text"), ("criteria", 0, 1, "value")...). The review checks everything;
    steps after ``step`` are not checked. None means the step is done."""
    return _check(session, draft, step, default_timezone, now)[0]


def _check(
    session: Session, draft: WizardDraft, step: WizardStep, default_timezone: str, now: datetime
) -> tuple[tuple[Problem, ...], TeamDefinition | None]:
    """step_problems, with the draft as parsed when it has none."""
    document = _as_of_step(document_of(draft), step)
    problems: list[Problem] = []
    parsed = None
    try:
        parsed = parse_for_team(session, draft.team_id, document, default_timezone, now)
    except InvalidDefinition as error:
        problems += [p for p in error.problems if step in (REVIEW_STEP, step_of(p))]
    if step in (FIRST_STEP, REVIEW_STEP) and (taken := _name_taken(session, draft)):
        params = {"name": taken.name}
        problems.append(Problem(("name",), ProblemCode.NAME_TAKEN, taken.problem, "", params))
    return tuple(problems), None if problems else parsed


def _as_of_step(document: DraftDocument, step: WizardStep) -> DraftDocument:
    checked = workflow_document(document)
    for later, names in STEP_FIELDS.items():
        if later > step:
            for name in names:
                if name in _PLACEHOLDERS:
                    checked[name] = _PLACEHOLDERS[name]
                else:
                    checked.pop(name, None)
    active = step >= _ACTIVE_FROM_STEP
    checked["status"] = (WorkflowStatus.ACTIVE if active else WorkflowStatus.DRAFT).value
    return checked


def _name_taken(session: Session, draft: WizardDraft) -> NameTaken | None:
    """Why the draft's name cannot be used: another workflow has it, in any case."""
    name = document_of(draft).get("name")
    if not isinstance(name, str) or not name.strip():
        return None
    for found in WorkflowRepository(session).same_name(draft.team_id, name.strip()):
        if found.id != draft.workflow_id:
            return NameTaken(found.name, name.strip())
    return None


def draft_properties(session: Session, draft: WizardDraft) -> dict[str, PropertyType]:
    """The property types of the draft's object type; none while it has no known type."""
    return _property_types(session, draft.team_id, document_of(draft).get("object_type"))


def _source_name(session: Session, draft: WizardDraft) -> str | None:
    type_name = document_of(draft).get("object_type")
    if not isinstance(type_name, str):
        return None
    found = ObjectTypeRepository(session).find(draft.team_id, type_name)
    source = RecordSourceRepository(session).feeding(found.id) if found is not None else None
    return source.name if source is not None else None


def draft_enumeration_options(session: Session, draft: WizardDraft) -> dict[str, list[str]]:
    """The options of the enumeration properties of the draft's object type."""
    type_name = document_of(draft).get("object_type")
    if not isinstance(type_name, str):
        return {}
    object_types = ObjectTypeRepository(session)
    found = object_types.find(draft.team_id, type_name)
    if found is None:
        return {}
    return {n: o for n, o in object_types.enumeration_options(found.id).items() if o}


def _property_types(session: Session, team_id: str, type_name: object) -> dict[str, PropertyType]:
    if not isinstance(type_name, str):
        return {}
    object_types = ObjectTypeRepository(session)
    found = object_types.find(team_id, type_name)
    return object_types.property_types(found.id) if found is not None else {}


# --- Previews -------------------------------------------------------------------------------


def schedule_preview(
    document: DraftDocument, default_timezone: str, now: datetime
) -> SchedulePreview:
    """The draft's schedule in a sentence with its next five runs, or its problems."""
    raw = document.get("schedule")
    if not isinstance(raw, Mapping):
        missing = Problem(("frequency",), ProblemCode.MISSING, "missing", ": choose how often")
        return SchedulePreview(None, problems=(missing,))
    try:
        parsed = parse_schedule(raw, default_timezone, now)
    except InvalidSchedule as error:
        return SchedulePreview(None, problems=error.problems)
    schedule = parsed.schedule
    runs = coming_runs(schedule, _settings_or_default(document), now, PREVIEW_RUNS)
    return SchedulePreview(schedule.describe(), runs, parsed.warnings)


def _settings_or_default(document: DraftDocument) -> WorkflowSettings:
    """The draft's settings when they can be read (an edited workflow's pause days apply
    to the runs the schedule step shows), else the defaults: the settings step, later,
    says what is wrong with them."""
    try:
        return read_settings(document.get("settings"))
    except InvalidDefinition:
        return WorkflowSettings()


def review(session: Session, draft: WizardDraft, default_timezone: str, now: datetime) -> Review:
    """The draft checked whole and described: schedule, next runs, what matches now (and a
    few of those records), criteria, actions and settings in words, and warnings."""
    document = document_of(draft)
    name = document.get("name")
    type_name = document.get("object_type")
    shown_name = name.strip() if isinstance(name, str) else ""
    shown_type = type_name if isinstance(type_name, str) else ""
    problems, parsed = _check(session, draft, REVIEW_STEP, default_timezone, now)
    if parsed is None:
        return Review(shown_name, shown_type, problems=problems)
    definition = parsed.definition
    matching, records = matching_now(
        session, definition, parsed.object_type.id, parsed.property_types, now, SHOWN_RECORDS
    )
    warnings = list(parsed.warnings)
    if matching == 0:
        warnings.append(_NO_MATCHES)
    schedule = definition.schedule
    return Review(
        name=definition.name,
        object_type=definition.object_type,
        schedule=schedule.describe(),
        # As the engine will run them: pause days and holidays deferred or skipped.
        next_runs=coming_runs(schedule, definition.settings, now, PREVIEW_RUNS),
        matching=matching,
        forecast=forecast_definition(
            session,
            draft.team_id,
            definition,
            parsed.object_type.id,
            parsed.property_types,
            now,
            PREVIEW_RUNS,
            draft.workflow_id,
        ),
        records=tuple(RecordLine(r.name, r.external_id) for r in records),
        criteria=tuple(describe_criteria(definition.criteria)),
        suppression=tuple(describe_criteria(definition.suppression)),
        actions=tuple(describe_action(action) for action in definition.actions),
        settings=tuple(describe_settings(definition.settings)),
        warnings=tuple(warnings),
    )


_NO_MATCHES = Problem(
    ("criteria",),
    ProblemCode.NO_MATCHES,
    "no record matches right now: a run now would enroll nobody",
)


def draft_labels(session: Session, draft: WizardDraft) -> PropertyLabels:
    """The labels of the draft's object type's properties and options, where it has any."""
    type_name = document_of(draft).get("object_type")
    if not isinstance(type_name, str):
        return NO_LABELS
    found = ObjectTypeRepository(session).find(draft.team_id, type_name)
    return NO_LABELS if found is None else property_labels(session, found.id)


def wizard_page(
    session: Session,
    draft: WizardDraft,
    default_timezone: str,
    now: datetime,
    problems: tuple[str, ...] = (),
) -> WizardPage:
    """What the wizard shows at the draft's step; only that step's previews are computed."""
    document = document_of(draft)
    step = draft_step(draft)
    checked = review(session, draft, default_timezone, now) if step == REVIEW_STEP else None
    # The review names properties only in its problems: their labels are read for those.
    labelled = step in _PROPERTY_STEPS or (checked is not None and bool(checked.problems))
    return WizardPage(
        draft_id=draft.id,
        step=step,
        layout=draft.layout,
        document=copy.deepcopy(document),
        editing=_stored_status(session, draft),
        object_types=_object_types(session, draft.team_id) if step == FIRST_STEP else (),
        properties=draft_properties(session, draft) if step in _PROPERTY_STEPS else {},
        options=draft_enumeration_options(session, draft) if step in _PROPERTY_STEPS else {},
        labels=draft_labels(session, draft) if labelled else NO_LABELS,
        source=_source_name(session, draft) if step == WizardStep.SETTINGS else None,
        schedule=schedule_preview(document, default_timezone, now)
        if step == WizardStep.SCHEDULE
        else None,
        matching=_matching(session, draft, now) if step == WizardStep.CRITERIA else None,
        review=checked,
        problems=problems,
    )


def _stored_status(session: Session, draft: WizardDraft) -> WorkflowStatus | None:
    if draft.workflow_id is None:
        return None
    workflow = session.get(Workflow, draft.workflow_id)
    return None if workflow is None else WorkflowStatus(workflow.status)


def _object_types(session: Session, team_id: str) -> tuple[ObjectTypeChoice, ...]:
    counted = ObjectTypeRepository(session).names_with_live_record_counts(team_id)
    return tuple(ObjectTypeChoice(name, count) for name, count in counted)


def _matching(session: Session, draft: WizardDraft, now: datetime) -> Matching | None:
    """How many records the draft's finished filters match now (rows still being filled
    in are left out and counted), or None when the criteria cannot be counted at all."""
    document = document_of(draft)
    type_name = document.get("object_type")
    raw = document.get("criteria")
    if not isinstance(type_name, str):
        return None
    criteria, unfinished = _finished_filters(
        raw if isinstance(raw, Mapping) else {}, draft_properties(session, draft)
    )
    try:
        records = count_matching(session, draft.team_id, type_name, criteria, _local(document, now))
    except (InvalidCriteria, UnknownObjectType):
        return None
    return Matching(records, unfinished)


def _finished_filters(
    criteria: CriteriaDocument, properties: Mapping[str, PropertyType]
) -> tuple[CriteriaDocument, int]:
    """The criteria of the filters that can be counted already, and how many were left
    out (chosen in part, or wrong); empty rows are left out without being counted."""
    criteria = without_empty_filters(criteria)
    groups = criteria.get("any")
    if not isinstance(groups, list):
        return criteria, 0
    kept: list[GroupDocument] = []
    unfinished = 0
    for group in groups:
        filters = group.get("all") if isinstance(group, Mapping) else None
        if not isinstance(filters, list):
            return criteria, 0  # not of the editor's shape: counted as it is, or not
        finished = [f for f in filters if _counts(f, properties)]
        unfinished += len(filters) - len(finished)
        if finished:
            kept.append({**group, "all": finished})
    return ({"any": kept} if kept else {}), unfinished


def _counts(raw_filter: FilterDocument, properties: Mapping[str, PropertyType]) -> bool:
    try:
        parse_criteria({"any": [{"all": [raw_filter]}]}, properties)
    except InvalidCriteria:
        return False
    return True


def _local(document: DraftDocument, now: datetime) -> datetime:
    """``now`` in the schedule's zone, where relative days (in_next_days...) are counted."""
    schedule = document.get("schedule")
    zone = schedule.get("timezone") if isinstance(schedule, Mapping) else None
    try:
        return now.astimezone(ZoneInfo(zone)) if isinstance(zone, str) else now
    except (ZoneInfoNotFoundError, ValueError):
        return now


# --- Finishing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    """A workflow the wizard saved, as the user is told: ``next_run`` is in its zone."""

    name: str
    status: WorkflowStatus
    next_run: datetime | None
    warnings: tuple[Problem, ...]  # located in the document
    created: bool
    workflow_id: int
    # Which of its actions write to HubSpot (bot.workflows.hubspot_writes), when some do.
    writes_to_hubspot: str | None = None


def finish(
    session: Session,
    draft: WizardDraft,
    activate: bool,
    actor: Actor,
    default_timezone: str,
    now: datetime,
    index: bool = True,
) -> Saved:
    """Saves the draft as a workflow and deletes the draft, in the caller's transaction.

    ``index=False``: see lifecycle.save_workflow (the caller then calls index_workflow).

    ``activate`` saves it active (an edit of an active workflow stays active and applies at
    once: a new revision, runs planned under the old one cancelled); otherwise it is saved
    not running: paused when it was active or paused (the dialog's "Save and pause"), a
    draft else. Raises InvalidDefinition or WorkflowError (name taken, permission) with
    nothing written.
    """
    stored = _stored_status(session, draft)
    if activate:
        status = WorkflowStatus.ACTIVE
    elif stored in (WorkflowStatus.ACTIVE, WorkflowStatus.PAUSED):
        status = WorkflowStatus.PAUSED
    else:
        status = WorkflowStatus.DRAFT
    document: DraftDocument = {**workflow_document(document_of(draft)), "status": status.value}
    # Saving under a name that exists edits that workflow (save_workflow): refused here,
    # where a new one is being created.
    if draft.workflow_id is None and (taken := _name_taken(session, draft)):
        raise taken
    saved = save_workflow(
        session,
        draft.team_id,
        document,
        actor,
        default_timezone,
        now,
        editing_id=draft.workflow_id,
        index=index,
    )
    DraftRepository(session).delete(draft)
    session.flush()
    return saved


def finished(session: Session, saved: Saved, now: datetime) -> Finished:
    """What became of the workflow ``finish`` saved, with its next run the one the engine
    will run after ``now`` (overview.coming_run: pause days applied)."""
    workflow = session.get(Workflow, saved.workflow_id)
    assert workflow is not None
    zone = ZoneInfo(workflow.timezone)
    next_run = coming_run(session, workflow, now)
    next_run = next_run.astimezone(zone) if next_run is not None else None
    return Finished(
        workflow.name,
        WorkflowStatus(workflow.status),
        next_run,
        saved.warnings,
        saved.created,
        workflow.id,
        saved.writes_to_hubspot,
    )


# --- Use cases: each opens its own short transaction on the unit of work it is given ---------


@dataclass(frozen=True)
class DraftKey:
    """Whose draft, in which workspace: a draft is only ever found for the user who started
    it (the dialog carries only its id)."""

    draft_id: str
    team_id: str
    user_id: str


# Reads what the user entered at the draft's step into its document: (step, document as
# stored, the object type's property types, layout) -> the document read. The dialog's.
StepReader = Callable[[WizardStep, DraftDocument, Mapping[str, PropertyType], int], DraftDocument]
# What a change does with the draft and the document read: keep_values, go_back,
# restructure, or an editor's edit (edited).
DraftChange = Callable[[WizardDraft, DraftDocument, datetime], None]


@dataclass(frozen=True)
class Submitted:
    """A step submitted: the step and layout it was submitted at, the document as read and
    stored, and its problems (none: the draft moved to the next step), with the labels of
    the properties they may name."""

    step: WizardStep
    layout: int
    document: DraftDocument
    problems: tuple[Problem, ...]
    labels: PropertyLabels = NO_LABELS
    # The page of the step the draft moved to (or stays at, for a page out of date), read
    # in the same transaction when it previews no records; None when it does (the criteria
    # step's count, the review) or when the step was refused: page() reads it.
    page: WizardPage | None = None
    # The page submitted showed another step than the draft's (a Back stored whose page
    # never showed): its input was not read, nothing was stored, and ``step`` is the
    # draft's step, whose page the dialog is to show.
    outdated: bool = False


@dataclass(frozen=True)
class PropertyChoices:
    """What the property pickers of the draft's criteria offer: its object type's property
    types, and their labels."""

    properties: Mapping[str, PropertyType]
    labels: PropertyLabels


@dataclass(frozen=True)
class ValueChoices:
    """What the value pickers of the draft's criteria offer: its document (which property
    each row names), its object type's enumeration options, and their labels."""

    document: DraftDocument
    options: Mapping[str, Sequence[str]]
    labels: PropertyLabels


def create(
    work: UnitOfWork,
    team_id: str,
    user_id: str,
    timezone: str,
    now: datetime,
    name: str | None = None,
    schedule: ScheduleDocument | None = None,
) -> DraftKey:
    """A new draft (start_create)."""
    with work.writing() as session:
        draft = start_create(session, team_id, user_id, timezone, now, name, schedule)
        return DraftKey(draft.id, team_id, user_id)


def edit(work: UnitOfWork, team_id: str, name: str, actor: Actor, now: datetime) -> DraftKey:
    """A draft of the workflow ``name`` as stored (start_edit)."""
    with work.writing() as session:
        draft = start_edit(session, team_id, name, actor, now)
        return DraftKey(draft.id, team_id, actor.user_id)


def page(
    work: UnitOfWork,
    key: DraftKey,
    default_timezone: str,
    now: datetime,
    problems: tuple[str, ...] = (),
) -> WizardPage:
    """The draft's page (wizard_page), read in a transaction of its own: previews (records
    matching, the review) never hold the write lock."""
    with work.reading() as session:
        return wizard_page(session, _load(session, key), default_timezone, now, problems)


def submit(
    work: UnitOfWork,
    key: DraftKey,
    read: StepReader,
    default_timezone: str,
    now: datetime,
    shown: WizardStep | None = None,
) -> Submitted:
    """Reads the step's input into the draft and submits it (submit_step): what was entered
    is kept either way. The page of the step the draft moved to comes with it when it
    previews no records: a step's submission then costs one transaction, and reads the
    draft once.

    ``shown``: the step of the page submitted. A page the draft has left (Back stored, its
    page never shown) is not read into the draft: its inputs are another step's, and the
    draft's step would be submitted with them (outdated, nothing stored)."""
    # The draft's changes are written once, at the commit: the checks' reads of other
    # tables would otherwise flush them half-way, an UPDATE more per step.
    with work.writing() as session, session.no_autoflush:
        draft = _load(session, key, for_update=True)
        step, layout = draft_step(draft), draft.layout
        if shown is not None and shown is not step:
            page = _page_without_previews(session, draft, default_timezone, now)
            return Submitted(step, layout, document_of(draft), (), page=page, outdated=True)
        document = _read(session, draft, read)
        problems = submit_step(session, draft, document, default_timezone, now)
        if problems:
            # The draft stays at the step: its problems are shown beside the inputs, and the
            # page is read only when one is not (page()). The first step's page counts every
            # live record of the workspace, which is not to happen under the write lock.
            return Submitted(step, layout, document, problems, draft_labels(session, draft))
        page = _page_without_previews(session, draft, default_timezone, now)
        return Submitted(step, layout, document, problems, NO_LABELS, page)


def _page_without_previews(
    session: Session, draft: WizardDraft, default_timezone: str, now: datetime
) -> WizardPage | None:
    """The page of the draft's step, read in the submission's transaction, unless it
    previews records (the criteria step's count, the review): those are not read under the
    write lock, and page() reads them in a transaction of their own."""
    if draft_step(draft) in _RECORD_PREVIEWS:
        return None
    return wizard_page(session, draft, default_timezone, now)


def change(
    work: UnitOfWork,
    key: DraftKey,
    read: StepReader,
    apply: DraftChange,
    now: datetime,
    version: int | None = None,
    step: WizardStep | None = None,
) -> bool:
    """Reads the step's input into the draft and applies the change ``apply`` to it; whether
    the draft's page is to be drawn again (False: it shows nothing new).

    ``version`` orders the inputs (when the user made this one): two quick changes may be
    served in either order, and the older one, served last, would store the step as it was
    before the newer one. Its input is then not read: the change applies to the draft as
    stored, which holds the newer input, so that a row added, a row removed or Back made
    before the newer input still happens. A value's change older than the draft's changes
    nothing then (False): the newer one's page shows the draft.

    ``step``: the step of the page the input was made on. A change made on a page the draft
    has left (a late click on the page before Next) is refused: False, nothing stored.
    DraftNotFound when the draft is gone."""
    with work.writing() as session:
        newest = version is None or DraftRepository(session).claim_input(
            key.draft_id, key.team_id, key.user_id, version
        )
        draft = _load(session, key, for_update=True)
        if step is not None and step is not draft_step(draft):
            return False
        if newest:
            apply(draft, _read(session, draft, read), now)
            return True
        before = (copy.deepcopy(draft.document), draft.step, draft.layout)
        apply(draft, copy.deepcopy(document_of(draft)), now)
        return (draft.document, draft.step, draft.layout) != before


def edited(edit_document: Callable[[DraftDocument], bool]) -> DraftChange:
    """The change of an editor's add/remove/move control: ``edit_document`` changes the
    document read, which is then stored with a new layout (restructure); nothing is stored
    when it says the control was not its editor's."""

    def apply(draft: WizardDraft, document: DraftDocument, now: datetime) -> None:
        if edit_document(document):
            restructure(draft, document, now)

    return apply


# The pickers search as the user types, and Slack waits 3 seconds for their options: each
# reads only what its own options are made of.


def property_choices(work: UnitOfWork, key: DraftKey) -> PropertyChoices:
    """What the draft's property pickers offer."""
    with work.reading() as session:
        draft = _load(session, key)
        return PropertyChoices(draft_properties(session, draft), draft_labels(session, draft))


def value_choices(work: UnitOfWork, key: DraftKey) -> ValueChoices:
    """What the draft's value pickers offer."""
    with work.reading() as session:
        draft = _load(session, key)
        return ValueChoices(
            copy.deepcopy(document_of(draft)),
            draft_enumeration_options(session, draft),
            draft_labels(session, draft),
        )


def save(
    work: UnitOfWork,
    key: DraftKey,
    activate: bool,
    actor: Actor,
    default_timezone: str,
    now: datetime,
    access: ChannelAccess,
    index: bool = True,
) -> Finished:
    """Saves the draft as a workflow (finish) and says what became of it (finished).

    First ChannelNotAllowed when its workflow would post where its owner may not: the draft
    is read for that in a transaction of its own, so that no database lock waits while the
    messaging side answers. Raises as finish does, with nothing written; its
    InvalidDefinition as UnsavableDraft.
    """
    with work.reading() as session:
        draft = _load(session, key)
        document = workflow_document(document_of(draft))
        with _unsavable(session, draft):
            parsed = parse_for_team(session, key.team_id, document, default_timezone, now)
    check_channel_access(parsed.definition, access)
    with work.writing() as session:
        draft = _load(session, key, for_update=True)
        with _unsavable(session, draft):
            saved = finish(session, draft, activate, actor, default_timezone, now, index)
        return finished(session, saved, now)


@contextmanager
def _unsavable(session: Session, draft: WizardDraft) -> Iterator[None]:
    """Raises the InvalidDefinition of what it wraps as UnsavableDraft, with the draft's
    labels read in the transaction it happened in."""
    try:
        yield
    except InvalidDefinition as invalid:
        document = copy.deepcopy(document_of(draft))
        raise UnsavableDraft(invalid.problems, document, draft_labels(session, draft)) from invalid


def index_saved(work: UnitOfWork, team_id: str, workflow_id: int) -> None:
    """The criteria indexes of a workflow ``save`` saved with ``index=False``."""
    with work.writing() as session:
        index_workflow(session, team_id, workflow_id)


def note_page_hash(work: UnitOfWork, key: DraftKey, page_hash: str) -> None:
    """Keeps the hash of the page the draft's modal shows ('' for no wizard page)."""
    with work.writing() as session:
        DraftRepository(session).note_page_hash(key.draft_id, key.team_id, key.user_id, page_hash)


def page_hash(work: UnitOfWork, key: DraftKey) -> str | None:
    """The hash last noted for the draft's modal; None when none was, or it is gone."""
    with work.reading() as session:
        return DraftRepository(session).page_hash(key.draft_id, key.team_id, key.user_id)


def _load(session: Session, key: DraftKey, for_update: bool = False) -> WizardDraft:
    return load_draft(session, key.draft_id, key.team_id, key.user_id, for_update)


def _read(session: Session, draft: WizardDraft, read: StepReader) -> DraftDocument:
    properties = draft_properties(session, draft)
    return read(draft_step(draft), document_of(draft), properties, draft.layout)
