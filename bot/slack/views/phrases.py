"""The domain's plain-text phrases (bot.workflows.wording) as Slack mrkdwn: text escaped,
channels as mentions."""

from __future__ import annotations

from bot.workflows.definitions import CHANNEL_ID
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.wording import Phrase


def phrase_mrkdwn(phrase: Phrase) -> str:
    """``phrase`` as mrkdwn: every text part escaped, each channel a ``<#C...>`` mention
    (a channel id that is not one is shown as escaped text)."""
    parts = []
    for part in phrase.parts:
        if isinstance(part, str):
            parts.append(escape_mrkdwn(part))
        elif CHANNEL_ID.fullmatch(part.id):
            parts.append(f"<#{part.id}>")
        else:
            parts.append(escape_mrkdwn(part.id))
    return "".join(parts)
