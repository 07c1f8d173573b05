"""Which listener a Slack request is for, as /metrics labels its acks: ``kind:id`` read
from the request body, with ids the bot does not define folded into one label."""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl

from bot.slack import ids

OTHER = "other"
# The kinds of request Slack sends to the events URL; any other is labelled OTHER.
KINDS = frozenset(
    {
        "command",
        "event_callback",
        "url_verification",
        "app_rate_limited",
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
    }
)


def known_ids() -> frozenset[str]:
    """Every id the bot defines: a label is one of these or OTHER, so that requests cannot
    add series to /metrics by naming ids of their own."""
    enums = [value for value in vars(ids).values() if isinstance(value, type)]
    members = {m.value for e in enums if issubclass(e, StrEnum) and e is not StrEnum for m in e}
    return frozenset(members | {ids.SLASH_COMMAND})


def listener_of(body: bytes, content_type: str, known: frozenset[str]) -> str:
    """``kind:id`` of a request Slack sent, e.g. ``block_actions:home_run``,
    ``command:/workflow``, ``event_callback:app_home_opened``; OTHER where it cannot tell."""
    payload = _payload(body, content_type)
    if "command" in payload:
        kind, name = "command", payload.get("command")
    else:
        kind = str(payload.get("type") or OTHER)
        name = _id_of(kind, payload)
    named = name if isinstance(name, str) and name in known else OTHER
    return f"{kind if kind in KINDS else OTHER}:{named}"


def _payload(body: bytes, content_type: str) -> Mapping[str, Any]:
    """The request as Bolt reads it: JSON (events), or a form whose ``payload`` field is
    JSON (interactions), or a plain form (slash commands)."""
    try:
        text = body.decode()
        if content_type.startswith("application/json"):
            parsed = json.loads(text)
        else:
            form = dict(parse_qsl(text))
            parsed = json.loads(form["payload"]) if "payload" in form else form
    except (ValueError, RecursionError):  # not what Slack sends: labelled OTHER
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _id_of(kind: str, payload: Mapping[str, Any]) -> Any:
    if kind == "event_callback":
        return _field(payload, "event", "type")
    if kind == "block_actions":
        actions = payload.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else {}
        return first.get("action_id") if isinstance(first, dict) else None
    if kind == "block_suggestion":
        return payload.get("action_id")
    if kind in ("view_submission", "view_closed"):
        return _field(payload, "view", "callback_id")
    return payload.get("callback_id")  # shortcuts and message actions


def _field(payload: Mapping[str, Any], outer: str, inner: str) -> Any:
    value = payload.get(outer)
    return value.get(inner) if isinstance(value, dict) else None
