"""Which workspace (Slack team) a command acts on when the caller does not say."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ObjectType

# Records imported before any Slack workspace is connected belong to this team id.
LOCAL_TEAM = "local"


class AmbiguousWorkspace(LookupError):
    def __init__(self, teams: list[str]) -> None:
        self.teams = teams
        super().__init__(
            f"This database serves several workspaces ({', '.join(teams)}): pass --team TEAM_ID."
        )


def resolve_team(session: Session, explicit: str | None) -> str:
    """The explicit team, else the only team the database knows, else the local team."""
    if explicit:
        return explicit
    teams = sorted(set(session.scalars(select(ObjectType.team_id).distinct())))
    if len(teams) > 1:
        raise AmbiguousWorkspace(teams)
    return teams[0] if teams else LOCAL_TEAM
