"""The Block Kit pieces the bot's surfaces are built from, one builder per kind, each keeping
what it builds within Slack's documented limits: text objects, blocks (sections, contexts,
headers, dividers, actions, inputs), elements (buttons, selects, checkboxes, radio buttons,
text, number, date and time inputs), options, confirm dialogs, lines packed into as few
sections as fit, modals and the Home tab; and the state a submitted or changed view carries.

Two ways of keeping a limit. Words the bot writes, or a name shown in a label, are cut with
an ellipsis, so the cut shows. What would change what a view does if it were cut (a button's
or an option's value, an option missing from a select, a block missing from a modal, private
metadata) is refused with ``BlockKitLimit``: that is a bug of the caller, who must choose
another shape (an external select, fewer blocks), and Slack would refuse the whole view anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.slack.ids import View
from bot.workflows.notifier import SECTION_CHARS
from bot.workflows.templates import cut_mrkdwn

Block = dict[str, Any]

# A section's text holds 3,000 characters (SECTION_CHARS, with room to spare, is the
# domain's); a message 50 blocks, a modal or Home tab 100.
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
MODAL_TITLE_CHARS = 24  # and a modal's submit and close buttons
PRIVATE_METADATA_CHARS = 3000
HEADER_CHARS = 150
LABEL_CHARS = 2000  # and an input's hint
PLACEHOLDER_CHARS = 150
TEXT_INPUT_CHARS = 3000  # what a plain-text input may hold (its max_length)
BUTTON_TEXT_CHARS = 75
BUTTON_VALUE_CHARS = 2000
ACTIONS_ELEMENTS = 25
CONTEXT_ELEMENTS = 10
CONFIRM_TITLE_CHARS = 100
CONFIRM_TEXT_CHARS = 300
CONFIRM_BUTTON_CHARS = 30
OPTION_CHARS = 75  # and an option's description, and an option group's label
OPTION_VALUE_CHARS = 150
SELECT_OPTIONS = 100  # of a select, and of each of its option groups
CHOICES = 10  # options of checkboxes and of radio buttons


class BlockKitLimit(ValueError):
    """A view would break one of Slack's limits in a way that cutting would hide: the
    caller must build it another way."""


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cut_shown_mrkdwn(text: str, limit: int) -> str:
    """Escaped mrkdwn cut like ``cut``, but never inside an entity (``&amp;``) that escaping
    user data wrote: a cut ``&am`` would show as it is."""
    return text if len(text) <= limit else cut_mrkdwn(text, limit - 1) + "…"


def section(
    text: str, accessory: dict[str, Any] | None = None, *, block_id: str | None = None
) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(cut_shown_mrkdwn(text, SECTION_CHARS))}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def context(*texts: str, block_id: str | None = None) -> Block:
    """A context block with one mrkdwn element per text (at most 10)."""
    _check_count("a context block", "elements", texts, 1, CONTEXT_ELEMENTS)
    block: Block = {
        "type": "context",
        "elements": [mrkdwn(cut_shown_mrkdwn(t, SECTION_CHARS)) for t in texts],
    }
    if block_id is not None:
        block["block_id"] = block_id
    return block


def header(text: str) -> Block:
    return {"type": "header", "text": plain(cut(text, HEADER_CHARS))}


def divider() -> Block:
    return {"type": "divider"}


def actions_block(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    """A row of interactive elements (buttons, selects...), at most 25."""
    _check_count("an actions block", "elements", elements, 1, ACTIONS_ELEMENTS)
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def input_block(
    label: str,
    element: dict[str, Any],
    *,
    block_id: str | None = None,
    optional: bool = False,
    hint: str | None = None,
    dispatch_action: bool = False,
) -> Block:
    """An input: ``element`` under ``label``, with an optional ``hint`` below it;
    ``dispatch_action`` sends each change at once (a block action) instead of on submit."""
    block: Block = {"type": "input", "label": plain(cut(label, LABEL_CHARS)), "element": element}
    if block_id is not None:
        block["block_id"] = block_id
    if optional:
        block["optional"] = True
    if hint is not None:
        block["hint"] = plain(cut(hint, LABEL_CHARS))
    if dispatch_action:
        block["dispatch_action"] = True
    return block


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A button; its ``value`` is what the click hands back, so it is never cut."""
    if not 0 < len(value) <= BUTTON_VALUE_CHARS:
        raise BlockKitLimit(
            f"a button's value holds 1 to {BUTTON_VALUE_CHARS:,} characters, not {len(value):,}"
        )
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(cut(text, BUTTON_TEXT_CHARS)),
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def confirmation(title: str, text: str, confirm: str, deny: str) -> dict[str, Any]:
    """The dialog a button asks before it acts: ``text`` (plain) and two answers."""
    return {
        "title": plain(cut(title, CONFIRM_TITLE_CHARS)),
        "text": plain(cut(text, CONFIRM_TEXT_CHARS)),
        "confirm": plain(cut(confirm, CONFIRM_BUTTON_CHARS)),
        "deny": plain(cut(deny, CONFIRM_BUTTON_CHARS)),
    }


def option(text: str, value: str, *, description: str | None = None) -> dict[str, Any]:
    """An option of a select, radio buttons or checkboxes; the text and the description are
    cut to fit, a ``value`` too long is refused (see fits_option_value)."""
    if len(value) > OPTION_VALUE_CHARS:
        raise BlockKitLimit(
            f"an option's value holds {OPTION_VALUE_CHARS} characters, not {len(value):,}"
        )
    built: dict[str, Any] = {"text": plain(cut(text, OPTION_CHARS)), "value": value}
    if description is not None:
        built["description"] = plain(cut(description, OPTION_CHARS))
    return built


def option_group(label: str, options: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Options under a label, in a select's ``option_groups``."""
    _check_count("an option group", "options", options, 1, SELECT_OPTIONS)
    return {"label": plain(cut(label, OPTION_CHARS)), "options": list(options)}


def _element(kind: str, action_id: str, placeholder: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": kind, "action_id": action_id}
    if placeholder is not None:
        element["placeholder"] = plain(cut(placeholder, PLACEHOLDER_CHARS))
    return element


def _check_count(what: str, items: str, given: Sequence[object], least: int, most: int) -> None:
    if not least <= len(given) <= most:
        raise BlockKitLimit(f"{what} holds {least} to {most} {items}, not {len(given)}")


def _check_chosen(
    what: str, chosen: Sequence[dict[str, Any]], among: Sequence[dict[str, Any]]
) -> None:
    """Slack refuses a view whose initial options are not among the options offered."""
    offered = [o["value"] for o in among]
    strays = [o["value"] for o in chosen if o["value"] not in offered]
    if strays:
        raise BlockKitLimit(f"{what} starts with options it does not offer: {strays}")


def _with_options(
    element: dict[str, Any],
    options: Sequence[dict[str, Any]] | None,
    groups: Sequence[dict[str, Any]] | None,
) -> list[dict[str, Any]]:
    """``element`` with its options (or option groups, at most 100 each); every option."""
    if groups is not None:
        _check_count(f"a {element['type']}", "option groups", groups, 1, SELECT_OPTIONS)
        element["option_groups"] = list(groups)
        return [o for group in groups for o in group["options"]]
    offered = list(options or [])
    _check_count(f"a {element['type']}", "options", offered, 1, SELECT_OPTIONS)
    element["options"] = offered
    return offered


def static_select(
    action_id: str,
    *,
    placeholder: str | None = None,
    options: Sequence[dict[str, Any]] | None = None,
    option_groups: Sequence[dict[str, Any]] | None = None,
    initial_option: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A select of ``options`` (1 to 100) or of ``option_groups``: more than a select holds
    is refused, for the caller to offer them through an external select instead."""
    element = _element("static_select", action_id, placeholder)
    offered = _with_options(element, options, option_groups)
    if initial_option is not None:
        _check_chosen("a static_select", [initial_option], offered)
        element["initial_option"] = initial_option
    return element


def multi_static_select(
    action_id: str,
    *,
    placeholder: str | None = None,
    options: Sequence[dict[str, Any]] | None = None,
    option_groups: Sequence[dict[str, Any]] | None = None,
    initial_options: Sequence[dict[str, Any]] = (),
    max_selected_items: int | None = None,
) -> dict[str, Any]:
    element = _element("multi_static_select", action_id, placeholder)
    offered = _with_options(element, options, option_groups)
    if initial_options:
        _check_chosen("a multi_static_select", initial_options, offered)
        element["initial_options"] = list(initial_options)
    if max_selected_items is not None:
        element["max_selected_items"] = max_selected_items
    return element


def external_select(
    action_id: str,
    placeholder: str,
    *,
    min_query_length: int = 0,
    initial_option: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A select whose options the bot gives as the user types (no limit on how many exist)."""
    element = _element("external_select", action_id, placeholder)
    element["min_query_length"] = min_query_length
    if initial_option is not None:
        element["initial_option"] = initial_option
    return element


def multi_external_select(
    action_id: str,
    placeholder: str,
    *,
    min_query_length: int = 0,
    initial_options: Sequence[dict[str, Any]] = (),
    max_selected_items: int | None = None,
) -> dict[str, Any]:
    element = _element("multi_external_select", action_id, placeholder)
    element["min_query_length"] = min_query_length
    if initial_options:
        element["initial_options"] = list(initial_options)
    if max_selected_items is not None:
        element["max_selected_items"] = max_selected_items
    return element


def users_select(
    action_id: str, placeholder: str | None = None, *, initial_user: str | None = None
) -> dict[str, Any]:
    element = _element("users_select", action_id, placeholder)
    if initial_user:
        element["initial_user"] = initial_user
    return element


def multi_users_select(
    action_id: str,
    placeholder: str | None = None,
    *,
    initial_users: Sequence[str] = (),
    max_selected_items: int | None = None,
) -> dict[str, Any]:
    element = _element("multi_users_select", action_id, placeholder)
    if initial_users:
        element["initial_users"] = list(initial_users)
    if max_selected_items is not None:
        element["max_selected_items"] = max_selected_items
    return element


def conversations_select(
    action_id: str,
    placeholder: str | None = None,
    *,
    initial_conversation: str | None = None,
    include: Sequence[str] = (),
    exclude_bot_users: bool = False,
) -> dict[str, Any]:
    """A conversation picker; ``include`` narrows it to kinds (public, private, im, mpim)."""
    element = _element("conversations_select", action_id, placeholder)
    if initial_conversation:
        element["initial_conversation"] = initial_conversation
    if include or exclude_bot_users:
        conversation_filter: dict[str, Any] = {}
        if include:
            conversation_filter["include"] = list(include)
        if exclude_bot_users:
            conversation_filter["exclude_bot_users"] = True
        element["filter"] = conversation_filter
    return element


def checkboxes(
    action_id: str,
    options: Sequence[dict[str, Any]],
    *,
    initial_options: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """At most 10 boxes, shown at once: more is refused (a multi select holds 100)."""
    _check_count("checkboxes", "options", options, 1, CHOICES)
    element: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": action_id,
        "options": list(options),
    }
    if initial_options:
        _check_chosen("checkboxes", initial_options, options)
        element["initial_options"] = list(initial_options)
    return element


def radio_buttons(
    action_id: str,
    options: Sequence[dict[str, Any]],
    *,
    initial_option: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """At most 10 choices, shown at once: more is refused (a static select holds 100)."""
    _check_count("radio buttons", "options", options, 1, CHOICES)
    element: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": action_id,
        "options": list(options),
    }
    if initial_option is not None:
        _check_chosen("radio buttons", [initial_option], options)
        element["initial_option"] = initial_option
    return element


def plain_text_input(
    action_id: str,
    *,
    placeholder: str | None = None,
    initial_value: str | None = None,
    multiline: bool = False,
    max_length: int | None = None,
    dispatch_on: Sequence[str] = (),
) -> dict[str, Any]:
    """A text input holding at most ``max_length`` characters (Slack's most: 3,000).
    ``initial_value`` is what the user typed before and is never cut: one longer than
    ``max_length`` (a draft that broke the limit, whose problem the dialog shows) widens the
    input to hold it all, for the user to shorten; one longer than Slack's most is refused.
    ``dispatch_on`` (on_enter_pressed, on_character_entered) sends changes at once."""
    if initial_value and len(initial_value) > TEXT_INPUT_CHARS:
        raise BlockKitLimit(
            f"a text input holds {TEXT_INPUT_CHARS:,} characters; its initial value has "
            f"{len(initial_value):,}"
        )
    element = _element("plain_text_input", action_id, placeholder)
    if max_length is not None:
        element["max_length"] = min(max(max_length, len(initial_value or "")), TEXT_INPUT_CHARS)
    if multiline:
        element["multiline"] = True
    if initial_value:
        element["initial_value"] = initial_value
    if dispatch_on:
        element["dispatch_action_config"] = {"trigger_actions_on": list(dispatch_on)}
    return element


def number_input(
    action_id: str,
    *,
    decimal: bool = False,
    min_value: int | None = None,
    max_value: int | None = None,
    initial_value: str | None = None,
    placeholder: str | None = None,
) -> dict[str, Any]:
    element = _element("number_input", action_id, placeholder)
    element["is_decimal_allowed"] = decimal
    if min_value is not None:
        element["min_value"] = str(min_value)
    if max_value is not None:
        element["max_value"] = str(max_value)
    if initial_value:
        element["initial_value"] = initial_value
    return element


def datepicker(
    action_id: str, *, initial_date: str | None = None, placeholder: str | None = None
) -> dict[str, Any]:
    """A date picker; ``initial_date`` as YYYY-MM-DD."""
    element = _element("datepicker", action_id, placeholder)
    if initial_date:
        element["initial_date"] = initial_date
    return element


def timepicker(
    action_id: str, *, initial_time: str | None = None, placeholder: str | None = None
) -> dict[str, Any]:
    """A time picker; ``initial_time`` as HH:mm."""
    element = _element("timepicker", action_id, placeholder)
    if initial_time:
        element["initial_time"] = initial_time
    return element


def labelled(name: str, detail: str) -> str:
    """``name (detail)`` as an option's text, within its 75 characters: a long name is
    shortened; a detail so long that it would leave the name less than half of them is left
    out, and the name alone is shown (shortened if need be)."""
    room = OPTION_CHARS - len(detail) - 3
    if len(name) <= room:
        return f"{name} ({detail})"
    if room >= OPTION_CHARS // 2:
        return f"{cut(name, room)} ({detail})"
    return cut(name, OPTION_CHARS)


def fits_option_value(value: str) -> bool:
    return 0 < len(value) <= OPTION_VALUE_CHARS


def packed(
    lines: Sequence[str],
    *,
    head: str | None = None,
    max_blocks: int | None = None,
    noun: str = "",
    total: int | None = None,
) -> list[Block]:
    """``lines`` in as few sections as fit, the first one starting with ``head`` (a title,
    not one of the lines).

    At most ``max_blocks`` blocks. When not every line fits, or ``total`` says there are
    more than the lines given (the caller read only the first ones), the last block is a
    note: "and N more ``noun``"."""
    total = len(lines) if total is None else max(total, len(lines))
    chunks: list[list[str]] = [[head] if head else []]
    for line in (cut_shown_mrkdwn(line, SECTION_CHARS) for line in lines):
        if chunks[-1] and sum(len(c) + 1 for c in chunks[-1]) + len(line) > SECTION_CHARS:
            chunks.append([])
        chunks[-1].append(line)
    chunks = [chunk for chunk in chunks if chunk]
    if max_blocks is not None and (
        len(chunks) > max_blocks or (total > len(lines) and len(chunks) >= max_blocks)
    ):
        chunks = chunks[: max_blocks - 1]  # room for the note
    shown = sum(len(chunk) for chunk in chunks) - (1 if head and chunks else 0)
    blocks = [section("\n".join(chunk)) for chunk in chunks]
    if shown < total:
        blocks.append(context(f"and {total - shown:,} more" + (f" {noun}" if noun else "")))
    return blocks


def modal(
    callback_id: str,
    title: str,
    blocks: Sequence[Block],
    *,
    submit: str | None = None,
    close: str = "Close",
    private_metadata: str | None = None,
) -> dict[str, Any]:
    """A modal; with ``submit`` it can be submitted (a modal with inputs must be)."""
    _check_count("a modal", "blocks", blocks, 1, MODAL_BLOCKS)
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(cut(title, MODAL_TITLE_CHARS)),
    }
    if submit is not None:
        view["submit"] = plain(cut(submit, MODAL_TITLE_CHARS))
    view["close"] = plain(cut(close, MODAL_TITLE_CHARS))
    if private_metadata is not None:
        if len(private_metadata) > PRIVATE_METADATA_CHARS:
            raise BlockKitLimit(
                f"a view's private_metadata holds {PRIVATE_METADATA_CHARS:,} characters, "
                f"not {len(private_metadata):,}"
            )
        view["private_metadata"] = private_metadata
    view["blocks"] = list(blocks)
    return view


def read_only_modal(callback_id: str, title: str, blocks: Sequence[Block]) -> dict[str, Any]:
    """A modal that shows ``blocks`` (as many as a modal holds) and can only be closed."""
    return modal(callback_id, title, blocks[:MODAL_BLOCKS])


def home_tab(blocks: Sequence[Block]) -> dict[str, Any]:
    _check_count("the Home tab", "blocks", blocks, 1, MODAL_BLOCKS)
    return {"type": "home", "blocks": list(blocks)}


def notice_view(title: str, text: str) -> dict[str, Any]:
    """A modal that only says ``text`` (mrkdwn, already escaped) and can be closed."""
    return read_only_modal(View.NOTICE, title, [section(text)])


def id_value(text: str) -> int | None:
    """The database id the bot wrote into a button's or option's value (``str(id)``); None
    for anything else. Only that exact form: "007" or Arabic-Indic digits name no row the
    bot wrote, and reading them as one would let two values stand for the same row."""
    if not (text.isascii() and text.isdecimal()) or len(text) > 18:
        return None
    number = int(text)
    return number if str(number) == text else None


def state_values(view: Mapping[str, Any]) -> dict[str, Any]:
    """The view's ``state.values`` (block id -> action id -> the element's state); empty when
    the view carries none."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    return values if isinstance(values, dict) else {}
