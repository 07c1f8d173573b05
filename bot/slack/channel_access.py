"""The Slack implementation of the domain's ChannelAccess port: whether a workflow's owner
may have the bot post to a channel, asked of conversations.info and conversations.members
(scopes channels:read and groups:read)."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.people_lookup import SlackPeopleLookup
from bot.workflows.owners import LookupRefused, LookupUnavailable, is_user_group

# conversations.members returns at most this many ids a page.
MEMBERS_PAGE = 1000
_INVITE = "invite the bot to it first (type /invite @workflow-bot in the channel)"


class SlackChannelAccess:
    """Public channels are open to anyone (the bot still needs inviting, as for posting);
    a private channel only to its members. When Slack cannot say, the answer is no: a
    save is refused with the reason rather than let the bot post where it should not."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def refusal(self, channel: str, user: str) -> str | None:
        if channel[:1] in ("U", "W"):
            return None  # a direct message to a person, not a channel
        if is_user_group(channel):
            return _group_refusal(self._client, channel)
        try:
            found = self._client.conversations_info(channel=channel)["channel"]
            if not found.get("is_private"):
                return None
            if self._is_member(channel, user):
                return None
        except SlackApiError as error:
            return _unanswered(channel, str(error.response.get("error")))
        name = f"#{found.get('name') or channel}"
        return (
            f"{name} is a private channel and the workflow's owner {user} is not a member "
            f"of it: pick a channel the owner is in, or have a member of {name} own the "
            "workflow"
        )

    def _is_member(self, channel: str, user: str) -> bool:
        # slack_sdk follows the response's next_cursor page by page when iterated.
        pages = self._client.conversations_members(channel=channel, limit=MEMBERS_PAGE)
        return any(user in (page.get("members") or []) for page in pages)


def _group_refusal(client: WebClient, group: str) -> str | None:
    """Why the bot cannot send to the members of ``group`` (usergroups.users.list), or None."""
    try:
        SlackPeopleLookup(client).group_members(group)
    except LookupRefused as refused:
        return refused.reason
    except LookupUnavailable as outage:
        return (
            f"Slack did not list the members of the user group {group} ({outage}): "
            "save again in a moment"
        )
    return None


def _unanswered(channel: str, code: str) -> str:
    if code == "channel_not_found":
        return (
            f"the bot cannot see the channel {channel}: if it is a private channel, {_INVITE}; "
            "otherwise pick the channel again"
        )
    if code == "missing_scope":
        return (
            "the bot may not read channel details (scopes channels:read and groups:read): "
            "reinstall the app to grant them, then save again"
        )
    return f"Slack did not say who may post to {channel} ({code}): save again in a moment"
