"""Replies to /workflow: the command text parsed, and the messages each subcommand answers
with (help, list, show, delete confirmation), built as Block Kit from read models. Run
history, shared with the App Home, is built in views/history.py."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.slack.ids import SLASH_COMMAND, CommandAction
from bot.slack.views.blocks import actions_block, button, context, packed, section
from bot.slack.views.history import history_blocks
from bot.slack.views.phrases import no_workflows_mrkdwn, person_mrkdwn, phrase_mrkdwn, when
from bot.slack.views.problem_wording import dialog_text, dialog_warning
from bot.workflows.definitions import StaleSourceBehaviour, WorkflowSettings
from bot.workflows.draft_document import ScheduleDocument
from bot.workflows.drafts import SchedulePreview
from bot.workflows.lifecycle import RESTORABLE_FOR
from bot.workflows.overview import WorkflowDetails, WorkflowLine
from bot.workflows.schedule_phrases import PhraseNotUnderstood, parse_phrase
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.wording import Phrase, describe_criteria, describe_settings

_RESTORABLE_DAYS = RESTORABLE_FOR.days
SUBCOMMANDS: dict[str, str] = {
    "create [SCHEDULE | NAME]": "open the wizard to create a workflow; text that reads as a "
    "schedule (`every other Tuesday at 9am`, `the last business day at 4pm`) presets the "
    "schedule, other text the name (a name in quotes is always a name)",
    "list": "every workflow with its status and next run",
    "show NAME": "a workflow's schedule, criteria, actions and latest runs",
    "edit NAME": "open the wizard on a workflow",
    "pause NAME": "stop its scheduled runs",
    "activate NAME": "start its scheduled runs again",
    "delete NAME": f"delete it (asks first); it can be restored for {_RESTORABLE_DAYS} days",
    "restore NAME": f"bring back a workflow deleted in the last {_RESTORABLE_DAYS} days, paused",
    "run NAME": "run it now for every matching record",
    "history NAME": "its latest runs, and who changed, ran or deleted it and when",
    "transfer NAME @person": "give it to another owner (its owner or an admin); without "
    "@person a dialog asks who",
    "diff NAME [A B]": "what changed between two of its revisions (the last two by default)",
    "copy NAME NEW NAME": "a paused copy of it that you own",
    "forecast NAME": "its next runs, each with how many records it would enroll",
    "why NAME RECORD": "why a record (its id, or a part of its name) is or is not enrolled",
    "help": "this list",
}
NEEDS_NAME = frozenset(key.split()[0] for key in SUBCOMMANDS if key.endswith(" NAME"))
MAX_LISTED = 200
PRESET_RUNS_SHOWN = 3


# Quotes people put around a name, Slack's "smart" quotes included: opening -> closing.
CLOSING_QUOTE = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}
_QUOTES = frozenset(CLOSING_QUOTE.items())


def unquoted(text: str) -> str:
    """``"Deal review"`` -> ``Deal review``; text not in a pair of quotes as it is."""
    if len(text) >= 2 and CLOSING_QUOTE.get(text[0]) == text[-1]:
        return text[1:-1].strip()
    return text


def split_leading_name(text: str, names: Collection[str]) -> tuple[str, str] | None:
    """``"Deal review" rest`` or ``Deal review rest`` -> ("Deal review", "rest"): a quoted
    name, else the longest run of first words that names one of ``names`` (in any case), and
    what follows it; None when the two cannot be told apart or nothing follows."""
    text = text.strip()
    if text[:1] in CLOSING_QUOTE:
        end = text.find(CLOSING_QUOTE[text[0]], 1)
        rest = text[end + 1 :].strip()
        return (text[1:end].strip(), rest) if end > 1 and rest else None
    known = {name.casefold() for name in names}
    words = text.split()
    for cut_at in range(len(words) - 1, 0, -1):
        if " ".join(words[:cut_at]).casefold() in known:
            return " ".join(words[:cut_at]), " ".join(words[cut_at:])
    return None


@dataclass(frozen=True)
class CommandText:
    subcommand: str
    name: str  # "" when none was given
    quoted: bool = False  # the name was given in quotes


def parse_command_text(text: str) -> CommandText:
    """``edit Weekly review`` -> ("edit", "Weekly review"); quotes around the name are
    allowed; the subcommand is case-insensitive. Slack sends the text with ``&``, ``<`` and
    ``>`` escaped (``R&amp;D``): they are read back as typed."""
    words = _unescaped(text).strip().split(maxsplit=1)
    if not words:
        return CommandText("help", "")
    name = words[1].strip() if len(words) > 1 else ""
    quoted = len(name) >= 2 and (name[0], name[-1]) in _QUOTES
    if quoted:
        name = name[1:-1].strip()
    return CommandText(words[0].lower(), name, quoted)


# How a schedule typed after /workflow create starts: such text that is not a schedule is
# still a name, and the reply says why it was not read as a schedule.
_SCHEDULE_STARTS = frozenset(
    {"every", "each", "daily", "weekly", "biweekly", "fortnightly", "monthly", "quarterly"}
    | {"yearly", "annually", "weekdays", "once"}
)


@dataclass(frozen=True)
class CreateText:
    """What ``/workflow create TEXT`` presets: a schedule (its JSON, in the creator's zone
    unless it names one) or a name; ``note`` tells the user why TEXT was taken as a name."""

    name: str | None = None
    schedule: ScheduleDocument | None = None
    note: str | None = None


def read_create_text(text: CommandText) -> CreateText:
    """Text that reads as a schedule is a schedule; other text, or text in quotes, a name."""
    if not text.name:
        return CreateText()
    if text.quoted:
        return CreateText(name=text.name)
    try:
        return CreateText(schedule=parse_phrase(text.name, None))
    except PhraseNotUnderstood as error:
        # A text that reads as two schedules is one: the note says how to pick.
        looks_like_one = error.readings is not None
        if text.name.split()[0].lower() not in _SCHEDULE_STARTS and not looks_like_one:
            return CreateText(name=text.name)
        note = (
            f"“{escape_mrkdwn(text.name)}” is not a schedule, so it is the workflow's name: "
            f"{escape_mrkdwn(error.message)} A name in quotes is never read as a schedule."
        )
        return CreateText(name=text.name, note=note)


def _unescaped(text: str) -> str:
    # &amp; last: "&amp;lt;" is what Slack sends for a typed "&lt;".
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def schedule_preset(preview: SchedulePreview) -> str:
    """The reply to /workflow create SCHEDULE: the schedule the dialog starts with."""
    if preview.sentence is None:
        # In the words of the dialog's step 2, where it is changed.
        lines = [dialog_text(p.under("schedule"), "The schedule") for p in preview.problems]
        return (
            f"The dialog's schedule is taken from your text, but it cannot run yet: "
            f"{escape_mrkdwn(' '.join(lines))} Change it on the dialog's step 2."
        )
    runs = ", ".join(when(at) for at in preview.next_runs[:PRESET_RUNS_SHOWN]) or "none"
    warnings = "".join(f"\n⚠️ {escape_mrkdwn(dialog_warning(w))}" for w in preview.warnings)
    return (
        f"Schedule from your text: *{escape_mrkdwn(preview.sentence)}*. Next runs: {runs}. "
        f"The dialog's step 2 shows it, to change it if it is not what you meant.{warnings}"
    )


def help_reply(problem: str | None = None) -> list[dict[str, Any]]:
    lines = [f"`{SLASH_COMMAND} {usage}`: {what}" for usage, what in SUBCOMMANDS.items()]
    blocks = [section(f":warning: {problem}")] if problem else []
    return [*blocks, section("*Scheduled workflows from Slack*\n" + "\n".join(lines))]


def missing_name(subcommand: str) -> str:
    usage = f"{SLASH_COMMAND} {subcommand}"
    return f"`{usage}` needs a workflow name: `{usage} NAME`."


def unknown_subcommand(subcommand: str) -> str:
    return f"`{escape_mrkdwn(subcommand)}` is not a {SLASH_COMMAND} subcommand."


def busy_reply(command_text: str) -> str:
    """A command answered after the ack, when too many answers already wait for a turn."""
    return (
        f"workflow-bot is busy answering other requests and did not run {_typed(command_text)}. "
        "Try it again in a moment."
    )


def stopping_reply(command_text: str) -> str:
    """A command whose answer was still waiting for a turn when the bot stopped (restarting
    or not)."""
    return (
        f"workflow-bot was stopping and did not run {_typed(command_text)}. Run the command again."
    )


def _typed(command_text: str) -> str:
    """The command as typed, in a code span: a backtick of the user's would end the span and
    set the rest of the message in code, so it shows as an apostrophe."""
    asked = f"{SLASH_COMMAND} {command_text}".strip().replace("`", "'")
    return f"`{escape_mrkdwn(asked)}`"


def list_reply(
    lines: Sequence[WorkflowLine], restorable: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The workspace's workflows; with none, the deleted ones still ``restorable``."""
    if not lines:
        create = f"Create one with `{SLASH_COMMAND} create`."
        return [section(f"{no_workflows_mrkdwn(restorable)} {create}")]
    shown = [
        f"*{escape_mrkdwn(line.name)}* · {line.status} · {line.object_type} · "
        f"{escape_mrkdwn(line.schedule)} · next run {when(line.next_run)} · "
        f"owner {person_mrkdwn(line.owner)}"
        for line in lines[:MAX_LISTED]
    ]
    blocks = packed(shown, total=len(lines))
    blocks.append(context(f"`{SLASH_COMMAND} show NAME` for the details of one."))
    return blocks


def show_reply(
    details: WorkflowDetails, criteria: Sequence[str], actions: Sequence[Phrase]
) -> list[dict[str, Any]]:
    line, definition = details.line, details.definition
    suppression = definition.suppression
    head = (
        f"*{escape_mrkdwn(line.name)}* · {line.status} · {line.object_type} · "
        f"owner {person_mrkdwn(line.owner)} · revision {line.revision}"
    )
    body = [
        f"*Schedule:* {escape_mrkdwn(line.schedule)}",
        "*Next runs:* "
        + (", ".join(when(at) for at in details.upcoming) if details.upcoming else "none"),
        *_skips_and_snoozes(details),
        "*Enrolls:* " + (" *or* ".join(escape_mrkdwn(c) for c in criteria) or "every record"),
        "*Never enrolls:* "
        + (
            " *or* ".join(escape_mrkdwn(c) for c in describe_criteria(suppression))
            or "no record is kept out (no suppression criteria)"
        ),
    ]
    settings = [f"• {phrase_mrkdwn(phrase)}" for phrase in describe_settings(definition.settings)]
    settings += [f"• {default}" for default in _defaults_said(definition.settings)]
    steps = [f"{n}. {phrase_mrkdwn(action)}" for n, action in enumerate(actions, start=1)]
    blocks = [section(head), *packed(body), *packed(steps, head="*Actions:*")]
    blocks += packed(settings, head="*Settings:*")
    blocks += history_blocks(details.runs)
    return blocks


def _skips_and_snoozes(details: WorkflowDetails) -> list[str]:
    """The runs skipped once and the records snoozed (Skip next run, Snooze a record)."""
    lines = [
        f"*Skipped once:* {when(skip.scheduled_at)} (by {person_mrkdwn(skip.skipped_by)})"
        for skip in details.skips
    ]
    lines += [
        f"*Snoozed:* {escape_mrkdwn(snooze.record_name)} (`{escape_mrkdwn(snooze.external_id)}`)"
        f" until {when(snooze.until)} (by {person_mrkdwn(snooze.snoozed_by)})"
        for snooze in details.snoozes
    ]
    return lines


def _defaults_said(settings: WorkflowSettings) -> list[str]:
    """What describe_settings leaves unsaid because it is the default: show says every
    setting."""
    said = []
    if not settings.summary_channel:
        said.append("No run summary is posted to a channel")
    if not settings.pause_days and not settings.holidays:
        said.append("No pause days: it runs on every day its schedule names")
    if settings.on_stale_source is StaleSourceBehaviour.RUN:
        said.append(
            "When the records' source cannot be synced, a run goes on with the records as "
            "last synced, and says how old they are"
        )
    return said


def delete_confirmation(workflow_id: int, created_at: datetime, name: str) -> list[dict[str, Any]]:
    """The question before deleting; its buttons carry the workflow's identity, so that a
    late click cannot delete another workflow that took the name since."""
    value = json.dumps({"id": workflow_id, "created": created_at.isoformat(), "name": name})
    return [
        section(
            f"Delete *{escape_mrkdwn(name)}*? Its schedule stops and it leaves every list. "
            f"Its runs and history are kept: `{SLASH_COMMAND} restore {escape_mrkdwn(name)}` "
            f"brings it back within {_RESTORABLE_DAYS} days."
        ),
        actions_block(
            button("Delete", CommandAction.CONFIRM_DELETE, value, style="danger"),
            button("Cancel", CommandAction.CANCEL_DELETE, value),
        ),
    ]


def deleted_reply(name: str) -> str:
    shown = escape_mrkdwn(name)
    return (
        f"Deleted *{shown}*. `{SLASH_COMMAND} restore {shown}` brings it back within "
        f"{_RESTORABLE_DAYS} days, with its runs and history."
    )


def parse_delete_choice(value: str) -> tuple[tuple[int, datetime], str]:
    """The workflow identity (id, creation time) and name a Delete or Cancel button was
    built with."""
    choice = json.loads(value)
    return (int(choice["id"]), datetime.fromisoformat(choice["created"])), str(choice["name"])
