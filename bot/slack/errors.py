"""One place that turns an error into what the user reads in Slack.

Domain errors carry their own message, which is escaped and shown as is. Anything else is a
bug: the user gets a short error id, and the log gets the same id with the traceback.
"""

from __future__ import annotations

import inspect
import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar, cast

from slack_bolt import App, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.handoff import ack_wait_of, acked_at_once, pool_of, until_acked
from bot.slack.ids import SLASH_COMMAND
from bot.slack.response_url import AnswerNotDelivered, AnswerRejected
from bot.slack.views.wizard import problem_lines, unsaved_lines
from bot.workflows.criteria import InvalidCriteria
from bot.workflows.definitions import InvalidDefinition
from bot.workflows.drafts import UnsavableDraft
from bot.workflows.lifecycle import PermissionDenied, WorkflowError
from bot.workflows.problems import InvalidDocument
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


def refusal_text(error: WorkflowError) -> str:
    """The mrkdwn the user reads when a use case refused what they asked."""
    if isinstance(error, PermissionDenied):
        name = escape_mrkdwn(error.name)
        return (
            f":no_entry: Only the owner of *{name}* (<@{error.owner}>) or an admin can change "
            f"it. Ask them to give it to you with `{SLASH_COMMAND} transfer {name} @you`, or "
            f"make your own copy to change: `{SLASH_COMMAND} copy {name} NEW NAME`."
        )
    return f":warning: {escape_mrkdwn(str(error))}"


def user_message(error: BaseException) -> str | None:
    """The mrkdwn the user reads for an error they can act on; None for a bug."""
    if isinstance(error, WorkflowError):
        return refusal_text(error)
    if isinstance(error, InvalidDocument):
        return f":warning: {escape_mrkdwn(_in_dialog_words(error))}"
    if isinstance(error, _USER_ERRORS):
        return f":warning: {escape_mrkdwn(str(error))}"
    if isinstance(error, SlackApiError):
        reason = _SLACK_REASONS.get(str(error.response.get("error")))
        return f":warning: {reason}" if reason else None
    return None


def _in_dialog_words(error: InvalidDocument) -> str:
    """Problems as the dialog words them: Slack users meet workflows in the dialog's terms,
    not in the file's keys (a draft's by its inputs' and properties' labels)."""
    if isinstance(error, UnsavableDraft):
        return "\n".join(unsaved_lines(error))
    root = {InvalidCriteria: ("criteria",), InvalidSchedule: ("schedule",)}.get(type(error), ())
    return "\n".join(problem_lines([problem.under(*root) for problem in error.problems]))


def error_reply(error: BaseException, body: dict[str, Any], user_id: str | None) -> str:
    """What to tell the user; a bug is logged here, with an id the reply repeats."""
    message = user_message(error)
    if message is not None:
        return message
    error_id = secrets.token_hex(4)
    log.error(
        "error %s while handling a %s request from user %s",
        error_id,
        body.get("type") or body.get("command") or "Slack",
        user_id,
        exc_info=error,
    )
    return (
        f":x: Something went wrong on our side (error id `{error_id}`). Please try again; "
        "if it keeps failing, give the error id to whoever runs workflow-bot."
    )


def tell_the_user(
    error: BaseException,
    body: dict[str, Any],
    respond: Respond | None,
    client: WebClient,
    context: BoltContext,
) -> None:
    """Where the user looks: the reply URL of a command or message click, else a direct
    message (a modal or the Home tab has no reply URL: the bot's Messages tab).

    Bolt's error handler is called with the arguments it names, like a listener."""
    if isinstance(error, AnswerNotDelivered):
        # Both ways of telling the user failed already: asking them again would too.
        log.warning("%s", error)
        return
    user_id = context.user_id
    text = error_reply(error, body, user_id)
    if respond is not None and context.response_url:
        _respond(respond, text, user_id)
        return
    if user_id is None:
        return  # an event with no one to tell: error_reply logged it when it was a bug
    _direct_message(client, text, user_id)


def _direct_message(client: WebClient, text: str, user_id: str) -> None:
    """Says ``text`` as a direct message. As for ``_respond``, nothing it raises may leave
    tell_the_user: the log names the user who was not told, and why."""
    try:
        client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as error:
        log.warning(
            "user %s got no answer about an error: %s", user_id, error.response.get("error")
        )
    except OSError as error:  # a timeout or lost connection (URLError is one too)
        log.warning("user %s got no answer about an error: %r", user_id, error)


def _respond(respond: Respond, text: str, user_id: str | None) -> None:
    """Says ``text`` at the reply URL. Nothing it raises may leave tell_the_user: called
    after the ack (by ``reported``), an error would only reach the log, and with listeners
    run to their end before the answer Bolt would answer Slack with an error instead."""
    try:
        respond(text=text, response_type="ephemeral", replace_original=False)
    except AnswerNotDelivered as error:
        log.warning("%s", error)
    except AnswerRejected:
        log.error("the reply to user %s about an error was not taken", user_id, exc_info=True)
    except OSError as error:  # Slack unreachable at the reply URL (URLError is one too)
        log.warning("user %s got no answer about an error: %r", user_id, error)


def register(app: App) -> None:
    app.error(tell_the_user)


Listener = TypeVar("Listener", bound=Callable[..., Any])
# Marks a listener function made by ``reported``.
_REPORTED = "_answered_at_its_ack"


def is_reported(function: Callable[..., Any]) -> bool:
    """Whether ``function`` is a listener made by ``reported``: one registered otherwise
    would have Slack wait for its whole work, Web API calls included."""
    return getattr(function, _REPORTED, False) is True


def reported(listener: Listener) -> Listener:
    """Wraps a listener so that Slack is answered as soon as it acks (bot.slack.handoff),
    and an error raised after its ack() is told to the user here.

    An error before ack() goes to Bolt, which answers Slack and calls its error handler,
    tell_the_user too; after it, Slack has its answer and only this can tell the user. An
    event is acked at once, before its listener runs. Bolt passes arguments by name, so
    the wrapper asks for every argument the listener asks for, plus those it needs itself.
    """
    wanted = list(inspect.signature(listener).parameters)
    own = ["ack", "body", "respond", "client", "context"]
    names = wanted + [name for name in own if name not in wanted]

    def tell(error: BaseException, arguments: dict[str, Any]) -> None:
        tell_the_user(
            error,
            arguments["body"],
            arguments["respond"],
            arguments["client"],
            arguments["context"],
        )

    def told(arguments: dict[str, Any]) -> Any:
        try:
            return listener(**{name: arguments[name] for name in wanted})
        except Exception as error:
            if getattr(arguments["ack"], "response", None) is None:
                raise  # not acknowledged yet: Bolt answers Slack and calls tell_the_user
            tell(error, arguments)
            return None

    def run(**arguments: Any) -> Any:
        pool = pool_of(arguments["context"])
        if pool is None:
            return told(arguments)

        def failed(error: BaseException) -> None:
            tell(error, arguments)

        ack = arguments["ack"]
        if arguments["body"].get("type") == "event_callback":
            acked_at_once(ack, pool, lambda: told(arguments))
            return None
        return until_acked(
            pool,
            lambda signalling: told({**arguments, "ack": signalling}),
            ack,
            failed,
            ack_wait_of(arguments["context"]),
        )

    # Bolt reads the argument names off the function (inspect.getfullargspec, which
    # honours __signature__): these are the names it will pass.
    run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in names]
    )
    run.__name__ = listener.__name__
    run.__doc__ = listener.__doc__
    setattr(run, _REPORTED, True)
    wrapper = run
    return cast(Listener, wrapper)
