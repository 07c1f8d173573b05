from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.workspaces import LOCAL_TEAM, AmbiguousWorkspace, resolve_team
from storage.object_types import ObjectTypeRepository

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_an_empty_database_acts_on_the_local_team(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert resolve_team(session, None) == LOCAL_TEAM


def test_the_only_known_team_is_used(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        ObjectTypeRepository(session).ensure_built_ins("T1", NOW)
    with sessions() as session:
        assert resolve_team(session, None) == "T1"


def test_several_teams_need_an_explicit_one(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        ObjectTypeRepository(session).ensure_built_ins("T1", NOW)
        ObjectTypeRepository(session).ensure_built_ins("T2", NOW)
    with sessions() as session:
        with pytest.raises(AmbiguousWorkspace, match="--team"):
            resolve_team(session, None)
        assert resolve_team(session, "T2") == "T2"
