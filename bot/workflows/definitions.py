"""Workflow definitions: a workflow's schedule, criteria, actions and settings, parsed from
their document form (YAML file, stored JSON) with every problem listed, and written back."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum, StrEnum
from functools import cache
from typing import Any, ClassVar, Literal, TypeVar, get_args

import holidays as holiday_calendars

from bot.workflows.criteria import MAX_DAYS, Criteria, InvalidCriteria, parse_criteria
from bot.workflows.fields import built_in_name_problem
from bot.workflows.owners import EMAIL, MAX_DM_RECIPIENTS, is_user_group, is_user_id
from bot.workflows.problems import (
    InvalidDocument,
    Location,
    Problem,
    ProblemCode,
    is_whole_number,
    wrong,
)
from bot.workflows.readable import listed, shown_value
from bot.workflows.schedules import InvalidSchedule, ParsedSchedule, Schedule, parse_schedule
from bot.workflows.templates import (
    RUN_DATE,
    InvalidTemplate,
    Template,
    parse_template,
)
from bot.workflows.vocabulary import PropertyType, WorkflowStatus
from storage.properties import (
    InvalidValue,
    StoredValue,
    is_valid_property_name,
    parse_date,
    parse_datetime,
    to_stored,
)

MAX_NAME = 200
MAX_ACTIONS = 20
MAX_TEXT = 3000  # what one Slack section block holds
# Bounded so that next_unpaused_day always finds a day within PAUSE_SEARCH_DAYS: 100 pause
# days (each at most twice in a 366-day window) and a country's holidays leave days free.
MAX_PAUSE_DAYS = 100
PAUSE_SEARCH_DAYS = 366
DIGEST_THRESHOLD = 20
DEFAULT_CATCH_UP_MINUTES = 60
MAX_CATCH_UP_MINUTES = 10_080  # a week: an occurrence missed for longer is not worth sending
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
TASKS_OBJECT_TYPE = "tasks"

# The parts of a workflow document, in the order a file writes them.
DocumentField = Literal[
    "name",
    "object_type",
    "status",
    "owner",
    "schedule",
    "criteria",
    "suppression",
    "actions",
    "settings",
]
FIELDS: tuple[DocumentField, ...] = get_args(DocumentField)
SETTINGS_FIELDS = (
    "summary_channel",
    "summary",
    "pause_days",
    "holidays",
    "on_pause_day",
    "catch_up_minutes",
    "on_stale_source",
    "alert_owner",
)
RUN_DATE_TEMPLATE = re.compile(r"\{\{\s*run\.date\s*\}\}")
_YEARLY = re.compile(r"(\d{2})-(\d{2})")
_ONE_OFF = re.compile(r"\d{4}-\d{2}-\d{2}")
_LEAP_YEAR = 2000
_Choice = TypeVar("_Choice", bound=StrEnum)
_SCHEDULE_EXAMPLE = 'e.g. {frequency: weekly, weekdays: [mon], time: "09:00"}'


class InvalidDefinition(InvalidDocument):
    """A workflow that cannot be saved: ``problems`` holds every Problem, located from the
    document's root; ``messages`` words them in file terms."""


class MessageMode(StrEnum):
    PER_RECORD = "per_record"
    DIGEST = "digest"


class SummaryPolicy(StrEnum):
    ALWAYS = "always"
    WHEN_ENROLLED_OR_FAILED = "when_enrolled_or_failed"
    WHEN_FAILED = "when_failed"

    def wants_summary(self, enrolled: int, failed: int) -> bool:
        if self is SummaryPolicy.ALWAYS:
            return True
        if self is SummaryPolicy.WHEN_FAILED:
            return failed > 0
        return enrolled > 0 or failed > 0


class AlertOwner(StrEnum):
    """When the workflow's owner gets a direct message about a run's failed actions (an
    action whose outcome is unknown counts as failed: its message may be missing)."""

    ANY_FAILURE = "any_failure"
    ALL_FAILED = "all_failed"
    NEVER = "never"

    def wants_alert(self, problems: int, all_failed: bool) -> bool:
        if self is AlertOwner.ANY_FAILURE:
            return problems > 0
        return self is AlertOwner.ALL_FAILED and all_failed


class PauseBehaviour(StrEnum):
    DEFER = "defer"  # run on the next day that is not a pause day
    SKIP = "skip"  # do not run that occurrence at all


class StaleSourceBehaviour(StrEnum):
    """What a run does when the source feeding its type cannot be synced first."""

    RUN = "run"  # go on with the data the bot has, and say how old it is
    POSTPONE = "postpone"  # wait and try the source again, for a bounded time


class RunDateValue(Enum):
    """The value of a set_property action that writes the run's date."""

    RUN_DATE = "{{ run.date }}"


# --- Actions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendChannelMessage:
    """Posts ``text`` to ``channel``; ``mode`` None chooses by the number of records."""

    TYPE: ClassVar[str] = "send_channel_message"
    channel: str
    text: Template
    mode: MessageMode | None = None

    def mode_for(self, record_count: int) -> MessageMode:
        """The mode of a run enrolling ``record_count`` records: per record unless the
        author chose, or the run enrolls more than DIGEST_THRESHOLD records."""
        if self.mode is not None:
            return self.mode
        return MessageMode.DIGEST if record_count > DIGEST_THRESHOLD else MessageMode.PER_RECORD

    @property
    def templates(self) -> tuple[Template, ...]:
        return (self.text,)

    def to_document(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.TYPE, "channel": self.channel, "text": self.text.text}
        if self.mode is not None:
            data["mode"] = self.mode.value
        return data


@dataclass(frozen=True)
class SendOwnerDm:
    """Sends ``text`` to each record's owner; a record without owner is skipped."""

    TYPE: ClassVar[str] = "send_owner_dm"
    text: Template

    @property
    def templates(self) -> tuple[Template, ...]:
        return (self.text,)

    def to_document(self) -> dict[str, Any]:
        return {"type": self.TYPE, "text": self.text.text}


@dataclass(frozen=True)
class SendDm:
    """Sends ``text`` to chosen people by direct message: ``users`` (Slack user ids) and the
    members of ``user_groups`` (ids such as S0123ABCD or handles such as @sales-leads), one
    message per record or a digest, chosen as for SendChannelMessage."""

    TYPE: ClassVar[str] = "send_dm"
    users: tuple[str, ...]
    user_groups: tuple[str, ...]
    text: Template
    mode: MessageMode | None = None

    def mode_for(self, record_count: int) -> MessageMode:
        if self.mode is not None:
            return self.mode
        return MessageMode.DIGEST if record_count > DIGEST_THRESHOLD else MessageMode.PER_RECORD

    @property
    def templates(self) -> tuple[Template, ...]:
        return (self.text,)

    def to_document(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.TYPE}
        if self.users:
            data["users"] = list(self.users)
        if self.user_groups:
            data["user_groups"] = list(self.user_groups)
        data["text"] = self.text.text
        if self.mode is not None:
            data["mode"] = self.mode.value
        return data


@dataclass(frozen=True)
class SetProperty:
    """Sets a property of each record; ``property_type`` is the property's type, inferred
    from the value when the object type does not have the property yet."""

    TYPE: ClassVar[str] = "set_property"
    property_name: str
    property_type: PropertyType
    value: StoredValue | RunDateValue

    def value_on(self, run_date: date) -> StoredValue:
        if isinstance(self.value, RunDateValue):
            return run_date.isoformat()
        return self.value

    @property
    def templates(self) -> tuple[Template, ...]:
        return ()

    def to_document(self) -> dict[str, Any]:
        value = self.value.value if isinstance(self.value, RunDateValue) else self.value
        return {"type": self.TYPE, "property": self.property_name, "value": value}


class TaskPriority(StrEnum):
    """A task's priority, as HubSpot's hs_task_priority names it."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True)
class CreateTask:
    """Creates a task linked to each record, due relative to the run: a record of
    TASKS_OBJECT_TYPE, or a HubSpot task for a type a HubSpot source feeds."""

    TYPE: ClassVar[str] = "create_task"
    title: Template
    due_in_days: int
    body: Template | None = None
    priority: TaskPriority | None = None
    # Whose task it is, by email; None: the record's owner.
    owner: str | None = None

    def due_date(self, run_date: date) -> date:
        return run_date + timedelta(days=self.due_in_days)

    @property
    def templates(self) -> tuple[Template, ...]:
        return (self.title,) if self.body is None else (self.title, self.body)

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "type": self.TYPE,
            "title": self.title.text,
            "due_in_days": self.due_in_days,
        }
        if self.body is not None:
            document["body"] = self.body.text
        if self.priority is not None:
            document["priority"] = self.priority.value.lower()
        if self.owner is not None:
            document["owner"] = self.owner
        return document


Action = SendChannelMessage | SendOwnerDm | SendDm | SetProperty | CreateTask
ACTION_FIELDS: Mapping[str, tuple[str, ...]] = {
    SendChannelMessage.TYPE: ("type", "channel", "text", "mode"),
    SendOwnerDm.TYPE: ("type", "text"),
    SendDm.TYPE: ("type", "users", "user_groups", "text", "mode"),
    SetProperty.TYPE: ("type", "property", "value"),
    CreateTask.TYPE: ("type", "title", "due_in_days", "body", "priority", "owner"),
}


# --- Settings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PauseDay:
    """A day on which the workflow does not run: every year (``year`` None) or once."""

    month: int
    day: int
    year: int | None = None

    def matches(self, day: date) -> bool:
        # A yearly 02-29 matches 29 February only: in other years no day is paused for it.
        return (day.month, day.day) == (self.month, self.day) and self.year in (None, day.year)

    def sort_key(self) -> tuple[int, int, int, int]:
        """Yearly days first, then one-off days in date order."""
        return (self.year is not None, self.year or 0, self.month, self.day)

    def __str__(self) -> str:
        month_day = f"{self.month:02d}-{self.day:02d}"
        return month_day if self.year is None else f"{self.year:04d}-{month_day}"


@dataclass(frozen=True)
class WorkflowSettings:
    summary_channel: str | None = None
    summary: SummaryPolicy = SummaryPolicy.WHEN_ENROLLED_OR_FAILED
    pause_days: tuple[PauseDay, ...] = ()
    holidays: str | None = None  # a country code of the holidays package, e.g. "US"
    on_pause_day: PauseBehaviour = PauseBehaviour.DEFER
    catch_up_minutes: int = DEFAULT_CATCH_UP_MINUTES
    on_stale_source: StaleSourceBehaviour = StaleSourceBehaviour.RUN
    alert_owner: AlertOwner = AlertOwner.ANY_FAILURE

    def is_pause_day(self, day: date) -> bool:
        """Whether ``day`` (a calendar day in the schedule's zone) is a pause day: listed
        in pause_days or a public holiday (observed days included) of the country."""
        if any(pause_day.matches(day) for pause_day in self.pause_days):
            return True
        return self.holidays is not None and day in _holiday_dates(self.holidays, day.year)

    def pause_kind(self, day: date) -> str:
        """What makes ``day`` a pause day, as "is ..." ends: "a pause day" when listed, else
        "a public holiday (Christmas Day, US)" with the holidays package's name for it."""
        if self.holidays is None or any(p.matches(day) for p in self.pause_days):
            return "a pause day"
        name = _holiday_names(self.holidays, day.year).get(day)
        return "a pause day" if name is None else f"a public holiday ({name}, {self.holidays})"

    def next_unpaused_day(self, day: date) -> date:
        """``day`` itself when it is not a pause day, else the first day after it that is not."""
        for offset in range(PAUSE_SEARCH_DAYS + 1):
            candidate = day + timedelta(days=offset)
            if not self.is_pause_day(candidate):
                return candidate
        # Unreachable with at most MAX_PAUSE_DAYS pause days, but never loop for ever.
        raise ValueError(f"every day from {day} for {PAUSE_SEARCH_DAYS} days is a pause day")

    def to_document(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.summary_channel is not None:
            data["summary_channel"] = self.summary_channel
        data["summary"] = self.summary.value
        data["pause_days"] = [str(pause_day) for pause_day in self.pause_days]
        if self.holidays is not None:
            data["holidays"] = self.holidays
        data["on_pause_day"] = self.on_pause_day.value
        data["catch_up_minutes"] = self.catch_up_minutes
        if self.on_stale_source is not StaleSourceBehaviour.RUN:
            # Only when chosen: documents written before the setting existed stay as they were.
            data["on_stale_source"] = self.on_stale_source.value
        if self.alert_owner is not AlertOwner.ANY_FAILURE:
            # Likewise: a document without it reads as the default, any_failure.
            data["alert_owner"] = self.alert_owner.value
        return data


@cache
def _holiday_dates(country: str, year: int) -> frozenset[date]:
    # Building a country's calendar for a year takes milliseconds; runs ask for it repeatedly.
    return frozenset(holiday_calendars.country_holidays(country, years=year))


@cache
def _holiday_names(country: str, year: int) -> dict[date, str]:
    return dict(holiday_calendars.country_holidays(country, years=year).items())


@cache
def supported_countries() -> frozenset[str]:
    """The two-letter country codes the holidays package has calendars for."""
    return frozenset(holiday_calendars.list_supported_countries(include_aliases=False))


# --- The definition -----------------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    object_type: str
    status: WorkflowStatus
    owner: str
    schedule: Schedule
    criteria: Criteria
    suppression: Criteria
    actions: tuple[Action, ...]
    settings: WorkflowSettings = field(default_factory=WorkflowSettings)

    def properties_used(self) -> frozenset[str]:
        """The record properties the workflow reads or writes."""
        used = set(self.criteria.properties_used() | self.suppression.properties_used())
        for action in self.actions:
            for template in action.templates:
                used |= template.properties_used
            if isinstance(action, SetProperty):
                used.add(action.property_name)
        return frozenset(used)


@dataclass(frozen=True)
class ParsedDefinition:
    definition: WorkflowDefinition
    warnings: tuple[Problem, ...] = ()  # codes of WARNING_CODES, located in the document


def to_document(definition: WorkflowDefinition) -> dict[str, Any]:
    """The canonical document form, in FIELDS order; parse_definition reads it back equal."""
    return {
        "name": definition.name,
        "object_type": definition.object_type,
        "status": definition.status.value,
        "owner": definition.owner,
        "schedule": definition.schedule.to_json(),
        "criteria": definition.criteria.to_json(),
        "suppression": definition.suppression.to_json(),
        "actions": [action.to_document() for action in definition.actions],
        "settings": definition.settings.to_document(),
    }


def parse_definition(
    data: Mapping[str, object],
    property_types: Mapping[str, PropertyType],
    known_object_types: Collection[str],
    default_timezone: str,
    now: datetime,
    ended_ok: bool = False,
) -> ParsedDefinition:
    """Validates a workflow document for saving, raising InvalidDefinition with every problem.

    ``property_types`` are those of the document's object type; ``default_timezone`` is
    used when the schedule names none; a schedule must run at least once after ``now``,
    unless ``ended_ok`` and it has run its course (a workflow file exported after it ran).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return _Reader(data, property_types, known_object_types).read(
        lambda schedule: parse_schedule(schedule, default_timezone, now, ended_ok)
    )


def load_definition(
    data: Mapping[str, object],
    property_types: Mapping[str, PropertyType],
    known_object_types: Collection[str],
) -> WorkflowDefinition:
    """A stored document (to_document's output) read back: checked like parse_definition,
    except that its schedule may have no run left (a once schedule that has run)."""
    reader = _Reader(data, property_types, known_object_types)
    return reader.read(lambda schedule: ParsedSchedule(Schedule.from_json(schedule))).definition


def read_settings(raw: object) -> WorkflowSettings:
    """A stored workflow's settings (to_document's) read alone: what listing many workflows
    needs of each (their pause days) without checking each whole definition. Raises
    InvalidDefinition as load_definition would."""
    problems = _Problems()
    settings = _SettingsReader(problems, []).read(raw)
    if settings is None:
        raise InvalidDefinition(problems.found)
    return settings


# --- Parsing ------------------------------------------------------------------------------


_ScheduleReader = Callable[[Mapping[str, object]], ParsedSchedule]


C = ProblemCode


class _Problems:
    """The problems found so far."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, problem: Problem) -> None:
        self.found.append(problem)

    def __len__(self) -> int:
        return len(self.found)


class _Reader:
    """Reads one workflow document, collecting every problem instead of stopping at the first."""

    def __init__(
        self,
        data: Mapping[str, object],
        property_types: Mapping[str, PropertyType],
        known_object_types: Collection[str],
    ) -> None:
        self.data = data
        self.property_types = property_types
        self.known_object_types = known_object_types
        self.problems = _Problems()
        self.warnings: list[Problem] = []

    def read(self, read_schedule: _ScheduleReader) -> ParsedDefinition:
        if not isinstance(self.data, Mapping):
            head = f"{shown_value(self.data)} is not a mapping"
            raise InvalidDefinition([Problem(("workflow",), C.NOT_A_MAPPING, head)])
        _check_fields(self.data, FIELDS, (), self.problems)
        name = self.name()
        object_type = self.object_type()
        # Property names mean nothing without a known object type: leave them unchecked then
        # rather than report every property as unknown.
        types = self.property_types if object_type is not None else None
        # A workflow is a draft until its file says otherwise: importing never starts one.
        raw_status = self.data.get("status") or WorkflowStatus.DRAFT.value
        status = _choice(raw_status, WorkflowStatus, ("status",), self.problems)
        owner = self.owner()
        schedule = self.schedule(read_schedule)
        criteria = self.criteria("criteria", types, required=True)
        suppression = self.criteria("suppression", types, required=False)
        actions = _ActionsReader(self.problems, types).read(self.data.get("actions"), status)
        settings = _SettingsReader(self.problems, self.warnings).read(self.data.get("settings"))
        if self.problems.found:
            raise InvalidDefinition(self.problems.found)
        assert name is not None and object_type is not None and status is not None
        assert owner is not None and schedule is not None and criteria is not None
        assert suppression is not None and actions is not None and settings is not None
        definition = WorkflowDefinition(
            name, object_type, status, owner, schedule, criteria, suppression, actions, settings
        )
        return ParsedDefinition(definition, tuple(self.warnings))

    def name(self) -> str | None:
        raw = self.data.get("name")
        if not isinstance(raw, str) or not raw.strip():
            tail = ": give the workflow a name"
            self.problems.add(wrong(("name",), raw, "a name", C.NOT_VALID, tail))
            return None
        name = raw.strip()
        if len(name) > MAX_NAME:
            self.problems.add(_too_long(("name",), name, MAX_NAME))
        elif problem := _text_problem(("name",), name):
            self.problems.add(problem)
        return name

    def object_type(self) -> str | None:
        raw = self.data.get("object_type")
        known = sorted(self.known_object_types)
        if isinstance(raw, str) and raw in self.known_object_types:
            return raw
        rest = f"known object types: {', '.join(known)}"
        tail = _hinted(raw, known, rest)
        self.problems.add(wrong(("object_type",), raw, "an object type", C.UNKNOWN_OPTION, tail))
        return None

    def owner(self) -> str | None:
        raw = self.data.get("owner")
        if isinstance(raw, str) and is_user_id(raw):
            return raw
        tail = ": use a user id such as U0123ABCD"
        self.problems.add(wrong(("owner",), raw, "a Slack user id", C.NOT_A_PERSON, tail))
        return None

    def schedule(self, read_schedule: _ScheduleReader) -> Schedule | None:
        raw = self.data.get("schedule")
        if not isinstance(raw, Mapping):
            tail = f": {_SCHEDULE_EXAMPLE}"
            self.problems.add(wrong(("schedule",), raw, "a mapping", C.NOT_A_MAPPING, tail))
            return None
        try:
            parsed = read_schedule(raw)
        except InvalidSchedule as error:
            for problem in error.problems:
                self.problems.add(problem.under("schedule"))
            return None
        self.warnings.extend(warning.under("schedule") for warning in parsed.warnings)
        return parsed.schedule

    def criteria(
        self, key: str, types: Mapping[str, PropertyType] | None, required: bool
    ) -> Criteria | None:
        if key not in self.data and not required:
            return Criteria()
        raw = self.data.get(key)
        if raw is None:
            tail = (
                ": write {} to enroll every record, or e.g. "
                "{any: [{all: [{property: stage, operator: eq, value: won}]}]}"
            )
            self.problems.add(Problem((key,), C.MISSING, "missing", tail))
            return None
        if types is None:
            return Criteria()  # unchecked: the object type is wrong, and was reported
        try:
            return parse_criteria(raw, types)
        except InvalidCriteria as error:
            for problem in error.problems:
                self.problems.add(problem.under(key))
            return None


class _ActionsReader:
    """Reads the actions list; locations are ``actions[i]``, counted from 0 as in a path."""

    def __init__(self, problems: _Problems, types: Mapping[str, PropertyType] | None) -> None:
        self.problems = problems
        self.types = types

    def read(self, raw: object, status: WorkflowStatus | None) -> tuple[Action, ...] | None:
        if not isinstance(raw, list):
            tail = (
                ': list the actions, e.g. [{type: send_owner_dm, text: "Please update {{ name }}"}]'
            )
            self.problems.add(wrong(("actions",), raw, "a list", C.NOT_A_LIST, tail))
            return None
        if not raw and status is not WorkflowStatus.DRAFT:
            tail = ": add an action (only a draft may have none)"
            self.problems.add(Problem(("actions",), C.NO_ACTIONS, "empty", tail))
        if len(raw) > MAX_ACTIONS:
            self.problems.add(_too_many(("actions",), len(raw), "actions", MAX_ACTIONS))
        before = len(self.problems)
        actions = [self.action(item, ("actions", index)) for index, item in enumerate(raw)]
        if len(self.problems) > before:
            return None
        return tuple(action for action in actions if action is not None)

    def action(self, raw: object, location: Location) -> Action | None:
        if not isinstance(raw, Mapping):
            head = f"{shown_value(raw)} is not a mapping with a type"
            self.problems.add(Problem(location, C.NOT_A_MAPPING, head))
            return None
        kind = raw.get("type")
        if not isinstance(kind, str) or kind not in ACTION_FIELDS:
            tail = _hinted(kind, ACTION_FIELDS, f"use {listed(ACTION_FIELDS)}")
            where = (*location, "type")
            self.problems.add(wrong(where, kind, "an action type", C.UNKNOWN_OPTION, tail))
            return None
        _check_fields(raw, ACTION_FIELDS[kind], location, self.problems)
        if kind == SendChannelMessage.TYPE:
            return self.send_channel_message(raw, location)
        if kind == SendOwnerDm.TYPE:
            text = self.template(raw, "text", location)
            return None if text is None else SendOwnerDm(text)
        if kind == SendDm.TYPE:
            return self.send_dm(raw, location)
        if kind == SetProperty.TYPE:
            return _SetPropertyReader(self.problems, self.types or {}, location).read(raw)
        return self.create_task(raw, location)

    def send_channel_message(self, raw: Mapping[Any, object], location: Location) -> Action | None:
        channel = _channel(raw.get("channel"), (*location, "channel"), self.problems)
        text = self.template(raw, "text", location)
        mode = None
        if raw.get("mode") is not None:
            mode = _choice(raw["mode"], MessageMode, (*location, "mode"), self.problems)
        if channel is None or text is None or (mode is None and raw.get("mode") is not None):
            return None
        return SendChannelMessage(channel, text, mode)

    def send_dm(self, raw: Mapping[Any, object], location: Location) -> Action | None:
        before = len(self.problems)
        users = self.people(raw, "users", location, is_user_id, "a Slack user id")
        groups = self.people(raw, "user_groups", location, is_user_group, "a user group")
        if users is not None and groups is not None and not users and not groups:
            tail = (
                ": list people in users (Slack user ids such as U0123ABCD) "
                'or user groups in user_groups (handles such as "@sales-leads")'
            )
            self.problems.add(Problem(location, C.NO_RECIPIENTS, "no one to send to", tail))
        text = self.template(raw, "text", location)
        mode = None
        if raw.get("mode") is not None:
            mode = _choice(raw["mode"], MessageMode, (*location, "mode"), self.problems)
        if len(self.problems) > before or users is None or groups is None:
            return None
        assert text is not None
        return SendDm(users, groups, text, mode)

    def people(
        self,
        raw: Mapping[Any, object],
        key: str,
        location: Location,
        valid: Callable[[str], object],
        what: str,
    ) -> tuple[str, ...] | None:
        """The ids or handles listed under ``key`` (none when the key is missing), each
        once; None, with the problems added, when they are not all valid."""
        where = (*location, key)
        tail = f": {_USERS_HELP if key == 'users' else _USER_GROUPS_HELP}"
        listed = raw.get(key)
        if listed is None:
            return ()
        if not isinstance(listed, list):
            self.problems.add(wrong(where, listed, "a list", C.NOT_A_LIST, tail))
            return None
        if len(listed) > MAX_DM_RECIPIENTS:
            self.problems.add(_too_many(where, len(listed), "entries", MAX_DM_RECIPIENTS))
            return None
        before = len(self.problems)
        for index, item in enumerate(listed):
            if not (isinstance(item, str) and valid(item)):
                self.problems.add(wrong((*where, index), item, what, C.NOT_A_PERSON, tail))
        if len(self.problems) > before:
            return None
        return tuple(dict.fromkeys(str(item) for item in listed))

    def create_task(self, raw: Mapping[Any, object], location: Location) -> Action | None:
        title = self.template(raw, "title", location)
        days = raw.get("due_in_days")
        if not (is_whole_number(days) and 0 <= days <= MAX_DAYS):
            tail = f": use a whole number from 0 (due on the run's day) to {MAX_DAYS}"
            where = (*location, "due_in_days")
            code = C.OUT_OF_RANGE if is_whole_number(days) else C.NOT_A_NUMBER
            problem = wrong(where, days, "a number of days", code, tail, low=0, high=MAX_DAYS)
            self.problems.add(problem)
            return None
        before = len(self.problems)
        body = None if raw.get("body") is None else self.template(raw, "body", location)
        priority = None
        if raw.get("priority") is not None:
            priority = _task_priority(raw["priority"], (*location, "priority"), self.problems)
        owner = None
        if raw.get("owner") is not None:
            owner = _task_owner(raw["owner"], (*location, "owner"), self.problems)
        if title is None or len(self.problems) > before:
            return None
        return CreateTask(title, days, body, priority, owner)

    def template(self, raw: Mapping[Any, object], key: str, location: Location) -> Template | None:
        text = raw.get(key)
        where = (*location, key)
        if not isinstance(text, str) or not text.strip():
            tail = ": write the text to send"
            self.problems.add(wrong(where, text, "text", C.NOT_VALID, tail))
            return None
        if len(text) > MAX_TEXT:
            self.problems.add(_too_long(where, text, MAX_TEXT))
            return None
        if problem := _text_problem(where, text):
            self.problems.add(problem)
            return None
        try:
            return parse_template(text, None if self.types is None else list(self.types))
        except InvalidTemplate as error:
            for problem in error.problems:
                self.problems.add(problem.under(*where))
            return None


class _SetPropertyReader:
    def __init__(
        self, problems: _Problems, types: Mapping[str, PropertyType], location: Location
    ) -> None:
        self.problems = problems
        self.types = types
        self.location = location

    def read(self, raw: Mapping[Any, object]) -> SetProperty | None:
        name = raw.get("property")
        at_property = (*self.location, "property")
        at_value = (*self.location, "value")
        if not isinstance(name, str) or not is_valid_property_name(name):
            tail = (
                ": use lower-case letters, digits and _, starting with a letter, e.g. last_reminded"
            )
            self.problems.add(wrong(at_property, name, "a property name", C.NOT_VALID, tail))
            return None
        if (problem := built_in_name_problem(name)) is not None:
            tail = " (set_property sets properties)"
            self.problems.add(
                Problem(at_property, C.BUILT_IN_NAME, problem, tail, {"property": name})
            )
            return None
        if "value" not in raw or raw["value"] is None:
            tail = ': give the value to set, or "{{ run.date }}" for the date of the run'
            self.problems.add(Problem(at_value, C.MISSING, "missing", tail))
            return None
        value = raw["value"]
        if isinstance(value, str) and RUN_DATE_TEMPLATE.fullmatch(value.strip()):
            return self.run_date(name)
        if isinstance(value, str) and ("{{" in value or "}}" in value):
            tail = (
                f": a set_property value can only be {{{{ {RUN_DATE} }}}} or a value written as is"
            )
            self.problems.add(Problem(at_value, C.BAD_TEMPLATE, shown_value(value), tail))
            return None
        return self.plain(name, value)

    def run_date(self, name: str) -> SetProperty | None:
        existing = self.types.get(name)
        if existing in (None, PropertyType.DATE, PropertyType.STRING):
            return SetProperty(name, existing or PropertyType.DATE, RunDateValue.RUN_DATE)
        head = f"{{{{ {RUN_DATE} }}}} is a date, but {name!r} is a {existing} property"
        tail = ": set a date or string property to it"
        params = {"property": name, "property_type": existing, "run_date": True}
        self.problems.add(Problem((*self.location, "value"), C.BAD_VALUE, head, tail, params))
        return None

    def plain(self, name: str, value: object) -> SetProperty | None:
        property_type = self.types.get(name) or _inferred_type(value)
        where = (*self.location, "value")
        if property_type is None:
            tail = ": use text, a number, true/false or a date"
            self.problems.add(wrong(where, value, "a value", C.NOT_VALID, tail))
            return None
        if isinstance(value, str) and (problem := _text_problem(where, value)):
            self.problems.add(problem)
            return None
        try:
            return SetProperty(name, property_type, to_stored(value, property_type))
        except InvalidValue as error:
            tail = f": {name!r} is a {property_type} property"
            params = {"property": name, "property_type": property_type, "value": value}
            self.problems.add(Problem(where, C.BAD_VALUE, str(error), tail, params))
            return None


def _inferred_type(value: object) -> PropertyType | None:
    """The type a new property gets from its first value; strings that read as a date or
    datetime make one, as in record imports."""
    if isinstance(value, bool):
        return PropertyType.BOOLEAN
    if isinstance(value, int | float):
        return PropertyType.NUMBER
    if not isinstance(value, str | date):
        return None
    for candidate, parse in (
        (PropertyType.DATE, parse_date),
        (PropertyType.DATETIME, parse_datetime),
    ):
        try:
            parse(value)
        except InvalidValue:
            continue
        return candidate
    return PropertyType.STRING if isinstance(value, str) else None


class _SettingsReader:
    def __init__(self, problems: _Problems, warnings: list[Problem]) -> None:
        self.problems = problems
        self.warnings = warnings

    def read(self, raw: object) -> WorkflowSettings | None:
        if raw is None:
            return WorkflowSettings()
        if not isinstance(raw, Mapping):
            head = f"{shown_value(raw)} is not a mapping of {listed(SETTINGS_FIELDS)}"
            self.problems.add(Problem(("settings",), C.NOT_A_MAPPING, head))
            return None
        before = len(self.problems)
        _check_fields(raw, SETTINGS_FIELDS, ("settings",), self.problems)
        defaults = WorkflowSettings()
        settings = WorkflowSettings(
            summary_channel=self.summary_channel(raw.get("summary_channel")),
            summary=self.choice(raw, "summary", defaults.summary),
            pause_days=self.pause_days(raw.get("pause_days")),
            holidays=self.holidays(raw.get("holidays")),
            on_pause_day=self.choice(raw, "on_pause_day", defaults.on_pause_day),
            catch_up_minutes=self.catch_up_minutes(raw.get("catch_up_minutes")),
            on_stale_source=self.choice(raw, "on_stale_source", defaults.on_stale_source),
            alert_owner=self.choice(raw, "alert_owner", defaults.alert_owner),
        )
        return None if len(self.problems) > before else settings

    def choice(self, raw: Mapping[Any, object], key: str, default: _Choice) -> _Choice:
        if raw.get(key) is None:
            return default
        chosen = _choice(raw[key], type(default), ("settings", key), self.problems)
        return default if chosen is None else chosen

    def summary_channel(self, raw: object) -> str | None:
        if raw is None:
            return None
        return _channel(raw, ("settings", "summary_channel"), self.problems)

    def pause_days(self, raw: object) -> tuple[PauseDay, ...]:
        if raw is None:
            return ()
        where: Location = ("settings", "pause_days")
        tail = f": {_PAUSE_DAY_HELP}"
        if not isinstance(raw, list):
            self.problems.add(wrong(where, raw, "a list", C.NOT_A_LIST, tail))
            return ()
        if len(raw) > MAX_PAUSE_DAYS:
            self.problems.add(_too_many(where, len(raw), "days", MAX_PAUSE_DAYS))
        days = {_pause_day(item) for item in raw}
        for index, item in enumerate(raw):
            if _pause_day(item) is None:
                self.problems.add(wrong((*where, index), item, "a day", C.NOT_A_DATE, tail))
        if PauseDay(2, 29) in days:
            head = "02-29 exists only in leap years: in other years no day is paused for it"
            params = {"what": "pause day"}
            self.warnings.append(Problem(where, C.LEAP_DAY_ONLY, head, params=params))
        return tuple(sorted((d for d in days if d is not None), key=PauseDay.sort_key))

    def holidays(self, raw: object) -> str | None:
        if raw is None:
            return None
        if isinstance(raw, str) and raw in supported_countries():
            return raw
        where = ("settings", "holidays")
        tail = _country_hint(raw)
        self.problems.add(wrong(where, raw, "a country code", C.UNKNOWN_OPTION, tail))
        return None

    def catch_up_minutes(self, raw: object) -> int:
        if raw is None:
            return DEFAULT_CATCH_UP_MINUTES
        if is_whole_number(raw) and 0 <= raw <= MAX_CATCH_UP_MINUTES:
            return raw
        tail = f": use a whole number from 0 (run only on time) to {MAX_CATCH_UP_MINUTES} (a week)"
        code = C.OUT_OF_RANGE if is_whole_number(raw) else C.NOT_A_NUMBER
        where = ("settings", "catch_up_minutes")
        problem = wrong(
            where, raw, "a number of minutes", code, tail, low=0, high=MAX_CATCH_UP_MINUTES
        )
        self.problems.add(problem)
        return DEFAULT_CATCH_UP_MINUTES


_USERS_HELP = (
    "list Slack user ids such as U0123ABCD (in Slack: a person's profile, ⋮, Copy member ID)"
)
_USER_GROUPS_HELP = (
    'list user group handles such as "@sales-leads" (in quotes) or ids such as S0123ABCD'
)
_PAUSE_DAY_HELP = (
    'use "MM-DD" for a day every year (e.g. "12-25") or "YYYY-MM-DD" for one day '
    '(e.g. "2026-11-26"), in quotes'
)


def _pause_day(raw: object) -> PauseDay | None:
    if not isinstance(raw, str):
        return None
    try:
        if match := _YEARLY.fullmatch(raw):
            # Checked against a leap year, so that 02-29 is a day.
            checked = date(_LEAP_YEAR, int(match[1]), int(match[2]))
            return PauseDay(checked.month, checked.day)
        if _ONE_OFF.fullmatch(raw):
            day = date.fromisoformat(raw)
            return PauseDay(day.month, day.day, day.year)
    except ValueError:
        return None
    return None


def _country_hint(raw: object) -> str:
    if not isinstance(raw, str):
        return ": use a two-letter country code such as US, GB or DE, in quotes"
    try:
        # Aliases ("USA", "UK") and lower case name a country, but the document keeps one form.
        code = holiday_calendars.country_holidays(raw.upper()).country
    except NotImplementedError:
        close = difflib.get_close_matches(raw.upper(), sorted(supported_countries()), n=3)
        advice = "use a two-letter country code such as US, GB or DE"
        return f"; did you mean {listed(close)}? {advice}" if close else f": {advice}"
    return f": write {code}"


def _channel(raw: object, location: Location, problems: _Problems) -> str | None:
    if isinstance(raw, str) and CHANNEL_ID.fullmatch(raw):
        return raw
    tail = (
        ": use the channel's id such as C0123ABCD (in Slack: channel details, at the bottom), "
        "not its name"
    )
    problems.add(wrong(location, raw, "a channel id", C.NOT_A_CHANNEL, tail))
    return None


def _choice(
    raw: object, choices: type[_Choice], location: Location, problems: _Problems
) -> _Choice | None:
    values = [choice.value for choice in choices]
    if isinstance(raw, str) and raw in values:
        return choices(raw)
    tail = _hinted(raw, values, f"use {listed(values)}")
    problems.add(wrong(location, raw, "a choice", C.UNKNOWN_OPTION, tail, choices=values))
    return None


def _task_priority(raw: object, location: Location, problems: _Problems) -> TaskPriority | None:
    """low, medium or high, in any case (HubSpot's own LOW, MEDIUM, HIGH too)."""
    if isinstance(raw, str) and raw.strip().upper() in TaskPriority.__members__:
        return TaskPriority(raw.strip().upper())
    values = [priority.value.lower() for priority in TaskPriority]
    tail = _hinted(raw, values, f"use {listed(values)}")
    problems.add(wrong(location, raw, "a priority", C.UNKNOWN_OPTION, tail, choices=values))
    return None


def _task_owner(raw: object, location: Location, problems: _Problems) -> str | None:
    """The email of the task's owner (whether HubSpot knows it is checked where the type's
    source is known: at save, and again at each run)."""
    if isinstance(raw, str) and EMAIL.match(raw.strip()):
        return raw.strip()
    tail = ": write the owner's email address, or leave it out for the record's owner"
    problems.add(wrong(location, raw, "an email address", C.NOT_VALID, tail))
    return None


def _check_fields(
    data: Mapping[Any, object], known: tuple[str, ...], location: Location, problems: _Problems
) -> None:
    for key in data:
        if key not in known:
            tail = _hinted(key, known, f"fields: {', '.join(known)}")
            where = (*location, str(key))
            problems.add(Problem(where, C.UNKNOWN_FIELD, "unknown field", tail, {"key": key}))


def _hinted(raw: object, choices: Collection[str], rest: str) -> str:
    """ "; rest", led by the closest choice to ``raw`` as a guess when there is one."""
    close = difflib.get_close_matches(raw, list(choices), n=1) if isinstance(raw, str) else []
    return f"; did you mean {close[0]}? {rest}" if close else f"; {rest}"


def _text_problem(location: Location, text: str) -> Problem | None:
    # Neither database stores NUL in text, and UTF-8 cannot encode lone surrogates.
    if "\x00" in text:
        return Problem(location, C.BAD_TEXT, "text cannot contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return Problem(location, C.BAD_TEXT, "text cannot contain unpaired surrogates")
    return None


def _too_long(location: Location, text: str, limit: int) -> Problem:
    head = f"{len(text)} characters is longer than {limit}"
    return Problem(location, C.TOO_LONG, head, "", {"length": len(text), "limit": limit})


def _too_many(location: Location, count: int, things: str, limit: int) -> Problem:
    head = f"{count} {things} is more than the {limit} allowed"
    return Problem(location, C.TOO_MANY, head, "", {"count": count, "limit": limit})
