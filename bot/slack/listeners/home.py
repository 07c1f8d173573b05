"""The App Home tab's listeners: it is published whenever a user opens it, and again after
a click on Run now, Pause or Activate, so that it shows what the click changed. Edit opens
the wizard, which publishes the Home once the workflow is saved.

A refused click (the workflow is not the user's, or is gone) opens a small modal saying why,
with the click's trigger: the Home has no response_url, and a direct message would land in
the Messages tab, out of the user's sight. Only when that modal cannot open (the trigger
expired) does the error handler send the direct message instead. History is in
listeners/history.py.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.errors import refusal_text, reported
from bot.slack.ids import Event, HomeAction
from bot.slack.listeners.home_tab import publish_home
from bot.slack.listeners.requester import Requester
from bot.slack.listeners.sharing import open_transfer
from bot.slack.listeners.wizard import open_wizard
from bot.slack.services import Services
from bot.slack.views.home import clicked_workflow, refusal_view, run_notice, status_notice
from bot.workflows import workflow_requests
from bot.workflows.lifecycle import Actor, WorkflowError
from bot.workflows.vocabulary import WorkflowStatus
from storage.unit_of_work import UnitOfWork

# A change a button asks for, as one use case: (work, team id, workflow name, actor, now)
# -> the notice.
_Change = Callable[[UnitOfWork, str, str, Actor, datetime], str]


def _run(work: UnitOfWork, team_id: str, name: str, actor: Actor, now: datetime) -> str:
    return run_notice(
        workflow_requests.run_all_matching(work, team_id, name, actor, now).workflow_name
    )


def _set(status: WorkflowStatus) -> _Change:
    def change(work: UnitOfWork, team_id: str, name: str, actor: Actor, now: datetime) -> str:
        changed = workflow_requests.change_status(work, team_id, name, status, actor, now)
        return status_notice(changed.name, status)

    return change


def register(app: App, services: Services) -> None:
    @app.event(Event.APP_HOME_OPENED)
    @reported
    def home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("tab") != "home":
            return
        who = Requester.of(context)
        publish_home(client, services, who.team_id, who.user_id)

    def clicked(change: _Change) -> Callable[..., None]:
        def listener(
            ack: Ack,
            body: dict[str, Any],
            action: dict[str, Any],
            client: WebClient,
            context: BoltContext,
        ) -> None:
            ack()
            name = clicked_workflow(action)
            _change(client, services, Requester.of(context), body["trigger_id"], name, change)

        return listener

    app.action(HomeAction.RUN)(reported(clicked(_run)))
    app.action(HomeAction.PAUSE)(reported(clicked(_set(WorkflowStatus.PAUSED))))
    app.action(HomeAction.ACTIVATE)(reported(clicked(_set(WorkflowStatus.ACTIVE))))

    @app.action(HomeAction.EDIT)
    @reported
    def edit(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        who = Requester.of(context)
        # The wizard says itself why it cannot edit; the Home changes only once it saved.
        name = clicked_workflow(action)
        open_wizard(client, services, body["trigger_id"], who.team_id, who.user_id, name)

    @app.action(HomeAction.TRANSFER)
    @reported
    def transfer(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        """Opens the modal that asks who is to own it (listeners/sharing.py answers it)."""
        ack()
        who, trigger_id = Requester.of(context), body["trigger_id"]
        actor = services.people.actor(client, who.team_id, who.user_id)
        try:
            open_transfer(
                client, services, trigger_id, actor, who.team_id, clicked_workflow(action)
            )
        except WorkflowError as error:
            shown = _refuse(client, trigger_id, error)
            publish_home(client, services, who.team_id, who.user_id)
            if not shown:
                raise


def _change(
    client: WebClient,
    services: Services,
    who: Requester,
    trigger_id: str,
    name: str,
    change: _Change,
) -> None:
    """One use case for the clicked workflow, then the Home again: with what the click did,
    or, when it was refused, as it is now (what the user saw was out of date)."""
    actor = services.people.actor(client, who.team_id, who.user_id)
    try:
        notice = change(services.work, who.team_id, name, actor, services.clock.now())
    except WorkflowError as error:
        shown = _refuse(client, trigger_id, error)
        publish_home(client, services, who.team_id, who.user_id)
        if not shown:
            raise  # the error handler tells the user in a direct message
        return
    services.workflows_changed()
    publish_home(client, services, who.team_id, who.user_id, notice)


def _refuse(client: WebClient, trigger_id: str, error: WorkflowError) -> bool:
    """Opens the modal saying why; False when it could not open."""
    with suppress(SlackApiError):
        client.views_open(trigger_id=trigger_id, view=refusal_view(refusal_text(error)))
        return True
    return False
