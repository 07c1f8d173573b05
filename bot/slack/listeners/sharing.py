"""``/workflow transfer``, ``copy``, ``restore``, ``history`` and ``diff``: workflows passed
between people, brought back after a deletion, and what happened to them (runs, changes, and
what changed between two revisions). Each handler is given the /workflow request that
listeners/commands.py builds. The "Transfer a workflow" modal (a people picker), opened by
``/workflow transfer NAME`` without a person or by the App Home's Transfer button, is
answered here too (register).
"""

from __future__ import annotations

from http.client import HTTPException
from typing import Any, Protocol

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.errors import reported
from bot.slack.ids import TransferBlock, View
from bot.slack.listeners.home_tab import publish_home
from bot.slack.listeners.modals import update_modal
from bot.slack.listeners.requester import Requester
from bot.slack.services import Services
from bot.slack.views.blocks import context, notice_view
from bot.slack.views.history import IN_MESSAGE, history_message
from bot.slack.views.sharing import (
    changes_blocks,
    chosen_transfer,
    command_arguments,
    copied_reply,
    copy_usage_problem,
    deleted_note,
    diff_blocks,
    diff_usage_problem,
    new_owner_message,
    not_a_person,
    parse_copy_text,
    parse_diff_text,
    parse_transfer_text,
    restored_reply,
    transfer_usage_problem,
    transfer_view,
    transferred_reply,
)
from bot.workflows import workflow_requests
from bot.workflows.lifecycle import Actor, PermissionDenied, WorkflowError
from bot.workflows.overview import WorkflowHistory
from bot.workflows.sharing import AlreadyOwned, Transferred, copy_workflow, transfer_workflow
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.trash import restore_workflow


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
    past = workflow_requests.workflow_past(
        request.services.work, request.team_id, request.name, IN_MESSAGE
    )
    history = WorkflowHistory(past.name, past.runs, past.more_runs)
    blocks = history_message(history)
    if past.deleted_at is not None:
        blocks.insert(1, context(deleted_note(history.name)))
    blocks += changes_blocks(past.changes)
    request.reply(blocks, f"History of {escape_mrkdwn(history.name)}")


_TRANSFERRED = "Transferred"
# What users.info may fail with: Slack's refusal (a rate limit, say) or the connection's.
_SLACK_FAILURES = (SlackApiError, OSError, HTTPException)
_NO_PERSON = (
    "That is a bot or a deactivated account, not a person who can own a workflow: choose "
    "someone else."
)


def diff_command(request: CommandRequest) -> None:
    """``/workflow diff NAME [A B]``: what changed between two revisions (the last two by
    default), as their workflow files; anyone who can see the workflow may read it."""
    asked = parse_diff_text(command_arguments(request.command.get("text", "")))
    if asked is None:
        request.say(f":warning: {diff_usage_problem()}")
        return
    found = workflow_requests.compare_revisions(
        request.services.work, request.team_id, asked.name, asked.revisions
    )
    blocks = diff_blocks(found.name, found.before, found.after, found.diff)
    request.reply(blocks, f"Changes to {escape_mrkdwn(found.name)}")


def transfer_command(request: CommandRequest) -> None:
    """``/workflow transfer NAME @person``: the owner or an admin gives it to a person, who
    gets a direct message saying so. Without a person, a modal asks who."""
    arguments = command_arguments(request.command.get("text", ""))
    asked = parse_transfer_text(arguments)
    if asked is None and arguments and "@" not in arguments:
        open_transfer(
            request.client,
            request.services,
            str(request.command.get("trigger_id", "")),
            request.actor(),
            request.team_id,
            arguments,
        )
        return
    if asked is None:
        request.say(f":warning: {transfer_usage_problem()}")
        return
    try:
        person = request.services.people.is_person(request.client, request.team_id, asked.new_owner)
    except _SLACK_FAILURES as error:
        request.say(f":warning: {escape_mrkdwn(_unchecked(error))}")
        return
    if not person:
        request.say(f":warning: {not_a_person(asked.new_owner)}")
        return
    actor, now = request.actor(), request.services.clock.now()
    transferred = transfer_workflow(
        request.services.work, request.team_id, asked.name, asked.new_owner, actor, now
    )
    told = _tell_new_owner(request.client, transferred, request.user_id)
    request.say(transferred_reply(transferred) + told)


def open_transfer(
    client: WebClient, services: Services, trigger_id: str, actor: Actor, team_id: str, name: str
) -> None:
    """Opens the modal that asks who is to own the workflow ``name``; WorkflowError when
    ``actor`` may not give it away (or there is no such workflow)."""
    workflow = workflow_requests.changeable(services.work, team_id, name, actor)
    client.views_open(trigger_id=trigger_id, view=transfer_view(workflow.name, workflow.owner))


def register(app: App, services: Services) -> None:
    @app.view(View.TRANSFER)
    @reported
    def transfer_chosen(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        """The transfer modal submitted: refused beside the picker, or done and said so in
        the modal (and to the new owner); the App Home shows the new owner."""
        # The outcome is the answer (refused beside the picker, or the modal saying it was
        # done), so the transfer is made before it: one users.info (People keeps it, and the
        # requester's, for a minute) and a short transaction.
        who, view = Requester.of(context), body["view"]
        asked = chosen_transfer(view)
        try:
            person = asked is not None and services.people.is_person(
                client, who.team_id, asked.new_owner
            )
        except _SLACK_FAILURES as error:
            ack(response_action="errors", errors={TransferBlock.NEW_OWNER: _unchecked(error)})
            return
        if asked is None or not person:
            ack(response_action="errors", errors={TransferBlock.NEW_OWNER: _NO_PERSON})
            return
        actor = services.people.actor(client, who.team_id, who.user_id)
        try:
            now = services.clock.now()
            transferred = transfer_workflow(
                services.work, who.team_id, asked.name, asked.new_owner, actor, now
            )
        except WorkflowError as error:
            ack(response_action="errors", errors={TransferBlock.NEW_OWNER: _plain(error)})
            return
        done = transferred_reply(transferred)
        ack(response_action="update", view=notice_view(_TRANSFERRED, done))
        if told := _tell_new_owner(client, transferred, who.user_id):
            update_modal(client, str(view["id"]), notice_view(_TRANSFERRED, done + told))
        publish_home(client, services, who.team_id, who.user_id)


def _plain(error: WorkflowError) -> str:
    """A refusal as the picker's error shows it: plain text, where a mention would not read."""
    if isinstance(error, PermissionDenied):
        return f"Only the owner of {error.name} or an admin can give it to someone else."
    if isinstance(error, AlreadyOwned):
        return "They own it already: choose someone else."
    return str(error)


def _tell_new_owner(client: WebClient, transferred: Transferred, by: str) -> str:
    """Tells the new owner in a direct message; what the reply adds when it could not."""
    if transferred.owner == by:
        return ""
    # A courtesy: the transfer stands if the message cannot be sent.
    try:
        client.chat_postMessage(channel=transferred.owner, text=new_owner_message(transferred, by))
    except _SLACK_FAILURES:
        # Refused, or the connection failed after the transfer was saved: the reply must
        # still say the transfer happened.
        return " They could not be told in a direct message: let them know."
    return ""


def _unchecked(error: Exception) -> str:
    """Why the new owner could not be checked (plain text): Slack did not answer users.info."""
    said = (
        str(error.response.get("error"))
        if isinstance(error, SlackApiError)
        else "the connection failed"
    )
    return (
        f"Slack could not say whether they are a person who can own a workflow ({said}): "
        "nothing was changed. Try again in a minute."
    )


def copy_command(request: CommandRequest) -> None:
    """``/workflow copy NAME NEW NAME``: a paused copy owned by whoever asks."""
    arguments = command_arguments(request.command.get("text", ""))
    services = request.services
    names = workflow_requests.workflow_names(services.work, request.team_id)
    asked = parse_copy_text(arguments, names)
    if asked is None:
        request.say(f":warning: {copy_usage_problem()}")
        return
    copied = copy_workflow(
        services.work,
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
    restored = restore_workflow(
        request.services.work, request.team_id, request.name, actor, request.services.clock.now()
    )
    request.services.workflows_changed()
    request.say(restored_reply(restored))
