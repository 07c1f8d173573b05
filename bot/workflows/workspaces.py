"""Which workspace (Slack team) a command acts on: the one it names, which must be known, or
the only one the database serves.

A workspace is known when the database holds something of it, or when Slack vouches for it
(the app is installed there, or ``serve`` connected with its bot token), or when
SLACK_TEAM_ID names it. Nothing else creates one: a mistyped ``--team`` is refused rather
than starting an empty workspace that every later command would trip over."""

from __future__ import annotations

import difflib
from collections.abc import Collection

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import ObjectType, Workflow

# Records imported before any Slack workspace is connected belong to this team id.
LOCAL_TEAM = "local"


class AmbiguousWorkspace(LookupError):
    def __init__(self, teams: list[str]) -> None:
        self.teams = teams
        super().__init__(
            f"This database serves several workspaces ({', '.join(teams)}): pass --team TEAM_ID "
            "(or set SLACK_TEAM_ID); `workflow-bot workspaces list` shows what each holds."
        )


class UnknownWorkspace(LookupError):
    def __init__(self, team: str, known: list[str]) -> None:
        self.team = team
        self.known = known
        close = difflib.get_close_matches(team, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        listed = ", ".join(known) if known else "none yet"
        super().__init__(
            f"There is no workspace {team!r} in this database (known: {listed}).{hint} "
            "Check the team id; a new workspace comes from Slack (installing the app there, "
            "or `serve` with its SLACK_BOT_TOKEN) or from setting SLACK_TEAM_ID to it."
        )


def teams_with_data(session: Session) -> list[str]:
    """The workspaces the database holds something of, by team id."""
    return sorted(set(session.scalars(select(ObjectType.team_id).distinct())))


def resolve_team(session: Session, explicit: str | None, vouched: Collection[str] = ()) -> str:
    """The explicit team when it is known (it has data, is ``vouched`` for by Slack or the
    settings, or is the local team), else the only team the database knows, else the local
    team. Raises UnknownWorkspace or AmbiguousWorkspace."""
    teams = teams_with_data(session)
    if explicit:
        if explicit == LOCAL_TEAM or explicit in teams or explicit in vouched:
            return explicit
        raise UnknownWorkspace(explicit, sorted({*teams, *vouched}))
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
