"""The wizard draft's document, typed: the workflow document of the YAML files (name, object
type, schedule, criteria, actions, settings, suppression) as far as the dialog filled it in,
plus what only the dialog keeps (``set_aside``).

TypedDicts rather than dataclasses: the document is JSON in ``wizard_drafts`` and the same
shape as the workflow files and ``definitions.to_document``, and the dialog keeps whatever
the user entered, valid or not, for the domain's reader to report on. TypedDicts type that
JSON as it is, with no conversion to write or keep in step, and ``parse_definition`` reads
them as any other document. Every part is ``total=False``: a step not reached, an input left
empty or a filter row just added has no value yet. Values the user types where a number is
wanted ("lots" days) are typed as the text they may be.
"""

from __future__ import annotations

from typing import Final, Literal, TypedDict, TypeGuard

from storage.properties import StoredValue

# Draft only, never checked nor saved: the schedule's days a new choice in the dialog set
# aside, to restore when that choice is made again (weekly Mon+Thu -> monthly -> weekly).
SET_ASIDE: Final = "set_aside"

# A whole number, or the text typed in its place (the check names what is wrong with it).
NumberAsTyped = int | str


class MonthPositionDocument(TypedDict):
    """A flexible day of the month: ``ordinal`` (schedules.Ordinal) ``day`` (PositionDay)."""

    ordinal: str
    day: str


class ScheduleDocument(TypedDict, total=False):
    """A schedule (schedules.KNOWN_FIELDS): ``frequency`` and its own fields."""

    frequency: str  # daily, weekly, monthly, annually, once (schedules.Frequency)
    time: str  # HH:MM, one time of day
    times: list[str]  # several times of day, as typed
    timezone: str  # an IANA name
    date: str  # once: YYYY-MM-DD
    weekdays: list[str]  # weekly: mon...sun
    month_days: list[int]  # monthly: 1...31
    month_positions: list[MonthPositionDocument]  # monthly
    months: list[int]  # monthly: 1...12, none for every month
    holidays: str  # monthly: the country whose public holidays are not business days
    subdivision: str  # a region of that country
    month: int  # annually
    day: int  # annually
    interval: NumberAsTyped  # every n periods (repeating frequencies)
    start_date: str  # YYYY-MM-DD
    end_date: str  # YYYY-MM-DD


# A filter's value: one value, or a list (is any of, between). Text the dialog could not
# convert for the property's type stays text.
FilterValue = StoredValue | list[StoredValue]


class FilterDocument(TypedDict, total=False):
    """One filter row; a row being filled in may lack any part."""

    property: str
    operator: str  # criteria.Operator, or what a file wrote in its place
    value: FilterValue


class GroupDocument(TypedDict):
    """The filters that must all match."""

    all: list[FilterDocument]


# The two parts of the document that are criteria.
CriteriaField = Literal["criteria", "suppression"]


class CriteriaDocument(TypedDict, total=False):
    """Criteria or suppression: any of the groups matches; no groups (``{}``): every record."""

    any: list[GroupDocument]


# The fields an action of some type has besides its type (definitions.ACTION_FIELDS).
ActionField = Literal[
    "channel",
    "text",
    "mode",
    "users",
    "user_groups",
    "property",
    "value",
    "title",
    "due_in_days",
    "body",
    "priority",
    "owner",
]


class ActionDocument(TypedDict, total=False):
    """One action: ``type`` and the fields of its type, as far as filled in. One shape for
    every type, since the dialog edits an action input by input and keeps a half-filled one;
    definitions.ACTION_FIELDS says which type has which field.

    send_channel_message: channel, text, mode; send_owner_dm: text; send_dm: users,
    user_groups, text, mode; set_property: property, value; create_task: title, body,
    due_in_days, priority, owner."""

    type: str  # definitions.ACTION_FIELDS' keys, or what a file wrote in its place
    channel: str  # a channel id
    text: str  # a template
    mode: str  # definitions.MessageMode; none: chosen by the number of records
    users: list[str]  # Slack user ids
    user_groups: list[str]  # handles or ids
    property: str
    value: StoredValue  # or "{{ run.date }}"
    title: str  # a template
    due_in_days: NumberAsTyped
    body: str  # a template
    priority: str  # low, medium, high
    owner: str  # an email


# An item of a document's actions: an action, or, where a hand-written file put something
# else (a string, a number), that as it is: the dialog shows it as an action it does not
# know, and keeps it. Read its fields only once is_action says it is one.
ActionItem = ActionDocument | object


def is_action(item: object) -> TypeGuard[ActionDocument]:
    """Whether an item of the actions is an action (its fields may still be anything)."""
    return isinstance(item, dict)


class SettingsDocument(TypedDict, total=False):
    """The settings (definitions.SETTINGS_FIELDS); one left out has its default."""

    summary_channel: str
    summary: str  # definitions.SummaryPolicy
    pause_days: list[str]  # MM-DD or YYYY-MM-DD, as typed
    holidays: str  # a country code: its public holidays are pause days
    on_pause_day: str  # definitions.PauseBehaviour
    catch_up_minutes: NumberAsTyped
    on_stale_source: str  # definitions.StaleSourceBehaviour
    alert_owner: str  # definitions.AlertOwner


class SetAside(TypedDict, total=False):
    """What the dialog keeps aside to restore: the schedule's days of another choice."""

    schedule: ScheduleDocument


class DraftDocument(TypedDict, total=False):
    """The workflow document as far as the wizard filled it in, and ``set_aside``."""

    name: str
    object_type: str
    status: str  # definitions: a WorkflowStatus; set only to check or save the draft
    owner: str  # a Slack user id
    schedule: ScheduleDocument
    criteria: CriteriaDocument
    suppression: CriteriaDocument
    actions: list[ActionItem]
    settings: SettingsDocument
    set_aside: SetAside


# --- Its parts, read leniently ------------------------------------------------------------
# A document written by hand (a file, an old draft) may hold anything where a part belongs:
# the dialog then shows that part empty, and the domain's reader says what is wrong. A part
# is given as its TypedDict only when it is a JSON object (a dict, as JSON is read); its
# fields are still as the file wrote them, so each reader of a field checks its type. An
# item of the actions may be anything (ActionItem).


def schedule_of(document: DraftDocument) -> ScheduleDocument:
    """The document's schedule; empty when it has none, or something else is there."""
    schedule = document.get("schedule")
    return schedule if isinstance(schedule, dict) else {}


def criteria_of(document: DraftDocument, field: CriteriaField) -> CriteriaDocument:
    """The document's criteria or suppression; empty (every record) likewise."""
    criteria = document.get(field)
    return criteria if isinstance(criteria, dict) else {}


def actions_of(document: DraftDocument) -> list[ActionItem]:
    """A copy of the document's list of actions (its items as they are: see ActionItem);
    empty likewise."""
    actions = document.get("actions")
    return list(actions) if isinstance(actions, list) else []


def settings_of(document: DraftDocument) -> SettingsDocument:
    """The document's settings; empty (the defaults) likewise."""
    settings = document.get("settings")
    return settings if isinstance(settings, dict) else {}


def set_aside_of(document: DraftDocument) -> SetAside:
    """What the dialog set aside in the document; nothing likewise."""
    aside = document.get(SET_ASIDE)
    schedule = aside.get("schedule") if isinstance(aside, dict) else None
    return {"schedule": schedule} if isinstance(schedule, dict) else {}
