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

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.errors import reported, user_message
from bot.slack.ids import EnrollAction, Shortcut, View
from bot.slack.services import Services
from bot.slack.views import enrollment as views
from bot.slack.views.enrollment import EnrollContext, EnrollDraft
from bot.workflows.lifecycle import Actor, WorkflowError
from bot.workflows.manual_enrollment import (
    NotEnrollable,
    active_workflows,
    check_enrollment,
    enroll_by_hand,
    enrollable_workflow,
    enrollment_report,
    find_records,
)
from bot.workflows.templates import escape_mrkdwn
from storage.database import transaction, write_transaction

log = logging.getLogger(__name__)

_SOMETHING_WENT_WRONG = (
    ":x: Something went wrong while the actions ran. The bot sent you the details in a "
    "direct message."
)


def _team_id(body: dict[str, Any]) -> str:
    team = body.get("team") or {}
    return str(team.get("id") or (body.get("view") or {}).get("team_id") or "")


def register(app: App, services: Services) -> None:
    @app.shortcut(Shortcut.ENROLL)
    @reported
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        context = views.parse_shortcut(body)
        # The trigger expires 3 seconds after the click: the modal opens before anything else.
        client.views_open(
            trigger_id=body["trigger_id"], view=views.build_enroll_view(context, None)
        )
        # The submission must be answered within 3 seconds and asks who the user is: ask now.
        services.people.person(client, _team_id(body), body["user"]["id"])

    @app.options(EnrollAction.WORKFLOW)
    def workflow_choices(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        # Only the workflows this person may enroll in (the people cache was filled when
        # the modal opened): finding out at submission would waste their picking.
        team_id, user_id = _team_id(body), body["user"]["id"]
        actor = services.people.actor(client, team_id, user_id)
        owner = None if actor.is_admin else user_id
        with transaction(services.sessions) as session:
            typed = str(body.get("value") or "")
            choices = active_workflows(session, team_id, typed, owner)
        ack(options=views.workflow_options(choices))

    @app.options(EnrollAction.RECORDS)
    def record_choices(ack: Ack, body: dict[str, Any]) -> None:
        context = EnrollContext.from_metadata((body.get("view") or {}).get("private_metadata"))
        if context.workflow_id is None:
            ack(options=[])
            return
        typed = str(body.get("value") or "")
        with transaction(services.sessions) as session:
            choices = find_records(session, _team_id(body), context.workflow_id, typed)
        ack(options=views.record_options(choices))

    @app.action(EnrollAction.WORKFLOW)
    @reported
    def choose_workflow(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        view = body["view"]
        context = EnrollContext.from_metadata(view.get("private_metadata"))
        workflow_id = views.chosen_workflow(action)
        choice, problem = None, None
        if workflow_id is not None:
            try:
                with transaction(services.sessions) as session:
                    choice = enrollable_workflow(session, _team_id(body), workflow_id)
            except NotEnrollable as error:
                problem = str(error)
        page = views.build_enroll_view(context, choice, problem)
        try:
            client.views_update(view_id=view["id"], hash=view["hash"], view=page)
        except SlackApiError as error:
            if error.response.get("error") != "hash_conflict":
                raise
            # The user chose again before this update landed: that choice's update follows,
            # and a submission checks that the records shown belong to the chosen workflow.
            log.info("enroll modal %s changed meanwhile; not updated", view["id"])
        services.people.person(client, _team_id(body), body["user"]["id"])  # fresh for submit

    @app.view(View.ENROLL)
    @reported
    def submit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        team_id, user_id = _team_id(body), body["user"]["id"]
        draft = views.parse_enroll_view(view)
        errors = views.draft_errors(draft)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        actor = services.people.actor(client, team_id, user_id)
        context = EnrollContext.from_metadata(view.get("private_metadata"))
        try:
            with transaction(services.sessions) as session:
                workflow = check_enrollment(
                    session, team_id, views.enrollment_request(draft, context, None), actor
                )
        except WorkflowError as error:
            ack(response_action="errors", errors=views.refusal_errors(error, draft))
            return
        count = len(draft.record_ids) + int(draft.create)
        ack(response_action="update", view=views.enrolling_view(workflow.name, count))
        _Submission(services, client, body, context, actor).enroll_and_run(draft)


class _Submission:
    """The work after a submission was answered: enroll, run, report."""

    def __init__(
        self,
        services: Services,
        client: WebClient,
        body: dict[str, Any],
        context: EnrollContext,
        actor: Actor,
    ) -> None:
        self.services = services
        self.client = client
        self.body = body
        self.context = context
        self.actor = actor
        self.team_id = _team_id(body)
        self.user_id: str = body["user"]["id"]
        self.view_id: str = body["view"]["id"]

    def enroll_and_run(self, draft: EnrollDraft) -> None:
        permalink = self._permalink() if draft.create else None
        request = views.enrollment_request(draft, self.context, permalink)
        try:
            with write_transaction(self.services.sessions) as session:
                enrolled = enroll_by_hand(
                    session, self.team_id, request, self.actor, self.services.clock.now()
                )
        except WorkflowError as error:
            # Changed since the submission was checked: say so where the user looks.
            text = user_message(error) or f":warning: {escape_mrkdwn(str(error))}"
            self._show(views.problem_view(text))
            self._tell(text, None)
            return
        try:
            self._run(enrolled.run_id)
        except Exception:
            self._show(views.problem_view(_SOMETHING_WENT_WRONG))
            raise  # the error handler gives the user an error id and logs the traceback
        with transaction(self.services.sessions) as session:
            report = enrollment_report(session, enrolled.run_id, enrolled.created)
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

    def _run(self, run_id: int) -> None:
        if self.services.run_now is None:
            self.services.workflows_changed()  # the scheduler of this process runs it
            return
        self.services.run_now(run_id)

    def _permalink(self) -> str:
        context = self.context
        try:
            answer = self.client.chat_getPermalink(
                channel=context.channel_id, message_ts=context.ts
            )
            return str(answer["permalink"])
        except SlackApiError as error:
            # The bot may not see the channel (a DM, a private channel it is not in).
            log.info("chat.getPermalink: %s; building the link", error.response.get("error"))
            domain = str((self.body.get("team") or {}).get("domain") or "app")
            return context.built_permalink(domain)

    def _show(self, view: dict[str, Any]) -> None:
        # The user may have closed the modal meanwhile: the message says it all anyway.
        with suppress(SlackApiError):
            self.client.views_update(view_id=self.view_id, view=view)

    def _tell(self, text: str, blocks: list[dict[str, Any]] | None) -> None:
        """Privately in the message's channel; in the bot's DM when the bot cannot post
        there (not in the channel, a DM between people)."""
        try:
            self.client.chat_postEphemeral(
                channel=self.context.channel_id, user=self.user_id, text=text, blocks=blocks
            )
        except SlackApiError as error:
            log.info("chat.postEphemeral: %s; sending a DM", error.response.get("error"))
            self.client.chat_postMessage(channel=self.user_id, text=text, blocks=blocks)
