"""Publishing a user's App Home tab: the workflows they may see, as they are now. The Home's
listeners publish it when it is opened or a button on it was clicked, the wizard after a
save (the Home may be open under its modal)."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.slack.services import Services
from bot.slack.views.home import build_home
from bot.workflows.trash import restorable_names
from bot.workflows.workflow_requests import workflow_lines


def publish_home(
    client: WebClient, services: Services, team_id: str, user_id: str, notice: str | None = None
) -> None:
    actor = services.people.actor(client, team_id, user_id)
    now = services.clock.now()
    lines = workflow_lines(services.work, team_id, viewer=actor, now=now)
    restorable = [] if lines else restorable_names(services.work, team_id, now)
    view = build_home(lines, actor.is_admin, notice, restorable)
    client.views_publish(user_id=user_id, view=view)
