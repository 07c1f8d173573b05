"""Who is asking: a Slack user's admin rights and time zone, read with users.info.

Answers are kept for a minute: a wizard session asks on every step, and an admin flag or a
time zone that changed a minute ago is still fine to use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.workflows.lifecycle import Actor

CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Person:
    user_id: str
    is_admin: bool
    timezone: str | None
    # An active human, who can own a workflow: not a bot, not a deactivated account.
    is_person: bool


class People:
    def __init__(self, admins: Collection[str], cache_seconds: float = CACHE_SECONDS) -> None:
        self.admins = frozenset(admins)
        self.cache_seconds = cache_seconds
        self._cache: dict[tuple[str, str], tuple[float, Person]] = {}
        self._lock = threading.Lock()

    def person(self, client: WebClient, team_id: str, user_id: str) -> Person:
        key = (team_id, user_id)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        user: dict[str, Any] = client.users_info(user=user_id)["user"]
        person = Person(
            user_id,
            bool(user.get("is_admin") or user.get("is_owner")),
            user.get("tz") or None,
            not (user.get("is_bot") or user.get("deleted")),
        )
        with self._lock:
            self._cache[key] = (time.monotonic(), person)
        return person

    def actor(self, client: WebClient, team_id: str, user_id: str) -> Actor:
        """The user as the domain sees them: an admin when Slack says so (workspace admin or
        owner) or when WORKFLOW_ADMINS lists them (as USER_ID, or TEAM_ID:USER_ID for one
        workspace of several)."""
        if user_id in self.admins or f"{team_id}:{user_id}" in self.admins:
            return Actor(user_id, is_admin=True)
        return Actor(user_id, is_admin=self.person(client, team_id, user_id).is_admin)

    def is_person(self, client: WebClient, team_id: str, user_id: str) -> bool:
        """Whether Slack knows ``user_id`` as an active person; False for a user it does not
        know. Raises SlackApiError (or the connection's error) when Slack could not say."""
        try:
            return self.person(client, team_id, user_id).is_person
        except SlackApiError as error:
            if error.response.get("error") == "user_not_found":
                return False
            raise

    def timezone(self, client: WebClient, team_id: str, user_id: str) -> str | None:
        return self.person(client, team_id, user_id).timezone
