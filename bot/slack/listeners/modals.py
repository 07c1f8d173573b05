"""Showing a new view in a modal a listener's request came from (views.update), which the
user may have closed, or a quicker request changed, in the meantime."""

from __future__ import annotations

import logging
from enum import Enum
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class Update(Enum):
    SHOWN = "shown"
    # The user closed the modal: there is nothing to show the view in.
    CLOSED = "closed"
    # Only with a hash: another request changed the modal since that hash, and its view,
    # the newer one, stays.
    OVERTAKEN = "overtaken"


def update_modal(
    client: WebClient, view_id: str, view: dict[str, Any], view_hash: str | None = None
) -> Update:
    """views.update of the modal ``view_id``; with ``view_hash`` (the hash of the view the
    request came from) only if the modal still shows that view."""
    return update_modal_hash(client, view_id, view, view_hash)[0]


def update_modal_hash(
    client: WebClient, view_id: str, view: dict[str, Any], view_hash: str | None = None
) -> tuple[Update, str | None]:
    """update_modal, with the hash Slack gave the view it now shows (None unless SHOWN)."""
    try:
        answer = client.views_update(view_id=view_id, hash=view_hash, view=view)
    except SlackApiError as error:
        reason = error.response.get("error")
        if reason == "not_found":
            log.info("modal %s was closed; not updated", view_id)
            return Update.CLOSED, None
        if reason == "hash_conflict" and view_hash is not None:
            log.info("modal %s changed meanwhile; not updated", view_id)
            return Update.OVERTAKEN, None
        raise
    shown = answer.get("view")
    new_hash = shown.get("hash") if isinstance(shown, dict) else None
    return Update.SHOWN, new_hash if isinstance(new_hash, str) else None
