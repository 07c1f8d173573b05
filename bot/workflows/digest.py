"""Digest messages: one message per run and channel listing the records, the overflow in a
bounded number of thread replies, so a run's Slack calls grow with channels, not records."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from bot.workflows.notifier import ActionMark, Message
from bot.workflows.templates import Template, cut_mrkdwn, escape_mrkdwn

# A message shows at most 3,000 characters in one section (SECTION_CHARS cuts at 2,900);
# each section's text, header and "more" line included, stays within this.
MESSAGE_BUDGET = 2_800
MAX_LINE = 300
# At most this many sections of MESSAGE_BUDGET are listed (the parent's and its replies').
MAX_SECTIONS = 10
# A reply holds several sections: Slack posts about one message per second in a channel, so
# fewer, fuller replies wait less. But Slack refuses a message whose blocks hold too much text
# in all (msg_blocks_too_long) at a total it does not document: public reports saw it refuse
# 11,341 characters (slackapi/bolt-js#2867) and about 13,200 (bolt-js#2509). Three sections
# (at most 8,400 characters) keep a margin under the lower figure; four reached 11,200.
# The parent keeps one section: it is what the channel shows, the rest is in its thread.
REPLY_SECTIONS = 3
MAX_REPLIES = -(-(MAX_SECTIONS - 1) // REPLY_SECTIONS)
# A reply's mark is REPLY_PARTS + its number (the parent's is 0). Until 95f96da, part n was
# the n-th single-section message, then the n-th reply of four sections: a run resumed
# across a deploy must not take a message of another layout for one of its own and skip
# what it lacks (300: replies of three sections). Change it when a reply's layout changes.
REPLY_PARTS = 300
# More lines than this are never rendered: they could not be shown anyway.
MAX_LISTED = 400


def layout_fingerprint(text: Template) -> str:
    """The digest action's text (what makes each line) as a 64-character digest: a layout
    kept by a run is reused only for the same text, not by an action its workflow was edited
    into. The workflow's name is left out: renamed, the parent posted under the old name is
    still continued by the replies of the layout it was posted from."""
    return hashlib.sha256(text.text.encode()).hexdigest()


def digest_sections(workflow_name: str, lines: Sequence[str], total: int) -> list[str]:
    """The digest's sections: the parent's, then its replies' (digest_messages groups them).

    ``lines`` are the rendered lines of the first records (at most MAX_LISTED); ``total``
    counts every record of the digest, so the last section says how many were not listed.
    No section is longer than MESSAGE_BUDGET: a line cut off by Slack's section limit would
    still count as listed.
    """
    header = f"*{escape_mrkdwn(workflow_name)}*: {total:,} record{'s' if total != 1 else ''}"
    chunks = _chunks([header, *(_bullet(line) for line in lines)])[:MAX_SECTIONS]
    listed = sum(len(chunk) for chunk in chunks) - 1
    if listed < total:
        # The lines that leave no room for the "more" line in the last section go unlisted.
        last = chunks[-1]
        kept = 1 if len(chunks) == 1 else 0  # the header
        while len(last) > kept and _size(last) + len(_more(total - listed)) + 1 > MESSAGE_BUDGET:
            last.pop()
            listed -= 1
        last.append(_more(total - listed))
    return ["\n".join(chunk) for chunk in chunks]


def digest_messages(sections: Sequence[str], channel: str, mark: ActionMark) -> list[Message]:
    """The parent message (the first section) then its thread replies, REPLY_SECTIONS
    sections each (thread_ts is filled in when posting)."""
    parts = [sections[:1]] + [
        sections[start : start + REPLY_SECTIONS]
        for start in range(1, len(sections), REPLY_SECTIONS)
    ]
    return [
        Message(
            channel=channel,
            text="\n".join(part),
            sections=tuple(part),
            mark=ActionMark(
                mark.run_id,
                mark.record_id,
                mark.action_index,
                REPLY_PARTS + number if number else 0,
            ),
        )
        for number, part in enumerate(parts)
    ]


def _more(unlisted: int) -> str:
    return f"…and {unlisted:,} more: see the run's history for the full list."


def _bullet(line: str) -> str:
    flat = " ".join(line.split())
    # Never cut inside an entity or a link the rendering wrote (templates.cut_mrkdwn).
    return f"• {cut_mrkdwn(flat, MAX_LINE) + '…' if len(flat) > MAX_LINE else flat}"


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines) - 1


def _chunks(lines: list[str]) -> list[list[str]]:
    """``lines`` (the first: the header, which is never cut) in chunks of at most
    MESSAGE_BUDGET characters once joined by line breaks."""
    chunks: list[list[str]] = []
    current: list[str] = []
    size = -1
    for line in lines:
        if current and size + len(line) + 1 > MESSAGE_BUDGET:
            chunks.append(current)
            current, size = [], -1
        current.append(line)
        size += len(line) + 1
    chunks.append(current)
    return chunks
