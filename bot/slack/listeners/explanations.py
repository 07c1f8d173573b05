"""Why a record is (not) enrolled, and forecasts, from Slack: ``/workflow why NAME RECORD``
(with buttons to pick the record when several match what was typed), ``/workflow forecast
NAME``, and the App Home's "Why (not)?" button, which opens a modal to pick a record of the
workflow and shows the explanation there. Read-only: anyone in the workspace may ask."""

from __future__ import annotations

from typing import Any, Protocol

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack.errors import refusal_text, reported
from bot.slack.ids import HomeAction, View, WhyAction, WhyBlock
from bot.slack.listeners.requester import Requester
from bot.slack.services import Services
from bot.slack.views.blocks import notice_view
from bot.slack.views.explanations import (
    WHY_TITLE,
    explanation_blocks,
    explanation_view,
    forecast_blocks,
    parse_pick,
    parse_why_view,
    record_options,
    record_picker,
    split_why_text,
    why_usage_problem,
    why_view,
)
from bot.slack.views.home import clicked_workflow
from bot.slack.views.sharing import command_arguments
from bot.workflows.explanations import (
    AmbiguousRecord,
    Explanation,
    RecordChoice,
    explain_picked,
    explain_typed,
)
from bot.workflows.forecast import forecast
from bot.workflows.lifecycle import UnknownWorkflow, WorkflowError
from bot.workflows.manual_enrollment import record_choices
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.workflow_requests import named_workflow, workflow_names

# The error a modal's record input shows is cut to what Slack shows well there.
_INPUT_ERROR_CHARS = 150


class CommandRequest(Protocol):
    """What a /workflow subcommand handler is given (listeners/commands.py builds it)."""

    services: Services
    command: dict[str, Any]
    team_id: str

    @property
    def name(self) -> str: ...

    def reply(self, blocks: list[dict[str, Any]], text: str) -> None: ...

    def say(self, text: str) -> None: ...


def why_command(request: CommandRequest) -> None:
    """``/workflow why NAME RECORD``: the explanation, or buttons to pick the record."""
    services = request.services
    arguments = command_arguments(request.command.get("text", ""))
    names = workflow_names(services.work, request.team_id)
    asked = split_why_text(arguments, names)
    if asked is None:
        words = arguments.split()
        if len(words) < 2:
            request.say(f":warning: {why_usage_problem()}")
            return
        # Most likely a misspelt workflow name before the record's id: say which exist.
        raise UnknownWorkflow(" ".join(words[:-1]), names)
    try:
        explanation = explain_typed(
            services.work, request.team_id, asked.workflow, asked.record, services.clock.now()
        )
    except AmbiguousRecord as ambiguous:
        picker = record_picker(asked.record, ambiguous.workflow_id, ambiguous.choices)
        request.reply(picker, f"Several records match {escape_mrkdwn(asked.record)}")
        return
    request.reply(explanation_blocks(explanation), _summary(explanation))


def forecast_command(request: CommandRequest) -> None:
    """``/workflow forecast NAME``: the next runs, each with the records it would enroll."""
    services = request.services
    found = forecast(services.work, request.team_id, request.name, services.clock.now())
    request.reply(forecast_blocks(found), f"Forecast of {escape_mrkdwn(found.workflow_name)}")


def _summary(explanation: Explanation) -> str:
    verb = "would be" if explanation.enrolled else "would not be"
    return f"{escape_mrkdwn(explanation.record_name)} {verb} enrolled"


def register(app: App, services: Services) -> None:
    @app.action(WhyAction.PICK)
    @reported
    def pick(ack: Ack, action: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        ack()
        picked = parse_pick(action.get("value"))
        if picked is None:
            respond(text=f":warning: {why_usage_problem()}", replace_original=True)
            return
        workflow_id, record_id = picked
        team_id = Requester.of(context).team_id
        now = services.clock.now()
        explanation = explain_picked(services.work, team_id, workflow_id, record_id, now)
        blocks = explanation_blocks(explanation)
        respond(blocks=blocks, text=_summary(explanation), replace_original=True)

    @app.action(HomeAction.WHY)
    @reported
    def open_modal(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        team_id, name = Requester.of(context).team_id, clicked_workflow(action)
        # The trigger expires 3 seconds after the click: one short read, then the modal.
        try:
            workflow = named_workflow(services.work, team_id, name)
            view = why_view(workflow.id, workflow.name)
        except WorkflowError as error:
            view = notice_view(WHY_TITLE, refusal_text(error))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.options(WhyAction.RECORD)
    @reported
    def suggest_records(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        workflow_id, _ = parse_why_view(body.get("view") or {})
        if workflow_id is None:
            ack(options=[])
            return
        typed = str(body.get("value") or "")
        team_id = Requester.of(context).team_id
        found = record_choices(services.work, team_id, workflow_id, typed)
        choices = [RecordChoice(r.id, r.external_id, r.name) for r in found]
        ack(options=record_options(choices))

    @app.view(View.WHY)
    @reported
    def explain_chosen(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        workflow_id, record_id = parse_why_view(body["view"])
        if workflow_id is None or record_id is None:
            problem = "Choose a record: type a part of its name, or its id."
            ack(response_action="errors", errors={WhyBlock.RECORD: problem})
            return
        team_id = Requester.of(context).team_id
        try:
            now = services.clock.now()
            explanation = explain_picked(services.work, team_id, workflow_id, record_id, now)
        except WorkflowError as error:
            problem = str(error)[:_INPUT_ERROR_CHARS]
            ack(response_action="errors", errors={WhyBlock.RECORD: problem})
            return
        ack(response_action="update", view=explanation_view(explanation))
