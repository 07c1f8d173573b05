"""The App Home tab: the workflows a user owns (every workflow for an admin)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.slack.ids import SLASH_COMMAND
from bot.slack.views.commands import when
from bot.workflows.overview import WorkflowLine
from bot.workflows.templates import escape_mrkdwn

# A Home tab holds 100 blocks: a header, a hint, and two per workflow (section, divider).
MAX_SHOWN = 45


def build_home(lines: Sequence[WorkflowLine], everyone: bool) -> dict[str, Any]:
    title = "All workflows" if everyone else "Your workflows"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Create one with `{SLASH_COMMAND} create`; "
                    f"`{SLASH_COMMAND} help` lists every command.",
                }
            ],
        },
    ]
    if not lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "No workflows yet."}})
    for line in lines[:MAX_SHOWN]:
        text = (
            f"*{escape_mrkdwn(line.name)}* · {line.status} · {line.object_type}\n"
            f"{escape_mrkdwn(line.schedule)}\nNext run: {when(line.next_run)}"
        )
        blocks += [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "divider"},
        ]
    if len(lines) > MAX_SHOWN:
        more = f"and {len(lines) - MAX_SHOWN} more: `{SLASH_COMMAND} list` shows them all."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return {"type": "home", "blocks": blocks}
