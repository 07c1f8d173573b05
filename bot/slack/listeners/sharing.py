"""``/workflow transfer``, ``copy``, ``restore`` and ``history``: workflows passed between
people, brought back after a deletion, and what happened to them (runs and changes). Each
handler is given the /workflow request that listeners/commands.py builds."""

from __future__ import annotations

from http.client import HTTPException
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.services import Services
from bot.slack.views.blocks import context
from bot.slack.views.history import IN_MESSAGE, history_message
from bot.slack.views.sharing import (
    changes_blocks,
    command_arguments,
    copied_reply,
    copy_usage_problem,
    deleted_note,
    new_owner_message,
    not_a_person,
    parse_copy_text,
    parse_transfer_text,
    restored_reply,
    transfer_usage_problem,
    transferred_reply,
)
from bot.workflows.audit import recent_changes
from bot.workflows.lifecycle import Actor
from bot.workflows.overview import WorkflowHistory, run_history
from bot.workflows.revisions import shown_name, workflow_with_past
from bot.workflows.sharing import Transferred, copy_workflow, transfer_workflow
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.trash import restore_workflow
from storage.database import transaction, write_transaction
from storage.workflows import WorkflowRepository


class CommandRequest(Protocol):
    """What a /workflow subcommand handler is given (listeners/commands.py builds it)."""

    services: Services
    command: dict[str, Any]
    client: WebClient
    team_id: str
    user_id: str

    @property
    def name(self) -> str: ...

    def actor(self) -> Actor: ...

    def reply(self, blocks: list[dict[str, Any]], text: str) -> None: ...

    def say(self, text: str) -> None: ...


def history_command(request: CommandRequest) -> None:
    """``/workflow history NAME``: the latest runs and changes, of a deleted workflow too."""
    with transaction(request.services.sessions) as session:
        workflow = workflow_with_past(session, request.team_id, request.name)
        runs = run_history(session, workflow, IN_MESSAGE + 1)
        history = WorkflowHistory(
            shown_name(workflow), tuple(runs[:IN_MESSAGE]), len(runs) > IN_MESSAGE
        )
        changes = recent_changes(session, workflow)
        deleted = workflow.deleted_at is not None
    blocks = history_message(history)
    if deleted:
        blocks.insert(1, context(deleted_note(history.name)))
    request.reply(blocks + changes_blocks(changes), f"History of {escape_mrkdwn(history.name)}")


def transfer_command(request: CommandRequest) -> None:
    """``/workflow transfer NAME @person``: the owner or an admin gives it to a person, who
    gets a direct message saying so."""
    asked = parse_transfer_text(command_arguments(request.command.get("text", "")))
    if asked is None:
        request.say(f":warning: {transfer_usage_problem()}")
        return
    if not _is_person(request.client, asked.new_owner):
        request.say(f":warning: {not_a_person(asked.new_owner)}")
        return
    actor, now = request.actor(), request.services.clock.now()
    with write_transaction(request.services.sessions) as session:
        transferred = transfer_workflow(
            session, request.team_id, asked.name, asked.new_owner, actor, now
        )
    request.say(transferred_reply(transferred) + _tell_new_owner(request, transferred))


def _tell_new_owner(request: CommandRequest, transferred: Transferred) -> str:
    """Tells the new owner in a direct message; what the reply adds when it could not."""
    if transferred.owner == request.user_id:
        return ""
    # A courtesy: the transfer stands if the message cannot be sent.
    try:
        request.client.chat_postMessage(
            channel=transferred.owner, text=new_owner_message(transferred, request.user_id)
        )
    except (SlackApiError, OSError, HTTPException):
        # Refused, or the connection failed after the transfer was saved: the reply must
        # still say the transfer happened.
        return " They could not be told in a direct message: let them know."
    return ""


def _is_person(client: WebClient, user_id: str) -> bool:
    """Whether Slack knows ``user_id`` as an active person (not a bot)."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError:
        return False
    return not (user.get("is_bot") or user.get("deleted"))


def copy_command(request: CommandRequest) -> None:
    """``/workflow copy NAME NEW NAME``: a paused copy owned by whoever asks."""
    arguments = command_arguments(request.command.get("text", ""))
    services = request.services
    with transaction(services.sessions) as session:
        names = WorkflowRepository(session).names(request.team_id)
    asked = parse_copy_text(arguments, names)
    if asked is None:
        request.say(f":warning: {copy_usage_problem()}")
        return
    with write_transaction(services.sessions) as session:
        copied = copy_workflow(
            session,
            request.team_id,
            asked.name,
            asked.new_name,
            Actor(request.user_id),  # whoever can see it may copy it: no admin rights needed
            services.settings.default_timezone,
            services.clock.now(),
        )
    request.say(copied_reply(copied))


def restore_command(request: CommandRequest) -> None:
    """``/workflow restore NAME``: a workflow deleted in the last 30 days, back paused."""
    actor = request.actor()
    with write_transaction(request.services.sessions) as session:
        restored = restore_workflow(
            session, request.team_id, request.name, actor, request.services.clock.now()
        )
    request.services.workflows_changed()
    request.say(restored_reply(restored))
