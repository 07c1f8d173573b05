"""The "Enroll in workflow" message shortcut: opens the modal on the message, loads the
options of its workflow and record pickers, shows the chosen workflow's records, and on
submission enrolls them, runs the workflow's actions at once and tells the user how each went.

No Slack call happens inside a transaction: who the user is (users.info) and the message's
link (chat.getPermalink) are asked before one, views and messages sent after. The run
executes in this listener's thread once the submission is answered, each of its steps in a
short transaction of its own (Engine.run_now).
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.errors import refusal_text, reported
from bot.slack.ids import EnrollAction, Shortcut, View
from bot.slack.listeners.modals import update_modal
from bot.slack.listeners.requester import Requester
from bot.slack.services import Services
from bot.slack.views import enrollment as views
from bot.slack.views.enrollment import EnrollContext, EnrollDraft
from bot.workflows import manual_enrollment
from bot.workflows.lifecycle import Actor, WorkflowError
from bot.workflows.manual_enrollment import NotEnrollable
from bot.workflows.templates import escape_mrkdwn

log = logging.getLogger(__name__)

# Says an id was sent, not where: the error handler answers through the shortcut's reply URL
# (in the message's channel), not by direct message.
_SOMETHING_WENT_WRONG = (
    ":x: Something went wrong while the actions ran; the bot sent you an error id. Check the "
    "workflow's history before enrolling again, and give the id to whoever runs workflow-bot "
    "if it keeps failing."
)


def register(app: App, services: Services) -> None:
    @app.shortcut(Shortcut.ENROLL)
    @reported
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        message = views.parse_shortcut(body)
        # The trigger expires 3 seconds after the click: the modal opens before anything else.
        client.views_open(
            trigger_id=body["trigger_id"], view=views.build_enroll_view(message, None)
        )
        # The submission must be answered within 3 seconds and asks who the user is: ask now.
        who = Requester.of(context)
        services.people.person(client, who.team_id, who.user_id)

    @app.options(EnrollAction.WORKFLOW)
    @reported
    def workflow_choices(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        # Only the workflows this person may enroll in (the people cache was filled when
        # the modal opened): finding out at submission would waste their picking.
        who = Requester.of(context)
        actor = services.people.actor(client, who.team_id, who.user_id)
        typed = str(body.get("value") or "")
        choices = manual_enrollment.workflow_choices(services.work, who.team_id, typed, actor)
        ack(options=views.workflow_options(choices))

    @app.options(EnrollAction.RECORDS)
    @reported
    def record_choices(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        message = EnrollContext.from_metadata((body.get("view") or {}).get("private_metadata"))
        if message.workflow_id is None:
            ack(options=[])
            return
        typed = str(body.get("value") or "")
        team_id = Requester.of(context).team_id
        choices = manual_enrollment.record_choices(
            services.work, team_id, message.workflow_id, typed
        )
        ack(options=views.record_options(choices))

    @app.action(EnrollAction.WORKFLOW)
    @reported
    def choose_workflow(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        who = Requester.of(context)
        view = body["view"]
        message = EnrollContext.from_metadata(view.get("private_metadata"))
        workflow_id = views.chosen_workflow(action)
        choice, problem = None, None
        if workflow_id is not None:
            try:
                choice = manual_enrollment.chosen_workflow(services.work, who.team_id, workflow_id)
            except NotEnrollable as error:
                problem = str(error)
        page = views.build_enroll_view(message, choice, problem)
        # Overtaken when the user chose again before this update landed: that choice's
        # update follows, and a submission checks that the records shown belong to the
        # chosen workflow.
        update_modal(client, view["id"], page, view["hash"])
        services.people.person(client, who.team_id, who.user_id)  # fresh for submit

    @app.view(View.ENROLL)
    @reported
    def submit(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        who = Requester.of(context)
        view = body["view"]
        draft = views.parse_enroll_view(view)
        errors = views.draft_errors(draft)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        actor = services.people.actor(client, who.team_id, who.user_id)
        message = EnrollContext.from_metadata(view.get("private_metadata"))
        try:
            request = views.enrollment_request(draft, message, None)
            checked = manual_enrollment.checked_enrollment(
                services.work, who.team_id, request, actor
            )
        except WorkflowError as error:
            ack(response_action="errors", errors=views.refusal_errors(error, draft))
            return
        count = len(draft.record_ids) + int(draft.create)
        ack(response_action="update", view=views.enrolling_view(checked.name, count))
        _Submission(services, client, body, who, message, actor).enroll_and_run(draft)


class _Submission:
    """The work after a submission was answered: enroll, run, report."""

    def __init__(
        self,
        services: Services,
        client: WebClient,
        body: dict[str, Any],
        who: Requester,
        message: EnrollContext,
        actor: Actor,
    ) -> None:
        self.services = services
        self.client = client
        self.body = body
        self.message = message
        self.actor = actor
        self.team_id = who.team_id
        self.user_id = who.user_id
        self.view_id: str = body["view"]["id"]

    def enroll_and_run(self, draft: EnrollDraft) -> None:
        permalink = self._permalink() if draft.create else None
        request = views.enrollment_request(draft, self.message, permalink)
        try:
            now = self.services.clock.now()
            enrolled = manual_enrollment.enroll(
                self.services.work, self.team_id, request, self.actor, now
            )
        except WorkflowError as error:
            # Changed since the submission was checked: say so where the user looks.
            text = refusal_text(error)
            self._show(views.problem_view(text))
            self._tell(text, None)
            return
        try:
            self.services.start_run(enrolled.run_id)
        except Exception:
            with suppress(SlackApiError):  # best effort: it may fail likewise
                self._show(views.problem_view(_SOMETHING_WENT_WRONG))
            raise  # the error handler gives the user an error id and logs the traceback
        report = manual_enrollment.report(self.services.work, enrolled.run_id, enrolled.created)
        if report is None:
            text = (
                f":warning: *{escape_mrkdwn(enrolled.workflow_name)}* was deleted while its "
                "actions ran."
            )
            self._show(views.problem_view(text))
            self._tell(text, None)
            return
        text, blocks = views.outcome_message(report)
        self._show(views.outcome_view(report))
        self._tell(text, blocks)

    def _permalink(self) -> str:
        message = self.message
        try:
            answer = self.client.chat_getPermalink(
                channel=message.channel_id, message_ts=message.ts
            )
            return str(answer["permalink"])
        except SlackApiError as error:
            # The bot may not see the channel (a DM, a private channel it is not in).
            log.info("chat.getPermalink: %s; building the link", error.response.get("error"))
            domain = str((self.body.get("team") or {}).get("domain") or "app")
            return message.built_permalink(domain)

    def _show(self, view: dict[str, Any]) -> None:
        # The user may have closed the modal meanwhile: the message says it all anyway.
        update_modal(self.client, self.view_id, view)

    def _tell(self, text: str, blocks: list[dict[str, Any]] | None) -> None:
        """Privately in the message's channel; in the bot's DM when the bot cannot post
        there (not in the channel, a DM between people)."""
        try:
            self.client.chat_postEphemeral(
                channel=self.message.channel_id, user=self.user_id, text=text, blocks=blocks
            )
        except SlackApiError as error:
            log.info("chat.postEphemeral: %s; sending a DM", error.response.get("error"))
            self.client.chat_postMessage(channel=self.user_id, text=text, blocks=blocks)
