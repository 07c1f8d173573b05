"""The Slack implementation of the domain's PeopleLookup port: owner emails resolved with
users.lookupByEmail (scope users:read.email), user groups found by handle with usergroups.list
and their members read with usergroups.users.list (scope usergroups:read)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack.notifier import read_call
from bot.workflows.notifier import DeliveryFailed, DeliveryUnavailable
from bot.workflows.owners import LookupRefused, LookupUnavailable

EMAIL_SCOPE = "users:read.email"
GROUPS_SCOPE = "usergroups:read"
# What Slack answers when no user of the workspace has the email (older docs: user_not_found).
NOT_FOUND = frozenset({"users_not_found", "user_not_found"})
NO_SUCH_GROUP = "no_such_subteam"


class SlackPeopleLookup:
    """Asks one workspace's Slack (the client's token) who people are. The workspace's user
    groups are listed once per instance, when a handle is first looked up: make one per run
    or per save, so that a renamed group is seen the next time."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._group_ids: dict[str, str] | None = None

    def user_by_email(self, email: str) -> str | None:
        try:
            user: dict[str, Any] = read_call(self._client.users_lookupByEmail, email=email)["user"]
        except DeliveryFailed as failure:
            if failure.code in NOT_FOUND:
                return None
            if failure.code == "missing_scope":
                raise LookupRefused(
                    failure.code,
                    f"the bot lacks the Slack permission {EMAIL_SCOPE}, so it cannot tell which "
                    "Slack user an owner email is: reinstall the app to grant it",
                ) from failure
            raise LookupRefused(failure.code, failure.reason) from failure
        except DeliveryUnavailable as outage:
            raise LookupUnavailable(outage.reason) from outage
        # A deactivated account or a bot cannot be anyone's owner to message.
        if user.get("deleted") or user.get("is_bot"):
            return None
        return str(user["id"])

    def group_members(self, group: str) -> list[str]:
        group_id = self._group_id(group) if group.startswith("@") else group
        try:
            response = read_call(self._client.usergroups_users_list, usergroup=group_id)
        except DeliveryFailed as failure:
            raise LookupRefused(failure.code, _group_refusal(group, failure)) from failure
        except DeliveryUnavailable as outage:
            raise LookupUnavailable(outage.reason) from outage
        return [str(user) for user in response.get("users") or []]

    def _group_id(self, handle: str) -> str:
        if self._group_ids is None:
            try:
                response = read_call(self._client.usergroups_list)
            except DeliveryFailed as failure:
                raise LookupRefused(failure.code, _group_refusal(handle, failure)) from failure
            except DeliveryUnavailable as outage:
                raise LookupUnavailable(outage.reason) from outage
            self._group_ids = {
                f"@{group['handle']}".casefold(): str(group["id"])
                for group in response.get("usergroups") or []
                if group.get("handle") and group.get("id")
            }
        found = self._group_ids.get(handle.casefold())
        if found is None:
            raise LookupRefused(NO_SUCH_GROUP, _no_such_group(handle))
        return found


def _group_refusal(group: str, failure: DeliveryFailed) -> str:
    if failure.code == "missing_scope":
        return (
            f"the bot lacks the Slack permission {GROUPS_SCOPE}, so it cannot read the members "
            f"of the user group {group}: reinstall the app to grant it, or name the people "
            "themselves"
        )
    if failure.code == NO_SUCH_GROUP:
        return _no_such_group(group)
    return f"Slack would not list the members of the user group {group}: {failure.reason}"


def _no_such_group(group: str) -> str:
    return (
        f"there is no user group {group} in this workspace (or it is disabled): check its "
        "handle in Slack (People, then User groups), or name the people themselves"
    )
