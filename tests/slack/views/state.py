"""Slack's view state (``view["state"]["values"]``) as Slack would send it for rendered blocks,
built from their initial values, and changed the way a user would change it."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

# The key under which Slack reports each stateful element's value, and the element's
# property that holds the value it starts with.
_STATE_KEYS = {
    "plain_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "static_select": ("selected_option", "initial_option"),
    "external_select": ("selected_option", "initial_option"),
    "radio_buttons": ("selected_option", "initial_option"),
    "multi_static_select": ("selected_options", "initial_options"),
    "multi_external_select": ("selected_options", "initial_options"),
    "checkboxes": ("selected_options", "initial_options"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "channels_select": ("selected_channel", "initial_channel"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
}
_MULTI = ("multi_", "checkboxes")

State = dict[str, dict[str, dict[str, Any]]]


def state_from_blocks(blocks: Sequence[Mapping[str, Any]]) -> State:
    """The state.values Slack sends for ``blocks`` untouched by the user: block_id ->
    action_id -> element state, for every stateful element of input, actions and section
    blocks. Every such block must have a block_id (Slack would make up a random one)."""
    values: State = {}
    for block in blocks:
        for element in _elements(block):
            keys = _STATE_KEYS.get(element["type"])
            if keys is None:
                continue  # buttons, overflow menus, images: no state
            block_id = block.get("block_id")
            assert block_id, f"a {block['type']} block with a {element['type']} has no block_id"
            assert block_id not in values or element["action_id"] not in values[block_id]
            state_key, initial_key = keys
            empty: Any = [] if element["type"].startswith(_MULTI) else None
            values.setdefault(block_id, {})[element["action_id"]] = {
                "type": element["type"],
                state_key: copy.deepcopy(element.get(initial_key, empty)),
            }
    return values


def enter(values: State, block_id: str, value: Any, action_id: str | None = None) -> None:
    """Types ``value`` (text, a date, a conversation id...) into the element of a block."""
    state = _element_state(values, block_id, action_id)
    key = next(k for k in state if k != "type")
    state[key] = value


def choose(
    blocks: Sequence[Mapping[str, Any]],
    values: State,
    block_id: str,
    option_value: str,
    action_id: str | None = None,
) -> None:
    """Picks the option with ``option_value`` in a select or radio buttons of a block."""
    state = _element_state(values, block_id, action_id)
    block = next(b for b in blocks if b.get("block_id") == block_id)
    element = next(
        e
        for e in _elements(block)
        if e["type"] == state["type"] and (action_id is None or e["action_id"] == action_id)
    )
    options = element.get("options") or [
        option for group in element["option_groups"] for option in group["options"]
    ]
    state["selected_option"] = copy.deepcopy(
        next(option for option in options if option["value"] == option_value)
    )


def _element_state(values: State, block_id: str, action_id: str | None) -> dict[str, Any]:
    block = values[block_id]
    if action_id is None:
        assert len(block) == 1, f"{block_id} has {len(block)} elements: name the action_id"
        return next(iter(block.values()))
    return block[action_id]


def _elements(block: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if block["type"] == "input":
        return [block["element"]]
    if block["type"] == "actions":
        return list(block["elements"])
    if block["type"] == "section" and "accessory" in block:
        return [block["accessory"]]
    return []
