"""The inputs the wizard's steps and its criteria and actions editors build alike, and the
reading of them back: a document value as the user would type it, the text box and the number
of days it is typed in, what one input holds in the view state, typed text converted for a
property, and the problems shown under one input."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

from bot.slack.ids import WizardAction
from bot.slack.views.blocks import (
    TEXT_INPUT_CHARS,
    Block,
    cut,
    number_input,
    plain_text_input,
    section,
)
from bot.workflows.criteria import MAX_DAYS
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.vocabulary import PropertyType
from storage.properties import InvalidValue, StoredValue, parse_boolean, parse_number

ERROR_CHARS = 2000  # of one input's message in response_action "errors"
# Where the editors send what the form cannot show or edit.
WORKFLOW_FILE = "the workflow's file (`workflow-bot workflows export NAME`, then `import`)"

_WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def as_typed(value: object) -> str:
    """A document value as the user would type it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def text_input(
    initial: str, *, multiline: bool = False, placeholder: str = ""
) -> dict[str, Any] | None:
    """A text box holding ``initial``; None when that is longer than a text box holds (a
    list from a workflow file): the caller shows kept_as_it_is instead, since a value cut
    to fit would be read back, and saved, cut."""
    if not fits_input(initial):
        return None
    return plain_text_input(
        WizardAction.INPUT,
        placeholder=placeholder or None,
        initial_value=initial,
        multiline=multiline,
        max_length=TEXT_INPUT_CHARS,
    )


def typed_list(items: Sequence[str], separator: str = ", ") -> str:
    """``items`` as typed in one text input: separated by ``separator``, or by its first
    character alone when that would not fit the input. A list the user typed is read back
    by splitting on separators, so joined by one character it is never longer than what was
    typed: it fits the input again, and nothing typed is lost."""
    text = separator.join(items)
    if len(text) <= TEXT_INPUT_CHARS:
        return text
    return (separator.rstrip() or separator).join(items)


def fits_input(text: str) -> bool:
    """Whether a text input can hold ``text`` (only a value from a workflow file cannot)."""
    return len(text) <= TEXT_INPUT_CHARS


def kept_as_it_is(label: str, block_id: str) -> Block:
    """In place of the input labelled ``label`` whose value is longer than an input holds
    (from a workflow file): says so, and where to edit it. The block holds no input, so
    nothing is read back from it and the value stays as it is."""
    return section(
        f"*{escape_mrkdwn(label)}*: longer than this form can show, so it is kept as it "
        f"is: edit it in {WORKFLOW_FILE}.",
        block_id=block_id,
    )


def is_days(value: object) -> TypeGuard[int]:
    """Whether ``value`` is a number of days the days input can show."""
    return type(value) is int and 0 <= value <= MAX_DAYS


def days_input(days: int | None) -> dict[str, Any]:
    return number_input(
        WizardAction.INPUT_NUMBER,
        min_value=0,
        max_value=MAX_DAYS,
        initial_value=None if days is None else str(days),
    )


def entered_days(text: str) -> int | str:
    """Days as entered: a whole number, else the text as it is, for the domain to report."""
    return int(text.strip()) if _WHOLE_NUMBER.fullmatch(text.strip()) else text


def entered(values: Mapping[str, Mapping[str, Any]], block_id: str, missing: Any) -> Any:
    """What the one element of a block holds in the view state: the text typed, the date,
    time, conversation or user(s) chosen, the value of the option chosen, or the list of
    values of the options chosen (None when nothing is). ``missing`` when the state has no
    such block (not rendered, or not sent) or it is not of Slack's shape."""
    block = values.get(block_id)
    if not isinstance(block, Mapping) or not block:
        return missing
    state = block.get(WizardAction.REFRESH) or next(iter(block.values()))
    if not isinstance(state, Mapping):
        return missing
    for key in (
        "value",
        "selected_date",
        "selected_time",
        "selected_conversation",
        "selected_user",
        "selected_users",
    ):
        if key in state:
            return state[key]
    if "selected_options" in state:
        options = state["selected_options"]
        chosen = options if isinstance(options, list) else []
        return [o.get("value") for o in chosen if isinstance(o, Mapping)]
    option = state.get("selected_option")
    return option.get("value") if isinstance(option, Mapping) else None


def converted(text: str, property_type: PropertyType | None) -> StoredValue:
    """Typed ``text`` as a value of a property of ``property_type``: a number for a number
    property, true or false for a boolean one. Permissive: text of any other type, or text
    that does not convert, stays text, for the domain to report."""
    try:
        if property_type is PropertyType.NUMBER:
            return parse_number(text)
        if property_type is PropertyType.BOOLEAN:
            return parse_boolean(text)
    except InvalidValue:
        return text
    return text


def input_error(messages: list[str]) -> str:
    """The problems of one input as one message under it."""
    return cut("\n".join(messages), ERROR_CHARS)
