"""Which workspace (Slack team) a command acts on when the caller does not say."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import ObjectType, Workflow

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


def adopt_local_workspace(session: Session, team_id: str) -> bool:
    """Moves what was imported before Slack was connected (team "local") to the workspace
    the bot now serves, unless that workspace already has data of its own. True if moved."""
    if team_id == LOCAL_TEAM:
        return False
    has_local = session.scalar(select(ObjectType.id).where(ObjectType.team_id == LOCAL_TEAM))
    has_own = session.scalar(select(ObjectType.id).where(ObjectType.team_id == team_id))
    if has_local is None or has_own is not None:
        return False
    for table in (ObjectType, Workflow):
        session.execute(update(table).where(table.team_id == LOCAL_TEAM).values(team_id=team_id))
    return True
