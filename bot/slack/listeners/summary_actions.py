"""The buttons of a run summary beside Details: Re-run failed, Skip next run (and Undo skip
in its reply) and Snooze a record (a modal, its record picker's options and its submission).

Only the workflow's owner or an admin may use them: who clicked is asked of Slack (or the
people cache) before the use case, which checks again and refuses with who can. Replies go
privately to the one who clicked (the click's response_url); no Slack call happens inside a
transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.slack.errors import refusal_text, reported
from bot.slack.ids import SnoozeAction, SnoozeBlock, SummaryAction, View
from bot.slack.listeners.requester import Requester
from bot.slack.services import Services
from bot.slack.views import summary_actions as views
from bot.slack.views.blocks import SELECT_OPTIONS, notice_view
from bot.slack.views.history import parse_run_id
from bot.workflows import run_followups
from bot.workflows.lifecycle import Actor, PermissionDenied, WorkflowError
from bot.workflows.run_followups import InvalidSnoozeDays, StaleButton, UnknownRun, snooze_days
from storage.unit_of_work import UnitOfWork


def register(app: App, services: Services) -> None:
    @app.action(SummaryAction.RERUN_FAILED)
    @reported
    def rerun_failed(
        ack: Ack,
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
        respond: Respond,
    ) -> None:
        ack()
        asked = _on_the_run(services, action, client, context, respond, run_followups.retry)
        if asked is None:
            return
        _tell(respond, views.rerun_started_text(asked))
        services.start_run(asked.run_id)

    @app.action(SummaryAction.SKIP_NEXT)
    @reported
    def skip_next(
        ack: Ack,
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
        respond: Respond,
    ) -> None:
        ack()
        skipped = _on_the_run(services, action, client, context, respond, run_followups.skip_next)
        if skipped is None:
            return
        text, blocks = views.skip_message(skipped)
        respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    @app.action(SummaryAction.UNDO_SKIP)
    @reported
    def undo(
        ack: Ack,
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
        respond: Respond,
    ) -> None:
        ack()
        who = Requester.of(context)
        actor = services.people.actor(client, who.team_id, who.user_id)
        skip = views.parse_undo(action)
        try:
            if skip is None:
                raise WorkflowError("That button names no skip: nothing was undone.")
            now = services.clock.now()
            undone = run_followups.undo(services.work, who.team_id, skip[0], skip[1], actor, now)
        except WorkflowError as error:
            _tell(respond, refusal_text(error))
            return
        respond(text=views.undone_text(undone), replace_original=True)

    @app.action(SummaryAction.SNOOZE)
    @reported
    def open_snooze(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        who = Requester.of(context)
        actor = services.people.actor(client, who.team_id, who.user_id)
        run_id = parse_run_id(action)
        try:
            if run_id is None:
                raise UnknownRun(action.get("value"))
            picker = run_followups.picker(services.work, who.team_id, run_id, actor, SELECT_OPTIONS)
            view = views.snooze_view(picker.about, picker.choices, picker.searched)
        except WorkflowError as error:
            view = notice_view(views.SNOOZE_TITLE, refusal_text(error))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.options(SnoozeAction.RECORD)
    @reported
    def record_choices(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        draft = views.parse_snooze(body.get("view") or {})
        typed = str(body.get("value") or "")
        if draft.run_id is None:
            ack(options=[])
            return
        try:
            team_id = Requester.of(context).team_id
            choices = run_followups.snooze_options(
                services.work, team_id, draft.run_id, typed, SELECT_OPTIONS
            )
        except WorkflowError:
            choices = []
        ack(options=views.record_options(choices))

    @app.view(View.SNOOZE)
    @reported
    def submit_snooze(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        draft = views.parse_snooze(body["view"])
        errors = views.snooze_errors(draft)
        try:
            days = snooze_days(draft.days) if draft.days else 0
        except InvalidSnoozeDays as error:
            errors[SnoozeBlock.DAYS] = str(error)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        assert draft.record_id is not None
        who = Requester.of(context)
        actor = services.people.actor(client, who.team_id, who.user_id)
        try:
            if draft.run_id is None:
                raise UnknownRun(None)
            snoozed = run_followups.snooze(
                services.work,
                who.team_id,
                draft.run_id,
                draft.record_id,
                days,
                actor,
                services.clock.now(),
            )
        except (PermissionDenied, StaleButton, UnknownRun) as error:
            # Nothing in the dialog can fix these: say so in place of it.
            notice = notice_view(views.SNOOZE_TITLE, refusal_text(error))
            ack(response_action="update", view=notice)
            return
        except WorkflowError as error:  # the record: removed, or not the run's
            ack(response_action="errors", errors={SnoozeBlock.RECORD: str(error)})
            return
        ack(response_action="update", view=views.snoozed_view(snoozed))


_Result = TypeVar("_Result")


def _on_the_run(
    services: Services,
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    use_case: Callable[[UnitOfWork, str, int, Actor, datetime], _Result],
) -> _Result | None:
    """Runs a button's use case on the run the button names, in the name of who clicked;
    None once the refusal (not the owner, a stale button, an unknown run) is told."""
    who = Requester.of(context)
    actor = services.people.actor(client, who.team_id, who.user_id)
    run_id = parse_run_id(action)
    try:
        if run_id is None:
            raise UnknownRun(action.get("value"))
        return use_case(services.work, who.team_id, run_id, actor, services.clock.now())
    except WorkflowError as error:
        _tell(respond, refusal_text(error))
        return None


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)
