"""Which workspace (Slack team) a command acts on: the one it names, which must be known, or
the only one the database serves.

A workspace is known when the database holds something of it, or when Slack vouches for it
(the app is installed there, or ``serve`` connected with its bot token), or when
SLACK_TEAM_ID names it. Nothing else creates one: a mistyped ``--team`` is refused rather
than starting an empty workspace that every later command would trip over. A workspace that
holds nothing (one an older version created from a typo) can be listed and removed."""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy.orm import Session

from bot.workflows.readable import plural
from storage.object_types import ObjectTypeRepository
from storage.unit_of_work import UnitOfWork
from storage.workspaces import WorkspaceRepository

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
    return WorkspaceRepository(session).teams_with_data()


def resolve_team(session: Session, explicit: str | None, vouched: Collection[str] = ()) -> str:
    """The explicit team when it is known (it has data, is ``vouched`` for by Slack or the
    settings, or is the local team), else the only team the database knows, else the local
    team. Raises UnknownWorkspace or AmbiguousWorkspace."""
    teams = teams_with_data(session)
    if explicit:
        if explicit == LOCAL_TEAM or explicit in teams or explicit in vouched:
            return explicit
        # The local team is always accepted, so it is always among the known.
        raise UnknownWorkspace(explicit, sorted({*teams, *vouched, LOCAL_TEAM}))
    if len(teams) > 1:
        raise AmbiguousWorkspace(teams)
    return teams[0] if teams else LOCAL_TEAM


def adopt_local_workspace(session: Session, team_id: str) -> bool:
    """Moves what was imported before Slack was connected (team "local") to the workspace
    the bot now serves, unless that workspace already has data of its own. True if something
    of the user's moved (records, workflows, ...); the built-in object types every command
    makes move too, without a word, so that "local" is not left as a second workspace."""
    if team_id == LOCAL_TEAM:
        return False
    workspaces = WorkspaceRepository(session)
    if not workspaces.has_object_types(LOCAL_TEAM) or workspaces.has_object_types(team_id):
        return False
    moved_anything = not _contents(session, LOCAL_TEAM).empty
    # A workflow's history of changes goes with it, and a type's source with the type.
    workspaces.move_team(LOCAL_TEAM, team_id)
    return moved_anything


@dataclass(frozen=True)
class WorkspaceContents:
    """What a workspace holds, counted; records count removed ones too (runs name them)."""

    team_id: str
    workflows: int = 0
    records: int = 0
    custom_object_types: int = 0
    sources: int = 0
    drafts: int = 0
    workflow_events: int = 0

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self) if f.name != "team_id")

    def describe(self) -> str:
        counts = [
            plural(self.workflows, "workflow"),
            plural(self.records, "record"),
            plural(self.custom_object_types, "custom object type"),
            plural(self.sources, "source"),
            plural(self.drafts, "draft in Slack"),
            plural(self.workflow_events, "workflow history entry"),
        ]
        held = [count for count in counts if not count.startswith("0 ")]
        return ", ".join(held) if held else "nothing"


class WorkspaceNotRemoved(ValueError):
    """Why a workspace cannot be removed; the message says what to do instead."""


def _contents(session: Session, team_id: str) -> WorkspaceContents:
    return WorkspaceContents(team_id, **WorkspaceRepository(session).held_rows(team_id)._asdict())


# Use cases: each opens its own transaction on the unit of work it is given -----------------


def open_workspace(
    work: UnitOfWork, explicit: str | None, vouched: Collection[str], now: datetime
) -> str:
    """The team a command acts on (resolve_team), with its built-in object types made if
    it has none yet. Writes, and so takes the write lock: concurrent commands wait for each
    other instead of failing."""
    with work.writing() as session:
        team_id = resolve_team(session, explicit, vouched)
        ObjectTypeRepository(session).ensure_built_ins(team_id, now)
        return team_id


def contents_of(work: UnitOfWork, teams: Collection[str] = ()) -> list[WorkspaceContents]:
    """What each workspace with data holds (and each of ``teams``, which may hold nothing),
    by team id."""
    with work.reading() as session:
        known = sorted({*teams_with_data(session), *teams})
        return [_contents(session, team_id) for team_id in known]


def remove_empty(work: UnitOfWork, team_id: str, vouched: Collection[str]) -> None:
    """Removes a workspace that holds nothing (its built-in object types and what the bot
    cached for it). Refused, with WorkspaceNotRemoved saying why, for a workspace that holds
    something, or that Slack or the settings vouch for (it would come back at once), or
    UnknownWorkspace for one the database does not have."""
    with work.writing() as session:
        if team_id not in teams_with_data(session):
            raise UnknownWorkspace(team_id, teams_with_data(session))
        if team_id in vouched:
            raise WorkspaceNotRemoved(
                f"{team_id} is the workspace SLACK_TEAM_ID names or one the app is installed in: "
                "it would come back at its next command; unset SLACK_TEAM_ID or uninstall the "
                "app there first"
            )
        contents = _contents(session, team_id)
        if not contents.empty:
            raise WorkspaceNotRemoved(
                f"{team_id} holds {contents.describe()}: only a workspace that holds nothing is "
                "removed; delete what it holds first if it really is a mistake"
            )
        WorkspaceRepository(session).remove_team(team_id)
