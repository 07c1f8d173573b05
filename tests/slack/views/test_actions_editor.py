"""The wizard's actions editor: what it renders, how Slack's state reads back, where the
domain's problems land and what its controls do."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.slack.ids import WizardAction
from bot.slack.views.actions_editor import (
    ACTION_TYPES,
    MAX_ACTIONS_SHOWN,
    actions_blocks,
    actions_errors,
    edit_actions,
    read_actions,
)
from bot.workflows.definitions import InvalidDefinition, parse_definition
from bot.workflows.problems import Problem, file_text
from bot.workflows.vocabulary import PropertyType
from storage.properties import parse_number
from tests.block_kit import assert_valid_blocks, assert_valid_view
from tests.slack.views.state import choose, enter, state_from_blocks

PROPERTIES = {
    "stage": PropertyType.STRING,
    "amount": PropertyType.NUMBER,
    "won": PropertyType.BOOLEAN,
    "close_date": PropertyType.DATE,
    "last_reminded": PropertyType.DATE,
    "touched_at": PropertyType.DATETIME,
}
BUDGET = 88  # blocks of the editor, so that the wizard's step view stays within 100
MESSAGE = {"type": "send_channel_message", "channel": "C0123ABCD", "text": "{{ name }} is late"}
DM = {"type": "send_owner_dm", "text": "Please update {{ name }}"}
SET = {"type": "set_property", "property": "last_reminded", "value": "{{ run.date }}"}
TASK = {"type": "create_task", "title": "Call about {{ name }}", "due_in_days": 3}
EXAMPLE = [MESSAGE, DM, SET, TASK]


def assert_valid(blocks: Sequence[Mapping[str, Any]]) -> None:
    """Valid Block Kit by the public schema and slack_sdk's models, in a modal; as a list of
    blocks 50 at a time, a message's limit, which a modal does not have."""
    for start in range(0, len(blocks), 50):
        assert_valid_blocks(blocks[start : start + 50])
    assert_valid_view(
        {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Wizard"},
            "submit": {"type": "plain_text", "text": "Next"},
            "blocks": list(blocks),
        }
    )


def assert_well_formed(blocks: Sequence[Mapping[str, Any]]) -> None:
    """slack_sdk's checks only: the schema takes half a second a view, too slow for every
    example of every test; the tests named ..._valid_block_kit run it on each shape."""
    json.dumps(blocks)
    for parsed in Block.parse_all(list(blocks)):
        parsed.validate_json()
    assert len(blocks) <= BUDGET


def rendered(
    actions: Sequence[Mapping[str, Any]], layout: int = 1, properties=PROPERTIES
) -> list[dict[str, Any]]:
    blocks = actions_blocks(actions, properties, layout)
    assert_well_formed(blocks)
    return blocks


def read_untouched(actions: Sequence[Mapping[str, Any]], layout: int = 1) -> list[dict[str, Any]]:
    blocks = rendered(actions, layout)
    return read_actions(state_from_blocks(blocks), actions, PROPERTIES, layout)


def block(blocks: Sequence[Mapping[str, Any]], block_id: str) -> Mapping[str, Any]:
    return next(b for b in blocks if b.get("block_id") == block_id)


def input_ids(blocks: Sequence[Mapping[str, Any]]) -> set[str]:
    return {b["block_id"] for b in blocks if b["type"] == "input"}


def buttons(blocks: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def texts(blocks: Sequence[Mapping[str, Any]]) -> str:
    parts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    parts += [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    return "\n".join(parts)


# --- Generated valid actions --------------------------------------------------------------

_WORDS = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="{}"),
    min_size=1,
    max_size=40,
).filter(lambda text: text.strip() != "")
_MULTILINE = st.lists(_WORDS, min_size=1, max_size=3).map("\n".join)
_PLACEHOLDER = st.sampled_from(
    ["{{ name }}", "{{ owner }}", "{{ id }}", "{{ run.date }}", "{{ properties.stage }}"]
)
_TEMPLATE = st.tuples(_MULTILINE, _PLACEHOLDER, st.booleans()).map(
    lambda parts: parts[0] + " " + parts[1] if parts[2] else parts[0]
)
_CHANNEL = st.from_regex(r"[CG][A-Z0-9]{2,10}", fullmatch=True)
_NEW_PROPERTY = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True).filter(
    lambda name: name not in PROPERTIES
)


def _is_number(text: str) -> bool:
    try:
        parse_number(text)
    except ValueError:
        return False
    return True


_NEW_VALUE = (
    st.booleans()
    | st.integers(-(10**6), 10**6)
    | _WORDS.filter(lambda text: text not in ("true", "false") and not _is_number(text))
)
_KNOWN_VALUE = {
    "stage": _WORDS,
    "amount": st.integers(-(10**6), 10**6) | st.floats(-1e4, 1e4, allow_nan=False),
    "won": st.booleans(),
    "close_date": st.dates(date(2000, 1, 1), date(2100, 1, 1)).map(date.isoformat),
    "last_reminded": st.just("{{ run.date }}"),
    "touched_at": st.just("2026-03-01T09:00:00Z"),
}


@st.composite
def set_property(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        name = draw(st.sampled_from(sorted(_KNOWN_VALUE)))
        value = draw(_KNOWN_VALUE[name])
    else:
        name, value = draw(_NEW_PROPERTY), draw(_NEW_VALUE)
    return {"type": "set_property", "property": name, "value": value}


def _message(channel: str, text: str, mode: str | None) -> dict[str, Any]:
    action = {"type": "send_channel_message", "channel": channel, "text": text}
    return action if mode is None else {**action, "mode": mode}


_USERS = st.lists(st.from_regex(r"U[0-9][A-Z0-9]{1,9}", fullmatch=True), min_size=1, unique=True)
_GROUPS = st.lists(
    st.from_regex(r"@[a-z0-9][a-z0-9._-]{0,15}|S[A-Z0-9]{2,10}", fullmatch=True),
    max_size=3,
    unique=True,
)


def _direct_message(
    users: list[str], groups: list[str], text: str, mode: str | None
) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "send_dm", "users": users[:5]}
    if groups:
        action["user_groups"] = groups
    action["text"] = text
    return action if mode is None else {**action, "mode": mode}


_ACTION = st.one_of(
    st.builds(_message, _CHANNEL, _TEMPLATE, st.sampled_from([None, "per_record", "digest"])),
    st.builds(_direct_message, _USERS, _GROUPS, _TEMPLATE, st.sampled_from([None, "digest"])),
    st.builds(lambda text: {"type": "send_owner_dm", "text": text}, _TEMPLATE),
    set_property(),
    st.builds(
        lambda title, days: {"type": "create_task", "title": title, "due_in_days": days},
        _WORDS,
        st.integers(0, 36_600),
    ),
)


def definition(actions: object) -> dict[str, Any]:
    return {
        "name": "Review",
        "object_type": "deals",
        "status": "active",
        "owner": "U0123ABCD",
        "schedule": {"frequency": "daily", "time": "09:00"},
        "criteria": {},
        "actions": actions,
    }


def parse(actions: object) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    parse_definition(definition(actions), PROPERTIES, ["deals"], "UTC", now)


def problems_of(actions: object) -> tuple[Problem, ...]:
    with pytest.raises(InvalidDefinition) as raised:
        parse(actions)
    return raised.value.problems


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ACTION, max_size=MAX_ACTIONS_SHOWN), st.integers(0, 10_000))
def test_generated_actions_read_back_as_they_were_rendered(
    actions: list[dict[str, Any]], layout: int
) -> None:
    if actions:
        parse(actions)  # the generator makes valid actions
    assert read_untouched(actions, layout) == actions


# --- Rendering ----------------------------------------------------------------------------


def test_each_action_is_a_section_in_words_then_its_inputs_then_its_buttons() -> None:
    blocks = rendered(EXAMPLE, layout=5)
    assert [b["type"] for b in blocks[:5]] == ["section", "input", "input", "input", "actions"]
    assert blocks[0]["text"]["text"] == "*1. Post a message in a channel*"
    assert [b.get("block_id") for b in blocks[1:4]] == [
        "actions.a0.channel@5",
        "actions.a0.text@5",
        "actions.a0.mode@5",
    ]
    shown = texts(blocks)
    for words in ("2. Send the record's owner a direct message", "3. Set a property", "4. Create"):
        assert words in shown
    assert len(blocks) == 5 + 3 + 4 + 7 + 1


def button_rows(blocks: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    return [[e["text"]["text"] for e in b["elements"]] for b in blocks if b["type"] == "actions"]


def test_the_first_action_cannot_move_up_nor_the_last_down() -> None:
    blocks = rendered(EXAMPLE)
    assert button_rows(blocks) == [
        ["Down", "Remove"],
        ["Up", "Down", "Remove"],
        ["Up", "Down", "Remove"],
        ["Up", "Remove"],
    ]
    assert button_rows(rendered([DM])) == [["Remove"]]


def test_the_channel_is_picked_among_public_and_private_channels() -> None:
    element = block(rendered([MESSAGE]), "actions.a0.channel@1")["element"]
    assert element["type"] == "conversations_select"
    assert element["filter"] == {"include": ["public", "private"], "exclude_bot_users": True}
    assert element["initial_conversation"] == "C0123ABCD"


def test_a_channel_name_instead_of_an_id_is_not_preselected_but_named() -> None:
    channel_block = block(rendered([{**MESSAGE, "channel": "general"}]), "actions.a0.channel@1")
    assert "initial_conversation" not in channel_block["element"]
    assert "'general'" in channel_block["hint"]["text"]


def test_the_message_mode_is_one_of_three_choices() -> None:
    element = block(rendered([MESSAGE]), "actions.a0.mode@1")["element"]
    assert element["type"] == "radio_buttons"
    assert [o["value"] for o in element["options"]] == ["automatic", "per_record", "digest"]
    assert element["initial_option"]["value"] == "automatic"
    assert "digest above 20 records" in element["options"][0]["text"]["text"]


def test_choosing_a_mode_writes_it_and_automatic_leaves_it_out() -> None:
    action = {**MESSAGE, "mode": "digest"}
    blocks = rendered([action])
    values = state_from_blocks(blocks)
    assert read_actions(values, [action], PROPERTIES, 1) == [action]
    choose(blocks, values, "actions.a0.mode@1", "automatic")
    assert read_actions(values, [action], PROPERTIES, 1) == [MESSAGE]
    choose(blocks, values, "actions.a0.mode@1", "per_record")
    assert read_actions(values, [action], PROPERTIES, 1) == [{**MESSAGE, "mode": "per_record"}]


def test_texts_are_multi_line_inputs_with_the_placeholders_as_hint() -> None:
    text_block = block(rendered([MESSAGE]), "actions.a0.text@1")
    assert text_block["element"]["multiline"] is True
    assert text_block["element"]["max_length"] == 3000
    hint = text_block["hint"]["text"]
    for placeholder in ("{{ name }}", "{{ owner }}", "{{ id }}", "{{ run.date }}"):
        assert placeholder in hint
    assert "{{ workflow.name }}" in hint
    assert "{{ properties.NAME }}" in hint
    assert "amount, close_date" in hint


def test_due_in_days_is_a_whole_number_from_zero() -> None:
    element = block(rendered([TASK]), "actions.a0.due_in_days@1")["element"]
    assert element["type"] == "number_input"
    assert element["is_decimal_allowed"] is False
    assert element["min_value"] == "0"
    assert element["initial_value"] == "3"


def test_the_last_block_adds_an_action_of_a_chosen_type() -> None:
    add = rendered(EXAMPLE, layout=2)[-1]
    assert add["type"] == "input"
    assert add["block_id"] == "actions.add@2"
    assert add["dispatch_action"] is True
    assert add["element"]["action_id"] == WizardAction.ADD_ACTION
    assert [o["value"] for o in add["element"]["options"]] == list(ACTION_TYPES)


def test_no_actions_show_only_the_add_select() -> None:
    [add] = rendered([])
    assert add["label"]["text"] == "Add the first action"
    assert read_untouched([]) == []


def test_an_unknown_action_is_shown_escaped_and_kept() -> None:
    actions: list[Any] = [{"type": "<!channel> post"}, "junk", {"no": "type"}]
    blocks = rendered(actions)
    assert "&lt;!channel&gt; post" in texts(blocks)
    assert "<!channel>" not in texts(blocks)
    assert read_untouched(actions) == actions


# --- Reading ------------------------------------------------------------------------------


def entered(action: Mapping[str, Any], field: str, value: Any) -> dict[str, Any]:
    blocks = rendered([action])
    values = state_from_blocks(blocks)
    enter(values, f"actions.a0.{field}@1", value)
    [read] = read_actions(values, [action], PROPERTIES, 1)
    return read


def test_what_is_typed_is_read() -> None:
    assert entered(MESSAGE, "channel", "C999")["channel"] == "C999"
    assert entered(DM, "text", "Hi\nthere {{ owner }}")["text"] == "Hi\nthere {{ owner }}"
    assert entered(TASK, "due_in_days", "10")["due_in_days"] == 10
    assert entered(TASK, "due_in_days", "ten")["due_in_days"] == "ten"
    assert entered(SET, "property", " stage ")["property"] == "stage"


def test_what_is_cleared_is_left_out_for_the_domain_to_report() -> None:
    assert entered(MESSAGE, "text", None) == {k: v for k, v in MESSAGE.items() if k != "text"}
    assert "title" not in entered(TASK, "title", "   ")
    # Except the task's due day: left empty, the task is due on the day of the run.
    assert entered(TASK, "due_in_days", None)["due_in_days"] == 0


@pytest.mark.parametrize(
    ("property_", "typed", "value"),
    [
        ("amount", "5000", 5000),
        ("amount", "5k", "5k"),
        ("won", "yes", True),
        ("stage", "5000", "5000"),
        ("close_date", "2026-03-01", "2026-03-01"),
        ("close_date", " {{run.date}} ", " {{run.date}} "),
        ("new_flag", "true", True),
        ("new_count", "12", 12),
        ("new_zip", "02134", "02134"),
        ("new_note", "hello", "hello"),
    ],
)
def test_a_property_value_is_typed_as_the_property(
    property_: str, typed: str, value: object
) -> None:
    action = {"type": "set_property", "property": property_, "value": "x"}
    assert entered(action, "value", typed)["value"] == value


def test_the_layout_keeps_one_layouts_state_out_of_another() -> None:
    blocks = rendered([DM], layout=3)
    values = state_from_blocks(blocks)
    enter(values, "actions.a0.text@3", "changed")
    assert read_actions(values, [DM], PROPERTIES, 4) == [DM]


def test_actions_beyond_the_cap_are_not_shown_and_kept_as_they_are() -> None:
    actions = [dict(DM, text=f"text {i}") for i in range(MAX_ACTIONS_SHOWN + 3)]
    blocks = rendered(actions)
    assert "3 more actions are not shown" in texts(blocks)
    values = state_from_blocks(blocks)
    enter(values, "actions.a0.text@1", "first")
    read = read_actions(values, actions, PROPERTIES, 1)
    assert read == [dict(DM, text="first"), *actions[1:]]


# --- Direct messages to chosen people -----------------------------------------------------

SEND_DM = {
    "type": "send_dm",
    "users": ["U0ANN", "U0BOB"],
    "user_groups": ["@sales-leads", "S0123ABCD"],
    "text": "{{ name }} needs you",
}


def test_a_direct_message_picks_people_and_takes_user_groups_as_text() -> None:
    blocks = rendered([SEND_DM])
    assert blocks[0]["text"]["text"] == "*1. Send chosen people a direct message*"
    people = block(blocks, "actions.a0.users@1")
    assert people["label"]["text"] == "People"
    assert people["element"]["type"] == "multi_users_select"
    assert people["element"]["initial_users"] == ["U0ANN", "U0BOB"]
    groups = block(blocks, "actions.a0.user_groups@1")
    assert groups["element"]["initial_value"] == "@sales-leads, S0123ABCD"
    assert "@sales-leads" in groups["hint"]["text"]
    assert block(blocks, "actions.a0.mode@1")["element"]["type"] == "radio_buttons"
    assert read_untouched([SEND_DM]) == [SEND_DM]


def test_the_people_chosen_and_the_user_groups_typed_are_read() -> None:
    assert entered(SEND_DM, "users", ["U0CAROL"])["users"] == ["U0CAROL"]
    typed = entered(SEND_DM, "user_groups", " @a, @b\nS0123ABCD ,")
    assert typed["user_groups"] == ["@a", "@b", "S0123ABCD"]
    cleared = entered(SEND_DM, "users", [])
    assert "users" not in cleared
    assert "user_groups" not in entered(SEND_DM, "user_groups", "  ")


def test_a_recipients_problem_shows_beside_its_input() -> None:
    actions = [{**SEND_DM, "users": ["ann"], "user_groups": ["sales team"]}]
    errors = placed(problems_of(actions), actions)
    assert set(errors) == {"actions.a0.users@2", "actions.a0.user_groups@2"}
    assert errors["actions.a0.users@2"] == (
        "People needs people from the list, or user groups such as @sales-leads."
    )
    nobody = [{"type": "send_dm", "text": "x"}]
    assert placed(problems_of(nobody), nobody)["actions.a0.users@2"] == (
        "Choose at least one person or user group."
    )


def test_direct_messages_fill_the_form_within_its_block_budget() -> None:
    actions = [SEND_DM] * MAX_ACTIONS_SHOWN
    blocks = rendered(actions)
    assert len(blocks) == 6 * 12 + 1
    assert "This form holds 12 actions." in texts(blocks)
    assert "3 more actions are not shown" in texts(blocks)
    assert edit_actions(actions[:12], WizardAction.ADD_ACTION, "send_dm") == actions[:12]
    assert read_untouched(actions) == actions


def test_only_the_actions_that_fit_can_be_added() -> None:
    actions = [SEND_DM] * 11 + [MESSAGE]  # 71 of 75 blocks: 4 left, a task takes 7
    add = rendered(actions)[-1]
    assert [o["value"] for o in add["element"]["options"]] == ["send_owner_dm", "set_property"]
    roomier = rendered([SEND_DM] * 11 + [{"type": "send_owner_dm", "text": "Hi"}])[-1]  # 6 left
    assert "create_task" not in [o["value"] for o in roomier["element"]["options"]]
    room = rendered([SEND_DM] * 10 + [MESSAGE])[-1]  # 65 of 75: 10 left
    assert "create_task" in [o["value"] for o in room["element"]["options"]]
    assert edit_actions(actions, WizardAction.ADD_ACTION, "send_dm") == actions
    assert edit_actions(actions, WizardAction.ADD_ACTION, "set_property")[-1] == {
        "type": "set_property"
    }


# --- The cap ------------------------------------------------------------------------------


def test_the_editor_at_its_cap_stays_within_its_block_budget() -> None:
    actions = [MESSAGE] * MAX_ACTIONS_SHOWN
    blocks = rendered(actions)
    assert len(blocks) == 5 * MAX_ACTIONS_SHOWN + 1
    assert not any(b.get("block_id", "").startswith("actions.add") for b in blocks)
    assert f"This form holds {MAX_ACTIONS_SHOWN} actions" in texts(blocks)
    assert edit_actions(actions, WizardAction.ADD_ACTION, "send_owner_dm") == actions


# --- Controls -----------------------------------------------------------------------------


def press(actions: Sequence[Mapping[str, Any]], action_id: str, index: int) -> list[Any]:
    return edit_actions(actions, action_id, json.dumps({"action": index}))


@pytest.mark.parametrize("kind", ACTION_TYPES)
def test_add_action_appends_an_empty_action_of_the_type(kind: str) -> None:
    added = edit_actions([DM], WizardAction.ADD_ACTION, kind)
    assert added == [DM, {"type": kind}]
    rendered(added)


def test_remove_and_move_do_what_they_say() -> None:
    assert press(EXAMPLE, WizardAction.REMOVE_ACTION, 1) == [MESSAGE, SET, TASK]
    assert press(EXAMPLE, WizardAction.MOVE_ACTION_UP, 2) == [MESSAGE, SET, DM, TASK]
    assert press(EXAMPLE, WizardAction.MOVE_ACTION_DOWN, 0) == [DM, MESSAGE, SET, TASK]


def test_the_rendered_buttons_do_what_they_say() -> None:
    presses = [(b["action_id"], b["value"]) for b in buttons(rendered(EXAMPLE))]
    results = [edit_actions(EXAMPLE, action_id, value) for action_id, value in presses]
    assert results == [
        [DM, MESSAGE, SET, TASK],
        [DM, SET, TASK],
        [DM, MESSAGE, SET, TASK],
        [MESSAGE, SET, DM, TASK],
        [MESSAGE, SET, TASK],
        [MESSAGE, SET, DM, TASK],
        [MESSAGE, DM, TASK, SET],
        [MESSAGE, DM, TASK],
        [MESSAGE, DM, TASK, SET],
        [MESSAGE, DM, SET],
    ]


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        (WizardAction.MOVE_ACTION_UP, '{"action": 0}'),
        (WizardAction.MOVE_ACTION_DOWN, '{"action": 3}'),
        (WizardAction.REMOVE_ACTION, '{"action": 4}'),
        (WizardAction.REMOVE_ACTION, '{"action": true}'),
        (WizardAction.REMOVE_ACTION, "nonsense"),
        (WizardAction.ADD_ACTION, "send_fax"),
        (WizardAction.REFRESH, '{"action": 0}'),
    ],
)
def test_a_press_that_makes_no_sense_changes_nothing(action_id: str, value: str) -> None:
    assert edit_actions(EXAMPLE, action_id, value) == EXAMPLE


def test_editing_leaves_the_draft_untouched() -> None:
    actions = [dict(action) for action in EXAMPLE]
    press(actions, WizardAction.MOVE_ACTION_DOWN, 0)
    press(actions, WizardAction.REMOVE_ACTION, 0)
    assert actions == EXAMPLE


# --- Errors -------------------------------------------------------------------------------


def placed(problems: Sequence[Problem], actions: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    errors = actions_errors(problems, actions, 2)
    assert set(errors) <= input_ids(actions_blocks(actions, PROPERTIES, 2))
    return errors


def test_a_fields_problem_shows_beside_that_field() -> None:
    actions = [
        {"type": "send_channel_message", "channel": "general", "text": ""},
        {"type": "set_property", "property": "Bad", "value": 1},
        {"type": "create_task", "title": "Call {{ nam }}", "due_in_days": -1},
    ]
    problems = problems_of(actions)
    assert file_text(problems[0]).startswith("actions[0].channel: 'general' is not a channel id")
    errors = placed(problems, actions)
    assert set(errors) == {
        "actions.a0.channel@2",
        "actions.a0.text@2",
        "actions.a1.property@2",
        "actions.a2.title@2",
        "actions.a2.due_in_days@2",
    }
    assert errors["actions.a0.channel@2"] == "Choose a channel from the list."
    assert errors["actions.a0.text@2"] == "Write the message to send."
    assert errors["actions.a1.property@2"] == (
        "Property needs lower-case letters, digits and _, starting with a letter, "
        "e.g. last_reminded."
    )
    assert errors["actions.a2.title@2"] == (
        "Task title has {{ nam }}, which is not a placeholder: did you mean {{ name }}?"
    )
    assert errors["actions.a2.due_in_days@2"] == (
        "Due in (days) needs a whole number from 0 to 36600."
    )


def test_a_problem_of_a_field_without_input_shows_on_the_actions_first_input() -> None:
    actions = [{**DM, "channel": "C1"}]
    errors = placed(problems_of(actions), actions)
    assert list(errors) == ["actions.a0.text@2"]
    assert errors["actions.a0.text@2"] == (
        "This draft holds something this form has no input for and a workflow does not have "
        "(an earlier version of the bot may have left it), so it cannot be saved. Close this "
        "dialog and open a new one with /workflow edit and the workflow's name, or "
        "/workflow create: it starts without it."
    )


def test_a_problem_of_an_action_without_inputs_shows_on_the_first_input() -> None:
    actions = [DM, {"type": "send_fax"}]
    errors = placed(problems_of(actions), actions)
    assert list(errors) == ["actions.a0.text@2"]
    assert errors["actions.a0.text@2"] == (
        "Action 2: This form does not know this kind of action: remove it, or edit it in the "
        "workflow's file."
    )


def test_no_actions_shows_its_problem_on_the_add_select() -> None:
    problems = problems_of([])
    assert [file_text(p) for p in problems] == [
        "actions: empty: add an action (only a draft may have none)"
    ]
    assert placed(problems, []) == {
        "actions.add@2": "Add at least one action: what the workflow does for each record."
    }


def test_several_problems_of_one_field_are_joined() -> None:
    actions = [{**DM, "text": "{{ nam }} {{ ownr }}"}]
    errors = placed(problems_of(actions), actions)
    assert errors["actions.a0.text@2"].count("\n") == 1


def test_without_any_input_no_error_can_be_placed() -> None:
    actions = [{"type": "send_fax"}] * MAX_ACTIONS_SHOWN
    assert placed(problems_of(actions), actions) == {}


_MESSY_ACTION = st.fixed_dictionaries(
    {"type": st.sampled_from([*ACTION_TYPES, "send_fax"])},
    optional={
        field: st.none() | st.integers(-3, 3) | st.text(max_size=8) | st.just("{{ nam }}")
        for field in (
            "channel",
            "text",
            "mode",
            "property",
            "value",
            "title",
            "due_in_days",
            "users",
            "user_groups",
        )
    },
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_MESSY_ACTION, max_size=MAX_ACTIONS_SHOWN + 2))
def test_every_problem_lands_on_an_input_of_the_editor(actions: list[dict[str, Any]]) -> None:
    blocks = rendered(actions)
    try:
        parse(actions)
    except InvalidDefinition as error:
        problems = [p for p in error.problems if p.location[0] == "actions"]
    else:
        return
    errors = actions_errors(problems, actions, 1)
    assert set(errors) <= input_ids(blocks)
    if input_ids(blocks) and problems:
        assert errors and all(errors.values())


# --- Valid Block Kit, shape by shape ------------------------------------------------------

SHAPES: list[list[Any]] = [
    [],
    EXAMPLE,
    [{**MESSAGE, "mode": "digest"}, {**MESSAGE, "mode": "weekly"}, {**MESSAGE, "channel": 5}],
    [{**TASK, "due_in_days": -1}, {**TASK, "due_in_days": "3"}, {**TASK, "title": "x" * 4000}],
    [{"type": "set_property"}, {"type": "create_task"}, {"type": "send_channel_message"}],
    [{"type": "<!here>"}, "junk", {"type": None}, {"type": "send_owner_dm", "text": 5}],
    [MESSAGE] * MAX_ACTIONS_SHOWN,
    [TASK] * (MAX_ACTIONS_SHOWN + 5),
    [SEND_DM, {"type": "send_dm", "users": "U0ANN", "user_groups": 5}, {"type": "send_dm"}],
    [SEND_DM] * (MAX_ACTIONS_SHOWN + 1),
]


@pytest.mark.parametrize("actions", SHAPES)
def test_the_editor_renders_valid_block_kit(actions: list[Any]) -> None:
    blocks = actions_blocks(actions, PROPERTIES, 9)
    assert_valid(blocks)
    assert len(blocks) <= BUDGET


def test_the_editor_renders_valid_block_kit_without_properties() -> None:
    assert_valid(actions_blocks(EXAMPLE, {}, 1))


def test_user_groups_too_long_for_a_text_box_are_shown_and_kept_whole() -> None:
    groups = [f"@group-{n:04}" for n in range(300)]  # 300 x 11 + 299 = 3,599 characters
    actions = [{**SEND_DM, "user_groups": groups}]

    blocks = rendered(actions, 2)
    shown = block(blocks, "actions.a0.user_groups@2")
    bad_groups = [{**actions[0], "user_groups": [*groups[:-1], "sales team"]}]

    assert shown["type"] == "section"
    assert "*User groups*: longer than this form can show" in shown["text"]["text"]
    assert read_untouched(actions, 2) == actions
    assert set(placed(problems_of(bad_groups), bad_groups)) == {"actions.a0.users@2"}


def test_user_groups_typed_as_long_as_a_text_box_takes_are_drawn_again_whole() -> None:
    groups = [f"@g{n:03}" for n in range(500)]  # "," between them: 2,999 characters
    shown = block(rendered([{**SEND_DM, "user_groups": groups}]), "actions.a0.user_groups@1")

    assert shown["element"]["initial_value"] == ",".join(groups)
