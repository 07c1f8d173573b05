"""The App Home tab: published whenever a user opens it, and again after each click on one of
its buttons (Run now, Pause, Activate, Edit), so that it shows what the click changed.

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

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.slack.errors import reported, user_message
from bot.slack.ids import Event, HomeAction
from bot.slack.listeners.wizard import open_wizard
from bot.slack.services import Services
from bot.slack.views.home import (
    build_home,
    clicked_workflow,
    refusal_view,
    run_notice,
    status_notice,
)
from bot.workflows.lifecycle import Actor, WorkflowError, request_run, set_status
from bot.workflows.overview import list_workflows
from bot.workflows.templates import escape_mrkdwn
from storage.database import transaction, write_transaction
from storage.models import WorkflowStatus

# A change a button asks for: (session, team id, workflow name, actor, now) -> the notice.
_Change = Callable[[Session, str, str, Actor, datetime], str]


def publish_home(
    client: WebClient, services: Services, team_id: str, user_id: str, notice: str | None = None
) -> None:
    actor = services.people.actor(client, team_id, user_id)
    with transaction(services.sessions) as session:
        lines = list_workflows(session, team_id, None if actor.is_admin else user_id)
    client.views_publish(user_id=user_id, view=build_home(lines, actor.is_admin, notice))


def _team_id(body: dict[str, Any]) -> str:
    team = body.get("team") or {}
    return str(team.get("id") or (body.get("user") or {}).get("team_id") or "")


def _run(session: Session, team_id: str, name: str, actor: Actor, now: datetime) -> str:
    request_run(session, team_id, name, actor, now)
    return run_notice(name)


def _set(status: WorkflowStatus) -> _Change:
    def change(session: Session, team_id: str, name: str, actor: Actor, now: datetime) -> str:
        workflow = set_status(session, team_id, name, status, actor, now)
        return status_notice(workflow.name, status)

    return change


def register(app: App, services: Services) -> None:
    @app.event(Event.APP_HOME_OPENED)
    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") != "home":
            return
        publish_home(client, services, body["team_id"], event["user"])

    def clicked(change: _Change) -> Callable[..., None]:
        def listener(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
        ) -> None:
            ack()
            _change(client, services, body, clicked_workflow(action), change)

        return listener

    app.action(HomeAction.RUN)(reported(clicked(_run)))
    app.action(HomeAction.PAUSE)(reported(clicked(_set(WorkflowStatus.PAUSED))))
    app.action(HomeAction.ACTIVATE)(reported(clicked(_set(WorkflowStatus.ACTIVE))))

    @app.action(HomeAction.EDIT)
    @reported
    def edit(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = _team_id(body), body["user"]["id"]
        # The wizard opens first (the trigger expires) and says itself why it cannot edit.
        open_wizard(
            client, services, body["trigger_id"], team_id, user_id, clicked_workflow(action)
        )
        publish_home(client, services, team_id, user_id)


def _change(
    client: WebClient, services: Services, body: dict[str, Any], name: str, change: _Change
) -> None:
    """One use case for the clicked workflow, then the Home again: with what the click did,
    or, when it was refused, as it is now (what the user saw was out of date)."""
    team_id, user_id = _team_id(body), body["user"]["id"]
    actor = services.people.actor(client, team_id, user_id)
    try:
        with write_transaction(services.sessions) as session:
            notice = change(session, team_id, name, actor, services.clock.now())
    except WorkflowError as error:
        shown = _refuse(client, body["trigger_id"], error)
        publish_home(client, services, team_id, user_id)
        if not shown:
            raise  # the error handler tells the user in a direct message
        return
    services.workflows_changed()
    publish_home(client, services, team_id, user_id, notice)


def _refuse(client: WebClient, trigger_id: str, error: WorkflowError) -> bool:
    """Opens the modal saying why; False when it could not open."""
    text = user_message(error) or f":warning: {escape_mrkdwn(str(error))}"
    with suppress(SlackApiError):
        client.views_open(trigger_id=trigger_id, view=refusal_view(text))
        return True
    return False
