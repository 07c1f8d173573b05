"""Validation problems as data: where (a path of keys and indexes into the document), what
(a code) and the facts that word it (parameters). Each surface words a problem its own way:
files and the command line in file terms here (file_text), the dialog in its labels
(bot.slack.views.problem_wording)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TypeGuard

from bot.workflows.readable import shown_value

# ("actions", 2, "due_in_days"), ("criteria", 0, 1, "value"), ("schedule", "month_days"):
# keys of mappings and indexes of lists (counted from 0), outermost first.
Location = tuple[str | int, ...]

# Document keys whose list items are groups of filters: their paths are worded "group 1,
# filter 2" (counted from 1) in files, as the criteria's own messages always were.
CRITERIA_KEYS = frozenset({"criteria", "suppression"})
# The parts of a filter a problem can be about; files name the filter, not the part.
FILTER_PARTS = frozenset({"property", "operator", "value", "key"})


class ProblemCode(StrEnum):
    """What is wrong, whatever the surface that shows it."""

    MISSING = "missing"  # nothing given where something is needed
    EMPTY = "empty"  # an empty text or list
    NOT_VALID = "not_valid"  # a value that is not of the kind expected (params: expected)
    NOT_A_NUMBER = "not_a_number"
    NOT_A_DATE = "not_a_date"
    NOT_A_TIME = "not_a_time"
    NOT_A_LIST = "not_a_list"
    NOT_A_MAPPING = "not_a_mapping"
    OUT_OF_RANGE = "out_of_range"  # params: low, high
    TOO_LONG = "too_long"  # params: length, limit
    TOO_MANY = "too_many"  # params: count, limit
    UNKNOWN_FIELD = "unknown_field"  # a key the document does not have
    NOT_FOR_FREQUENCY = "not_for_frequency"  # a schedule key of another frequency
    UNKNOWN_OPTION = "unknown_option"  # a choice not among the choices (params: choices)
    UNKNOWN_PROPERTY = "unknown_property"  # params: property
    UNKNOWN_OPERATOR = "unknown_operator"
    OPERATOR_NOT_APPLICABLE = "operator_not_applicable"  # params: operator, property
    NEEDS_VALUE = "needs_value"  # an operator without its value (params: operator)
    TAKES_NO_VALUE = "takes_no_value"  # params: operator
    BAD_VALUE = "bad_value"  # a value its property cannot hold (params: property_type)
    REVERSED = "reversed"  # bounds in the wrong order
    BEFORE_START = "before_start"  # params: start
    NEVER_RUNS = "never_runs"
    HAS_PASSED = "has_passed"
    TOO_FAR = "too_far"  # params: limit (a date)
    BOTH_GIVEN = "both_given"  # two keys of which one is allowed
    NEEDS_OTHER = "needs_other"  # a key that means nothing without another
    NOT_COUNTED = "not_counted"  # business-day holidays that no month position counts
    BAD_TEXT = "bad_text"  # NUL characters or unpaired surrogates
    BUILT_IN_NAME = "built_in_name"  # a property name a built-in field has
    BAD_TEMPLATE = "bad_template"  # braces where a value is written as is
    # A placeholder that is none (params: placeholder, property, suggestion)
    UNKNOWN_PLACEHOLDER = "unknown_placeholder"
    UNMATCHED_BRACES = "unmatched_braces"  # "{{ name" (params: excerpt, the text around)
    NO_RECIPIENTS = "no_recipients"
    NOT_A_CHANNEL = "not_a_channel"
    NOT_A_PERSON = "not_a_person"
    NO_ACTIONS = "no_actions"  # an active workflow without actions
    NAME_TAKEN = "name_taken"  # another workflow of the workspace has the name (params: name)
    DUPLICATE = "duplicate"  # a record file's row repeating an earlier row's id
    # Warnings: the document is accepted, but it may not do what its writer expects.
    LEAP_DAY_ONLY = "leap_day_only"  # 29 February (params: what, "schedule" or "pause day")
    NOT_IN_EVERY_MONTH = "not_in_every_month"  # params: day, months (words), never (bool)
    FIFTH_IN_SOME_MONTHS = "fifth_in_some_months"  # params: day (e.g. "Monday"), never (bool)
    NO_MATCHES = "no_matches"  # no record matches the criteria now


# Codes of warnings: documents that have only these are accepted (``ParsedDefinition``'s
# and ``ParsedSchedule``'s ``warnings``); every other code refuses the document.
WARNING_CODES = frozenset(
    {
        ProblemCode.LEAP_DAY_ONLY,
        ProblemCode.NOT_IN_EVERY_MONTH,
        ProblemCode.FIFTH_IN_SOME_MONTHS,
        ProblemCode.NO_MATCHES,
    }
)


@dataclass(frozen=True)
class Problem:
    """One problem: ``params`` hold what the wording needs (shown values are as typed in a
    file, never a repr); ``file_head`` and ``file_tail`` are its file wording, the tail
    saying how to fix it in a file (keys, YAML), its separator included."""

    location: Location
    code: ProblemCode
    file_head: str
    file_tail: str = ""
    params: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def under(self, *outer: str | int) -> Problem:
        """The same problem seen from a document that holds this one's under ``outer``."""
        location = (*outer, *self.location)
        return Problem(location, self.code, self.file_head, self.file_tail, self.params)

    @property
    def field(self) -> str | None:
        """The innermost key of the location: the input a problem is about."""
        keys = [part for part in self.location if isinstance(part, str)]
        return keys[-1] if keys else None


class InvalidDocument(ValueError):
    """A document with problems; each subclass names what kind of document it is."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(self.messages))

    @property
    def messages(self) -> list[str]:
        """Every problem in file terms, "location: message"."""
        return [file_text(problem) for problem in self.problems]


def file_message(problem: Problem) -> str:
    """The problem in file terms without its location."""
    return problem.file_head + problem.file_tail


def file_text(problem: Problem) -> str:
    """The problem in file terms, led by its location as files write it:
    "actions[0].text: ...", "criteria: group 1, filter 2: ...", "settings.pause_days[1]: ..."."""
    where = location_text(problem.location)
    return f"{where}: {file_message(problem)}" if where else file_message(problem)


def location_text(location: Location) -> str:
    """A location as files write it; inside criteria, "group G, filter F" from 1 (criteria
    read alone have locations that start with the group's index)."""
    if location and location[0] in CRITERIA_KEYS:
        rest = criteria_place(location[1:])
        return f"{location[0]}: {rest}" if rest else str(location[0])
    if location and isinstance(location[0], int):
        return criteria_place(location)
    return _path(location)


def counted_text(problem: Problem) -> str:
    """file_text with the location as people count: "action 1, text" for actions[0].text,
    "settings.pause_days, item 2" for settings.pause_days[1], as criteria say "group 1,
    filter 1". Locations themselves stay 0-based paths."""
    where = counted_location(problem.location)
    return f"{where}: {file_message(problem)}" if where else file_message(problem)


def counted_location(location: Location) -> str:
    if location and (location[0] in CRITERIA_KEYS or isinstance(location[0], int)):
        return location_text(location)
    text = ""
    after_number = False
    for index, part in enumerate(location):
        if isinstance(part, int):
            counted = index > 0 and location[index - 1] == "actions"
            text = (
                text.removesuffix("actions") + f"action {part + 1}"
                if counted
                else (f"{text}, item {part + 1}")
            )
            after_number = True
        else:
            text += (", " if after_number else ".") + part if text else part
            after_number = False
    return text


def criteria_place(location: Sequence[str | int]) -> str:
    """ "group 1, filter 2" for (0, 1, ...), "group 1" for (0,), "" for ()."""
    numbers = [part for part in location if isinstance(part, int)]
    names = ("group", "filter")
    return ", ".join(f"{name} {number + 1}" for name, number in zip(names, numbers, strict=False))


def _path(location: Sequence[str | int]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def is_whole_number(value: object) -> TypeGuard[int]:
    """An int of the document, not a bool (YAML's true is an int to Python)."""
    return isinstance(value, int) and not isinstance(value, bool)


def wrong(
    location: Location,
    value: object,
    expected: str,
    code: ProblemCode,
    file_tail: str = "",
    **params: object,
) -> Problem:
    """A value that is not what ``expected`` names: MISSING when there is none, EMPTY when
    it is empty text or an empty list, else ``code`` ("'hourly' is not a frequency")."""
    if value is None:
        return Problem(location, ProblemCode.MISSING, "missing", file_tail, params)
    if value == "" or value == []:
        return Problem(location, ProblemCode.EMPTY, "empty", file_tail, params)
    head = f"{shown_value(value)} is not {expected}"
    return Problem(location, code, head, file_tail, {"value": value, **params})
