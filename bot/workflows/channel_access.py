"""Who may make the bot post where: a workflow posts in its owner's name, so it may post to
a private channel only when its owner is a member of that channel; and the user groups it
sends direct messages to must be readable. Checked when a workflow is saved, whoever saves
it, and so again whenever its owner, channels or user groups change."""

from __future__ import annotations

from typing import Protocol

from bot.workflows.definitions import SendChannelMessage, SendDm, WorkflowDefinition
from bot.workflows.lifecycle import WorkflowError


class ChannelAccess(Protocol):
    """The messaging side's answer (Slack's conversations.info and conversations.members):
    None when ``user`` may have the bot post to ``channel``, else why not, in words that
    say how to fix it. ``channel`` may also be a user group (an id such as S0123ABCD or a
    handle such as @sales-leads): None when the bot can read its members."""

    def refusal(self, channel: str, user: str) -> str | None: ...


class ChannelNotAllowed(WorkflowError):
    """The workflow would post where its owner may not; ``reasons`` says where and why."""

    def __init__(self, name: str, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(f"{name} cannot be saved: {'; '.join(reasons)}")


def posting_channels(definition: WorkflowDefinition) -> list[str]:
    """The channels the workflow posts to, in the order it names them: its channel
    messages and its summary channel (direct messages go to people, not channels)."""
    channels = [a.channel for a in definition.actions if isinstance(a, SendChannelMessage)]
    if definition.settings.summary_channel:
        channels.append(definition.settings.summary_channel)
    return list(dict.fromkeys(channels))


def dm_user_groups(definition: WorkflowDefinition) -> list[str]:
    """The user groups the workflow's direct messages go to, in the order it names them."""
    groups = [g for a in definition.actions if isinstance(a, SendDm) for g in a.user_groups]
    return list(dict.fromkeys(groups))


def check_channel_access(definition: WorkflowDefinition, access: ChannelAccess) -> None:
    """Raises ChannelNotAllowed naming every channel the owner may not post to, and every
    user group whose members the bot cannot read."""
    reasons = [
        reason
        for channel in [*posting_channels(definition), *dm_user_groups(definition)]
        if (reason := access.refusal(channel, definition.owner)) is not None
    ]
    if reasons:
        raise ChannelNotAllowed(definition.name, reasons)
