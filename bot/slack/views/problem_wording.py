"""The dialog's wording of validation problems: each Problem said in the words of the input
it lands on (its label, the options the dialog offers), never in the file's keys, operator
codes or quoting. Files and the command line word the same problems in file terms
(bot.workflows.problems.file_text)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date

from bot.slack.ids import SLASH_COMMAND
from bot.workflows.criteria import Operator
from bot.workflows.problems import WARNING_CODES, Problem, ProblemCode
from bot.workflows.property_labels import NO_LABELS, PropertyLabels
from bot.workflows.schedules import MONTH_NAMES
from bot.workflows.templates import RUN_DATE
from bot.workflows.vocabulary import PropertyType
from bot.workflows.wording import OPERATOR_WORDS

C = ProblemCode

# What to do about an input left empty (or holding only spaces), by place ("root.field").
_FILL_IN: Mapping[str, str] = {
    "name.name": "Give the workflow a name.",
    "object_type.object_type": "Choose the type of records the workflow runs on.",
    "schedule.frequency": "Choose how often the workflow runs.",
    "schedule.weekdays": "Choose at least one day of the week.",
    "schedule.month_days": "Choose at least one day of the month.",
    "schedule.month_positions": "Choose at least one day, e.g. the last weekday.",
    "schedule.month": "Choose a month.",
    "schedule.day": "Choose a day of the month.",
    "schedule.date": "Choose the date of the run.",
    "schedule.time": "Choose the time of day.",
    "schedule.timezone": "Choose a time zone.",
    "actions.actions": "Add at least one action: what the workflow does for each record.",
    "actions.channel": "Choose the channel to post in.",
    "actions.text": "Write the message to send.",
    "actions.title": "Write the task's title.",
    "actions.property": "Write the name of the property to set, e.g. last_reminded.",
    "actions.value": "Write the value to set.",
    "actions.due_in_days": "Write in how many days the task is due, e.g. 3.",
    "criteria.property": "Choose a property.",
    "criteria.operator": "Choose a condition.",
    "suppression.property": "Choose a property.",
    "suppression.operator": "Choose a condition.",
}
# What a value of each type looks like, as the dialog's hints show it.
_TYPE_NEEDS: Mapping[PropertyType, str] = {
    PropertyType.NUMBER: "a number, e.g. 4000",
    PropertyType.BOOLEAN: "true or false",
    PropertyType.DATE: "a date, e.g. 2026-03-01",
    PropertyType.DATETIME: "a date and time with a UTC offset, e.g. 2026-03-01T09:00:00Z",
    PropertyType.STRING: "text",
    PropertyType.ENUMERATION: "one of its options",
}
_DAY_WORDS = "today, yesterday or tomorrow"


def dialog_text(problem: Problem, label: str, property_labels: PropertyLabels = NO_LABELS) -> str:
    """The problem as the dialog shows it under the input labelled ``label``; a property it
    names is named as the dialog's pickers show it, by its label where it has one."""
    return _sentence(_WORDINGS[problem.code](_labelled(problem, property_labels), label))


def _labelled(problem: Problem, property_labels: PropertyLabels) -> Problem:
    """The problem naming its property by its label ("Deal stage" for dealstage)."""
    name = problem.params.get("property")
    label = property_labels.names.get(name) if isinstance(name, str) else None
    if not label or label == name:
        return problem
    return replace(problem, params={**problem.params, "property": label})


def dialog_warning(warning: Problem) -> str:
    """A warning (a code of WARNING_CODES) as the dialog shows it beside a step, the review
    or the saved notice: it is on no input (the workflow saves anyway), so no label."""
    assert warning.code in WARNING_CODES, warning.code
    return _sentence(_WORDINGS[warning.code](warning, "It"))


def place_of(problem: Problem) -> str:
    """ "root.field": the document field the problem is in and its innermost key."""
    root = problem.location[0] if problem.location else ""
    return f"{root}.{problem.field or root}"


def _fill_in(problem: Problem, label: str) -> str:
    return _FILL_IN.get(place_of(problem), f"Fill in {label}.")


def _not_valid(problem: Problem, label: str) -> str:
    place = place_of(problem)
    if place in ("name.name", "actions.text", "actions.title"):
        return _fill_in(problem, label)  # only spaces: nothing written
    if place == "actions.property":
        return (
            f"{label} needs lower-case letters, digits and _, starting with a letter, "
            "e.g. last_reminded."
        )
    if place == "actions.value":
        return f"{label} needs text, a number, true or false, or a date."
    if place == "actions.owner":
        return (
            f"{label} needs an email address, e.g. ana@example.com, or leave it empty for "
            "the record's owner."
        )
    if place.endswith(".month_positions"):
        return "Choose days among the options offered."
    if problem.params.get("operator") is Operator.BETWEEN:
        return f"{label} needs two values separated by a comma, low first."
    return f"{label} is not something this form can use: choose or write it again."


def _whole_number(problem: Problem, label: str) -> str:
    low, high = problem.params.get("low"), problem.params.get("high")
    month, day = problem.params.get("month"), problem.params.get("value")
    if place_of(problem) == "schedule.day" and month and isinstance(day, int):
        return f"{month} has no day {day}: choose a day from {low} to {high}."
    if low is None or high is None:
        return f"{label} needs whole numbers from the choices offered."
    return f"{label} needs a whole number from {low} to {high}."


def _not_a_date(problem: Problem, label: str) -> str:
    if place_of(problem) == "settings.pause_days":
        index = problem.location[-1]
        number = index + 1 if isinstance(index, int) else 1
        value = problem.params.get("value")
        return (
            f"Pause day {number} ({value}) is not a day: write 12-25 for every year "
            "or 2026-11-26 for one day."
        )
    return f"{label} needs a date, e.g. 2026-12-24."


def _too_long(problem: Problem, label: str) -> str:
    length, limit = problem.params.get("length"), problem.params.get("limit")
    return f"{label} has {length} characters: at most {limit} fit."


def _too_many(problem: Problem, label: str) -> str:
    count, limit = problem.params.get("count"), problem.params.get("limit")
    return f"{label} has {count}: at most {limit} are allowed."


def _unknown_option(problem: Problem, label: str) -> str:
    if place_of(problem).endswith(".weekdays"):
        return "Choose at least one day of the week."
    if place_of(problem) == "actions.type":
        return (
            "This form does not know this kind of action: remove it, or edit it in the "
            "workflow's file."
        )
    return f"Choose {label} among the options offered."


def _subject(problem: Problem, label: str) -> str:
    """What a value problem is about: the property it compares or sets, else the input."""
    name = _property(problem)
    return name or label


def _property(problem: Problem) -> str | None:
    """The property a problem names, as written (lower case: never at a sentence's start,
    where it would be capitalised into a name the records do not have)."""
    name = problem.params.get("property")
    return name if isinstance(name, str) and name else None


def _operator_words(problem: Problem) -> str:
    operator = problem.params.get("operator")
    words = OPERATOR_WORDS[operator] if isinstance(operator, Operator) else "this condition"
    return f"“{words}”"


def _bad_value(problem: Problem, label: str) -> str:
    name = _property(problem)
    property_type = problem.params.get("property_type")
    if not isinstance(property_type, PropertyType):
        return f"{label} does not fit the property: check what it holds."
    needs = _TYPE_NEEDS[property_type]
    if problem.params.get("run_date"):
        holder = f"The property {name}" if name else label
        return f"{holder} holds {needs}, not the run's date: choose a date property."
    if problem.params.get("day_words"):  # before, after and between take them
        needs = f"{needs}, or {_DAY_WORDS}"
    if name:
        return f"The value for {name} needs to be {needs}."
    return f"{label} needs {needs}."


def _needs_value(problem: Problem, label: str) -> str:
    return f"Pick a value for {_operator_words(problem)}."


def _takes_no_value(problem: Problem, label: str) -> str:
    return f"{_operator_words(problem)} takes no value: choose another condition."


def _operator_not_applicable(problem: Problem, label: str) -> str:
    subject = _subject(problem, label)
    return f"{_operator_words(problem)} does not apply to {subject}: choose another condition."


def _unknown_property(problem: Problem, label: str) -> str:
    return f"The records have no property {_subject(problem, label)}: choose another."


def _unknown_placeholder(problem: Problem, label: str) -> str:
    # Placeholders are what the user types in the dialog too: they are shown as typed.
    shown, suggestion = problem.params.get("placeholder"), problem.params.get("suggestion")
    name = problem.params.get("property")
    if name:
        what = f"{label} has {shown}, but the records have no property {name}"
    else:
        what = f"{label} has {shown}, which is not a placeholder"
    if suggestion:
        return f"{what}: did you mean {{{{ {suggestion} }}}}?"
    return f"{what}: use one of the placeholders listed under {label}."


def _reversed(problem: Problem, label: str) -> str:
    low, high = problem.params.get("low"), problem.params.get("high")
    return f"{label}: {low} comes after {high}: write the lower one first."


def _before_start(problem: Problem, label: str) -> str:
    start = problem.params.get("start")
    shown = _long_date(start) if isinstance(start, date) else "the start date"
    return f"The end date is before the start date ({shown}): choose a later end date."


def _never_runs(problem: Problem, label: str) -> str:
    longest = problem.params.get("longest")
    advice = {
        "schedule.end_date": "choose a later end date or clear it",
        "schedule.months": "choose other months or another start date",
        "schedule.month_days": f"choose days up to {longest}, or other months",
        "schedule.month_positions": "choose other days or other months",
    }.get(place_of(problem), "choose other days, a shorter interval or another start date")
    return f"{problem.file_head}: {advice}."


def _has_passed(problem: Problem, label: str) -> str:
    return f"{problem.file_head}: choose a later date."


def _too_far(problem: Problem, label: str) -> str:
    limit = problem.params.get("limit")
    shown = _long_date(limit) if isinstance(limit, date) else "five years from now"
    return f"{problem.file_head}: choose a date before {shown}."


def _leap_day_only(problem: Problem, label: str) -> str:
    if problem.params.get("what") == "pause day":
        return "Pause day 02-29 comes only in leap years: in other years no day is paused for it."
    return "29 February comes only in leap years: the workflow does not run in other years."


def _some_months(problem: Problem, then: str) -> str:
    """What the workflow does in the months that lack one of its days."""
    if problem.params.get("never"):
        return f"the workflow does not run in {then}"
    return f"the workflow runs on its other days in {then}, not on a nearby day"


def _not_in_every_month(problem: Problem, label: str) -> str:
    day, months = problem.params.get("day"), problem.params.get("months")
    then = str(problem.params.get("those") or "those months")
    return f"Day {day} does not exist in {months}: {_some_months(problem, then)}."


def _fifth_in_some_months(problem: Problem, label: str) -> str:
    day = problem.params.get("day")
    return f"Only some months have a fifth {day}: {_some_months(problem, 'the others')}."


def _long_date(day: date) -> str:
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def _unknown_field(problem: Problem, label: str) -> str:
    # Only a draft can hold one, and a new dialog never does: it starts from nothing
    # (create) or from the workflow as saved (edit, a draft of its own). A draft an earlier
    # version of the bot wrote is the way in. The schedule and action steps rebuild their
    # part from their inputs, which drops it there; elsewhere no input of this form removes it.
    return (
        "This draft holds something this form has no input for and a workflow does not have "
        "(an earlier version of the bot may have left it), so it cannot be saved. Close this "
        f"dialog and open a new one with {SLASH_COMMAND} edit and the workflow's name, or "
        f"{SLASH_COMMAND} create: it starts without it."
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


_Wording = Callable[[Problem, str], str]

# One wording per code: a code without one is caught by the tests, not by a user.
_WORDINGS: Mapping[ProblemCode, _Wording] = {
    C.MISSING: _fill_in,
    C.EMPTY: lambda p, label: (
        "Add a filter to this group or remove the group."
        if p.field == "key"
        else f"{_operator_words(p)} needs at least one character: use “is known” to test presence."
        if isinstance(p.params.get("operator"), Operator)
        else _fill_in(p, label)
    ),
    C.NOT_VALID: _not_valid,
    C.NOT_A_NUMBER: _whole_number,
    C.NOT_A_DATE: _not_a_date,
    # The value as typed, never at the start: "noon" is not capitalised into "Noon".
    C.NOT_A_TIME: lambda p, label: (
        f"Write a time of day as 09:30 or 16:00 (a 24-hour clock): {p.params['value']} is not one."
        if isinstance(p.params.get("value"), str)
        else f"{label} needs times of day such as 09:30 or 16:00."
    ),
    C.NOT_A_LIST: lambda p, label: f"{label} is not in a shape this form shows: edit it again.",
    C.NOT_A_MAPPING: lambda p, label: f"{label} is not in a shape this form shows: edit it again.",
    C.OUT_OF_RANGE: _whole_number,
    C.TOO_LONG: _too_long,
    C.TOO_MANY: _too_many,
    C.UNKNOWN_FIELD: _unknown_field,
    C.NOT_FOR_FREQUENCY: lambda p, label: (
        f"{label} does not apply to how often this runs: clear it."
    ),
    C.UNKNOWN_OPTION: _unknown_option,
    C.UNKNOWN_PROPERTY: _unknown_property,
    C.UNKNOWN_OPERATOR: lambda p, label: "Choose a condition among those offered.",
    C.OPERATOR_NOT_APPLICABLE: _operator_not_applicable,
    C.NEEDS_VALUE: _needs_value,
    C.TAKES_NO_VALUE: _takes_no_value,
    C.BAD_VALUE: _bad_value,
    C.REVERSED: _reversed,
    C.BEFORE_START: _before_start,
    C.NEVER_RUNS: _never_runs,
    C.HAS_PASSED: _has_passed,
    C.TOO_FAR: _too_far,
    C.BOTH_GIVEN: lambda p, label: f"{label}: use one way of choosing, not both.",
    C.NEEDS_OTHER: lambda p, label: "Choose a country first.",
    C.NOT_COUNTED: lambda p, label: (
        f"{label} says which days are business days: choose a business day among the days, "
        "or no country."
    ),
    C.BAD_TEXT: lambda p, label: f"{label} holds invisible control characters: remove them.",
    C.BUILT_IN_NAME: lambda p, label: (
        f"The name {_subject(p, label)} belongs to a built-in field of every record, not a "
        "property: choose another name."
    ),
    # The dialog offers no choice of the run's date: its hint says to write the placeholder.
    C.BAD_TEMPLATE: lambda p, label: (
        f"{label} holds braces: write the value as is, or {{{{ {RUN_DATE} }}}} to set the "
        "date of the run."
    ),
    C.UNKNOWN_PLACEHOLDER: _unknown_placeholder,
    C.UNMATCHED_BRACES: lambda p, label: (
        f"{label} has braces that do not pair up in “{p.params.get('excerpt')}”: write a "
        "placeholder as {{ name }}, two braces each side."
    ),
    C.NO_RECIPIENTS: lambda p, label: "Choose at least one person or user group.",
    C.NOT_A_CHANNEL: lambda p, label: "Choose a channel from the list.",
    C.NOT_A_PERSON: lambda p, label: (
        f"{label} needs people from the list, or user groups such as @sales-leads."
    ),
    C.NO_ACTIONS: lambda p, label: (
        "Add at least one action: what the workflow does for each record."
    ),
    # Record files have no dialog: worded for a sentence that names the record anyway.
    C.DUPLICATE: lambda p, label: f"{label} appears twice: keep one.",
    C.NAME_TAKEN: lambda p, label: (
        f"A workflow named {p.params.get('name')} already exists: choose another name."
    ),
    # Warnings: shown beside what the step or the review says, the workflow still saves.
    C.LEAP_DAY_ONLY: _leap_day_only,
    C.NOT_IN_EVERY_MONTH: _not_in_every_month,
    C.FIFTH_IN_SOME_MONTHS: _fifth_in_some_months,
    C.NO_MATCHES: lambda p, label: "No record matches right now: a run now would enroll nobody.",
}
