"""The App Home tab, published whenever a user opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.ids import Event
from bot.slack.services import Services
from bot.slack.views.home import build_home
from bot.workflows.overview import list_workflows
from storage.database import transaction


def register(app: App, services: Services) -> None:
    @app.event(Event.APP_HOME_OPENED)
    def publish_home(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") != "home":
            return
        team_id, user_id = body["team_id"], event["user"]
        actor = services.people.actor(client, team_id, user_id)
        with transaction(services.sessions) as session:
            lines = list_workflows(session, team_id)
        if not actor.is_admin:
            lines = [line for line in lines if line.owner == user_id]
        client.views_publish(user_id=user_id, view=build_home(lines, actor.is_admin))
