"""The domain's plain-text phrases (bot.workflows.wording) as Slack mrkdwn, and the words
every surface uses for instants, people, run statuses and action outcomes: text escaped,
channels and people as mentions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.slack.ids import SLASH_COMMAND
from bot.workflows.definitions import CHANNEL_ID
from bot.workflows.lifecycle import RESTORABLE_FOR
from bot.workflows.overview import RunLine
from bot.workflows.owners import is_user_id
from bot.workflows.readable import listed
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.vocabulary import ActionOutcome, RunStatus
from bot.workflows.wording import PersonRef, Phrase

OUTCOMES: Mapping[str | None, str] = {
    ActionOutcome.OK: ":white_check_mark: ok",
    ActionOutcome.FAILED: ":x: failed",
    ActionOutcome.SKIPPED: ":heavy_minus_sign: skipped",
    ActionOutcome.DEFERRED: ":hourglass: deferred",
    ActionOutcome.UNKNOWN: ":grey_question: may not have been posted",
    None: ":hourglass: not run yet",
}
RUN_STATUSES: Mapping[str, str] = {
    RunStatus.PENDING: ":hourglass: pending",
    RunStatus.RUNNING: ":hourglass_flowing_sand: running",
    RunStatus.SUCCEEDED: ":white_check_mark: succeeded",
    RunStatus.FAILED: ":x: failed",
    RunStatus.MISSED: ":warning: missed",
    RunStatus.SKIPPED: ":heavy_minus_sign: skipped",
    RunStatus.CANCELLED: ":no_entry_sign: cancelled",
}


def phrase_mrkdwn(phrase: Phrase) -> str:
    """``phrase`` as mrkdwn: every text part escaped, each channel a ``<#C...>`` mention
    and each person a ``<@U...>`` one (an id that is not one is shown as escaped text)."""
    parts = []
    for part in phrase.parts:
        if isinstance(part, str):
            parts.append(escape_mrkdwn(part))
        elif isinstance(part, PersonRef):
            parts.append(person_mrkdwn(part.id))
        elif CHANNEL_ID.fullmatch(part.id):
            parts.append(f"<#{part.id}>")
        else:
            parts.append(escape_mrkdwn(part.id))
    return "".join(parts)


def when(instant: datetime | None) -> str:
    """``Tue 01 Dec 2026 09:00 EST``, in the instant's own zone; "none" for None."""
    if instant is None:
        return "none"
    return f"{instant:%a %d %b %Y %H:%M} {instant.tzname()}"


def person_mrkdwn(user_id: str) -> str:
    """A Slack user id as a mention (which shows the name and notifies no one in a view or
    a reply to its requester); anything else, such as "cli", as escaped text."""
    return f"<@{user_id}>" if is_user_id(user_id) else escape_mrkdwn(user_id)


def outcome_mrkdwn(outcome: str | None, reason: str | None = None) -> str:
    shown = OUTCOMES.get(outcome, escape_mrkdwn(str(outcome)))
    return f"{shown}: {escape_mrkdwn(reason)}" if reason else shown


def run_outcome_mrkdwn(run: RunLine) -> str:
    """How a run ended: its status, or a warning for one that finished with failed actions."""
    if run.finished_with_failures:
        return f":warning: {escape_mrkdwn(run.outcome)}"
    return RUN_STATUSES.get(run.status, escape_mrkdwn(run.status))


# Deleted workflows named where a list has none: the rest are counted.
RESTORABLE_SHOWN = 10


def no_workflows_mrkdwn(restorable: Sequence[str]) -> str:
    """What a list of the workspace's workflows says when it has none: that there are none,
    and which deleted ones ``/workflow restore`` can still bring back (trash.restorable_names)."""
    if not restorable:
        return "No workflows yet."
    names = [f"*{escape_mrkdwn(name)}*" for name in restorable[:RESTORABLE_SHOWN]]
    if len(restorable) > RESTORABLE_SHOWN:
        names.append(f"{len(restorable) - RESTORABLE_SHOWN} more")
    return (
        f"No workflows now. Deleted in the last {RESTORABLE_FOR.days} days and still "
        f"restorable: {listed(names, 'and')}. `{SLASH_COMMAND} restore NAME` brings one back "
        "(its owner or an admin can), not running until it is activated."
    )
