"""The wizard's actions editor: Block Kit rows for a workflow's list of actions, the reading of
Slack's state back into their document form, the placing of the domain's problems on those
rows, and the add/remove/move controls.

Pure functions of plain data. Nothing here validates: what the user left is returned as is,
and bot.workflows.definitions says what is wrong with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from itertools import accumulate
from typing import Any

from bot.slack.ids import WizardAction
from bot.slack.views.blocks import (
    actions_block,
    button,
    context,
    conversations_select,
    cut,
    fits_option_value,
    input_block,
    multi_users_select,
    option,
    radio_buttons,
    section,
    static_select,
)
from bot.slack.views.editor_inputs import (
    WORKFLOW_FILE,
    as_typed,
    converted,
    days_input,
    entered,
    entered_days,
    input_error,
    is_days,
    kept_as_it_is,
    text_input,
    typed_list,
)
from bot.slack.views.input_places import action_block, input_of
from bot.slack.views.problem_wording import dialog_text
from bot.workflows.definitions import (
    ACTION_FIELDS,
    CHANNEL_ID,
    DIGEST_THRESHOLD,
    RUN_DATE_TEMPLATE,
    MessageMode,
    TaskPriority,
)
from bot.workflows.draft_document import ActionDocument, ActionField, ActionItem, is_action
from bot.workflows.owners import MAX_DM_RECIPIENTS, is_user_id
from bot.workflows.problems import Problem
from bot.workflows.property_labels import NO_LABELS, PropertyLabels
from bot.workflows.templates import (
    FIXED_PLACEHOLDERS,
    PROPERTY_PREFIX,
    RUN_DATE,
    escape_mrkdwn,
)
from bot.workflows.vocabulary import PropertyType
from storage.properties import StoredValue

# An action is its section, its inputs and its buttons: 5 blocks for most types, 6 for a
# direct message to chosen people, 7 for a task (title, notes, due, priority, owner). The
# editor shows the first actions that fit in ACTIONS_BLOCKS blocks (15 of most types), and
# adds one block at the end: 5 * 15 + 1 = 76 blocks at most, which leaves the wizard's own
# blocks room within the 100 of a modal.
# Documents with more actions (written as files) show their first ones; the others are kept
# as they are.
MAX_ACTIONS_SHOWN = 15
ACTIONS_BLOCKS = 5 * MAX_ACTIONS_SHOWN
ACTION_TYPES = tuple(ACTION_FIELDS)

_TITLES = {
    "send_channel_message": "Post a message in a channel",
    "send_owner_dm": "Send the record's owner a direct message",
    "send_dm": "Send chosen people a direct message",
    "set_property": "Set a property of the record",
    "create_task": "Create a task",
}
# The inputs of each type, in the order shown: the document's fields but its type.
_INPUTS: Mapping[str, tuple[ActionField, ...]] = {
    "send_channel_message": ("channel", "text", "mode"),
    "send_owner_dm": ("text",),
    "send_dm": ("users", "user_groups", "text", "mode"),
    "set_property": ("property", "value"),
    "create_task": ("title", "body", "due_in_days", "priority", "owner"),
}
# "Value" of "Set a property" too: a property is set to something, and nothing to set is
# not a choice the action offers. "Due in (days)" is optional: empty is the run's day.
_REQUIRED = frozenset({"channel", "text", "title", "property", "value"})
_DUE_ON_THE_RUN_DAY = 0
_AUTOMATIC = "automatic"  # the mode option for "no mode": chosen by the number of records
_NO_PRIORITY = "none"  # the priority option for a task without one
_MODES = (
    (_AUTOMATIC, f"Automatic: one per record, a digest above {DIGEST_THRESHOLD} records"),
    (MessageMode.PER_RECORD.value, "One message per record"),
    (MessageMode.DIGEST.value, "One digest message per run"),
)
_MAX_HINT = 2000
_PROPERTIES_NAMED = 20
# How user groups are separated in their text input.
_GROUP_SEPARATORS = re.compile(r"[\s,]+")


# --- Rendering ----------------------------------------------------------------------------


def actions_blocks(
    actions: Sequence[ActionItem],
    properties: Mapping[str, PropertyType],
    layout: int,
) -> list[dict[str, Any]]:
    """The editor showing ``actions`` as they are, valid or not; ``layout`` goes into every
    block id (see _block_id)."""
    blocks: list[dict[str, Any]] = []
    for index, action in enumerate(actions[: _shown_count(actions)]):
        blocks.append(section(_heading(index, action)))
        if (known := _known(action)) is not None:
            blocks += [
                _input_block(index, name, known, properties, layout) for name in _inputs_of(known)
            ]
        blocks.append(_move_buttons(index, len(actions)))
    blocks.append(_footer(actions, layout))
    return blocks


def _heading(index: int, action: object) -> str:
    kind = _type_of(action)
    if kind is not None:
        return f"*{index + 1}. {_TITLES[kind]}*"
    raw = action.get("type") if isinstance(action, Mapping) else action
    shown = escape_mrkdwn(cut(as_typed(raw), 100))
    return (
        f"*{index + 1}. An action this form does not know*: `{shown}`\n"
        f"Remove it, or edit it in {WORKFLOW_FILE}."
    )


def _input_block(
    index: int,
    name: ActionField,
    action: ActionDocument,
    properties: Mapping[str, PropertyType],
    layout: int,
) -> dict[str, Any]:
    label, element, hint = _INPUT_BUILDERS[name](action.get(name), properties)
    if element is None:
        return kept_as_it_is(label, action_block(index, name, layout))
    return input_block(
        label,
        element,
        block_id=action_block(index, name, layout),
        optional=name not in _REQUIRED,
        hint=cut(hint, _MAX_HINT) if hint else None,
    )


# Its label, its element (None: its value is too long for a text box, see text_input), hint.
_Input = tuple[str, dict[str, Any] | None, str]
# A value of an action's field as the editor reads it from its input.
_ActionValue = StoredValue | list[str]


def _channel_input(value: object, properties: Mapping[str, PropertyType]) -> _Input:
    is_channel = isinstance(value, str) and CHANNEL_ID.fullmatch(value)
    element = conversations_select(
        WizardAction.INPUT,
        "Choose a channel",
        initial_conversation=str(value) if is_channel else None,
        include=["public", "private"],
        exclude_bot_users=True,
    )
    hint = "The bot must be a member of a private channel to post in it."
    if not is_channel and value is not None:
        hint = f"Was {cut(as_typed(value), 100)!r}, which is not a channel: choose one."
    return "Channel", element, hint


def _users_input(value: object, properties: Mapping[str, PropertyType]) -> _Input:
    listed = value if isinstance(value, list) else []
    users = [user for user in listed if isinstance(user, str) and is_user_id(user)]
    element = multi_users_select(
        WizardAction.INPUT,
        "Choose people",
        initial_users=users[:MAX_DM_RECIPIENTS],
        max_selected_items=MAX_DM_RECIPIENTS,
    )
    hint = "Each gets the message by direct message. Add user groups below, or instead."
    if len(users) != len(listed) or (value is not None and not isinstance(value, list)):
        hint = f"Was {cut(as_typed(value), 100)!r}, which is not only people: choose them."
    return "People", element, hint


def _user_groups_input(value: object, properties: Mapping[str, PropertyType]) -> _Input:
    text = typed_list([as_typed(group) for group in value]) if isinstance(value, list) else None
    hint = (
        "User group handles such as @sales-leads (or ids such as S0123ABCD), separated by "
        "commas: each member of each group gets the message."
    )
    element = text_input(as_typed(value) if text is None else text, placeholder="@sales-leads")
    return "User groups", element, hint


def _message_input(value: object, properties: Mapping[str, PropertyType]) -> _Input:
    return "Message", text_input(as_typed(value), multiline=True), _placeholders_hint(properties)


def _title_input(value: object, properties: Mapping[str, PropertyType]) -> _Input:
    return "Task title", text_input(as_typed(value)), _placeholders_hint(properties)


def _body_input(value: object, properties: Mapping[str, PropertyType]) -> _Input:
    hint = "What the task says beyond its title. " + _placeholders_hint(properties)
    return "Task notes", text_input(as_typed(value), multiline=True), hint


def _priority_input(value: object, properties: Mapping[str, PropertyType]) -> _Input:
    options = [option("No priority", _NO_PRIORITY)]
    options += [option(priority.label, priority.value.lower()) for priority in TaskPriority]
    chosen = _NO_PRIORITY if value is None else as_typed(value).strip().lower()
    initial = next((choice for choice in options if choice["value"] == chosen), None)
    element = radio_buttons(WizardAction.INPUT, options, initial_option=initial)
    hint = "" if initial is not None else f"Was {cut(as_typed(value), 50)!r}: choose one."
    return "Priority", element, hint


def _owner_input(value: object, properties: Mapping[str, PropertyType]) -> _Input:
    hint = (
        "The email of the person the task is for; empty: the record's owner. For records "
        "from HubSpot, a user of the HubSpot portal."
    )
    return "Task owner", text_input(as_typed(value), placeholder="name@example.com"), hint


def _mode_input(value: object, properties: Mapping[str, PropertyType]) -> _Input:
    options = [option(text, mode) for mode, text in _MODES]
    chosen = _AUTOMATIC if value is None else value
    if isinstance(chosen, str) and chosen not in dict(_MODES) and fits_option_value(chosen):
        options.append(option(f"{cut(chosen, 50)} (not a mode)", chosen))
    initial = next((choice for choice in options if choice["value"] == chosen), None)
    element = radio_buttons(WizardAction.INPUT, options, initial_option=initial)
    return "How to post", element, ""


def _property_input(value: object, properties: Mapping[str, PropertyType]) -> _Input:
    names = sorted(properties)
    known = ", ".join(names[:_PROPERTIES_NAMED]) + (", …" if len(names) > _PROPERTIES_NAMED else "")
    hint = "A property of the records"
    hint += f" ({known})" if known else ""
    hint += ", or a new one: lower-case letters, digits and _, such as last_reminded."
    return "Property", text_input(as_typed(value), placeholder="last_reminded"), hint


def _value_input(value: object, properties: Mapping[str, PropertyType]) -> _Input:
    hint = (
        "Text, a number, true or false, or a date such as 2026-03-01; "
        f"{{{{ {RUN_DATE} }}}} sets the date of the run."
    )
    return "Value", text_input(as_typed(value)), hint


def _due_input(value: object, properties: Mapping[str, PropertyType]) -> _Input:
    hint = "Days after the run; empty or 0 is the day of the run."
    if value is None or is_days(value):
        return "Due in (days)", days_input(value), hint
    return "Due in (days)", text_input(as_typed(value)), hint  # shown as it is, for the domain


_INPUT_BUILDERS: Mapping[str, Callable[[object, Mapping[str, PropertyType]], _Input]] = {
    "channel": _channel_input,
    "users": _users_input,
    "user_groups": _user_groups_input,
    "text": _message_input,
    "mode": _mode_input,
    "property": _property_input,
    "value": _value_input,
    "title": _title_input,
    "due_in_days": _due_input,
    "body": _body_input,
    "priority": _priority_input,
    "owner": _owner_input,
}


def _placeholders_hint(properties: Mapping[str, PropertyType]) -> str:
    fixed = ", ".join(f"{{{{ {name} }}}}" for name in FIXED_PLACEHOLDERS)
    hint = f"Placeholders: {fixed}, and {{{{ {PROPERTY_PREFIX}NAME }}}} for a property"
    names = sorted(properties)
    if not names:
        return hint + "."
    shown = ", ".join(names[:_PROPERTIES_NAMED])
    more = f" and {len(names) - _PROPERTIES_NAMED} more" if len(names) > _PROPERTIES_NAMED else ""
    return f"{hint}: {shown}{more}."


def _move_buttons(index: int, count: int) -> dict[str, Any]:
    value = json.dumps({"action": index})
    elements = []
    if index > 0:
        elements.append(button("Up", WizardAction.MOVE_ACTION_UP, value))
    if index < count - 1:
        elements.append(button("Down", WizardAction.MOVE_ACTION_DOWN, value))
    elements.append(button("Remove", WizardAction.REMOVE_ACTION, value, style="danger"))
    return actions_block(*elements)


def _footer(actions: Sequence[object], layout: int) -> dict[str, Any]:
    """One block: the select that adds an action (of a type that fits), or why there is none."""
    count, shown = len(actions), _shown_count(actions)
    addable = _addable(actions)
    if not addable:
        notes = [f"This form holds {shown} actions."]
        if count > shown:
            hidden = count - shown
            notes.append(
                f"{hidden} more {'action is' if hidden == 1 else 'actions are'} not shown and "
                f"kept as they are: edit them in {WORKFLOW_FILE}."
            )
        return context(*notes)
    # An input block, not an actions block, so that "add an action" problems can show on it.
    add = static_select(
        WizardAction.ADD_ACTION,
        placeholder="Choose what to do for each record",
        options=[option(_TITLES[kind], kind) for kind in addable],
    )
    return input_block(
        "Add an action" if count else "Add the first action",
        add,
        block_id=action_block(None, "add", layout),
        optional=True,
        dispatch_action=True,
    )


def _blocks_of(action: object) -> int:
    """The blocks an action takes in the editor: its section, inputs and buttons."""
    return 2 + len(_inputs_of(action))


def _shown_count(actions: Sequence[object]) -> int:
    """How many of the first actions the editor shows: at most MAX_ACTIONS_SHOWN, in at
    most ACTIONS_BLOCKS blocks."""
    used = accumulate(_blocks_of(action) for action in actions[:MAX_ACTIONS_SHOWN])
    return sum(1 for blocks in used if blocks <= ACTIONS_BLOCKS)


def _addable(actions: Sequence[object]) -> list[str]:
    """The types of action that can be added: none when some are not shown or the form
    is full, else those that fit in the blocks left."""
    shown = _shown_count(actions)
    if shown < len(actions) or shown >= MAX_ACTIONS_SHOWN:
        return []
    left = ACTIONS_BLOCKS - sum(_blocks_of(action) for action in actions)
    return [kind for kind in ACTION_TYPES if 2 + len(_INPUTS[kind]) <= left]


# --- Reading ------------------------------------------------------------------------------


def read_actions(
    values: Mapping[str, Mapping[str, Any]],
    actions: Sequence[ActionItem],
    properties: Mapping[str, PropertyType],
    layout: int,
) -> list[ActionItem]:
    """The document form of what the user left in the editor that actions_blocks rendered
    from ``actions`` with ``layout``; ``values`` is the view's state.values. Actions the
    editor shows no inputs for are kept as they are."""
    read: list[ActionItem] = []
    shown = _shown_count(actions)
    for index, action in enumerate(actions):
        known = _known(action) if index < shown else None
        if known is None:
            read.append(action.copy() if is_action(action) else action)
        else:
            read.append(_read_action(index, known, values, properties, layout))
    return read


def _read_action(
    index: int,
    action: ActionDocument,
    values: Mapping[str, Mapping[str, Any]],
    properties: Mapping[str, PropertyType],
    layout: int,
) -> ActionDocument:
    read: ActionDocument = {"type": action["type"]}
    for name in _INPUTS[action["type"]]:
        block_id = action_block(index, name, layout)
        if block_id in values:
            typed = _selected_users(values, block_id) if name == "users" else None
            typed = typed if typed is not None else entered(values, block_id, None)
            value: _ActionValue | None = _read_input(name, typed, read, properties)
            if name == "due_in_days" and value is None:
                value = _DUE_ON_THE_RUN_DAY
        else:
            value = action.get(name)
        if value is not None:
            read[name] = value
    return read


def _read_input(
    name: ActionField, text: object, read: ActionDocument, properties: Mapping[str, PropertyType]
) -> _ActionValue | None:
    if name == "users":
        users = [user for user in text if isinstance(user, str)] if isinstance(text, list) else []
        return users or None
    if not isinstance(text, str) or not text.strip():
        return None
    if name == "user_groups":
        return [group for group in _GROUP_SEPARATORS.split(text) if group]
    if name == "mode":
        return None if text == _AUTOMATIC else text
    if name == "priority":
        return None if text == _NO_PRIORITY else text
    if name == "owner":
        return text.strip()
    if name == "property":
        return text.strip()
    if name == "due_in_days":
        return entered_days(text)
    if name == "value":
        return _property_value(text, properties.get(read.get("property", "")))
    return text


def _selected_users(values: Mapping[str, Mapping[str, Any]], block_id: str) -> list[Any] | None:
    """The users chosen in a users select's state; None when the state is not of that shape."""
    block = values.get(block_id)
    state = next(iter(block.values()), None) if isinstance(block, Mapping) else None
    chosen = state.get("selected_users") if isinstance(state, Mapping) else None
    return chosen if isinstance(chosen, list) else None


def _property_value(text: str, property_type: PropertyType | None) -> StoredValue:
    """The value of a set_property action as the domain wants it written: converted for a
    number or boolean property; for a new property, true/false and numbers are taken as such
    (the domain gives a new property the type of its value)."""
    if RUN_DATE_TEMPLATE.fullmatch(text.strip()):
        return text
    if property_type is not None:
        return converted(text, property_type)
    if text in ("true", "false"):
        return text == "true"
    return converted(text, PropertyType.NUMBER)


# --- Errors -------------------------------------------------------------------------------


def actions_errors(
    problems: Sequence[Problem],
    actions: Sequence[ActionItem],
    layout: int,
    labels: PropertyLabels = NO_LABELS,
) -> dict[str, str]:
    """The domain's problems with the actions (located from the document's root, as
    ("actions", 2, "due_in_days")) placed on the editor's input blocks and worded by their
    labels, for a view_submission's response_action "errors": a field's problem beside that
    field, another problem of an action on its first input, any other on the editor's first
    input."""
    inputs = _rendered_inputs(actions, layout)
    first = next((ids[0] for ids in inputs.values() if ids), None)
    if _addable(actions):
        first = first or action_block(None, "add", layout)
    if first is None:
        return {}
    placed: dict[str, list[str]] = {}
    for problem in problems:
        block, message = _placed(problem, actions, inputs, first, layout, labels)
        placed.setdefault(block, []).append(message)
    # A sentence once: several items of one list can have the same problem.
    return {block: input_error(list(dict.fromkeys(texts))) for block, texts in placed.items()}


def _placed(
    problem: Problem,
    actions: Sequence[ActionItem],
    inputs: Mapping[int, list[str]],
    first: str,
    layout: int,
    labels: PropertyLabels,
) -> tuple[str, str]:
    """The block a problem goes on, and its words there."""
    index = problem.location[1] if len(problem.location) > 1 else None
    if not isinstance(index, int):
        return first, dialog_text(problem, "Actions", labels)
    own = input_of(problem.location, layout)
    name = problem.field
    if own is not None and own in inputs.get(index, []) and name is not None:
        action = actions[index]  # shown with inputs: an action of a known type
        value = action.get(name) if is_action(action) else None
        label = _INPUT_BUILDERS[name](value, {})[0]
        return own, dialog_text(problem, label, labels)
    what = dialog_text(problem, f"Action {index + 1}", labels)
    if inputs.get(index):
        return inputs[index][0], what
    return first, f"Action {index + 1}: {what}"


def _rendered_inputs(actions: Sequence[ActionItem], layout: int) -> dict[int, list[str]]:
    """The input block ids actions_blocks renders, per action index (not those of values
    kept as they are, which are no inputs)."""
    shown = actions[: _shown_count(actions)]
    return {index: _input_ids(index, _known(action), layout) for index, action in enumerate(shown)}


def _input_ids(index: int, action: ActionDocument | None, layout: int) -> list[str]:
    if action is None:
        return []
    return [
        action_block(index, name, layout)
        for name in _inputs_of(action)
        if _INPUT_BUILDERS[name](action.get(name), {})[1] is not None
    ]


# --- Buttons ------------------------------------------------------------------------------


def edit_actions(actions: Sequence[ActionItem], action_id: str, value: str) -> list[ActionItem]:
    """``actions`` after one use of an editor control: ADD_ACTION's ``value`` is the type
    chosen, the buttons' value the JSON they carry. Anything else, or an add beyond the cap,
    leaves them as they are."""
    edited = [a.copy() if is_action(a) else a for a in actions]
    if action_id == WizardAction.ADD_ACTION:
        if value in _addable(edited):
            edited.append({"type": value})
        return edited
    index = _button_index(value)
    if index is None or not 0 <= index < len(edited):
        return edited
    if action_id == WizardAction.REMOVE_ACTION:
        del edited[index]
    elif action_id == WizardAction.MOVE_ACTION_UP and index > 0:
        edited[index - 1], edited[index] = edited[index], edited[index - 1]
    elif action_id == WizardAction.MOVE_ACTION_DOWN and index < len(edited) - 1:
        edited[index], edited[index + 1] = edited[index + 1], edited[index]
    return edited


def _button_index(value: str) -> int | None:
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    index = decoded.get("action") if isinstance(decoded, dict) else None
    return index if isinstance(index, int) and not isinstance(index, bool) else None


# --- Helpers of this module ---------------------------------------------------------------


def _known(action: object) -> ActionDocument | None:
    """The action, when it is one of a type the editor has inputs for."""
    return action if is_action(action) and _type_of(action) is not None else None


def _type_of(action: object) -> str | None:
    kind = action.get("type") if isinstance(action, Mapping) else None
    return kind if isinstance(kind, str) and kind in _INPUTS else None


def _inputs_of(action: object) -> tuple[ActionField, ...]:
    kind = _type_of(action)
    return () if kind is None else _INPUTS[kind]
