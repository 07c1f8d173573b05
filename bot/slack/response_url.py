"""Answers at a request's response URL, and the direct message that carries one Slack refuses
there. A response URL takes five messages within 30 minutes; after that, or when the app is
gone from the workspace, Slack answers an HTTP error (403 ``invalid_token``, 404
``expired_url``, ``used_url``, ``no_service``...), which slack_sdk's WebhookClient returns,
never raises:
an answer queued after the ack (bot.slack.after_ack) would reach no one, and no log said so.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from slack_bolt import BoltContext, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.slack.notifier import UnsentRetryHandler, never_sent

log = logging.getLogger(__name__)

# How long an answer at a response URL may take: Bolt's respond() waits as long.
WEBHOOK_TIMEOUT = 30


class AnswerNotDelivered(Exception):
    """Slack took the answer neither at the response URL nor as a direct message."""


class AnswerRejected(Exception):
    """The response URL answered neither 200 nor a refusal (a 400 ``invalid_payload``,
    ``no_text``, ``invalid_blocks``: our bug; a 5xx: Slack failing): the same message would
    fail as a direct message too, so it is a bug to report, with its error id."""


# The statuses of a response URL that will take no more (403 invalid_token,
# action_prohibited; 404 expired_url, used_url, no_service; 410 channel_is_archived): the
# message is fine, the URL is not, so the user reads it as a direct message instead.
_REFUSED = frozenset({403, 404, 410})


class AnswerUncertain(AnswerNotDelivered):
    """The connection broke once the answer was sent: Slack may show it. Sending it again,
    or an error in its place, could show the user two answers."""


class CheckedRespond(Respond):
    """Bolt's respond() for a request, sending the same message, but an answer the response
    URL refuses goes to the user as a direct message (the bot's Messages tab, where
    bot.slack.errors tells those with no response URL), and AnswerNotDelivered is raised
    when that fails too: the caller then logs who was not told, as the after-ack pool does.
    An answer whose connection broke once it was sent is not sent again (AnswerUncertain);
    one that could not be sent at all raises its OSError. Any other failure raises
    AnswerRejected."""

    def __init__(self, context: BoltContext) -> None:
        client = context.client
        super().__init__(response_url=context.response_url, proxy=client.proxy, ssl=client.ssl)
        self._context = context

    def __call__(self, *args: Any, **kwargs: Any) -> WebhookResponse:
        message = _message(args, kwargs)
        # Bolt's respond() would send through a WebhookClient that retries any lost
        # connection, posting the answer twice when the first one did arrive.
        webhook = self._webhook(timeout=WEBHOOK_TIMEOUT, retry_handlers=[UnsentRetryHandler()])
        try:
            response = webhook.send_dict(_webhook_body(message))
        except (OSError, http.client.HTTPException) as error:
            # An answer cut short (HTTPException) was sent too.
            if never_sent(error):
                raise
            raise AnswerUncertain(
                f"user {self._context.user_id} may not have got an answer: the connection "
                f"broke once it was sent ({error!r})"
            ) from error
        if response.status_code != 200:
            self._direct_message(response, message, self._context.client)
        return response

    def quickly(self, text: str, timeout: int) -> None:
        """An ephemeral ``text`` at the response URL, giving up after ``timeout`` seconds where
        Bolt's client waits 30 s (a stopping bot has a few seconds for all its messages); a
        direct message in its place keeps the same limit, and is not retried."""
        # No retry handlers: a retried connection would take the limit twice over.
        webhook = self._webhook(timeout=timeout, retry_handlers=[])
        response = webhook.send(text=text, response_type="ephemeral")
        if response.status_code != 200:
            self._direct_message(response, {"text": text}, _quick_client(self._context, timeout))

    def _webhook(self, *, timeout: int, retry_handlers: list[RetryHandler]) -> WebhookClient:
        if self.response_url is None:
            raise ValueError("no response URL to answer at")
        return WebhookClient(
            self.response_url,
            timeout=timeout,
            proxy=self.proxy,
            ssl=self.ssl,
            retry_handlers=retry_handlers,
        )

    def _direct_message(
        self, refused: WebhookResponse, message: Mapping[str, Any], client: WebClient
    ) -> None:
        user_id = self._context.user_id
        why = f"HTTP {refused.status_code} {refused.body!r}"
        if refused.status_code not in _REFUSED:
            raise AnswerRejected(f"the response URL did not take an answer to {user_id}: {why}")
        if user_id is None:
            raise AnswerNotDelivered(f"the response URL refused an answer ({why}), to no user")
        try:
            client.chat_postMessage(
                channel=user_id, text=str(message.get("text") or ""), blocks=message.get("blocks")
            )
        except SlackApiError as error:
            raise _not_delivered(user_id, why, error.response.get("error")) from error
        except OSError as error:  # a timeout or lost connection (URLError is one too)
            raise _not_delivered(user_id, why, repr(error)) from error
        log.warning(
            "the response URL refused an answer to user %s (%s): sent as a direct message",
            user_id,
            why,
        )


def _not_delivered(user_id: str, why: str, dm_failure: object) -> AnswerNotDelivered:
    return AnswerNotDelivered(
        f"user {user_id} got no answer: the response URL refused it ({why}), and so did "
        f"the direct message ({dm_failure})"
    )


def _quick_client(context: BoltContext, timeout: int) -> WebClient:
    """The request's client, waiting ``timeout`` seconds and retrying nothing (its retry
    handlers wait out 429s and back off after errors, well past a stopping bot's time)."""
    client = context.client
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        retry_handlers=[],
    )


# What Bolt's respond() takes, in its order.
_RESPOND_PARAMETERS = (
    "text",
    "blocks",
    "attachments",
    "response_type",
    "replace_original",
    "delete_original",
    "unfurl_links",
    "unfurl_media",
    "thread_ts",
    "metadata",
)


def _message(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The message of a respond() call, given by position or by name, or as one whole
    message; what Bolt's respond() would refuse raises TypeError, as it does, rather than
    reaching Slack."""
    if len(args) > len(_RESPOND_PARAMETERS):
        raise TypeError(f"respond() takes at most {len(_RESPOND_PARAMETERS)} arguments")
    named = dict(zip(_RESPOND_PARAMETERS, args, strict=False))
    if twice := named.keys() & kwargs.keys():
        raise TypeError(f"respond() got {sorted(twice)} by position and by name")
    named |= kwargs
    text = named.get("text")
    message = text if isinstance(text, dict) else named
    if unknown := message.keys() - set(_RESPOND_PARAMETERS):
        raise TypeError(f"respond() got unexpected arguments {sorted(unknown)}")
    return message


def _webhook_body(message: Mapping[str, Any]) -> dict[str, Any]:
    """The message as Bolt's respond() sends it: a text always (empty when none given),
    blocks and attachments only when there are some."""
    body = {"text": "", **message}
    for key in ("blocks", "attachments"):
        if not body.get(key):
            body.pop(key, None)
    return body


def check_responses(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
    """Middleware: every listener's respond is a CheckedRespond."""
    context["respond"] = CheckedRespond(context)
    return next()
