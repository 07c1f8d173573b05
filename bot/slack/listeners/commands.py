"""/workflow and its subcommands: each acks at once, then answers the user privately."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack.after_ack import TELL_TIMEOUT_S, AfterAck
from bot.slack.errors import reported, tell_the_user
from bot.slack.ids import SLASH_COMMAND, CommandAction
from bot.slack.listeners.explanations import forecast_command, why_command
from bot.slack.listeners.requester import Requester
from bot.slack.listeners.sharing import (
    copy_command,
    diff_command,
    history_command,
    restore_command,
    transfer_command,
)
from bot.slack.listeners.wizard import open_wizard
from bot.slack.response_url import CheckedRespond
from bot.slack.services import Services
from bot.slack.views import commands as replies
from bot.slack.views.phrases import when
from bot.workflows import workflow_requests
from bot.workflows.draft_document import DraftDocument, ScheduleDocument
from bot.workflows.drafts import schedule_preview
from bot.workflows.lifecycle import Actor
from bot.workflows.overview import workflow_details
from bot.workflows.readable import plural
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.trash import restorable_names
from bot.workflows.vocabulary import WorkflowStatus
from bot.workflows.wording import describe_action, describe_criteria

Handler = Callable[["_Request"], None]


class _Request:
    """One /workflow invocation: who asked, in which workspace, about which workflow."""

    def __init__(
        self,
        services: Services,
        command: dict[str, Any],
        client: WebClient,
        respond: CheckedRespond,
        who: Requester,
    ) -> None:
        self.services = services
        self.command = command
        self.client = client
        self.respond = respond
        self.team_id = who.team_id
        self.user_id = who.user_id
        self.text = replies.parse_command_text(command.get("text", ""))

    @property
    def name(self) -> str:
        return self.text.name

    def actor(self) -> Actor:
        return self.services.people.actor(self.client, self.team_id, self.user_id)

    def reply(self, blocks: list[dict[str, Any]], text: str) -> None:
        self.respond(blocks=blocks, text=text, response_type="ephemeral")

    def say(self, text: str) -> None:
        self.respond(text=text, response_type="ephemeral")

    def say_quickly(self, text: str) -> None:
        """say(), giving up after TELL_TIMEOUT_S where Slack's client waits 30 s: for a
        stopping bot, which has a few seconds for all its messages."""
        self.respond.quickly(text, TELL_TIMEOUT_S)


def _help(request: _Request) -> None:
    request.reply(replies.help_reply(), "workflow-bot commands")


def _wizard_opener(editing: bool) -> Handler:
    """The handler of ``create`` and (``editing``) ``edit``: opens the wizard on a new
    workflow (with the schedule or name the command gives, if it does), or on the one the
    command names."""

    def open_on(request: _Request) -> None:
        create = replies.CreateText() if editing else replies.read_create_text(request.text)
        open_wizard(
            request.client,
            request.services,
            request.command["trigger_id"],
            request.team_id,
            request.user_id,
            request.name if editing else None,
            name=create.name,
            schedule=create.schedule,
        )
        # After the modal: its trigger expires 3 seconds after the command.
        if create.note is not None:
            request.say(create.note)
        elif create.schedule is not None:
            _echo_schedule(request, create.schedule)

    return open_on


def _echo_schedule(request: _Request, schedule: ScheduleDocument) -> None:
    """Says what the schedule typed after create means, with its next runs, in the
    creator's zone unless it names one, as the dialog's step 2 will show it."""
    services = request.services
    zone = services.people.timezone(request.client, request.team_id, request.user_id)
    zone = zone or services.settings.default_timezone
    document: DraftDocument = {"schedule": {**schedule, "timezone": schedule.get("timezone", zone)}}
    request.say(replies.schedule_preset(schedule_preview(document, zone, services.clock.now())))


def _list(request: _Request) -> None:
    now = request.services.clock.now()
    work = request.services.work
    lines = workflow_requests.workflow_lines(work, request.team_id, now=now)
    restorable = [] if lines else restorable_names(work, request.team_id, now)
    request.reply(replies.list_reply(lines, restorable), plural(len(lines), "workflow"))


def _show(request: _Request) -> None:
    now = request.services.clock.now()
    details = workflow_details(request.services.work, request.team_id, request.name, now)
    criteria = describe_criteria(details.definition.criteria)
    actions = [describe_action(action) for action in details.definition.actions]
    request.reply(replies.show_reply(details, criteria, actions), escape_mrkdwn(details.line.name))


def _set_status(status: WorkflowStatus) -> Handler:
    def change(request: _Request) -> None:
        actor, services = request.actor(), request.services
        changed = workflow_requests.change_status(
            services.work, request.team_id, request.name, status, actor, services.clock.now()
        )
        services.workflows_changed()
        shown = escape_mrkdwn(changed.name)
        if changed.next_run is None:
            request.say(
                f"*{shown}* is {status}: no scheduled runs until "
                f"`{SLASH_COMMAND} activate {shown}`."
            )
        else:
            at = when(changed.next_run.astimezone(ZoneInfo(changed.timezone)))
            request.say(f"*{shown}* is {status}; next run {at}.")

    return change


def _delete(request: _Request) -> None:
    # Refuse before asking: a confirmation button that can only fail would be a trap.
    actor = request.actor()
    workflow = workflow_requests.changeable(
        request.services.work, request.team_id, request.name, actor
    )
    question = replies.delete_confirmation(workflow.id, workflow.created_at, workflow.name)
    request.reply(question, f"Delete {escape_mrkdwn(workflow.name)}?")


def _run(request: _Request) -> None:
    actor = request.actor()
    requested = workflow_requests.run_all_matching(
        request.services.work, request.team_id, request.name, actor, request.services.clock.now()
    )
    request.services.workflows_changed()
    name = requested.workflow_name
    request.say(
        f"Running *{escape_mrkdwn(name)}* now for every matching record. "
        f"`{SLASH_COMMAND} history {escape_mrkdwn(name)}` shows how it went."
    )


HANDLERS: dict[str, Handler] = {
    "help": _help,
    "create": _wizard_opener(editing=False),
    "list": _list,
    "show": _show,
    "edit": _wizard_opener(editing=True),
    "pause": _set_status(WorkflowStatus.PAUSED),
    "activate": _set_status(WorkflowStatus.ACTIVE),
    "delete": _delete,
    "run": _run,
    "history": history_command,
    "diff": diff_command,
    "transfer": transfer_command,
    "copy": copy_command,
    "restore": restore_command,
    "why": why_command,
    "forecast": forecast_command,
}


# The subcommands that read the most and only answer at the response URL (valid for 30
# minutes): their answer waits for a thread of the after-ack pool. The others stay on the
# listener's thread: create, edit and transfer open a modal, whose trigger expires 3 s
# after the command, and the changes are quick.
_ANSWERED_AFTER_ACK = frozenset({"list", "show", "history", "diff", "why", "forecast"})


def _answer(request: _Request) -> None:
    subcommand = request.text.subcommand
    handler = HANDLERS.get(subcommand)
    if handler is None:
        problem = replies.unknown_subcommand(subcommand)
        request.reply(replies.help_reply(problem), problem)
    elif subcommand in replies.NEEDS_NAME and not request.name:
        problem = replies.missing_name(subcommand)
        request.reply(replies.help_reply(problem), problem)
    else:
        handler(request)


def register(app: App, services: Services, after_ack: AfterAck) -> None:
    @app.command(SLASH_COMMAND)
    @reported
    def workflow_command(
        ack: Ack,
        command: dict[str, Any],
        body: dict[str, Any],
        client: WebClient,
        respond: CheckedRespond,  # create_app's middleware makes every respond one
        context: BoltContext,
    ) -> None:
        ack()
        request = _Request(services, command, client, respond, Requester.of(context))
        if request.text.subcommand not in _ANSWERED_AFTER_ACK:
            _answer(request)
            return

        def failed(error: BaseException) -> None:
            tell_the_user(error, body, respond, client, context)

        typed = str(command.get("text") or "")
        after_ack.run(
            lambda: _answer(request),
            failed,
            busy=lambda: request.say(replies.busy_reply(typed)),
            dropped=lambda: request.say_quickly(replies.stopping_reply(typed)),
            who=f"{request.user_id} ({SLASH_COMMAND} {typed})",
        )

    @app.action(CommandAction.CONFIRM_DELETE)
    @reported
    def confirm_delete(
        ack: Ack,
        action: dict[str, Any],
        client: WebClient,
        respond: Respond,
        context: BoltContext,
    ) -> None:
        ack()
        who = Requester.of(context)
        asked_about, name = replies.parse_delete_choice(action["value"])
        actor = services.people.actor(client, who.team_id, who.user_id)
        now = services.clock.now()
        workflow_requests.delete_restorably(
            services.work, who.team_id, name, actor, asked_about, now
        )
        services.workflows_changed()
        respond(text=replies.deleted_reply(name), replace_original=True)

    @app.action(CommandAction.CANCEL_DELETE)
    @reported
    def cancel_delete(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        _, name = replies.parse_delete_choice(action["value"])
        respond(text=f"*{escape_mrkdwn(name)}* was not deleted.", replace_original=True)
