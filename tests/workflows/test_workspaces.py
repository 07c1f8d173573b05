from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.workspaces import (
    LOCAL_TEAM,
    AmbiguousWorkspace,
    UnknownWorkspace,
    adopt_local_workspace,
    resolve_team,
)
from storage.models import WorkflowEvent
from storage.object_types import ObjectTypeRepository
from storage.workflows import WorkflowRepository
from tests.engine.builders import deal, import_deals, save, workflow_document

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


def test_an_unknown_team_is_refused_with_the_known_ones(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        ObjectTypeRepository(session).ensure_built_ins("T0ABCDEF", NOW)
    with sessions() as session:
        with pytest.raises(UnknownWorkspace) as refused:
            resolve_team(session, "T0ABCDEG", vouched={"T0SLACK"})
        assert refused.value.known == ["T0ABCDEF", "T0SLACK", LOCAL_TEAM]  # always accepted
        assert "Did you mean 'T0ABCDEF'?" in str(refused.value)


def test_a_team_slack_vouches_for_and_the_local_team_need_no_data(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        assert resolve_team(session, "T0SLACK", vouched={"T0SLACK"}) == "T0SLACK"
        assert resolve_team(session, LOCAL_TEAM) == LOCAL_TEAM
        with pytest.raises(UnknownWorkspace, match=r"known: local\)"):
            resolve_team(session, "T0SLACK")


def _local_deals_and_workflow(sessions: sessionmaker[Session]) -> None:
    import_deals(sessions, [deal("D1", "Acme")], NOW, LOCAL_TEAM)
    save(sessions, workflow_document(), NOW, team=LOCAL_TEAM)


def test_data_imported_before_slack_moves_to_the_first_connected_workspace(
    sessions: sessionmaker[Session],
) -> None:
    _local_deals_and_workflow(sessions)
    with sessions.begin() as session:
        assert adopt_local_workspace(session, "T0REAL")
    with sessions() as session:
        assert resolve_team(session, None) == "T0REAL"
        assert WorkflowRepository(session).names("T0REAL") == ["Deal review"]
        assert ObjectTypeRepository(session).find("T0REAL", "deals") is not None
        assert WorkflowRepository(session).names(LOCAL_TEAM) == []
        # Its history of changes went with it.
        teams = session.scalars(select(WorkflowEvent.team_id)).all()
        assert teams == ["T0REAL"]


def test_a_workspace_with_data_of_its_own_adopts_nothing(sessions: sessionmaker[Session]) -> None:
    _local_deals_and_workflow(sessions)
    with sessions.begin() as session:
        ObjectTypeRepository(session).ensure_built_ins("T0REAL", NOW)
    with sessions.begin() as session:
        assert not adopt_local_workspace(session, "T0REAL")
    with sessions() as session:
        assert WorkflowRepository(session).names(LOCAL_TEAM) == ["Deal review"]


def test_a_source_feeding_local_records_moves_with_them(sessions: sessionmaker[Session]) -> None:
    from storage.models import RecordSource
    from storage.record_sources import RecordSourceRepository

    _local_deals_and_workflow(sessions)
    with sessions.begin() as session:
        deals = ObjectTypeRepository(session).get(LOCAL_TEAM, "deals")
        session.add(
            RecordSource(
                team_id=LOCAL_TEAM,
                name="crm",
                kind="sql",
                object_type_id=deals.id,
                url_env="CRM_DATABASE_URL",
                query="SELECT id, name FROM deals",
                id_column="id",
                created_at=NOW,
            )
        )
    with sessions.begin() as session:
        assert adopt_local_workspace(session, "T0REAL")
    with sessions() as session:
        sources = RecordSourceRepository(session)
        assert [source.name for source, _type in sources.of_team("T0REAL")] == ["crm"]
        assert sources.of_team(LOCAL_TEAM) == []
