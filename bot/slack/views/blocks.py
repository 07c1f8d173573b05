"""The Block Kit pieces the bot's surfaces are built from, kept within Slack's limits:
sections, contexts, buttons, lines packed into as few sections as fit, and a modal that
only says something."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.slack.ids import View

Block = dict[str, Any]

# A section's text holds 3,000 characters; a message 50 blocks, a modal or Home tab 100.
SECTION_CHARS = 2900
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
MODAL_TITLE_CHARS = 24
BUTTON_VALUE_CHARS = 2000


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str, accessory: dict[str, Any] | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_CHARS)}}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, SECTION_CHARS)}]}


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


def notice_view(title: str, text: str) -> dict[str, Any]:
    """A modal that only says ``text`` (mrkdwn, already escaped) and can be closed."""
    return {
        "type": "modal",
        "callback_id": View.NOTICE,
        "title": plain(cut(title, MODAL_TITLE_CHARS)),
        "close": plain("Close"),
        "blocks": [section(text)],
    }
