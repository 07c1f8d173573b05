"""A local HTTP server standing in for Slack's Web API, so tests drive the real slack_sdk
WebClient over real HTTP; it records every call and can be told to fail in Slack's ways.

Each Web API method is a handler in ``HANDLERS`` (or an instance's ``handlers``): a function
taking the stand-in and the call, returning the JSON answer or raising ``ApiError``. Handlers
run under the stand-in's lock, so they may read and change its state freely.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from tests.block_kit import assert_valid_blocks, assert_valid_view

DEFAULT_TOKEN = "xoxb-standin-token"
TEAM_ID = "T0STANDIN"
BOT_USER_ID = "U0WORKFLOWBOT"
BOT_ID = "B0WORKFLOWBOT"
MAX_TEXT = 40_000
# Slack refuses a message whose blocks hold too much text in all (msg_blocks_too_long) at a
# total it does not document. Public reports: refused at 11,341 characters summed over the
# blocks' text fields (slackapi/bolt-js#2867), and from about 13,200 (bolt-js#2509, where a
# Slack engineer spoke of 12,000 characters with a buffer for block containers). The stand-in
# refuses more than this, just under the lowest total reported refused.
MAX_BLOCKS_TEXT = 11_000
MAX_PAGE = 999
TRIGGER_SECONDS = 3.0
MAX_STACKED_VIEWS = 3


# The HTTP status a response URL answers with each of its errors, as Slack does.
_RESPONSE_REFUSALS = {
    "invalid_token": 403,
    "action_prohibited": 403,
    "expired_url": 404,
    "used_url": 404,
    "no_service": 404,
    "channel_is_archived": 410,
    "invalid_payload": 400,
    "no_text": 400,
    "invalid_blocks": 400,
}


class ApiError(Exception):
    """Raised by a handler to answer ``{"ok": false, "error": code, **extra}``."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


@dataclass(frozen=True)
class Call:
    """One request as received: the method, its parameters (query, form or JSON body merged)
    and its headers, keyed in lower case."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]

    @property
    def token(self) -> str | None:
        authorization = self.headers.get("authorization", "")
        if authorization.startswith("Bearer "):
            return authorization.removeprefix("Bearer ")
        token = self.params.get("token")
        return str(token) if token else None

    def flag(self, name: str) -> bool:
        """A boolean parameter: slack_sdk sends True as "1" in forms, JSON sends true."""
        return str(self.params.get(name, "")).lower() in ("1", "true")


@dataclass(frozen=True)
class StandInUser:
    id: str
    name: str
    tz: str = "UTC"
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    email: str | None = None
    deleted: bool = False

    def as_api(self) -> dict[str, Any]:
        offset = datetime.now(ZoneInfo(self.tz)).utcoffset()
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "real_name": self.name,
            "deleted": self.deleted,
            "tz": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_bot": self.is_bot,
            "profile": {
                "real_name": self.name,
                "display_name": self.name,
                **({"email": self.email} if self.email else {}),
            },
        }


@dataclass
class StandInUserGroup:
    """A user group as usergroups.list describes it; ``users`` are its members' ids."""

    group_id: str
    handle: str
    users: list[str] = field(default_factory=list)
    disabled: bool = False

    def as_api(self) -> dict[str, Any]:
        return {
            "id": self.group_id,
            "team_id": TEAM_ID,
            "is_usergroup": True,
            "name": self.handle.replace("-", " ").title(),
            "description": "",
            "handle": self.handle,
            "is_external": False,
            "date_create": 1446598059,
            "date_update": 1446670362,
            "date_delete": 1446670400 if self.disabled else 0,
            "auto_type": None,
            "created_by": "U0CREATOR",
            "updated_by": "U0CREATOR",
            "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
            "user_count": len(self.users),
        }


@dataclass
class StandInChannel:
    channel_id: str
    name: str
    private: bool = False
    members: list[str] = field(default_factory=list)
    bot_is_member: bool = True


@dataclass
class _ErrorRule:
    error: str
    method: str | None
    channel: str | None
    extra: dict[str, Any]

    def matches(self, call: Call) -> bool:
        return (self.method is None or self.method == call.method) and (
            self.channel is None or self.channel == call.params.get("channel")
        )


@dataclass
class _HttpFault:
    method: str
    remaining: int
    status: int | None  # None: the connection closes unanswered
    headers: dict[str, str] = field(default_factory=dict)
    after_handling: bool = False  # the call takes effect first (a message is stored)

    def answer(self) -> Answer | None:
        if self.status is None:
            return None
        error = "ratelimited" if self.status == 429 else "internal_error"
        return self.status, self.headers, {"ok": False, "error": error}


class HeldCall:
    """One call whose answer the stand-in holds back until ``release()``, as a network that
    stalls (or a client that dies) between Slack doing something and the client hearing of it.

    ``reached`` is set once the call is held; ``call`` is then the call held. ``drop()``
    instead of ``release()`` abandons it, as a connection that broke: a call held before
    handling then never takes effect, and no answer is sent.
    """

    def __init__(
        self, method: str, nth: int, after_handling: bool, token: str | None = None
    ) -> None:
        self.method = method
        self.nth = nth
        self.token = token
        self.after_handling = after_handling
        self.call: Call | None = None
        self.reached = threading.Event()
        self._released = threading.Event()
        self._seen = 0
        self.dropped = False

    def release(self) -> None:
        self._released.set()

    def drop(self) -> None:
        self.dropped = True
        self._released.set()

    def _counts(self, call: Call) -> bool:
        """Counts a call of the method; True for the one to hold (under the stand-in's lock)."""
        if call.method != self.method or self.call is not None:
            return False
        if self.token is not None and call.token != self.token:
            return False
        self._seen += 1
        if self._seen < self.nth:
            return False
        self.call = call
        return True

    def _hold(self) -> None:
        self.reached.set()
        self._released.wait()


class Rendezvous:
    """The first call of ``method`` from each of ``parties`` clients, told apart by their
    tokens, waits until all of them have made theirs (or ``timeout`` seconds): then they
    all go on at once. ``met`` says whether they all came, i.e. worked at the same time.
    """

    def __init__(self, method: str, parties: int, timeout: float) -> None:
        self.method = method
        self.parties = parties
        self.timeout = timeout
        self.tokens: list[str | None] = []
        self._barrier = threading.Barrier(parties)

    @property
    def met(self) -> bool:
        return len(self.tokens) == self.parties and not self._barrier.broken

    def abort(self) -> None:
        self._barrier.abort()

    def _joins(self, call: Call) -> bool:
        """True for a first call of a client not seen yet (under the stand-in's lock)."""
        if call.method != self.method or len(self.tokens) >= self.parties:
            return False
        if call.token in self.tokens:
            return False
        self.tokens.append(call.token)
        return True

    def _wait(self) -> None:
        # When not everyone comes, the calls go on anyway and ``met`` tells the test.
        with contextlib.suppress(threading.BrokenBarrierError):
            self._barrier.wait(self.timeout)


Handler = Callable[["SlackStandIn", Call], dict[str, Any]]
Answer = tuple[int, dict[str, str], dict[str, Any]]


class SlackStandIn:
    """Slack's Web API on 127.0.0.1 at a free port; a context manager, or start()/stop().

    Any token is accepted unless rejected with ``reject_token``. ``clock`` gives the epoch
    seconds that message timestamps (ts) are made from.
    """

    def __init__(
        self, *, token: str = DEFAULT_TOKEN, clock: Callable[[], float] = time.time
    ) -> None:
        self.token = token
        self.handlers: dict[str, Handler] = dict(HANDLERS)
        self._clock = clock
        self._lock = threading.RLock()
        self._calls: list[Call] = []
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._users: dict[str, StandInUser] = {}
        self._channels: dict[str, StandInChannel] = {}
        self._user_groups: dict[str, StandInUserGroup] = {}
        self._error_rules: list[_ErrorRule] = []
        self._http_faults: list[_HttpFault] = []
        self._response_drops: list[bool] = []
        self._holds: list[HeldCall] = []
        self._rendezvous: list[Rendezvous] = []
        self._rejected_tokens: set[str] = set()
        self._changed = threading.Condition(self._lock)
        self._triggers: dict[str, _Trigger] = {}
        self._views: dict[str, OpenView] = {}
        self._home: dict[str, dict[str, Any]] = {}
        self._responses: list[Response] = []
        self._response_refusal: tuple[int, str] | None = None
        self._refused_responses: list[Response] = []
        self._ephemeral: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        server = _Server(("127.0.0.1", 0), _RequestHandler)
        server.standin = self
        self._server = server
        # A short poll interval, as stop() waits for the serving loop to notice the shutdown.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            holds = list(self._holds)
            meetings = list(self._rendezvous)
        for hold in holds:  # a held request must not outlive the stand-in
            hold.drop()
        for meeting in meetings:
            meeting.abort()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to give WebClient, like Slack's ``https://slack.com/api/``."""
        if self._server is None:
            raise RuntimeError("the Slack stand-in is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/api/"

    # -- what tests set up -----------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str | None = None,
        *,
        tz: str = "UTC",
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
        email: str | None = None,
        deleted: bool = False,
    ) -> StandInUser:
        """A user users.info describes and, when it has an ``email``, users.lookupByEmail
        finds (in any case, as Slack does)."""
        user = StandInUser(
            user_id, name or user_id.lower(), tz, is_admin, is_owner, is_bot, email, deleted
        )
        with self._lock:
            self._users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        private: bool = False,
        members: Iterable[str] = (),
        bot_is_member: bool = True,
    ) -> StandInChannel:
        """A channel conversations.info and conversations.members describe. Channels not
        added are public channels the bot can see, as most tests' channels are."""
        channel = StandInChannel(channel_id, name, private, list(members), bot_is_member)
        with self._lock:
            self._channels[channel_id] = channel
        return channel

    def add_user_group(
        self, group_id: str, handle: str, users: Iterable[str] = (), *, disabled: bool = False
    ) -> StandInUserGroup:
        """A user group usergroups.list lists (by ``handle``, without its @) and whose
        members usergroups.users.list gives."""
        group = StandInUserGroup(group_id, handle, list(users), disabled)
        with self._lock:
            self._user_groups[group_id] = group
        return group

    def channel(self, channel_id: str) -> StandInChannel | None:
        with self._lock:
            return self._channels.get(channel_id)

    def fail(
        self, error: str, *, channel: str | None = None, method: str | None = None, **extra: Any
    ) -> None:
        """From now on, calls naming ``channel`` and/or of ``method`` answer ``error`` with
        ``extra`` fields (e.g. ``needed="channels:history"``); both None: every call."""
        with self._lock:
            self._error_rules.append(_ErrorRule(error, method, channel, extra))

    def stop_failing(self) -> None:
        """Calls answer normally again: every rule ``fail`` added is dropped."""
        with self._lock:
            self._error_rules.clear()

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer HTTP 429 with a Retry-After."""
        headers = {"Retry-After": str(retry_after)}
        with self._lock:
            self._http_faults.append(_HttpFault(method, times, 429, headers))

    def server_error(
        self, method: str, times: int = 1, status: int = 500, *, after_handling: bool = False
    ) -> None:
        """The next ``times`` calls of ``method`` answer HTTP ``status``; with
        ``after_handling``, once they took effect (a posted message is stored), as when Slack
        fails after doing the work."""
        with self._lock:
            self._http_faults.append(
                _HttpFault(method, times, status, after_handling=after_handling)
            )

    def drop_connection(self, method: str, times: int = 1, *, after_handling: bool = True) -> None:
        """The next ``times`` calls of ``method`` get no answer: the connection closes, by
        default once they took effect (a posted message is stored)."""
        with self._lock:
            self._http_faults.append(_HttpFault(method, times, None, after_handling=after_handling))

    def hold(
        self, method: str, nth: int = 1, *, after_handling: bool = True, token: str | None = None
    ) -> HeldCall:
        """Holds the answer to the ``nth`` call of ``method`` from now on (of the client with
        ``token``, when given) until released.

        With ``after_handling`` the call takes effect first (a posted message is stored and
        readable in history), as when a client dies before reading Slack's answer; without,
        the call is held before it does anything. Other calls are answered meanwhile.
        """
        held = HeldCall(method, nth, after_handling, token)
        with self._lock:
            self._holds.append(held)
        return held

    def rendezvous(self, method: str, parties: int, timeout: float = 30.0) -> Rendezvous:
        """Makes the first call of ``method`` by each of ``parties`` clients (one token each)
        wait for the others, so that they are provably at work at the same time."""
        meeting = Rendezvous(method, parties, timeout)
        with self._lock:
            self._rendezvous.append(meeting)
        return meeting

    def reject_token(self, token: str | None = None) -> None:
        """Calls with ``token`` (the default token when None) answer ``invalid_auth``."""
        with self._lock:
            self._rejected_tokens.add(token or self.token)

    def issue_trigger(self, user_id: str) -> str:
        """A trigger_id as Slack puts in a command or click: good once, for 3 seconds."""
        with self._lock:
            trigger_id = f"{len(self._triggers) + 1}.{uuid.uuid4().hex[:12]}"
            self._triggers[trigger_id] = _Trigger(user_id, self._clock())
            return trigger_id

    def response_url(self, name: str = "command") -> str:
        """A response_url for a command or message click; what is posted to it is recorded."""
        return self.url.removesuffix("/api/") + f"/response/{name}/{uuid.uuid4().hex[:8]}"

    def refuse_responses(self, error: str = "expired_url") -> None:
        """From now on, response URLs answer ``error`` as the body, with the HTTP status Slack
        gives it, and keep nothing: as Slack does once one expired (30 minutes, five
        messages), the app left the workspace (``invalid_token``, ``no_service``), or the
        payload is wrong (``invalid_payload``, ``no_text``: the bot's bug)."""
        with self._lock:
            self._response_refusal = _RESPONSE_REFUSALS[error], error

    def drop_response_connections(self, times: int = 1, *, cut_short: bool = False) -> None:
        """The next ``times`` answers posted to response URLs are kept, then their connection
        closes unanswered (or, ``cut_short``, in the middle of Slack's answer): as when Slack
        took the message and its answer was lost on the way."""
        with self._lock:
            self._response_drops += [cut_short] * times

    def _takes_response_drop(self) -> bool | None:
        """None when the next answer is not dropped; else whether it is cut short."""
        with self._lock:
            return self._response_drops.pop(0) if self._response_drops else None

    def refused_responses(self) -> list[Response]:
        """What the bot posted to response URLs that refused it, oldest first."""
        with self._lock:
            return list(self._refused_responses)

    def close_view(self, view_id: str) -> None:
        """The user closed the modal (or the bot answered response_action clear)."""
        with self._lock:
            self._views.pop(view_id, None)

    def replace_view(self, view_id: str, view: dict[str, Any]) -> OpenView:
        """What Slack does with response_action "update": the bot's view replaces the open one."""
        with self._changed:
            _check_view(view)
            current = self._views[view_id]
            updated = current.replaced(view)
            self._views[view_id] = updated
            self._changed.notify_all()
            return updated

    # -- what tests inspect ----------------------------------------------------------------

    def wait_for(self, condition: Callable[[SlackStandIn], bool], timeout: float = 10.0) -> None:
        """Waits until ``condition`` holds (checked after each call): the bot's listeners
        answer Slack at once and work on afterwards, as Slack expects."""
        with self._changed:
            if not self._changed.wait_for(lambda: condition(self), timeout):
                raise TimeoutError(f"the Slack stand-in did not see it within {timeout} s")

    def views(self, user_id: str | None = None) -> list[OpenView]:
        """Open modals, oldest first."""
        with self._lock:
            return [v for v in self._views.values() if user_id is None or v.user_id == user_id]

    def view(self, view_id: str) -> OpenView:
        with self._lock:
            return self._views[view_id]

    def home(self, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._home.get(user_id)

    def responses(self) -> list[Response]:
        """What the bot posted to response URLs, oldest first."""
        with self._lock:
            return list(self._responses)

    def ephemeral_messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._ephemeral)

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def posted_messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Stored messages, oldest first, each with its ``channel`` (a D... id for DMs)."""
        with self._lock:
            return [
                {**message, "channel": conversation}
                for conversation, messages in self._messages.items()
                if channel is None or conversation == channel
                for message in messages
            ]

    # -- state for handlers (called under the lock) ----------------------------------------

    def conversation_id(self, channel: str) -> str:
        """A user id stands for the bot's DM with that user, whose id is stable per user."""
        return f"D{channel[1:]}" if channel[:1] in ("U", "W") else channel

    def store_message(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        messages = self._messages.setdefault(channel, [])
        last = _micros(messages[-1]["ts"]) if messages else 0
        micros = max(int(Decimal(repr(self._clock())) * 1_000_000), last + 1)
        stored = {**message, "ts": f"{micros // 1_000_000}.{micros % 1_000_000:06d}"}
        messages.append(stored)
        return stored

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        return list(self._messages.get(channel, []))

    def user(self, user_id: str) -> StandInUser | None:
        return self._users.get(user_id)

    def user_by_email(self, email: str) -> StandInUser | None:
        wanted = email.casefold()
        return next(
            (u for u in self._users.values() if u.email and u.email.casefold() == wanted), None
        )

    def user_groups(self) -> list[StandInUserGroup]:
        return list(self._user_groups.values())

    # -- dispatch ----------------------------------------------------------------------------

    def answer(self, call: Call) -> Answer | None:
        """The status, headers and JSON body to answer ``call`` with; None for no answer."""
        with self._lock:
            held = next((h for h in self._holds if h._counts(call)), None)
            meeting = next((m for m in self._rendezvous if m._joins(call)), None)
        if meeting is not None:
            meeting._wait()
        if held is not None and not held.after_handling:
            held._hold()
            if held.dropped:
                return None
        answer = self._answer(call)
        if held is not None and held.after_handling:
            held._hold()
            if held.dropped:
                return None
        return answer

    def _answer(self, call: Call) -> Answer | None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()
            fault = self._take_http_fault(call.method)
            if fault is not None and not fault.after_handling:
                return fault.answer()
            try:
                answer: Answer = 200, {}, self._dispatch(call)
            except ApiError as error:
                answer = 200, {}, {"ok": False, "error": error.code, **error.extra}
            return answer if fault is None else fault.answer()

    def _take_http_fault(self, method: str) -> _HttpFault | None:
        for fault in self._http_faults:
            if fault.method == method and fault.remaining > 0:
                fault.remaining -= 1
                return fault
        return None

    def _dispatch(self, call: Call) -> dict[str, Any]:
        if call.token is None:
            raise ApiError("not_authed")
        if call.token in self._rejected_tokens:
            raise ApiError("invalid_auth")
        for rule in self._error_rules:
            if rule.matches(call):
                raise ApiError(rule.error, **rule.extra)
        handler = self.handlers.get(call.method)
        if handler is None:
            raise ApiError("unknown_method")
        return handler(self, call)

    def record_response(self, path: str, payload: dict[str, Any]) -> tuple[int, str] | None:
        """Keeps what was posted to a response URL; the refusal (HTTP status, error) when
        response URLs refuse it."""
        with self._changed:
            refusal = self._response_refusal
            kept = self._responses if refusal is None else self._refused_responses
            kept.append(Response(path, payload))
            self._changed.notify_all()
            return refusal

    # -- views (called under the lock) -----------------------------------------------------

    def take_trigger(self, call: Call) -> _Trigger:
        trigger = self._triggers.get(str(call.params.get("trigger_id") or ""))
        if trigger is None:
            raise ApiError("invalid_trigger_id")
        if trigger.used:
            raise ApiError("exchanged_trigger_id")
        if self._clock() - trigger.issued_at > TRIGGER_SECONDS:
            raise ApiError("expired_trigger_id")
        trigger.used = True
        return trigger

    def open_view(self, user_id: str, view: dict[str, Any], root: str | None) -> OpenView:
        view_id = f"V{len(self._views) + 1:04d}{uuid.uuid4().hex[:6].upper()}"
        opened = OpenView(view_id, user_id, view, uuid.uuid4().hex, root or view_id)
        self._views[view_id] = opened
        return opened

    def find_view(self, call: Call) -> OpenView:
        view_id = call.params.get("view_id")
        external_id = call.params.get("external_id")
        for view in self._views.values():
            if view.view_id == view_id or (
                external_id and view.view.get("external_id") == external_id
            ):
                return view
        raise ApiError("not_found")


@dataclass
class _Trigger:
    user_id: str
    issued_at: float
    used: bool = False


@dataclass(frozen=True)
class OpenView:
    """A modal as Slack holds it: its id, hash (for views.update races) and the view."""

    view_id: str
    user_id: str
    view: dict[str, Any]
    hash: str
    root_view_id: str

    def replaced(self, view: dict[str, Any]) -> OpenView:
        return OpenView(self.view_id, self.user_id, view, uuid.uuid4().hex, self.root_view_id)

    def as_api(self, team_id: str = TEAM_ID) -> dict[str, Any]:
        """The view as Slack sends it back in payloads and answers."""
        return {
            "id": self.view_id,
            "team_id": team_id,
            "hash": self.hash,
            "root_view_id": self.root_view_id,
            "previous_view_id": None,
            "private_metadata": self.view.get("private_metadata", ""),
            "callback_id": self.view.get("callback_id", ""),
            "external_id": self.view.get("external_id", ""),
            "state": {"values": {}},
            **{k: v for k, v in self.view.items() if k not in ("private_metadata",)},
        }


@dataclass(frozen=True)
class Response:
    """A message the bot posted to a response_url."""

    path: str
    payload: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.payload.get("text", ""))

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.payload.get("blocks") or [])

    def all_text(self) -> str:
        """The text and every text of the blocks, for assertions about what the user read."""
        return self.text + "\n" + json.dumps(self.blocks, ensure_ascii=False)


# Slack refuses a view whose JSON is larger than this (error view_too_large).
MAX_VIEW_BYTES = 250_000


def _check_view(view: object) -> None:
    """Slack's limits on a view; an invalid one is refused as Slack does."""
    if not isinstance(view, dict):
        raise ApiError("invalid_arguments")
    if len(json.dumps(view).encode()) > MAX_VIEW_BYTES:
        raise ApiError("view_too_large")
    try:
        assert_valid_view(view)
    except Exception as error:
        raise ApiError(
            "invalid_arguments", response_metadata={"messages": [str(error)[:500]]}
        ) from None


# -- handlers --------------------------------------------------------------------------------


def auth_test(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    return {
        "ok": True,
        "url": "https://standin.slack.com/",
        "team": "Stand-in",
        "user": "workflow-bot",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
    }


def chat_post_message(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    channel = str(call.params.get("channel") or "")
    if not channel:
        raise ApiError("channel_not_found")
    text = str(call.params.get("text") or "")
    blocks = _json_param(call.params.get("blocks"), "invalid_blocks")
    if not text and not blocks:
        raise ApiError("no_text")
    if blocks is not None and blocks != []:  # [] beside a text: a plain-text message
        _check_blocks(blocks)
    if len(text) > MAX_TEXT:
        raise ApiError("msg_too_long")
    message: dict[str, Any] = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID}
    message["text"] = text
    if blocks is not None:
        message["blocks"] = blocks
    if call.params.get("thread_ts"):
        message["thread_ts"] = str(call.params["thread_ts"])
    metadata = _json_param(call.params.get("metadata"), "invalid_metadata_format")
    if metadata is not None:
        if not isinstance(metadata, dict) or not {"event_type", "event_payload"} <= metadata.keys():
            raise ApiError("invalid_metadata_format")
        message["metadata"] = metadata
    conversation = standin.conversation_id(channel)
    stored = standin.store_message(conversation, message)
    return {"ok": True, "channel": conversation, "ts": stored["ts"], "message": stored}


def conversations_history(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    channel = str(call.params.get("channel") or "")
    if not channel:
        raise ApiError("channel_not_found")
    # Like Slack: thread replies are not part of the channel's history.
    messages = [
        m
        for m in standin.messages_in(standin.conversation_id(channel))
        if m.get("thread_ts", m["ts"]) == m["ts"]
    ]
    return _page(call, _in_window(call, messages)[::-1])


def conversations_replies(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    channel = standin.conversation_id(str(call.params.get("channel") or ""))
    thread = str(call.params.get("ts") or "")
    messages = standin.messages_in(channel)
    parent = [m for m in messages if m["ts"] == thread]
    if not parent:
        raise ApiError("thread_not_found")
    replies = [m for m in messages if m.get("thread_ts") == thread and m["ts"] != thread]
    return _page(call, parent + _in_window(call, replies))


def conversations_open(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    users = [u for u in str(call.params.get("users") or "").split(",") if u]
    if len(users) != 1:
        raise ApiError("invalid_arguments", detail="the stand-in opens one-to-one DMs only")
    return {"ok": True, "channel": {"id": standin.conversation_id(users[0])}}


def _visible_channel(standin: SlackStandIn, call: Call) -> StandInChannel:
    channel_id = str(call.params.get("channel") or "")
    if not channel_id:
        raise ApiError("channel_not_found")
    channel = standin.channel(channel_id) or StandInChannel(channel_id, channel_id.lower())
    # A private channel is invisible to a bot that is not in it: Slack says not found.
    if channel.private and not channel.bot_is_member:
        raise ApiError("channel_not_found")
    return channel


def conversations_info(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    channel = _visible_channel(standin, call)
    return {
        "ok": True,
        "channel": {
            "id": channel.channel_id,
            "name": channel.name,
            "is_channel": not channel.private,
            "is_group": channel.private,
            "is_private": channel.private,
            "is_member": channel.bot_is_member,
            "is_archived": False,
        },
    }


def conversations_members(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    members = _visible_channel(standin, call).members
    limit = min(int(call.params.get("limit") or 100), 1000)
    start = int(str(call.params.get("cursor") or "offset:0").removeprefix("offset:"))
    more = start + limit < len(members)
    return {
        "ok": True,
        "members": members[start : start + limit],
        "response_metadata": {"next_cursor": f"offset:{start + limit}" if more else ""},
    }


def users_info(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    user = standin.user(str(call.params.get("user") or ""))
    if user is None:
        raise ApiError("user_not_found")
    return {"ok": True, "user": user.as_api()}


def users_lookup_by_email(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    # Slack finds deactivated users too (with "deleted": true); an unknown email is
    # users_not_found, and so is a call without an email.
    user = standin.user_by_email(str(call.params.get("email") or ""))
    if user is None:
        raise ApiError("users_not_found")
    return {"ok": True, "user": user.as_api()}


def usergroups_list(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    groups = [g for g in standin.user_groups() if call.flag("include_disabled") or not g.disabled]
    answers = []
    for group in groups:
        answer = group.as_api()
        if call.flag("include_users"):
            answer["users"] = list(group.users)
        answers.append(answer)
    return {"ok": True, "usergroups": answers}


def usergroups_users_list(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    group_id = str(call.params.get("usergroup") or "")
    if not group_id:
        raise ApiError("invalid_arguments")
    group = next((g for g in standin.user_groups() if g.group_id == group_id), None)
    if group is None or (group.disabled and not call.flag("include_disabled")):
        raise ApiError("no_such_subteam")
    return {"ok": True, "users": list(group.users)}


def views_open(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    view = _json_param(call.params.get("view"), "invalid_arguments")
    trigger = standin.take_trigger(call)
    _check_view(view)
    return {"ok": True, "view": standin.open_view(trigger.user_id, view, None).as_api()}


def views_push(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    view = _json_param(call.params.get("view"), "invalid_arguments")
    trigger = standin.take_trigger(call)
    _check_view(view)
    stacked = [v for v in standin._views.values() if v.user_id == trigger.user_id]
    if len(stacked) >= MAX_STACKED_VIEWS:
        raise ApiError("push_limit_reached")
    root = stacked[0].root_view_id if stacked else None
    return {"ok": True, "view": standin.open_view(trigger.user_id, view, root).as_api()}


def views_update(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    view = _json_param(call.params.get("view"), "invalid_arguments")
    current = standin.find_view(call)
    expected = call.params.get("hash")
    if expected and expected != current.hash:
        raise ApiError("hash_conflict")
    # Handlers hold the stand-in's lock; replace_view takes it again (it is re-entrant).
    return {"ok": True, "view": standin.replace_view(current.view_id, view).as_api()}


def views_publish(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    view = _json_param(call.params.get("view"), "invalid_arguments")
    user_id = str(call.params.get("user_id") or "")
    if standin.user(user_id) is None:
        raise ApiError("user_not_found")
    _check_view(view)
    standin._home[user_id] = view
    return {"ok": True, "view": {"id": f"VHOME{user_id}", **view}}


def chat_post_ephemeral(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    blocks = _json_param(call.params.get("blocks"), "invalid_blocks") or []
    if blocks:
        _check_blocks(blocks)
    standin._ephemeral.append(
        {
            "channel": call.params.get("channel"),
            "user": call.params.get("user"),
            "text": call.params.get("text"),
            "blocks": blocks,
        }
    )
    return {"ok": True, "message_ts": f"{standin._clock():.6f}"}


def _check_blocks(blocks: object) -> None:
    """Slack's limits on a message's blocks (tests/block_kit.py: how many, and each one),
    wherever a message is sent; invalid ones are refused as Slack does, saying why."""
    try:
        assert isinstance(blocks, list), "blocks must be a list"
        assert_valid_blocks(blocks)
    except Exception as error:
        raise ApiError("invalid_blocks", errors=[str(error)[:500] or "invalid blocks"]) from None
    if _text_length(blocks) > MAX_BLOCKS_TEXT:
        raise ApiError("msg_blocks_too_long")


def _text_length(value: object) -> int:
    """How many characters the ``text`` fields in ``value`` (blocks, their text objects and
    elements) hold in all, as the public reports of MAX_BLOCKS_TEXT counted them."""
    if isinstance(value, list):
        return sum(_text_length(item) for item in value)
    if not isinstance(value, dict):
        return 0
    return sum(
        len(item) if key == "text" and isinstance(item, str) else _text_length(item)
        for key, item in value.items()
    )


def chat_get_permalink(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    channel = str(call.params.get("channel") or "")
    ts = str(call.params.get("message_ts") or "")
    if not channel:
        raise ApiError("channel_not_found")
    if not ts:
        raise ApiError("message_not_found")
    return {
        "ok": True,
        "channel": channel,
        "permalink": f"https://standin.slack.com/archives/{channel}/p{ts.replace('.', '')}",
    }


HANDLERS: dict[str, Handler] = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
    "chat.postEphemeral": chat_post_ephemeral,
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.getPermalink": chat_get_permalink,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "conversations.open": conversations_open,
    "conversations.info": conversations_info,
    "conversations.members": conversations_members,
    "users.info": users_info,
    "users.lookupByEmail": users_lookup_by_email,
    "usergroups.list": usergroups_list,
    "usergroups.users.list": usergroups_users_list,
}


def _json_param(value: Any, error: str) -> Any:
    """A structured parameter: a dict/list in a JSON body, a JSON string in a form."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raise ApiError(error) from None


def _in_window(call: Call, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages after ``oldest`` and up to ``latest``, as conversations.history filters them."""
    oldest = _micros(str(call.params.get("oldest") or "0"))
    latest = _micros(str(call.params.get("latest") or "0")) or None
    inclusive = call.flag("inclusive")
    return [
        m
        for m in messages
        if (_micros(m["ts"]) >= oldest if inclusive else _micros(m["ts"]) > oldest)
        and (latest is None or _micros(m["ts"]) <= latest)
    ]


def _page(call: Call, messages: list[dict[str, Any]]) -> dict[str, Any]:
    limit = min(int(call.params.get("limit") or 100), MAX_PAGE)
    start = int(str(call.params.get("cursor") or "offset:0").removeprefix("offset:"))
    page = messages[start : start + limit]
    if not call.flag("include_all_metadata"):
        page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
    more = start + limit < len(messages)
    return {
        "ok": True,
        "messages": page,
        "has_more": more,
        "response_metadata": {"next_cursor": f"offset:{start + limit}" if more else ""},
    }


def _micros(ts: str) -> int:
    return int(Decimal(ts) * 1_000_000)


# -- HTTP --------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Slack takes many connections at once: with socketserver's default backlog of 5, a bot
    # posting from a pool of threads saw connections dropped (retried a second later) or
    # reset, which Slack does not do.
    request_queue_size = 128
    standin: SlackStandIn


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        if parts.path.startswith("/response/"):
            self._record_response(parts.path)
            return
        method = parts.path.removeprefix("/api/")
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        params.update(self._body_params())
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = self.server.standin.answer(Call(method, params, headers))
        if answer is None:  # a dropped call: the connection closes unanswered
            self.close_connection = True
            return
        status, extra_headers, payload = answer
        body = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in extra_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client is gone (a test killed its process): nobody reads this answer

    do_GET = do_POST

    def _record_response(self, path: str) -> None:
        payload = self._body_params()
        status, body = 200, b"ok"
        try:
            if payload.get("blocks"):
                _check_blocks(payload["blocks"])
        except ApiError as refused:
            status, body = 400, refused.code.encode()  # as Slack answers invalid_blocks
        else:
            refusal = self.server.standin.record_response(path, payload)
            dropped = self.server.standin._takes_response_drop()
            if dropped is not None:
                self.close_connection = True
                if dropped:  # a status and headers promising more than comes
                    self.send_response(200)
                    self.send_header("Content-Length", "10")
                    self.end_headers()
                    self.wfile.write(b"ok")
                return
            if refusal is not None:
                status, body = refusal[0], refusal[1].encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body_params(self) -> dict[str, Any]:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not raw:
            return {}
        if self.headers.get_content_type() == "application/json":
            parsed = json.loads(raw)
            return parsed if isinstance(parsed, dict) else {}
        return dict(parse_qsl(raw.decode()))

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keeps test output to what the tests print


# -- several workspaces of one distributed app ---------------------------------------------------

APP_ID = "A0WORKFLOWBOT"
INSTALLER = "U0INSTALLER"


class WorkspacesStandIn(SlackStandIn):
    """Slack's Web API for an app installed into several workspaces through OAuth: each
    install gets a bot token of its own from ``oauth.v2.access`` (a reinstall a new one), and
    ``auth.test`` answers with the workspace of the calling token (and refuses a token never
    issued). The default token belongs to TEAM_ID, as in the one-workspace stand-in.

    ``authorize(team_id, scopes)`` plays an admin allowing the install on Slack's consent
    page: the code it returns is what Slack sends to the bot's redirect URL. ``uninstall``
    revokes the workspace's tokens, as Slack does before it sends ``app_uninstalled``.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        token: str = DEFAULT_TOKEN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(token=token, clock=clock)
        self.client_id = client_id
        self.client_secret = client_secret
        self.handlers["oauth.v2.access"] = oauth_v2_access
        self.handlers["auth.test"] = auth_test_of_caller
        self._codes: dict[str, tuple[str, str]] = {}
        self._team_of_token: dict[str, str] = {token: TEAM_ID}
        self._tokens_issued: dict[str, list[str]] = {}

    def authorize(self, team_id: str, scopes: str) -> str:
        """A code for one install of the app into ``team_id`` with ``scopes`` (comma-separated)."""
        with self._lock:
            code = f"code-{team_id}-{uuid.uuid4().hex[:8]}"
            self._codes[code] = (team_id, scopes)
            return code

    def token_of(self, team_id: str) -> str:
        """The bot token the latest install into ``team_id`` got."""
        with self._lock:
            return self._tokens_issued[team_id][-1]

    def tokens_of(self, team_id: str) -> list[str]:
        with self._lock:
            return list(self._tokens_issued.get(team_id, []))

    def team_of(self, token: str | None) -> str | None:
        with self._lock:
            return self._team_of_token.get(token or "")

    def uninstall(self, team_id: str) -> None:
        with self._lock:
            for token in self._tokens_issued.get(team_id, []):
                self._rejected_tokens.add(token)

    def calls_by(self, team_id: str, method: str | None = None) -> list[Call]:
        """The calls made with a token of ``team_id``."""
        return [c for c in self.calls(method) if self.team_of(c.token) == team_id]

    # -- called under the lock -------------------------------------------------------------

    def exchange(self, code: str) -> tuple[str, str, str]:
        """The team, scopes and a new bot token for a code; each code works once."""
        found = self._codes.pop(code, None)
        if found is None:
            raise ApiError("invalid_code")
        team_id, scopes = found
        issued = self._tokens_issued.setdefault(team_id, [])
        token = f"xoxb-{team_id}-{len(issued) + 1}"
        issued.append(token)
        self._team_of_token[token] = team_id
        return team_id, scopes, token

    def _dispatch(self, call: Call) -> dict[str, Any]:
        # The one method called with the app's client credentials instead of a token.
        if call.method == "oauth.v2.access":
            return self.handlers["oauth.v2.access"](self, call)
        return super()._dispatch(call)


def oauth_v2_access(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    assert isinstance(standin, WorkspacesStandIn)
    client_id, client_secret = _client_credentials(call)
    if client_id != standin.client_id:
        raise ApiError("invalid_client_id")
    if client_secret != standin.client_secret:
        raise ApiError("bad_client_secret")
    team_id, scopes, token = standin.exchange(str(call.params.get("code") or ""))
    return {
        "ok": True,
        "app_id": APP_ID,
        "authed_user": {"id": INSTALLER},
        "scope": scopes,
        "token_type": "bot",
        "access_token": token,
        "bot_user_id": BOT_USER_ID,
        "team": {"id": team_id, "name": f"Workspace {team_id}"},
        "enterprise": None,
        "is_enterprise_install": False,
    }


def _client_credentials(call: Call) -> tuple[str, str]:
    """HTTP Basic credentials, as slack_sdk sends them, else form parameters."""
    import base64

    authorization = call.headers.get("authorization", "")
    if authorization.startswith("Basic "):
        decoded = base64.b64decode(authorization.removeprefix("Basic ")).decode()
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return str(call.params.get("client_id") or ""), str(call.params.get("client_secret") or "")


def auth_test_of_caller(standin: SlackStandIn, call: Call) -> dict[str, Any]:
    assert isinstance(standin, WorkspacesStandIn)
    team_id = standin.team_of(call.token)
    if team_id is None:
        raise ApiError("invalid_auth")
    return {
        **auth_test(standin, call),
        "url": f"https://{team_id.lower()}.slack.com/",
        "team": f"Workspace {team_id}",
        "team_id": team_id,
    }
