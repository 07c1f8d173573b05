"""The door in front of Bolt on the HTTP endpoint: a request reaches the app only when its
Slack signature is valid, its body is one Bolt can read, and it was not handled before.

Bolt checks signatures too, but only after it has parsed the body (a malformed body was a
500 with a traceback) and it lets a malformed timestamp raise into the app's error handler,
which then acted on the unverified body. Here nothing but the signature's own inputs is
read until the signature is known good, and a refusal has no side effect at all.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.request.internals import extract_content_type, parse_body
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.deliveries import first_request
from bot.workflows.bounded_json import nested_deeper_than
from storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# Slack's timestamps are whole seconds; anything else is not a request from Slack.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
# Slack's own payloads nest about ten levels (a rich-text message inside a view's state);
# a much deeper one is an attack on the parser, not a request.
MAX_DEPTH = 32
# A replay can come at most this long after the request's timestamp: the signature is
# valid five minutes either side of it.
REPLAY_WINDOW = timedelta(minutes=10)
_PURGE_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Refusal:
    """Why a request does not reach Bolt: the HTTP status and a short reason, which is
    both the answer's body and the log line (it never repeats what the request carried)."""

    status: int
    reason: str


@dataclass(frozen=True)
class _Shape:
    """What one key of a payload must be when present."""

    types: tuple[type, ...]
    items: type | None = None

    def admits(self, value: Any) -> bool:
        if not isinstance(value, self.types):
            return False
        items = self.items
        return items is None or (
            isinstance(value, list) and all(isinstance(one, items) for one in value)
        )


# The keys Bolt's matchers and our listeners read, with the JSON types Slack sends. A
# signed payload with another shape (``actions`` as an object, say) made them raise.
_TEXT = _Shape((str,))
_OBJECT = _Shape((dict,))
_OBJECT_OR_ID = _Shape((dict, str, type(None)))
_LIST_OF_OBJECTS = _Shape((list,), items=dict)
_TOP: dict[str, _Shape] = {
    "type": _TEXT,
    "command": _TEXT,
    "text": _TEXT,
    "callback_id": _TEXT,
    "trigger_id": _TEXT,
    "response_url": _TEXT,
    "team_id": _TEXT,
    "user_id": _TEXT,
    "channel_id": _TEXT,
    "action_id": _TEXT,
    "block_id": _TEXT,
    "value": _TEXT,
    "event_id": _TEXT,
    "actions": _LIST_OF_OBJECTS,
    "authorizations": _LIST_OF_OBJECTS,
    "view": _OBJECT,
    "container": _OBJECT,
    "message": _OBJECT,
    "event": _OBJECT,
    "team": _OBJECT_OR_ID,
    "user": _OBJECT_OR_ID,
    "channel": _OBJECT_OR_ID,
    "enterprise": _OBJECT_OR_ID,
}
_VIEW: dict[str, _Shape] = {
    "id": _TEXT,
    "type": _TEXT,
    "callback_id": _TEXT,
    "private_metadata": _TEXT,
    "hash": _TEXT,
    "state": _OBJECT,
    "blocks": _LIST_OF_OBJECTS,
}
_ACTION: dict[str, _Shape] = {
    "type": _TEXT,
    "action_id": _TEXT,
    "block_id": _TEXT,
    "value": _TEXT,
    "selected_option": _Shape((dict, type(None))),
    "selected_options": _LIST_OF_OBJECTS,
}
_NAMED: dict[str, _Shape] = {"id": _TEXT, "team_id": _TEXT}


class RequestGate:
    """Checks each POST to the Slack endpoint; see the module docstring."""

    def __init__(self, signing_secret: str, sessions: sessionmaker[Session]) -> None:
        if not signing_secret:
            raise ValueError("the Slack endpoint needs a signing secret to verify requests")
        # slack_sdk's verifier: HMAC-SHA256 over "v0:{timestamp}:{body}", compared in
        # constant time, and refused when the timestamp is five minutes off its clock.
        self._verifier = SignatureVerifier(signing_secret)
        self._work = UnitOfWork(sessions)
        self._purged_before: datetime | None = None
        self._purge_lock = threading.Lock()

    def check(self, headers: Mapping[str, str], body: bytes) -> Refusal | None:
        """None when the request may go on to Bolt; ``headers`` with lower-case names."""
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
            return Refusal(401, "invalid request: missing or malformed Slack signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Refusal(400, "invalid request: the body is not UTF-8")
        if not self._verifier.is_valid(text, timestamp, signature):
            return Refusal(401, "invalid request: the Slack signature does not match")
        problem = _body_problem(text, headers)
        if problem is not None:
            return Refusal(400, f"invalid request: {problem}")
        return self._first_time(signature, datetime.fromtimestamp(int(timestamp), UTC))

    def _first_time(self, signature: str, signed_at: datetime) -> Refusal | None:
        """Records the request; a replay of one already recorded is answered 200 (Slack
        needs no retry) and goes no further."""
        fingerprint = hashlib.sha256(signature.encode()).hexdigest()
        try:
            forget_before = signed_at - REPLAY_WINDOW if self._purge_due(signed_at) else None
            first = first_request(self._work, fingerprint, signed_at, forget_before)
        except SQLAlchemyError as error:
            # Without the log a replay cannot be told apart: refuse rather than act twice.
            log.error("could not record a Slack request (%s)", type(error).__name__)
            return Refusal(503, "the bot's database is unavailable; try again in a moment")
        if not first:
            return Refusal(200, "")
        return None

    def _purge_due(self, signed_at: datetime) -> bool:
        # Once a minute is enough to keep the table to about ten minutes of requests.
        with self._purge_lock:
            if self._purged_before is not None and signed_at - self._purged_before < _PURGE_EVERY:
                return False
            self._purged_before = signed_at
            return True


def _body_problem(text: str, headers: Mapping[str, str]) -> str | None:
    """What makes the body one that Bolt cannot read, or our listeners cannot use."""
    content_type = extract_content_type({"content-type": [headers.get("content-type", "")]})
    try:
        # Bolt's own parser, so the request it builds from this body cannot fail.
        body = parse_body(text, content_type)
    except (ValueError, RecursionError):
        return "the body is not the JSON or form data Slack sends"
    if not isinstance(body, dict):
        return "the payload is not a JSON object"
    if nested_deeper_than(body, MAX_DEPTH):
        return f"the payload nests deeper than {MAX_DEPTH} levels"
    return _shape_problem(body)


def _shape_problem(body: dict[str, Any]) -> str | None:
    problem = _keys_problem(body, _TOP, "")
    if problem:
        return problem
    view = body.get("view")
    if isinstance(view, dict):
        problem = _keys_problem(view, _VIEW, "view.") or _state_problem(view.get("state"))
        if problem:
            return problem
    for action in body.get("actions") or []:
        problem = _keys_problem(action, _ACTION, "actions[].")
        if problem:
            return problem
    for key in ("team", "user", "channel"):
        named = body.get(key)
        if isinstance(named, dict):
            problem = _keys_problem(named, _NAMED, f"{key}.")
            if problem:
                return problem
    return None


def _keys_problem(item: dict[str, Any], shapes: Mapping[str, _Shape], prefix: str) -> str | None:
    for key, shape in shapes.items():
        if key not in item:
            continue
        if not shape.admits(item[key]):
            return f"{prefix}{key} is not what Slack sends"
    return None


def _state_problem(state: Any) -> str | None:
    """view.state.values is {block_id: {action_id: {value...}}}, as the views read it."""
    if state is None:
        return None
    values = state.get("values", {})
    if not isinstance(values, dict) or not all(
        isinstance(actions, dict) and all(isinstance(v, dict) for v in actions.values())
        for actions in values.values()
    ):
        return "view.state.values is not what Slack sends"
    return None
