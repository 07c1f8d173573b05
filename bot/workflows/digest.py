"""Digest messages: one message per run and channel listing the records, the overflow in a
bounded number of thread replies, so a run's Slack calls grow with channels, not records."""

from __future__ import annotations

from collections.abc import Sequence

from bot.workflows.notifier import ActionMark, Message
from bot.workflows.templates import escape_mrkdwn

# A message shows at most 3,000 characters in one section; leave room for the header.
MESSAGE_BUDGET = 2_800
MAX_LINE = 300
MAX_REPLIES = 10
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
    chunks = _chunks([_bullet(line) for line in lines])[: MAX_REPLIES + 1]
    listed = sum(len(chunk) for chunk in chunks)
    if listed < total:
        more = f"…and {total - listed:,} more: see the run's history for the full list."
        chunks = chunks or [[]]
        chunks[-1] = [*chunks[-1], more]
    messages = []
    for part, chunk in enumerate(chunks or [[]]):
        body = "\n".join(([header] if part == 0 else []) + chunk)
        messages.append(
            Message(
                channel=channel,
                text=body,
                sections=(body,),
                mark=ActionMark(mark.run_id, mark.record_id, mark.action_index, part),
            )
        )
    return messages


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
