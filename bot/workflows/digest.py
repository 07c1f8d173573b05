"""Digest messages: one message per run and channel listing the records, the overflow in a
bounded number of thread replies, so a run's Slack calls grow with channels, not records."""

from __future__ import annotations

from collections.abc import Sequence

from bot.workflows.notifier import ActionMark, Message
from bot.workflows.templates import escape_mrkdwn

# A message shows at most 3,000 characters in one section; leave room for the header.
MESSAGE_BUDGET = 2_800
MAX_LINE = 300
# At most this many sections of MESSAGE_BUDGET are listed (the parent's and its replies').
MAX_SECTIONS = 11
# A reply holds several sections: Slack posts about one message per second in a channel, so
# a digest of four messages took three seconds of waiting where two take one. Four sections
# (about 11,200 characters) stay under what Slack takes in one message's blocks (it answers
# msg_blocks_too_long from about 13,000 characters, well before 50 blocks). The parent keeps
# one section: it is what the channel shows, the rest is in its thread.
REPLY_SECTIONS = 4
MAX_REPLIES = -(-(MAX_SECTIONS - 1) // REPLY_SECTIONS)
# More lines than this are never rendered: they could not be shown anyway.
MAX_LISTED = 400


def digest_messages(
    workflow_name: str, channel: str, lines: Sequence[str], total: int, mark: ActionMark
) -> list[Message]:
    """The parent message then its thread replies (thread_ts is filled in when posting).

    ``lines`` are the rendered lines of the first records (at most MAX_LISTED); ``total``
    counts every record of the digest, so the last message says how many were not listed.
    """
    header = f"*{escape_mrkdwn(workflow_name)}*: {total:,} record{'s' if total != 1 else ''}"
    chunks = _chunks([_bullet(line) for line in lines])[:MAX_SECTIONS]
    listed = sum(len(chunk) for chunk in chunks)
    if listed < total:
        more = f"…and {total - listed:,} more: see the run's history for the full list."
        chunks = chunks or [[]]
        chunks[-1] = [*chunks[-1], more]
    sections = ["\n".join(chunk) for chunk in chunks or [[]]]
    sections[0] = "\n".join([header, *chunks[0]]) if chunks else header
    parts = [sections[:1]] + [
        sections[start : start + REPLY_SECTIONS]
        for start in range(1, len(sections), REPLY_SECTIONS)
    ]
    return [
        Message(
            channel=channel,
            text="\n".join(part),
            sections=tuple(part),
            mark=ActionMark(mark.run_id, mark.record_id, mark.action_index, number),
        )
        for number, part in enumerate(parts)
    ]


def _bullet(line: str) -> str:
    flat = " ".join(line.split())
    return f"• {flat[:MAX_LINE] + '…' if len(flat) > MAX_LINE else flat}"


def _chunks(lines: list[str]) -> list[list[str]]:
    chunks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if current and size + len(line) + 1 > MESSAGE_BUDGET:
            chunks.append(current)
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        chunks.append(current)
    return chunks
