"""Uninstalls and revoked tokens: the workspace's tokens are forgotten (Bolt's own listeners
delete them from the installation store, when there is one) and its active workflows are
paused, since nothing they would post could be delivered."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from bot.slack.errors import reported
from bot.slack.ids import Event
from bot.slack.services import Services
from bot.workflows.readable import plural
from bot.workflows.workflow_requests import pause_all

log = logging.getLogger(__name__)

UNINSTALLED = "workflow-bot was uninstalled from the workspace"
REVOKED = "the bot's token was revoked"


def register(app: App, services: Services) -> None:
    # Without an installation store (one workspace, SLACK_BOT_TOKEN) there is nothing to
    # delete: the revoked token simply stops working.
    has_store = app.installation_store is not None
    forget_workspace = app.default_app_uninstalled_event_listener() if has_store else None
    forget_tokens = app.default_tokens_revoked_event_listener() if has_store else None

    @app.event(Event.APP_UNINSTALLED)
    @reported
    def app_uninstalled(context: BoltContext) -> None:
        if forget_workspace is not None:
            forget_workspace(context=context)
        _pause(services, context, UNINSTALLED)

    @app.event(Event.TOKENS_REVOKED)
    @reported
    def tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
        if forget_tokens is not None:
            forget_tokens(event=event, context=context)
        # Only the bot's token posts; revoked user tokens (the bot asks for none) change nothing.
        if (event.get("tokens") or {}).get("bot"):
            _pause(services, context, REVOKED)


def _pause(services: Services, context: BoltContext, reason: str) -> None:
    team_id = context.team_id
    if not team_id:
        return
    paused = pause_all(services.work, team_id, services.clock.now(), reason)
    log.info("%s in %s: paused %s", reason, team_id, plural(len(paused), "workflow"))
    if paused:
        services.workflows_changed()
