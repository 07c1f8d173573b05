"""Workflows shared in Slack: the text of ``/workflow transfer NAME @user``, ``/workflow copy
NAME NEW_NAME``, ``/workflow restore NAME`` and ``/workflow diff NAME [A B]`` read back, their
replies, the "Transfer a workflow" modal (a people picker) and its reading, the direct
message to a new owner, a workflow's history of changes (who edited, paused, activated, ran,
deleted, restored, transferred or copied it, and when) as the history reply shows it, and
the changes between two revisions."""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.ids import SLASH_COMMAND, TransferAction, TransferBlock, View
from bot.slack.views.blocks import (
    Block,
    context,
    cut,
    input_block,
    modal,
    packed,
    section,
    state_values,
    users_select,
)
from bot.slack.views.commands import split_leading_name, unquoted
from bot.slack.views.phrases import person_mrkdwn, when
from bot.workflows.audit import ChangeLine
from bot.workflows.lifecycle import RESTORABLE_FOR
from bot.workflows.revisions import SavedRevision
from bot.workflows.sharing import Copied, Transferred
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.trash import Restored
from bot.workflows.vocabulary import WorkflowEventKind

TRANSFER_USAGE = f"`{SLASH_COMMAND} transfer NAME @person`"
DIFF_USAGE = (
    f"`{SLASH_COMMAND} diff NAME` (the last two revisions) or `{SLASH_COMMAND} diff NAME 2 5`"
)
# A diff in a reply: at most this many sections of a code block each (a section holds
# 3,000 characters); a longer one says how to read the rest.
DIFF_BLOCKS = 10
_DIFF_CHARS = 2_900
COPY_USAGE = f'`{SLASH_COMMAND} copy NAME NEW NAME` (or `{SLASH_COMMAND} copy "NAME" "NEW NAME"`)'
# Lines of changes in the history reply: with IN_MESSAGE runs, well under 50 blocks.
CHANGE_BLOCKS = 3

# A workflow's name followed by two revision numbers.
_REVISIONS = re.compile(r"(.+?)\s+(\d{1,9})\s+(\d{1,9})")
# A mention as Slack sends it in a command's text, <@U123|name>, or a bare user id.
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|@?\b([UW][A-Z0-9]{2,31})\b")


@dataclass(frozen=True)
class TransferText:
    name: str
    new_owner: str  # a Slack user id


@dataclass(frozen=True)
class DiffText:
    name: str
    revisions: tuple[int, int] | None  # None: the last two


@dataclass(frozen=True)
class CopyText:
    name: str
    new_name: str


def command_arguments(text: str) -> str:
    """What follows the subcommand in a command's text, with Slack's escapes of ``&``,
    ``<`` and ``>`` undone except in mentions (``<@U1|ann>`` stays a mention)."""
    words = text.strip().split(maxsplit=1)
    rest = words[1] if len(words) > 1 else ""
    # &amp; last: "&amp;lt;" is what Slack sends for a typed "&lt;".
    return rest.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def parse_transfer_text(arguments: str) -> TransferText | None:
    """``Deal review <@U0OTHER|oscar>`` -> ("Deal review", "U0OTHER"): the last mention (or
    user id) is the new owner, the text before it the name; None when either is missing."""
    matches = list(_MENTION.finditer(arguments))
    if not matches:
        return None
    last = matches[-1]
    if arguments[last.end() :].strip():
        return None
    name = unquoted(arguments[: last.start()].strip())
    user_id = last.group(1) or last.group(2)
    return TransferText(name, user_id) if name else None


def parse_copy_text(arguments: str, names: Collection[str]) -> CopyText | None:
    """``"Deal review" "Deal review 2"`` or ``Deal review Deal review 2`` -> ("Deal review",
    "Deal review 2"): quoted names, else the longest run of first words that names one of
    ``names`` (in any case) and the rest; None when the two cannot be told apart."""
    split = split_leading_name(arguments, names)
    if split is None:
        return None
    name, rest = split
    new_name = unquoted(rest)
    return CopyText(name, new_name) if new_name else None


def parse_diff_text(arguments: str) -> DiffText | None:
    """``Deal review 2 5`` -> ("Deal review", (2, 5)); ``Deal review`` -> ("Deal review",
    None); None without a name. Two numbers at the end are revisions, in either order."""
    revisions = None
    if numbered := _REVISIONS.fullmatch(arguments.strip()):
        arguments = numbered[1]
        first, second = sorted((int(numbered[2]), int(numbered[3])))
        revisions = (first, second)
    name = unquoted(arguments.strip())
    return DiffText(name, revisions) if name else None


def diff_usage_problem() -> str:
    return f"Say which workflow: {DIFF_USAGE}."


def diff_blocks(name: str, before: int, after: SavedRevision, diff: str) -> list[Block]:
    """The changes from revision ``before`` to ``after`` as workflow files (the lines of the
    older one start with -, of the newer one with +), with who saved the newer one."""
    head = (
        f"*{escape_mrkdwn(name)}*: revision {before} to {after.revision}, saved by "
        f"{person_mrkdwn(after.author)} on {when(after.saved_at)}"
    )
    if not diff:
        return [section(f"{head}\nThe two revisions are the same.")]
    chunks = _chunks(diff.splitlines()[2:])  # not the ---/+++ lines: the head says it
    blocks = [section(head)]
    for chunk in chunks[:DIFF_BLOCKS]:
        # A user's text could end the code block early: its backticks are spaced out.
        shown = escape_mrkdwn("\n".join(chunk)).replace("```", "` ` `")
        blocks.append(section(f"```{shown}```"))
    if len(chunks) > DIFF_BLOCKS:
        rest = sum(len(chunk) for chunk in chunks[DIFF_BLOCKS:])
        # Quoted as a shell takes it: a name of several words is one argument.
        typed = escape_mrkdwn(shlex.quote(name))
        blocks.append(
            context(
                f"{rest} more lines: `workflow-bot workflows diff {typed} "
                f"{before} {after.revision}` prints them all."
            )
        )
    return blocks


def _chunks(lines: Sequence[str]) -> list[list[str]]:
    """The lines in runs that fit a section once escaped (a line too long is cut)."""
    chunks: list[list[str]] = [[]]
    size = 0
    for line in lines:
        line = cut(line, _DIFF_CHARS // 4)
        grown = len(escape_mrkdwn(line)) + 1
        if chunks[-1] and size + grown > _DIFF_CHARS:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += grown
    return chunks


def transfer_view(name: str, owner: str) -> dict[str, Any]:
    """The "Transfer a workflow" modal: who is to own the workflow ``name`` (its owner now
    is ``owner``); its private_metadata is the name."""
    picker = users_select(TransferAction.NEW_OWNER, "Choose a person")
    blocks = [
        section(
            f"*{escape_mrkdwn(name)}* belongs to {person_mrkdwn(owner)}. The new owner "
            "can change it from then on, and gets a direct message saying so."
        ),
        input_block("New owner", picker, block_id=TransferBlock.NEW_OWNER),
    ]
    return modal(
        View.TRANSFER,
        "Transfer a workflow",
        blocks,
        submit="Transfer",
        close="Cancel",
        private_metadata=name,
    )


def chosen_transfer(view: Mapping[str, Any]) -> TransferText | None:
    """The workflow and the new owner chosen in the transfer modal; None without a person."""
    block = state_values(view).get(TransferBlock.NEW_OWNER) or {}
    chosen = (block.get(TransferAction.NEW_OWNER) or {}).get("selected_user")
    name = str(view.get("private_metadata") or "")
    return TransferText(name, chosen) if isinstance(chosen, str) and chosen and name else None


def transfer_usage_problem() -> str:
    return f"Say which workflow and who is to own it: {TRANSFER_USAGE}."


def copy_usage_problem() -> str:
    return (
        f"Say which workflow to copy and the new workflow's name: {COPY_USAGE}. A name that "
        "is not one of the workspace's workflows goes in quotes."
    )


def not_a_person(user_id: str) -> str:
    return (
        f"{person_mrkdwn(user_id)} is not a person who can own a workflow (a bot or a "
        "deactivated account): name someone else."
    )


def transferred_reply(transferred: Transferred) -> str:
    return (
        f"*{escape_mrkdwn(transferred.name)}* now belongs to {person_mrkdwn(transferred.owner)} "
        f"(it was {person_mrkdwn(transferred.previous_owner)}'s). They can change it; "
        f"`{SLASH_COMMAND} history {escape_mrkdwn(transferred.name)}` shows the transfer."
    )


def new_owner_message(transferred: Transferred, by: str) -> str:
    """The direct message to the new owner."""
    return (
        f"{person_mrkdwn(by)} made you the owner of the workflow "
        f"*{escape_mrkdwn(transferred.name)}*: `{SLASH_COMMAND} show "
        f"{escape_mrkdwn(transferred.name)}` shows what it does."
    )


def copied_reply(copied: Copied) -> str:
    shown = escape_mrkdwn(copied.name)
    return (
        f"*{shown}* is a copy of *{escape_mrkdwn(copied.copied_from)}*, owned by "
        f"{person_mrkdwn(copied.owner)}. It is {copied.status}: nothing runs until "
        f"`{SLASH_COMMAND} activate {shown}`; `{SLASH_COMMAND} edit {shown}` to change it first."
    )


def restored_reply(restored: Restored) -> str:
    shown = escape_mrkdwn(restored.name)
    return (
        f"*{shown}* is back, with its runs and history (revision {restored.revision}). It is "
        f"{restored.status}: `{SLASH_COMMAND} activate {shown}` to run it on its schedule again."
    )


def deleted_note(name: str) -> str:
    return (
        f":wastebasket: Deleted. `{SLASH_COMMAND} restore {escape_mrkdwn(name)}` brings it "
        f"back within {RESTORABLE_FOR.days} days of its deletion."
    )


def change_mrkdwn(change: ChangeLine) -> str:
    """One change: when, what, by whom, e.g. "*Tue 01 Dec 2026 09:00 UTC* · edited
    (revision 3) · by <@U1>"."""
    return f"*{when(change.at)}* · {_about(change)} · by {person_mrkdwn(change.actor)}"


def _about(change: ChangeLine) -> str:
    detail = change.detail
    if change.kind == WorkflowEventKind.TRANSFERRED:
        previous, owner = str(detail.get("from")), str(detail.get("to"))
        return f"transferred from {person_mrkdwn(previous)} to {person_mrkdwn(owner)}"
    # The other events say nothing that could be a mention; names are escaped.
    return escape_mrkdwn(change.about)


def changes_blocks(lines: Sequence[ChangeLine]) -> list[Block]:
    """The history of changes under a head, newest first; "No changes recorded yet." when
    there are none (a workflow saved before they were recorded)."""
    if not lines:
        return [context("No changes recorded yet.")]
    shown = [change_mrkdwn(change) for change in lines]
    return packed(shown, head="*Changes* (newest first):", max_blocks=CHANGE_BLOCKS, noun="changes")
