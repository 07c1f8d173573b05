"""The wizard's criteria editor: Block Kit rows for enrollment or suppression criteria (an OR of
groups of ANDed filters), the reading of Slack's state back into the document form, the
placing of the domain's problems on those rows, and the add/remove buttons.

Pure functions of plain data. Nothing here validates: what the user left is returned as is,
and bot.workflows.criteria says what is wrong with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Any

from bot.slack.ids import WizardAction
from bot.slack.views.blocks import (
    SELECT_OPTIONS,
    actions_block,
    button,
    context,
    datepicker,
    external_select,
    fits_option_value,
    input_block,
    labelled,
    multi_external_select,
    multi_static_select,
    multi_users_select,
    option,
    section,
    static_select,
    users_select,
)
from bot.slack.views.editor_inputs import (
    WORKFLOW_FILE,
    as_typed,
    converted,
    days_input,
    entered,
    entered_days,
    fits_input,
    input_error,
    is_days,
    kept_as_it_is,
    text_input,
)
from bot.slack.views.input_places import criteria_block, filter_place
from bot.slack.views.problem_wording import dialog_text
from bot.workflows.criteria import (
    DAY_WORD_OPERATORS,
    DAYS_OPERATORS,
    LIST_OPERATORS,
    PRESENCE_OPERATORS,
    VALUE_OPERATORS,
    Operator,
)
from bot.workflows.draft_document import (
    CriteriaDocument,
    CriteriaField,
    DraftDocument,
    FilterDocument,
    FilterValue,
    criteria_of,
)
from bot.workflows.fields import OWNER, criteria_fields
from bot.workflows.owners import is_user_id
from bot.workflows.problems import Problem, criteria_place
from bot.workflows.property_labels import NO_LABELS, PropertyLabels
from bot.workflows.vocabulary import PropertyType
from bot.workflows.wording import OPERATOR_WORDS, operator_of
from storage.properties import StoredValue

# A filter row is at most 3 blocks and a group adds at most 2 (its header and the "or" before
# it), so the editor at the caps is 1 + 3 * 10 + 2 * 5 - 1 + 1 = 41 blocks: two editors and
# the settings fit the 100 blocks of a modal. Documents beyond the caps (written as files)
# show their first rows; the others are kept as they are.
MAX_FILTERS = 10
MAX_GROUPS = 5
FIELDS: tuple[CriteriaField, ...] = ("criteria", "suppression")
# Up to this many options a value select lists them all; beyond, it searches. Ten rows of
# 100 options of 75 characters would be about 240 KB, next to Slack's 250 KB per view.
LISTED_CHOICES = 20
# Up to this many properties a row lists them all (one click, no typing); beyond, the
# picker searches. 40 options are about 4 KB a row, 40 KB for the editor's 10 rows.
STATIC_PROPERTIES = 40


_RANGE_EXAMPLES = {
    PropertyType.NUMBER: "1000, 5000",
    PropertyType.DATE: "2026-01-01, 2026-03-31",
    PropertyType.DATETIME: "2026-01-01T00:00:00Z, 2026-01-31T23:59:59Z",
}
_SINGLE_HINTS = {
    PropertyType.NUMBER: "A number, such as 5000.",
    PropertyType.DATE: "A date, such as 2026-03-01.",
    PropertyType.DATETIME: "A date and time with a UTC offset, such as 2026-03-01T09:00:00Z.",
    PropertyType.STRING: "Letter case is ignored.",
    PropertyType.ENUMERATION: "One of the property's options; letter case is ignored.",
}


class _Kind(StrEnum):
    """The shape of a filter's value, which decides its input."""

    SINGLE = "single"
    LIST = "list"
    RANGE = "range"
    DAYS = "days"


_Groups = list[list[FilterDocument]]


# --- Rendering ----------------------------------------------------------------------------


def criteria_blocks(
    field: str,
    criteria: CriteriaDocument,
    properties: Mapping[str, PropertyType],
    layout: int,
    options: Mapping[str, Sequence[str]] | None = None,
    labels: PropertyLabels = NO_LABELS,
) -> list[dict[str, Any]]:
    """The editor of ``field`` ("criteria" or "suppression") showing ``criteria`` as it is,
    valid or not; ``layout`` goes into every block id (see _block_id). ``options``: the
    values of enumeration properties, offered to choose from; ``labels``: what the pickers
    show for properties and options that have labels (their names are what is stored)."""
    groups = _groups(criteria)
    if not groups:
        return [_empty_section(field)]
    properties = criteria_fields(properties)
    total = _count(groups)
    blocks = [section(_HEADINGS.get(field, _HEADINGS["criteria"]))]
    for position, (g, shown) in enumerate(_shown(groups)):
        if position:
            blocks.append(context("*or*"))
        blocks.append(_group_header(field, g, len(groups[g]), total))
        for f in range(shown):
            blocks += _filter_blocks(
                field, g, f, groups[g][f], properties, layout, options or {}, labels
            )
    blocks.append(_footer(field, groups, total))
    return blocks


_HEADINGS = {
    "criteria": "*Enroll the records that match*\nAll filters of a group must match (and); "
    "a record matching any group is enrolled (or).",
    "suppression": "*Leave out the records that match* (suppression)\nA record matching any "
    "group is not enrolled, even when it matches the criteria.",
}
_EMPTY = {
    "criteria": "*Which records?*\nNo filters: every record of this type is enrolled.",
    "suppression": "*Suppression*\nNo filters: no record is left out.",
}


def _empty_section(field: str) -> dict[str, Any]:
    value = json.dumps({"field": field, "group": 0})
    add = button("+ Add filter", WizardAction.ADD_FILTER, value)
    return section(_EMPTY.get(field, _EMPTY["criteria"]), add)


def _group_header(field: str, g: int, filters: int, total: int) -> dict[str, Any]:
    text = f"*Group {g + 1}* · all of these"
    if not filters:
        text += "\nNo filters yet: add one."
    if total >= MAX_FILTERS:
        return section(text)
    value = json.dumps({"field": field, "group": g})
    return section(text, button("+ Filter", WizardAction.ADD_FILTER, value))


def _footer(field: str, groups: _Groups, total: int) -> dict[str, Any]:
    """One block: the "+ Group" button, or why there is none."""
    notes = []
    if total >= MAX_FILTERS:
        notes.append(
            f"This form holds {MAX_FILTERS} filters. To compare a property with several "
            "values, use “is any of” or “is between”."
        )
    elif len(groups) >= MAX_GROUPS:
        notes.append(f"This form holds {MAX_GROUPS} groups: add filters to a group instead.")
    hidden = total - sum(shown for _, shown in _shown(groups))
    if hidden:
        notes.append(
            f"{hidden} more {'filter is' if hidden == 1 else 'filters are'} not shown and "
            f"kept as they are: edit them in {WORKFLOW_FILE}."
        )
    if notes:
        return context(*notes)
    add = button("+ Group (or)", WizardAction.ADD_GROUP, json.dumps({"field": field}))
    return actions_block(add)


def _filter_blocks(
    field: str,
    g: int,
    f: int,
    raw: FilterDocument,
    properties: Mapping[str, PropertyType],
    layout: int,
    options: Mapping[str, Sequence[str]],
    labels: PropertyLabels = NO_LABELS,
) -> list[dict[str, Any]]:
    name = raw.get("property")
    property_type = _type_of(name, properties)
    operator = operator_of(raw.get("operator"))
    value = json.dumps({"field": field, "group": g, "filter": f})
    remove = button("Remove", WizardAction.REMOVE_FILTER, value, style="danger")
    elements = [remove]
    if name is not None or raw.get("operator") is not None:
        elements.insert(0, _operator_select(raw.get("operator"), property_type))
    blocks = [
        _property_block(field, g, f, name, properties, layout, labels),
        actions_block(
            *elements, block_id=criteria_block(field, layout, g, f, _operator_part(property_type))
        ),
    ]
    if _needs_value(operator):
        assert operator is not None
        choices = options.get(name, ()) if isinstance(name, str) else ()
        block_id = criteria_block(field, layout, g, f, "value")
        shown = labels.options_of(name)
        blocks.append(_value_block(block_id, operator, property_type, raw, choices, shown))
    return blocks


def _property_block(
    field: str,
    g: int,
    f: int,
    name: object,
    properties: Mapping[str, PropertyType],
    layout: int,
    labels: PropertyLabels = NO_LABELS,
) -> dict[str, Any]:
    select = _property_select(name, properties, labels)
    # No property to choose from (no records imported yet): a text box keeps the row
    # usable, and the domain says what to do.
    label, block_id = "Where" if f == 0 else "And", criteria_block(field, layout, g, f, "property")
    element = select or text_input(as_typed(name), placeholder="Property name")
    if element is None:
        return kept_as_it_is(label, block_id)
    return input_block(
        label,
        element,
        block_id=block_id,
        optional=True,
        dispatch_action=select is not None,
    )


def _property_select(
    name: object, properties: Mapping[str, PropertyType], labels: PropertyLabels = NO_LABELS
) -> dict[str, Any] | None:
    """A static select listing every property when they are few; else a searchable one
    whose options the bot sends as the user types (property_options), which keeps every
    row small whatever the number of properties (a HubSpot object has hundreds)."""
    selected = name if isinstance(name, str) and fits_option_value(name) else None
    names = [n for n in _in_picker_order(properties) if fits_option_value(n)]
    if not names and selected is None:
        return None
    if len(names) > STATIC_PROPERTIES:
        return external_select(
            WizardAction.PICK_PROPERTY,
            "Search the properties",
            initial_option=None
            if selected is None
            else _property_option(selected, properties, labels),
        )
    options = [_property_option(n, properties, labels) for n in names]
    if selected is not None and selected not in properties:
        options.append(_property_option(selected, properties, labels))
    return static_select(
        WizardAction.REFRESH,
        placeholder="Choose a property",
        options=options,
        initial_option=next((o for o in options if o["value"] == selected), None),
    )


def property_options(
    properties: Mapping[str, PropertyType], typed: str, labels: PropertyLabels = NO_LABELS
) -> list[dict[str, Any]]:
    """What the searchable property picker offers for ``typed``: the built-in fields first,
    then names (or labels) starting with the text, then those containing it (letter case
    ignored), at most a select's 100."""
    ordered = [n for n in _in_picker_order(properties) if fits_option_value(n)]
    found = _searched(ordered, typed, labels.names)
    return [_property_option(n, properties, labels) for n in found]


def _searched(
    texts: Sequence[str], typed: str, shown: Mapping[str, str] | None = None
) -> list[str]:
    """Of ``texts`` in their order, those starting with ``typed``, then those containing
    it, letter case ignored, each also by the label ``shown`` gives it: at most a select's
    100."""
    needle = typed.strip().casefold()

    def words(text: str) -> tuple[str, ...]:
        label = (shown or {}).get(text)
        return (text.casefold(),) if label is None else (text.casefold(), label.casefold())

    starting = [t for t in texts if any(w.startswith(needle) for w in words(t))]
    containing = [t for t in texts if t not in starting and any(needle in w for w in words(t))]
    return (starting + containing)[:SELECT_OPTIONS]


def _in_picker_order(properties: Mapping[str, PropertyType]) -> list[str]:
    """The built-in fields in their order, then the type's own properties by name."""
    return list(criteria_fields(properties))


def _property_option(
    name: str, properties: Mapping[str, PropertyType], labels: PropertyLabels = NO_LABELS
) -> dict[str, Any]:
    property_type = properties.get(name)
    detail = str(property_type) if property_type else "not a property of these records"
    label = labels.names.get(name)
    if label is not None and label != name:
        # The label shown, the name stored: criteria compare names.
        return option(labelled(label, f"{name}, {detail}"), name)
    return option(labelled(name, detail), name)


def _operator_select(raw: object, property_type: PropertyType | None) -> dict[str, Any]:
    fitting = _fitting(property_type)
    options = [option(OPERATOR_WORDS[o], o.value) for o in Operator if o in fitting]
    operator = operator_of(raw)
    if operator not in fitting and isinstance(raw, str) and fits_option_value(raw):
        # Shown as it is, so that reading the row back keeps it for the domain to report.
        note = "not an operator" if operator is None else f"not for {property_type} properties"
        words = raw if operator is None else OPERATOR_WORDS[operator]
        options.append(option(labelled(words, note), raw))
    return static_select(
        WizardAction.REFRESH,
        placeholder="Choose a condition",
        options=options,
        initial_option=next((choice for choice in options if choice["value"] == raw), None),
    )


def _value_block(
    block_id: str,
    operator: Operator,
    property_type: PropertyType | None,
    raw: FilterDocument,
    choices: Sequence[str],
    shown: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The value's input: a people picker for the owner, a select of an enumeration's
    options (by their labels in ``shown``, when they have one), or the input the operator
    and type call for (see _value_element). Not optional: the operator compares with it, so
    Slack asks for it before it sends the step."""
    label, hint = _value_words(operator, property_type)
    value = raw.get("value")
    element = _choice_picker(operator, value, choices, shown or {})
    if element is None:
        element = _value_element(operator, property_type, value)
    else:
        hint = _CHOICE_HINT  # not "one value per line": these are picked
    if raw.get("property") == OWNER and (people := _people_picker(operator, value)):
        element, hint = people, _OWNER_HINT
    if element is None:
        return kept_as_it_is(label, block_id)
    # A chosen value (Enter in a text box) is sent at once: the step's count of matching
    # records follows every change.
    return input_block(label, element, block_id=block_id, hint=hint or None, dispatch_action=True)


_CHOICE_HINT = "Choose among the property's options."
_OWNER_HINT = "Owners are people of this workspace; owners written as emails match too."
_DAY_WORDS_HINT = "today, yesterday or tomorrow (the day the workflow runs), or a date"


def _value_words(operator: Operator, property_type: PropertyType | None) -> tuple[str, str]:
    kind = _kind(operator)
    if kind is _Kind.DAYS:
        return "Number of days", "Whole days, counted from when the workflow runs."
    if kind is _Kind.LIST:
        return "Values", "One value per line, or separated by commas on one line."
    if kind is _Kind.RANGE:
        if _takes_day_words(operator, property_type):
            return "From, to", (
                "Both included, separated by a comma: each is "
                f"{_DAY_WORDS_HINT} such as 2026-01-01. Example: yesterday, tomorrow"
            )
        example = _RANGE_EXAMPLES.get(property_type or PropertyType.NUMBER, "1000, 5000")
        return "From, to", f"Low and high, both included, separated by a comma: {example}"
    if _takes_day_words(operator, property_type):
        return "Day", f"{_DAY_WORDS_HINT[:1].upper()}{_DAY_WORDS_HINT[1:]} such as 2026-03-01."
    return "Value", _SINGLE_HINTS.get(property_type or PropertyType.STRING, "")


def _takes_day_words(operator: Operator, property_type: PropertyType | None) -> bool:
    temporal = property_type in (PropertyType.DATE, PropertyType.DATETIME)
    return temporal and operator in DAY_WORD_OPERATORS


def _value_element(
    operator: Operator, property_type: PropertyType | None, value: object
) -> dict[str, Any] | None:
    """The input for the value: shaped by the operator and the type when the value fits that
    shape (or is missing), else a text box showing the value as it is; None when it is too
    long for one."""
    kind = _kind(operator)
    if kind is _Kind.DAYS and (value is None or is_days(value)):
        return days_input(value)
    # "is before today" is typed: a date picker cannot say today.
    on_a_date = property_type is PropertyType.DATE and not _takes_day_words(operator, property_type)
    if kind is _Kind.SINGLE and on_a_date and _is_date_or_none(value):
        return datepicker(WizardAction.INPUT_DATE, initial_date=str(value) if value else None)
    if kind is _Kind.SINGLE and property_type is PropertyType.BOOLEAN and _is_bool_or_none(value):
        options = [option("yes (true)", "true"), option("no (false)", "false")]
        return static_select(
            WizardAction.INPUT_CHOICE,
            placeholder="Choose",
            options=options,
            initial_option=None if value is None else options[0 if value else 1],
        )
    return text_input(_value_text(value, kind), multiline=kind is _Kind.LIST)


def _choice_picker(
    operator: Operator, value: object, choices: Sequence[str], shown: Mapping[str, str]
) -> dict[str, Any] | None:
    """A select of an enumeration's options when the value is among them or missing: all
    listed when they are few, else searched (choice_options), so that ten rows of long
    options stay far below Slack's 250 KB per view; None otherwise (the value stays text)."""
    fitting = [c for c in choices if fits_option_value(c)]
    if not fitting or len(fitting) < len(choices):
        return None
    kind = _kind(operator)
    listed = value if isinstance(value, list) else [] if value is None else [value]
    if kind not in (_Kind.SINGLE, _Kind.LIST) or not all(v in fitting for v in listed):
        return None
    if kind is _Kind.LIST and value is not None and not listed:
        return None
    chosen = [_choice_option(str(v), shown) for v in listed]
    if len(fitting) > LISTED_CHOICES:
        if kind is _Kind.SINGLE:
            first = chosen[0] if chosen else None
            return external_select(
                WizardAction.SEARCH_CHOICE, "Search the options", initial_option=first
            )
        return multi_external_select(
            WizardAction.SEARCH_CHOICES, "Search the options", initial_options=chosen
        )
    offered = [_choice_option(choice, shown) for choice in fitting]
    if kind is _Kind.SINGLE:
        first = chosen[0] if chosen else None
        return static_select(
            WizardAction.INPUT_CHOICE, placeholder="Choose", options=offered, initial_option=first
        )
    return multi_static_select(
        WizardAction.INPUT_CHOICES, placeholder="Choose", options=offered, initial_options=chosen
    )


def _choice_option(value: str, shown: Mapping[str, str]) -> dict[str, Any]:
    return option(shown.get(value) or value, value)


_VALUE_BLOCK = re.compile(r"(criteria|suppression)\.g(\d+)\.f(\d+)\.value@\d+")


def choice_options(
    document: DraftDocument,
    block_id: str,
    options: Mapping[str, Sequence[str]],
    typed: str,
    labels: PropertyLabels = NO_LABELS,
) -> list[dict[str, Any]]:
    """What the searched select of a value offers for ``typed``: the options of the
    property of the row ``block_id`` names in the draft's ``document``, those starting with
    the text (or their label) first, then those containing it (letter case ignored), at
    most 100."""
    place = _VALUE_BLOCK.fullmatch(block_id)
    if place is None:
        return []
    field: CriteriaField = "suppression" if place[1] == "suppression" else "criteria"
    groups = _groups(criteria_of(document, field))
    g, f = int(place[2]), int(place[3])
    if g >= len(groups) or f >= len(groups[g]):
        return []
    name = groups[g][f].get("property")
    choices = [c for c in options.get(name, ()) if fits_option_value(c)] if name else []
    shown = labels.options_of(name)
    return [_choice_option(c, shown) for c in _searched(choices, typed, shown)]


def _people_picker(operator: Operator, value: object) -> dict[str, Any] | None:
    """A user picker for the owner, when what is there are Slack users (or nothing); an
    owner written as an email stays a text box, which shows it as it is."""
    kind = _kind(operator)
    if kind is _Kind.SINGLE and (value is None or _is_user_id(value)):
        return users_select(
            WizardAction.INPUT_USER, initial_user=value if isinstance(value, str) else None
        )
    listed = value if isinstance(value, list) else []
    if kind is _Kind.LIST and (value is None or (listed and all(map(_is_user_id, listed)))):
        return multi_users_select(WizardAction.INPUT_USERS, initial_users=listed)
    return None


def _is_user_id(value: object) -> bool:
    return isinstance(value, str) and is_user_id(value)


def _value_text(value: object, kind: _Kind) -> str:
    if isinstance(value, list):
        separator = "\n" if kind is _Kind.LIST else ", "
        return separator.join(as_typed(item) for item in value)
    return as_typed(value)


# --- Reading ------------------------------------------------------------------------------


def read_criteria(
    field: str,
    values: Mapping[str, Mapping[str, Any]],
    criteria: CriteriaDocument,
    properties: Mapping[str, PropertyType],
    layout: int,
) -> CriteriaDocument:
    """The document form of what the user left in the editor that criteria_blocks rendered
    from ``criteria`` with ``layout``; ``values`` is the view's state.values. Rows the editor
    did not show are kept as they are."""
    properties = criteria_fields(properties)
    groups = _groups(criteria)
    shown = dict(_shown(groups))
    read = [
        [
            _read_filter(field, g, f, raw, values, properties, layout)
            if f < shown.get(g, 0)
            else raw
            for f, raw in enumerate(filters)
        ]
        for g, filters in enumerate(groups)
    ]
    return _document(read)


def _read_filter(
    field: str,
    g: int,
    f: int,
    old: FilterDocument,
    values: Mapping[str, Mapping[str, Any]],
    properties: Mapping[str, PropertyType],
    layout: int,
) -> FilterDocument:
    old_name = old.get("property")
    old_type = _type_of(old_name, properties)
    name = entered(values, criteria_block(field, layout, g, f, "property"), old_name)
    if isinstance(name, str) and not name.strip():
        name = None
    property_type = _type_of(name, properties)
    operator_part = _operator_part(old_type)
    raw_operator = entered(
        values, criteria_block(field, layout, g, f, operator_part), old.get("operator")
    )
    operator = operator_of(raw_operator)
    if name != old_name and property_type is not None and operator not in _fitting(property_type):
        raw_operator = operator = None  # the new property has no such condition
    read: FilterDocument = {}
    if name is not None:
        read["property"] = name
    if raw_operator is not None:
        read["operator"] = raw_operator
    # A value is kept only for the question it answered: same type, same shape of value.
    old_operator = operator_of(old.get("operator"))
    if not _needs_value(operator) or not _needs_value(old_operator):
        return read
    assert operator is not None and old_operator is not None
    if not _same_values(property_type, old_type) or _kind(operator) != _kind(old_operator):
        return read
    block_id = criteria_block(field, layout, g, f, "value")
    if block_id not in values:
        if "value" in old:
            read["value"] = old["value"]
        return read
    value = _typed_value(entered(values, block_id, None), operator, property_type)
    if value is not None:
        read["value"] = value
    return read


def _typed_value(
    text: object, operator: Operator, property_type: PropertyType | None
) -> FilterValue | None:
    """The document value of what was entered; None when nothing was. Permissive: text that
    does not convert stays text, for the domain to report."""
    if isinstance(text, list):  # the users a people picker holds
        users: list[StoredValue] = [str(user) for user in text if user]
        return users or None
    if not isinstance(text, str) or not text.strip():
        return None
    kind = _kind(operator)
    if kind is _Kind.LIST:
        items = text.splitlines() if "\n" in text else text.split(",")
        listed = [converted(item.strip(), property_type) for item in items if item.strip()]
        return listed or None
    if kind is _Kind.RANGE:
        bounds = re.split(r"[,\n]", text)
        return [
            converted(bound.strip(), property_type) for bound in bounds if bound.strip()
        ] or None
    if kind is _Kind.DAYS:
        return entered_days(text)
    return converted(text, property_type)


# --- Errors -------------------------------------------------------------------------------


def criteria_errors(
    field: str,
    problems: Sequence[Problem],
    criteria: CriteriaDocument,
    layout: int,
    labels: PropertyLabels = NO_LABELS,
) -> dict[str, str]:
    """The domain's ``problems`` with ``field`` (located from the document's root, as
    ("criteria", 0, 1, "value")) placed on the editor's input blocks and worded there, for a
    view_submission's response_action "errors": a problem with a filter's value beside its
    value, any other of a filter beside its property select (the operator select sits in an
    actions block, where Slack shows no errors), any other on the editor's first input.
    Empty when the editor shows no input (no filters)."""
    groups = _groups(criteria)
    shown = dict(_shown(groups))
    first = next(((g, 0) for g, count in shown.items() if count), None)
    if first is None:
        return {}
    placed: dict[str, list[str]] = {}
    for problem in problems:
        g, f, part = filter_place(problem.location)
        # Where it is, when it is not beside its own filter: "Group 6, filter 1: ...".
        place = "" if g is None else f"{criteria_place(problem.location[1:])}: "
        if g is not None and f is not None and 0 <= f < shown.get(g, 0):
            place = ""
        else:
            g, f, part = first[0], first[1], "property"
        raw = groups[g][f]
        if part == "value" and _value_is_input(raw):
            operator = operator_of(raw.get("operator"))
            assert operator is not None
            label = _value_words(operator, None)[0]
        else:
            part, label = "property", "Where" if f == 0 else "And"
        block = criteria_block(field, layout, g, f, part)
        text = dialog_text(problem, label, labels)
        placed.setdefault(block, []).append(f"{place[:1].upper()}{place[1:]}{text}")
    # A sentence once: several items of one list can have the same problem.
    return {block: input_error(list(dict.fromkeys(texts))) for block, texts in placed.items()}


def _value_is_input(raw: FilterDocument) -> bool:
    """Whether the filter's value has an input (not when kept as it is, too long for one)."""
    operator = operator_of(raw.get("operator"))
    if not _needs_value(operator):
        return False
    assert operator is not None
    return fits_input(_value_text(raw.get("value"), _kind(operator)))


# --- Buttons ------------------------------------------------------------------------------


def edit_criteria(criteria: CriteriaDocument, action_id: str, value: str) -> CriteriaDocument:
    """``criteria`` after one press of an editor button (``value`` as the button carries it);
    anything else, or an add beyond the caps, leaves it as it is."""
    groups = _groups(criteria)
    place = _button_value(value)
    g, f = place.get("group"), place.get("filter")
    can_add = _count(groups) < MAX_FILTERS
    if action_id == WizardAction.ADD_GROUP and can_add and len(groups) < MAX_GROUPS:
        groups.append([{}])
    elif action_id == WizardAction.ADD_FILTER and can_add and isinstance(g, int) and g >= 0:
        if g < len(groups):
            groups[g].append({})
        elif len(groups) < MAX_GROUPS:
            groups.append([{}])
    elif action_id == WizardAction.REMOVE_FILTER and _is_index(g, groups):
        assert isinstance(g, int)
        if _is_index(f, groups[g]):
            assert isinstance(f, int)
            del groups[g][f]
            if not groups[g]:
                del groups[g]
    return _document(groups)


def button_field(value: str) -> CriteriaField | None:
    """Which editor ("criteria" or "suppression") a button of this module belongs to."""
    field = _button_value(value).get("field")
    return next((known for known in FIELDS if known == field), None)


def _button_value(value: str) -> dict[str, Any]:
    try:
        decoded = json.loads(value)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _is_index(index: object, items: Sequence[object]) -> bool:
    return isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(items)


# --- The document -------------------------------------------------------------------------


def _groups(criteria: CriteriaDocument) -> _Groups:
    """The groups of filters of criteria, each filter a fresh copy; what is not in the
    document shape reads as no groups, a group without a list of filters as empty."""
    raw_groups = criteria.get("any") if isinstance(criteria, Mapping) else None
    if not isinstance(raw_groups, list):
        return []
    groups: _Groups = []
    for raw_group in raw_groups:
        filters = raw_group.get("all") if isinstance(raw_group, Mapping) else None
        if not isinstance(filters, list):
            filters = []
        groups.append([f.copy() if isinstance(f, Mapping) else {} for f in filters])
    return groups


def _document(groups: _Groups) -> CriteriaDocument:
    if not groups:
        return {}
    return {"any": [{"all": filters} for filters in groups]}


def _count(groups: _Groups) -> int:
    return sum(len(filters) for filters in groups)


def _shown(groups: _Groups) -> list[tuple[int, int]]:
    """(group index, filters shown) of the groups the editor shows, within the caps."""
    shown = []
    room = MAX_FILTERS
    for g, filters in enumerate(groups[:MAX_GROUPS]):
        if filters and not room:
            break
        shown.append((g, min(len(filters), room)))
        room -= min(len(filters), room)
    return shown


def _operator_part(property_type: PropertyType | None) -> str:
    # The type is part of the id so that a property of another type gets a fresh select.
    return f"operator-{property_type or 'any'}"


# --- Operators and values -----------------------------------------------------------------


def _fitting(property_type: PropertyType | None) -> frozenset[Operator]:
    if property_type is None:
        return frozenset(Operator)
    return VALUE_OPERATORS[property_type] | PRESENCE_OPERATORS


def _needs_value(operator: Operator | None) -> bool:
    return operator is not None and operator not in PRESENCE_OPERATORS


def _kind(operator: Operator) -> _Kind:
    if operator in DAYS_OPERATORS:
        return _Kind.DAYS
    if operator in LIST_OPERATORS:
        return _Kind.LIST
    if operator is Operator.BETWEEN:
        return _Kind.RANGE
    return _Kind.SINGLE


def _type_of(name: object, properties: Mapping[str, PropertyType]) -> PropertyType | None:
    return properties.get(name) if isinstance(name, str) else None


def _same_values(one: PropertyType | None, other: PropertyType | None) -> bool:
    """Whether a value of one type is worth keeping for the other: text stays text."""
    return one == other or (one is not None and other is not None and one.is_text and other.is_text)


def _is_date_or_none(value: object) -> bool:
    if value is None:
        return True
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_bool_or_none(value: object) -> bool:
    return value is None or isinstance(value, bool)
