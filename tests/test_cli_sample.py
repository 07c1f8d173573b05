"""workflow-bot sample remove, and the sample staying out of a Slack workspace."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.workflows.samples import install_sample
from bot.workflows.workspaces import LOCAL_TEAM
from storage.database import transaction
from storage.models import ObjectType, Record, Workflow
from storage.object_types import ObjectTypeRepository
from tests.engine.builders import deal, import_deals
from tests.slack_standin import TEAM_ID, SlackStandIn

NOW = datetime.now(UTC)


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    return CliRunner()


@pytest.fixture
def sample(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        ObjectTypeRepository(session).ensure_built_ins(LOCAL_TEAM, NOW)
        assert install_sample(session, LOCAL_TEAM, NOW, "UTC") is not None


def _records(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with transaction(sessions) as session:
        rows = session.execute(
            select(ObjectType.team_id, Record.external_id, Record.name)
            .join(ObjectType)
            .order_by(Record.external_id)
        )
        return [(team, external_id, name) for team, external_id, name in rows]


def test_sample_remove_says_what_it_removed_and_then_that_there_is_none(
    runner: CliRunner, sample: None, sessions: sessionmaker[Session]
) -> None:
    import_deals(sessions, [deal("D-1", "Our deal")], NOW, LOCAL_TEAM)

    removed = runner.invoke(main, ["sample", "remove"])

    assert removed.exit_code == 0, removed.output
    assert removed.output == (
        "Removed the sample: the workflow 'Sample: contract reminders' with its runs and "
        "5 sample records.\n"
    )
    assert _records(sessions) == [(LOCAL_TEAM, "D-1", "Our deal")]
    again = runner.invoke(main, ["sample", "remove"])
    assert again.exit_code == 0, again.output
    assert again.output == "There is no sample in this database: nothing was removed.\n"


def test_sample_remove_names_a_sample_workflow_deleted_before_as_it_was_named(
    runner: CliRunner, sample: None
) -> None:
    deleted = runner.invoke(main, ["workflows", "delete", "Sample: contract reminders", "--yes"])
    assert deleted.exit_code == 0, deleted.output

    removed = runner.invoke(main, ["sample", "remove"])

    assert removed.exit_code == 0, removed.output
    assert "the workflow 'Sample: contract reminders' with its runs" in removed.output


@pytest.mark.parametrize("deleted_first", [False, True])
def test_after_sample_remove_the_workspace_holds_nothing_and_can_be_removed(
    runner: CliRunner, sample: None, deleted_first: bool
) -> None:
    if deleted_first:  # its deletion is history too
        deleted = runner.invoke(
            main, ["workflows", "delete", "Sample: contract reminders", "--yes"]
        )
        assert deleted.exit_code == 0, deleted.output
    assert runner.invoke(main, ["sample", "remove"]).exit_code == 0

    listed = runner.invoke(main, ["workspaces", "list"])
    assert "history" not in listed.output, listed.output
    removed = runner.invoke(main, ["workspaces", "remove", LOCAL_TEAM])
    assert removed.exit_code == 0, removed.output


def test_connecting_slack_removes_the_sample_and_moves_only_real_data(
    runner: CliRunner,
    sample: None,
    sessions: sessionmaker[Session],
    slack_api: SlackStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_deals(sessions, [deal("D-1", "Our deal")], NOW, LOCAL_TEAM)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_api.token)
    monkeypatch.setenv("SLACK_API_URL", slack_api.url)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret")  # HTTP mode

    result = runner.invoke(main, ["serve", "--once", "--role", "scheduler"])

    assert result.exit_code == 0, result.output
    assert f"5 sample records. It stays out of {TEAM_ID}." in result.output
    assert _records(sessions) == [(TEAM_ID, "D-1", "Our deal")]
    with transaction(sessions) as session:
        assert list(session.scalars(select(Workflow.name))) == []
