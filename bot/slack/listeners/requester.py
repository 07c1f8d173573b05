"""Who sent a request to a listener, and from which workspace, as Bolt read them off it."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import BoltContext


@dataclass(frozen=True)
class Requester:
    team_id: str
    user_id: str

    @classmethod
    def of(cls, context: BoltContext) -> Requester:
        """The workspace is the one whose token Bolt chose for the request (a modal's
        ``view.app_installed_team_id`` first, which differs from ``team.id`` for a modal
        opened from a Slack Connect channel). Clicks, commands, submissions and the
        App Home event all name both."""
        team_id, user_id = context.team_id, context.user_id
        if not team_id or not user_id:
            raise ValueError(f"a request without a workspace or a user ({team_id}, {user_id})")
        return cls(team_id, user_id)
