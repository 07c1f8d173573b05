"""One place that turns an error into what the user reads in Slack.

Domain errors carry their own message, which is escaped and shown as is. Anything else is a
bug: the user gets a short error id, and the log gets the same id with the traceback.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from slack_bolt import App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.workflows.criteria import InvalidCriteria
from bot.workflows.definitions import InvalidDefinition
from bot.workflows.lifecycle import PermissionDenied, WorkflowError
from bot.workflows.schedules import InvalidSchedule
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.workspaces import AmbiguousWorkspace
from storage.object_types import UnknownObjectType

log = logging.getLogger(__name__)

_USER_ERRORS = (
    WorkflowError,
    InvalidDefinition,
    InvalidCriteria,
    InvalidSchedule,
    UnknownObjectType,
    AmbiguousWorkspace,
)
_SLACK_REASONS = {
    "expired_trigger_id": "Slack took too long to open the dialog. Please run the command again.",
    "invalid_trigger_id": "Slack took too long to open the dialog. Please run the command again.",
    "hash_conflict": "The dialog changed in another window. Close it and start again.",
}


def user_message(error: BaseException) -> str | None:
    """The mrkdwn the user reads for an error they can act on; None for a bug."""
    if isinstance(error, PermissionDenied):
        return (
            f":no_entry: Only the owner of *{escape_mrkdwn(error.name)}* (<@{error.owner}>) "
            "or an admin can change it. Ask them, or ask an admin to transfer it to you."
        )
    if isinstance(error, _USER_ERRORS):
        return f":warning: {escape_mrkdwn(str(error))}"
    if isinstance(error, SlackApiError):
        reason = _SLACK_REASONS.get(str(error.response.get("error")))
        return f":warning: {reason}" if reason else None
    return None


def error_reply(error: BaseException, body: dict[str, Any]) -> str:
    """What to tell the user; a bug is logged here, with an id the reply repeats."""
    message = user_message(error)
    if message is not None:
        return message
    error_id = secrets.token_hex(4)
    log.error(
        "error %s while handling a %s request from user %s",
        error_id,
        body.get("type") or body.get("command") or "Slack",
        _user_id(body),
        exc_info=error,
    )
    return (
        f":x: Something went wrong on our side (error id `{error_id}`). Please try again; "
        "if it keeps failing, give the error id to whoever runs workflow-bot."
    )


def register(app: App) -> None:
    @app.error
    def tell_the_user(
        error: Exception, body: dict[str, Any], respond: Respond | None, client: WebClient
    ) -> None:
        text = error_reply(error, body)
        if respond is not None and body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
            return
        user_id = _user_id(body)
        if user_id is None:
            return  # an event with no one to tell: error_reply logged it when it was a bug
        # A modal or the Home tab has no reply URL: the message goes to the user's DM
        # with the bot (its Messages tab).
        client.chat_postMessage(channel=user_id, text=text)


def _user_id(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id")
    return body.get("user_id") or (body.get("event") or {}).get("user")
