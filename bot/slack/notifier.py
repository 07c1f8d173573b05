"""The Slack implementation of the Notifier port: paced chat.postMessage calls, marks kept in
message metadata and found again in history, and Slack's errors translated for the domain.

Errors come out in three kinds. ``DeliveryFailed`` means Slack refused this message and will
refuse it again (unknown channel, bot not invited, revoked token...): record it. The reason
says what to fix. ``DeliveryUnavailable`` (code ``slack_unavailable``) means Slack could not
be reached or kept answering 429/5xx after the WebClient's retries: nothing is wrong with the
message, so the run should be resumed later instead of recording a failure. Its subclass
``DeliveryUncertain`` (code ``slack_outcome_unknown``) means a post reached Slack but its
answer was an error (5xx, a timeout, a dropped connection): Slack may have stored it, so
the WebClient never retries a post then, and the caller looks for it before posting again.
"""

from __future__ import annotations

import http.client
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler, RetryIntervalCalculator
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse

from bot.slack.views.blocks import MESSAGE_BLOCKS, section
from bot.slack.views.summary_actions import summary_actions
from bot.workflows.engine import DEFAULT_LEASE
from bot.workflows.notifier import (
    ACTION_EVENT_TYPE,
    ActionMark,
    DeliveryFailed,
    DeliveryUnavailable,
    DeliveryUncertain,
    HistoryUnreadable,
    Message,
    Posted,
)

log = logging.getLogger(__name__)

DEFAULT_MAX_RETRIES = 2
# chat.postMessage allows about one message per second per channel.
POST_INTERVAL = 1.0
HISTORY_PAGE_SIZE = 200
# A resumed run looks for its message among at most this many pages of recent history.
MAX_HISTORY_PAGES = 5
# Channels whose pacing slot lies this far in the past are forgotten once the table is big.
_PACER_TABLE_LIMIT = 1024
# Slack's per-workspace tiers of the reads a resumed run makes to find its messages again
# (Tier 3: 50+ calls a minute, sporadic bursts welcome): calls a minute, and how many may go
# at once. chat.postMessage is paced per channel above; its workspace-wide limit, which Slack
# does not publish, is met by its 429 answers and their Retry-After.
READ_TIERS: dict[str, tuple[float, int]] = {
    "conversations.history": (50, 10),
    "conversations.replies": (50, 10),
    "conversations.open": (50, 10),
}

POST_METHOD = "chat.postMessage"

UNAVAILABLE = "slack_unavailable"
# A post waits for 429s at most this long before its call (the token's hold) and as long in
# its call's retries: a third of a run's lease in all. The lease is checked before a post,
# never during it; a post that waited longer could outlast the lease, and the process that
# resumes the run, not finding the message yet, would post it too.
MAX_RATE_LIMIT_WAIT = DEFAULT_LEASE.total_seconds() / 6
OUTCOME_UNKNOWN = "slack_outcome_unknown"
# Error codes Slack gives with HTTP 200 for problems on its side that pass with time.
TRANSIENT_CODES = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# Of those, the ones that do not say the call did nothing: Slack documents fatal_error as
# "some aspect of the operation may have succeeded".
MAYBE_DONE_CODES = frozenset({"internal_error", "fatal_error", "service_unavailable"})
# Why history may be unreadable in a healthy workspace: find_marked raises HistoryUnreadable.
HISTORY_UNREADABLE = frozenset({"missing_scope", "not_in_channel", "channel_not_found"})
# Methods that do something new each time they are called: once Slack has received such a
# call, a server error, a timeout or a dropped connection leaves unknown whether it acted,
# and calling again may do it twice. The WebClient retries them only where Slack cannot have
# acted: a 429, or a connection refused before anything was sent.
NOT_IDEMPOTENT = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.scheduleMessage",
        "chat.meMessage",
        "files.upload",
        "files.completeUploadExternal",
    }
)

_REINSTALL = "the workspace must reinstall workflow-bot to give it a new token"
REASONS: dict[str, str] = {
    "channel_not_found": "the channel does not exist or the bot cannot see it: "
    "pick another channel",
    "not_in_channel": "the bot is not a member of the channel: "
    "invite the bot with /invite @workflow-bot",
    "is_archived": "the channel is archived: unarchive it or pick another channel",
    "user_not_found": "the user does not exist in this workspace (or was deactivated): "
    "pick another recipient",
    "cannot_dm_bot": "the recipient is a bot, and bots cannot receive direct messages: "
    "pick a person",
    "msg_too_long": "the message is longer than Slack accepts (40,000 characters): "
    "shorten the message template",
    "invalid_blocks": "Slack rejected the message layout (its blocks): fix the message template",
    "msg_blocks_too_long": "the message's blocks hold more text than Slack accepts in one "
    "message: shorten the message template",
    "restricted_action": "the workspace does not let the bot post in this channel: "
    "ask a workspace admin, or pick another channel",
    "invalid_auth": f"Slack does not accept the bot's token: {_REINSTALL}",
    "not_authed": f"the bot has no token for this workspace: {_REINSTALL}",
    "token_revoked": f"the bot's token was revoked: {_REINSTALL}",
    "account_inactive": f"the bot's token belongs to a deleted app or user: {_REINSTALL}",
}

_ERROR_CODE = re.compile(r"[a-z_]+")
_DETAIL_KEYS = ("needed", "provided", "errors")


def make_web_client(
    token: str,
    base_url: str | None = None,
    *,
    max_retries: int = DEFAULT_MAX_RETRIES,
    retry_interval: RetryIntervalCalculator | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    max_wait: float = MAX_RATE_LIMIT_WAIT,
) -> WebClient:
    """A WebClient that retries 429s after their Retry-After, and 500/503s and connection
    errors of the methods that may safely be called twice (see NOT_IDEMPOTENT).

    ``base_url`` is settings.slack_api_url when set (e.g. a local stand-in,
    ``http://127.0.0.1:PORT/api/``), else Slack's. ``retry_interval`` spaces retries of server
    and connection errors (exponential backoff with jitter by default); 429s always wait for
    the Retry-After Slack asks for, on ``monotonic`` and ``sleep``, and make the token's other
    posts wait as long (SharedRateLimitRetryHandler), up to ``max_wait`` seconds: a 429
    asking for longer is not retried, and the notifier does not post while such a hold
    lasts (both raise DeliveryUnavailable). Give Bolt this client too, since it copies its
    handlers.
    """
    interval = retry_interval or BackoffRetryIntervalCalculator(backoff_factor=0.5)
    handlers: list[RetryHandler] = [
        SafeConnectionErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
        SharedRateLimitRetryHandler(max_retries, monotonic, sleep, max_wait),
        SafeServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=interval),
    ]
    return WebClient(token=token, base_url=base_url or WebClient.BASE_URL, retry_handlers=handlers)


class UnsentRetryHandler(ConnectionErrorRetryHandler):
    """slack_sdk's handler for connection errors, for a post that must never arrive twice
    whatever its URL (an answer at a response URL): retried only when its connection failed
    before anything was sent."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        retryable = super()._can_retry(state=state, request=request, response=response, error=error)
        return retryable and (self._may_repeat(request) or never_sent(error))

    def _may_repeat(self, request: HttpRequest) -> bool:
        return False


class SafeConnectionErrorRetryHandler(UnsentRetryHandler):
    """slack_sdk's handler for connection errors, except where a retry may act twice: a
    NOT_IDEMPOTENT call is retried only when its connection failed before anything was sent."""

    def _may_repeat(self, request: HttpRequest) -> bool:
        return _idempotent(request)


class SafeServerErrorRetryHandler(ServerErrorRetryHandler):
    """slack_sdk's handler for 500/503 answers, for the calls that may be made twice: Slack
    may have acted on a NOT_IDEMPOTENT call before answering with a server error."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        retryable = super()._can_retry(state=state, request=request, response=response, error=error)
        return retryable and _idempotent(request)


class SharedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's handler for 429s, which sleeps only the thread that got one, made to hold
    the token's other threads too: it notes until when Slack asked to wait, per token and
    method, and the notifier's pacer makes every post wait that long before taking its
    channel slot (a pool posting a burst would otherwise go on meeting 429s of its own).
    Keyed by token because Bolt copies the App client's handler objects into every
    request's client: one workspace's 429 must not hold another workspace's listeners."""

    def __init__(
        self,
        max_retry_count: int = 1,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = MAX_RATE_LIMIT_WAIT,
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._monotonic = monotonic
        self._sleep = sleep
        # The most one call sleeps for 429s in all its retries, and the longest hold a post
        # waits for (the notifier reads it here).
        self.max_wait = max_wait
        self._until: dict[tuple[str | None, str], float] = {}  # (token, method) -> until
        self._lock = threading.Lock()

    def remaining(self, token: str | None, method: str) -> float:
        """Seconds Slack's last 429 of ``method`` for ``token`` still asks to wait; 0 when
        none does."""
        with self._lock:
            until = self._until.get((token, method))
        return 0.0 if until is None else max(0.0, until - self._monotonic())

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        assert response is not None  # slack_sdk's handler retries only answered 429s
        # Noted even when this call gives up waiting: the token's other posts must hold.
        return _waited(state) + self._hold(request, response) <= self.max_wait

    def _hold(self, request: HttpRequest, response: HttpResponse) -> float:
        """Notes until when Slack asks the request's token to wait; the seconds left."""
        key = _hold_key(request)
        now = self._monotonic()
        with self._lock:
            until = max(self._until.get(key, now), now + _retry_after(response))
            self._until[key] = until
        return until - now

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:  # slack_sdk's handler raises the error then
            super().prepare_for_next_attempt(
                state=state, request=request, response=response, error=error
            )
            return
        state.next_attempt_requested = True
        wait = self._hold(request, response)
        state.custom_values = {**(state.custom_values or {}), _WAITED: _waited(state) + wait}
        self._sleep(wait)
        state.increment_current_attempt()


_WAITED = "rate_limit_waited"  # seconds one call slept for 429s so far, in its RetryState


def _waited(state: RetryState) -> float:
    return float((state.custom_values or {}).get(_WAITED, 0.0))


def _hold_key(request: HttpRequest) -> tuple[str | None, str]:
    return _bearer_token(request), _method_name(request.url)


def _retry_after(response: HttpResponse) -> float:
    """The seconds a 429 asks to wait; 1 when it does not say (as slack_sdk assumes)."""
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(0.0, float(values[0]))
            except ValueError:
                break
    return 1.0


def _bearer_token(request: HttpRequest) -> str | None:
    """The token a request was made with (its Authorization header), None without one."""
    for name, values in request.headers.items():
        if name.lower() == "authorization":
            for value in values:
                scheme, _, token = value.partition(" ")
                if scheme.lower() == "bearer" and token:
                    return token
    return None


def _idempotent(request: HttpRequest) -> bool:
    return _method_name(request.url) not in NOT_IDEMPOTENT


def _method_name(url: str) -> str:
    """``chat.postMessage`` from ``https://slack.com/api/chat.postMessage?...``."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def never_sent(error: BaseException | None) -> bool:
    """Whether the request surely never reached Slack: the connection was refused, or the
    host name did not resolve. urllib wraps what fails while connecting and sending in a
    URLError; a timeout or reset there may come after the request was sent."""
    cause = error.reason if isinstance(error, URLError) else error
    return isinstance(cause, ConnectionRefusedError | socket.gaierror)


class ChannelPacer:
    """Spaces posts to one channel at least ``interval`` seconds apart; other channels wait
    for nothing. Thread-safe: a caller reserves its slot under a lock, then sleeps outside it.
    """

    def __init__(
        self,
        interval: float = POST_INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        held: Callable[[], float] = lambda: 0.0,
        max_hold: float = float("inf"),
    ) -> None:
        self._interval = interval
        self._monotonic = monotonic
        self._sleep = sleep
        # Seconds every post must still wait, whatever its channel (a 429's Retry-After),
        # and the longest such wait a post takes: past it, it raises DeliveryUnavailable.
        self._held = held
        self._max_hold = max_hold
        self._next_free: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait_turn(self, channel: str) -> None:
        with self._lock:
            now = self._monotonic()
            held = self._held()
            if held > self._max_hold:
                raise _held_off(held)
            start = now + held
            slot = max(start, self._next_free.get(channel, start))
            self._next_free[channel] = slot + self._interval
            if len(self._next_free) > _PACER_TABLE_LIMIT:
                self._forget_before(now)
        if slot > now:
            self._sleep(slot - now)

    def _forget_before(self, now: float) -> None:
        for channel in [c for c, free in self._next_free.items() if free <= now]:
            del self._next_free[channel]


class MethodPacer:
    """Keeps one workspace's calls of each method in ``tiers`` within its Slack tier: a token
    bucket per method (a burst at once, then the tier's pace). One per bot token, so one
    workspace's burst never slows another's. Thread-safe: a caller reserves its turn under
    a lock, then sleeps outside it."""

    def __init__(
        self,
        tiers: dict[str, tuple[float, int]],
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._tiers = tiers
        self._monotonic = monotonic
        self._sleep = sleep
        self._buckets: dict[str, tuple[float, float]] = {}  # method -> (tokens, at)
        self._lock = threading.Lock()

    def wait_turn(self, method: str) -> None:
        tier = self._tiers.get(method)
        if tier is None:
            return
        per_minute, burst = tier
        with self._lock:
            now = self._monotonic()
            tokens, at = self._buckets.get(method, (float(burst), now))
            # A debt (below zero) is the queue of callers already waiting their turn.
            tokens = min(float(burst), tokens + (now - at) * per_minute / 60) - 1
            self._buckets[method] = (tokens, now)
        if tokens < 0:
            self._sleep(-tokens * 60 / per_minute)


class SlackNotifier:
    """Posts messages to Slack and finds marked ones again; see the module docstring for the
    three kinds of errors. ``monotonic`` and ``sleep`` drive the per-channel pacing only.
    """

    def __init__(
        self,
        client: WebClient,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        post_interval: float = POST_INTERVAL,
    ) -> None:
        self._client = client
        held, max_hold = _post_hold(client)
        self._pacer = ChannelPacer(post_interval, monotonic, sleep, held, max_hold)
        self._reads = MethodPacer(READ_TIERS, monotonic, sleep)
        # user id -> the bot's DM channel with that user, which history needs.
        self._dm_channels: dict[str, str] = {}
        self._unreadable_logged: set[tuple[str, str]] = set()

    def post(self, message: Message) -> Posted:
        self._pacer.wait_turn(message.channel)
        response = _act(self._client.chat_postMessage, **_post_arguments(message))
        posted = Posted(channel=str(response["channel"]), ts=str(response["ts"]))
        if _is_user(message.channel):
            self._dm_channels[message.channel] = posted.channel
        return posted

    def find_marked(
        self, channel: str, mark: ActionMark, since: datetime, thread_ts: str | None = None
    ) -> Posted | None:
        if since.tzinfo is None:
            raise ValueError("find_marked needs an aware datetime")
        try:
            conversation = self._conversation_id(channel)
            for message in self._history(conversation, _epoch(since), thread_ts):
                if _carries(message, mark):
                    return Posted(channel=conversation, ts=str(message["ts"]))
        except DeliveryFailed as failure:
            if failure.code not in HISTORY_UNREADABLE:
                raise
            self._log_unreadable(channel, failure)
            raise HistoryUnreadable(failure.code, failure.reason, failure.details) from failure
        return None

    def _conversation_id(self, channel: str) -> str:
        if not _is_user(channel):
            return channel
        if channel not in self._dm_channels:
            self._reads.wait_turn("conversations.open")
            response = _call(self._client.conversations_open, users=channel)
            self._dm_channels[channel] = str(response["channel"]["id"])
        return self._dm_channels[channel]

    def _history(
        self, channel: str, oldest: str, thread_ts: str | None
    ) -> Iterator[dict[str, Any]]:
        """Messages after ``oldest``, page by page: the channel's, or the replies to
        ``thread_ts``. Bounded, so a very busy channel ends the search unfound."""
        cursor: str | None = None
        for _ in range(MAX_HISTORY_PAGES):
            arguments: dict[str, Any] = {
                "channel": channel,
                "oldest": oldest,
                "include_all_metadata": True,
                "limit": HISTORY_PAGE_SIZE,
                "cursor": cursor,
            }
            if thread_ts is None:
                self._reads.wait_turn("conversations.history")
                response = _call(self._client.conversations_history, **arguments)
            else:
                self._reads.wait_turn("conversations.replies")
                response = _call(self._client.conversations_replies, ts=thread_ts, **arguments)
            yield from response.get("messages") or []
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return
        log.info(
            "Stopped looking for a marked message in %s after %d messages",
            channel,
            MAX_HISTORY_PAGES * HISTORY_PAGE_SIZE,
        )

    def _log_unreadable(self, channel: str, failure: DeliveryFailed) -> None:
        # Once per channel and cause: a workspace without history scopes would otherwise
        # log this for every action of every resumed run.
        if (channel, failure.code) in self._unreadable_logged:
            return
        self._unreadable_logged.add((channel, failure.code))
        log.info(
            "Cannot read the history of %s (%s), so the bot cannot tell whether a message it "
            "may have posted there is there: %s",
            channel,
            failure.code,
            failure.reason,
        )


def _post_hold(client: WebClient) -> tuple[Callable[[], float], float]:
    """How long the client's last 429 of a post still holds every post of its token, and
    the longest hold a post waits for (none when its 429s are not handled by
    SharedRateLimitRetryHandler)."""
    shared = [h for h in client.retry_handlers if isinstance(h, SharedRateLimitRetryHandler)]
    if not shared:
        return (lambda: 0.0), float("inf")
    handler = shared[0]
    return (lambda: handler.remaining(client.token, POST_METHOD)), handler.max_wait


def _held_off(held: float) -> DeliveryUnavailable:
    # Nothing was sent: the run is resumed after its lease and looks for its marks first.
    return DeliveryUnavailable(
        UNAVAILABLE,
        f"Slack asked the bot to wait {held:.0f} s before posting again, longer than a run "
        "waits: the delivery will be tried again later",
        {"status": 429, "retry_after": round(held)},
    )


def _post_arguments(message: Message) -> dict[str, Any]:
    # Never link_names nor parse=full: user data in the text must not ping anyone.
    # unfurl_links=False: a record's URL should not grow a preview in every message.
    arguments: dict[str, Any] = {
        "channel": message.channel,
        "text": message.text,
        "blocks": _blocks(message),
        "thread_ts": message.thread_ts,
        "unfurl_links": False,
    }
    if message.mark is not None:
        arguments["metadata"] = {
            "event_type": ACTION_EVENT_TYPE,
            "event_payload": message.mark.payload(),
        }
    return arguments


def _blocks(message: Message) -> list[dict[str, Any]] | None:
    """The message's blocks: a section for each of its sections, none when it has none (the
    text alone); a run summary's end with a button that shows the run, and those that act on
    it (re-run its failures, skip the next run, snooze a record)."""
    if message.details_of_run is None:
        return [section(part) for part in message.sections] or None
    blocks = [section(part) for part in message.sections or (message.text,)]
    if len(blocks) >= MESSAGE_BLOCKS:
        return blocks
    return [*blocks, summary_actions(message.details_of_run, message.failed_actions)]


def _carries(message: dict[str, Any], mark: ActionMark) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload")
    if metadata.get("event_type") != ACTION_EVENT_TYPE or not isinstance(payload, dict):
        return False
    # Compared as text so that a number Slack gave back as a string still matches.
    return {k: str(v) for k, v in payload.items()} == {k: str(v) for k, v in mark.payload().items()}


def _is_user(channel: str) -> bool:
    return channel[:1] in ("U", "W")


def _epoch(instant: datetime) -> str:
    return f"{instant.timestamp():.6f}"


def _call(method: Callable[..., SlackResponse], **arguments: Any) -> SlackResponse:
    """Calls one Web API method that may be called twice (a read); raises DeliveryFailed or
    DeliveryUnavailable on errors."""
    try:
        return method(**arguments)
    except SlackApiError as error:
        raise _translate(error.response) from error
    except (OSError, http.client.HTTPException) as error:
        # urllib's URLError, timeouts and resets are OSErrors; they reach here once the
        # client's connection error handler has given up.
        raise _unreachable(error) from error


def read_call(method: Callable[..., SlackResponse], **arguments: Any) -> SlackResponse:
    """Calls one Web API read for the other Slack ports (lookups of people): Slack's errors
    come out as DeliveryFailed (a refusal, with its reason) or DeliveryUnavailable."""
    return _call(method, **arguments)


def _act(method: Callable[..., SlackResponse], **arguments: Any) -> SlackResponse:
    """Calls one NOT_IDEMPOTENT method, as _call, except that an error after Slack may have
    acted raises DeliveryUncertain: the caller must check before calling again."""
    try:
        return method(**arguments)
    except SlackApiError as error:
        response = error.response
        data = response.data if isinstance(response.data, dict) else {}
        code = _error_code(response.status_code, data)
        if response.status_code >= 500 or code in MAYBE_DONE_CODES:
            raise DeliveryUncertain(
                OUTCOME_UNKNOWN,
                _uncertain_reason(response.status_code, code),
                {"status": response.status_code, "error": code},
            ) from error
        raise _translate(response) from error
    except (OSError, http.client.HTTPException) as error:
        if never_sent(error):
            raise _unreachable(error) from error
        cause = str(error) or type(error).__name__
        raise DeliveryUncertain(
            OUTCOME_UNKNOWN,
            f"the message was sent but no answer came back from Slack ({cause})",
            {"error": type(error).__name__},
        ) from error


def _unreachable(error: BaseException) -> DeliveryUnavailable:
    return DeliveryUnavailable(
        UNAVAILABLE,
        f"Slack could not be reached ({error}): check the network; "
        "the delivery can be tried again later",
        {"error": type(error).__name__},
    )


def _translate(response: SlackResponse) -> DeliveryFailed | DeliveryUnavailable:
    data = response.data if isinstance(response.data, dict) else {}
    code = _error_code(response.status_code, data)
    if response.status_code == 429 or response.status_code >= 500 or code in TRANSIENT_CODES:
        return DeliveryUnavailable(
            UNAVAILABLE,
            _unavailable_reason(response.status_code, code),
            {"status": response.status_code, "error": code},
        )
    details = {key: data[key] for key in _DETAIL_KEYS if key in data}
    messages = (data.get("response_metadata") or {}).get("messages")
    if messages:
        details["messages"] = messages
    return DeliveryFailed(code, _reason(code, data), details)


def _error_code(status: int, data: dict[str, Any]) -> str:
    code = data.get("error")
    # A non-JSON body (a proxy's 502 page) comes back from slack_sdk as a long sentence.
    if isinstance(code, str) and _ERROR_CODE.fullmatch(code):
        return code
    return "ratelimited" if status == 429 else f"http_{status}"


def _uncertain_reason(status: int, code: str) -> str:
    if status >= 500:
        return f"Slack answered with a server error (HTTP {status}) after the message was sent"
    return f"Slack answered with an error ({code}) after the message was sent"


def _unavailable_reason(status: int, code: str) -> str:
    later = "the delivery can be tried again later"
    if status == 429 or code == "ratelimited":
        return f"Slack kept rate limiting the bot even after waiting as asked: {later}"
    if status >= 500:
        return f"Slack kept answering with a server error (HTTP {status}): {later}"
    return f"Slack reported a temporary problem ({code}): {later}"


def _reason(code: str, data: dict[str, Any]) -> str:
    if code == "missing_scope":
        needed = data.get("needed") or "it needs"
        return f"the bot lacks the Slack permission {needed}: reinstall the app to grant it"
    return REASONS.get(
        code,
        f"Slack refused with the error {code!r}: look the code up in Slack's Web API "
        "documentation (https://docs.slack.dev/reference/methods)",
    )
