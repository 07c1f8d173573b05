"""The App Home tab: every workflow of the workspace, each with its status, schedule, next
and last run, and buttons to see its history and, for its owner or an admin, to run, pause
or activate, edit and transfer it (the others see it read-only, with its owner); the notice after a
click, and the modal saying why a click was refused. The buttons' value is the workflow's
name, read back with ``clicked_workflow``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.slack.ids import SLASH_COMMAND, HomeAction
from bot.slack.views.blocks import (
    Block,
    actions_block,
    button,
    confirmation,
    context,
    divider,
    header,
    home_tab,
    notice_view,
    section,
)
from bot.slack.views.history import run_mrkdwn
from bot.slack.views.phrases import no_workflows_mrkdwn, person_mrkdwn, when
from bot.workflows.overview import WorkflowLine
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.vocabulary import WorkflowStatus

# A Home tab holds 100 blocks: a header, a hint, a notice, three per workflow (section,
# buttons, divider) and the line saying how many more there are.
MAX_SHOWN = 30
REFUSAL_TITLE = "Not changed"
_STATUSES: Mapping[str, str] = {
    WorkflowStatus.ACTIVE: ":large_green_circle: active",
    WorkflowStatus.PAUSED: ":double_vertical_bar: paused",
    WorkflowStatus.DRAFT: ":memo: draft",
}


def build_home(
    lines: Sequence[WorkflowLine],
    everyone: bool,
    notice: str | None = None,
    restorable: Sequence[str] = (),
) -> dict[str, Any]:
    """The Home tab for ``lines``; ``everyone`` for an admin, who sees each owner too.
    ``notice`` (mrkdwn, already escaped) says what the user's last click did; without
    lines, the deleted workflows still ``restorable`` are named."""
    title = "All workflows" if everyone else "Workflows"
    blocks: list[Block] = [
        header(title),
        context(
            f"Create one with `{SLASH_COMMAND} create`; `{SLASH_COMMAND} help` lists every command."
            + ("" if everyone else " You can change the ones you own; the others are read-only.")
        ),
    ]
    if notice:
        blocks.append(section(notice))
    if not lines:
        blocks.append(section(no_workflows_mrkdwn(restorable)))
    for line in lines[:MAX_SHOWN]:
        blocks += [section(_workflow(line, everyone)), _buttons(line), divider()]
    if len(lines) > MAX_SHOWN:
        blocks.append(
            context(f"and {len(lines) - MAX_SHOWN} more: `{SLASH_COMMAND} list` shows them all.")
        )
    return home_tab(blocks)


def _workflow(line: WorkflowLine, everyone: bool) -> str:
    status = _STATUSES.get(line.status, escape_mrkdwn(line.status))
    head = f"*{escape_mrkdwn(line.name)}* · {status} · {escape_mrkdwn(line.object_type)}"
    if everyone or not line.may_change:
        head += f" · owner {person_mrkdwn(line.owner)}"
    last = run_mrkdwn(line.last_run) if line.last_run else "none yet"
    return (
        f"{head}\n{escape_mrkdwn(line.schedule)}\nNext run: {when(line.next_run)}\nLast run: {last}"
    )


def _buttons(line: WorkflowLine) -> Block:
    name = line.name
    if not line.may_change:
        # Read-only: a button that can only be refused is not offered (the server checks).
        return actions_block(*_reading_buttons(name))
    if line.status == WorkflowStatus.ACTIVE:
        toggle = button("Pause", HomeAction.PAUSE, name)
    else:
        toggle = button("Activate", HomeAction.ACTIVATE, name)
    run = button("Run now", HomeAction.RUN, name, style="primary", confirm=_confirm_run(name))
    return actions_block(
        run,
        toggle,
        button("Edit", HomeAction.EDIT, name),
        button("History", HomeAction.HISTORY, name),
        button("Why (not)?", HomeAction.WHY, name),
        button("Transfer", HomeAction.TRANSFER, name),
    )


def _reading_buttons(name: str) -> list[dict[str, Any]]:
    """What anyone may do with a workflow they do not own."""
    return [button("History", HomeAction.HISTORY, name)]


def _confirm_run(name: str) -> dict[str, Any]:
    # Running posts to channels at once: one slip of the mouse should not do that.
    return confirmation(
        "Run now?", f"Run {name} now for every record that matches it?", "Run now", "Cancel"
    )


def clicked_workflow(action: Mapping[str, Any]) -> str:
    """The name of the workflow whose button was clicked."""
    return str(action.get("value") or "")


def run_notice(name: str) -> str:
    return (
        f":arrow_forward: Running *{escape_mrkdwn(name)}* now for every matching record. "
        "*History* shows how it went."
    )


def status_notice(name: str, status: WorkflowStatus) -> str:
    if status is WorkflowStatus.ACTIVE:
        return f":large_green_circle: *{escape_mrkdwn(name)}* is active: its schedule runs again."
    return f":double_vertical_bar: *{escape_mrkdwn(name)}* is {status}: no scheduled runs."


def refusal_view(text: str) -> dict[str, Any]:
    """The modal a refused click opens; ``text`` is mrkdwn, already escaped."""
    return notice_view(REFUSAL_TITLE, text)
