"""A Notifier for running without Slack credentials: prints each message it would post, as
its text was typed (Slack's escapes undone, mentions and links readable)."""

from __future__ import annotations

import itertools
import sys
import threading
from datetime import datetime
from typing import TextIO

from bot.workflows.notifier import ActionMark, Message, Posted
from bot.workflows.readable import mrkdwn_as_typed, plural


class ConsoleNotifier:
    """Writes every message to ``stream`` (standard output by default) and pretends it was
    posted, with a made-up ts that grows by one per message. It keeps no history, so
    ``find_marked`` never finds anything."""

    def __init__(self, stream: TextIO | None = None) -> None:
        # Resolved here rather than as a default argument, so a replaced sys.stdout is used.
        self._stream = stream if stream is not None else sys.stdout
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def post(self, message: Message) -> Posted:
        with self._lock:
            ts = f"{next(self._counter)}.000000"
            self._stream.write(render(message) + "\n")
            self._stream.flush()
        return Posted(channel=message.channel, ts=ts)

    def find_marked(
        self, channel: str, mark: ActionMark, since: datetime, thread_ts: str | None = None
    ) -> Posted | None:
        return None


def render(message: Message) -> str:
    """``→ #C0123 (run 4, record 17, action 1)`` then the text as typed, indented by two
    spaces; a direct message to a person (``@U0123``, ``@ann@example.com``) or a user group
    (``@sales-leads``) is addressed with an @."""
    head = f"→ {_address(message.channel)}"
    notes = []
    if message.mark is not None:
        mark = message.mark
        if mark.action_index < 0:
            notes.append(f"run {mark.run_id} summary")
        else:
            # Actions are numbered from 1 for people, as in the workflow's history.
            notes.append(
                f"run {mark.run_id}, record {mark.record_id}, action {mark.action_index + 1}"
            )
    if message.thread_ts is not None:
        notes.append(f"in thread {message.thread_ts}")
    if message.sections:
        # What Slack shows as blocks, each a section.
        notes.append(plural(len(message.sections), "block"))
    if notes:
        head += f" ({'; '.join(notes)})"
    # The text is mrkdwn for Slack ("&lt;Corp&gt;", "<@U0123>"): a terminal shows it as typed.
    text = mrkdwn_as_typed(message.text)
    body = "\n".join(f"  {line}" for line in text.splitlines() or [""])
    return f"{head}\n{body}"


def _address(channel: str) -> str:
    if channel.startswith("@"):
        return channel  # a user group's handle
    # A user id, a user group id, or an owner email (without Slack, emails stay emails).
    if channel[:1] in ("U", "W", "S") or "@" in channel:
        return f"@{channel}"
    return f"#{channel}"
