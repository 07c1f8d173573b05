"""The Block Kit pieces the bot's surfaces are built from, kept within Slack's limits:
text objects, sections, contexts, buttons, options, lines packed into as few sections as fit,
and modals that only show something; and the state a submitted or changed view carries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.slack.ids import View

Block = dict[str, Any]

# A section's text holds 3,000 characters; a message 50 blocks, a modal or Home tab 100.
SECTION_CHARS = 2900
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
MODAL_TITLE_CHARS = 24
BUTTON_VALUE_CHARS = 2000
OPTION_CHARS = 75
OPTION_VALUE_CHARS = 150
SELECT_OPTIONS = 100  # of a select, and of each of its option groups


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(
    text: str, accessory: dict[str, Any] | None = None, *, block_id: str | None = None
) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(cut(text, SECTION_CHARS))}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def context(*texts: str, block_id: str | None = None) -> Block:
    """A context block with one mrkdwn element per text."""
    block: Block = {"type": "context", "elements": [mrkdwn(cut(t, SECTION_CHARS)) for t in texts]}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text),
        "action_id": action_id,
        "value": value[:BUTTON_VALUE_CHARS],
    }
    if style is not None:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def option(text: str, value: str) -> dict[str, Any]:
    """An option of a select, radio buttons or checkboxes; ``value`` must fit (see
    fits_option_value), the text is cut to fit."""
    return {"text": plain(cut(text, OPTION_CHARS)), "value": value}


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
    for line in (cut(line, SECTION_CHARS) for line in lines):
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


def read_only_modal(callback_id: str, title: str, blocks: Sequence[Block]) -> dict[str, Any]:
    """A modal that shows ``blocks`` (as many as a modal holds) and can only be closed."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(cut(title, MODAL_TITLE_CHARS)),
        "close": plain("Close"),
        "blocks": list(blocks[:MODAL_BLOCKS]),
    }


def notice_view(title: str, text: str) -> dict[str, Any]:
    """A modal that only says ``text`` (mrkdwn, already escaped) and can be closed."""
    return read_only_modal(View.NOTICE, title, [section(text)])


def state_values(view: Mapping[str, Any]) -> dict[str, Any]:
    """The view's ``state.values`` (block id -> action id -> the element's state); empty when
    the view carries none."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    return values if isinstance(values, dict) else {}
