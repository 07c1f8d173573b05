"""Installations of several workspaces on the bot's own database: slack_sdk's stores on the
tables of migration 0003, each workspace's token found by its team id, and notifiers that
post with that token (or fail with the reason to reinstall)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from sqlalchemy import Engine, MetaData, select
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.slack.installations import (
    NOT_INSTALLED,
    NOT_INSTALLED_REASON,
    Installations,
    NotInstalledNotifier,
    WorkspaceNotifiers,
)
from bot.slack.notifier import SlackNotifier, make_web_client
from bot.workflows.clock import FixedClock
from bot.workflows.engine import Engine as WorkflowEngine
from bot.workflows.notifier import ActionMark, DeliveryFailed, Message, Notifier
from bot.workflows.vocabulary import ActionOutcome, RunStatus
from tests.engine.builders import deal, import_deals, results, save, workflow_document
from tests.slack_standin import SlackStandIn

START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def installations(engine: Engine) -> Installations:
    settings = Settings(slack_client_id="1111.2222", slack_client_secret="s3cret")
    return Installations(settings, engine)


def _install(installations: Installations, team_id: str, token: str, at: float = 0.0) -> None:
    installations.store.save(
        Installation(
            app_id="A0WORKFLOWBOT",
            enterprise_id=None,
            team_id=team_id,
            bot_token=token,
            bot_id="B0WORKFLOWBOT",
            bot_user_id="U0WORKFLOWBOT",
            bot_scopes="chat:write",
            user_id="U0INSTALLER",
            installed_at=START.timestamp() + at,
        )
    )


def _stand_in_notifiers(
    installations: Installations, slack_api: SlackStandIn
) -> WorkspaceNotifiers:
    def notifier(token: str) -> Notifier:
        client = make_web_client(token, slack_api.url, max_retries=0)
        return SlackNotifier(client, monotonic=lambda: 0.0, sleep=lambda _s: None)

    return WorkspaceNotifiers(installations, notifier)


@pytest.mark.parametrize("store", ["store", "states"])
def test_the_migrations_build_the_tables_slack_sdks_stores_expect(
    engine: Engine, installations: Installations, store: str
) -> None:
    metadata: MetaData = getattr(installations, store).metadata
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _parents: (
                    type_ != "table" or name in metadata.tables
                ),
            },
        )
        assert compare_metadata(context, metadata) == []


def test_the_oauth_settings_read_nothing_from_the_environment(
    installations: Installations, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "SLACK_REDIRECT_URI": "https://elsewhere.example/redirect",
        "SLACK_SCOPES": "admin",
        "SLACK_USER_SCOPES": "admin",
        "SLACK_INSTALL_PATH": "/elsewhere",
    }.items():
        monkeypatch.setenv(name, value)
    oauth = installations.oauth_settings()
    url = oauth.authorize_url_generator.generate(state="s")
    assert "elsewhere" not in url and "admin" not in url
    assert (oauth.install_path, oauth.redirect_uri) == ("/slack/install", None)


def test_each_workspaces_installation_is_found_by_its_team(installations: Installations) -> None:
    _install(installations, "T1", "xoxb-one")
    _install(installations, "T2", "xoxb-two")
    assert installations.bot_token("T1") == "xoxb-one"
    assert installations.bot_token("T2") == "xoxb-two"
    assert installations.bot_token("T3") is None
    assert installations.teams() == ["T1", "T2"]


def test_a_reinstall_gives_the_workspace_its_new_token(installations: Installations) -> None:
    _install(installations, "T1", "xoxb-old")
    _install(installations, "T1", "xoxb-new", at=60)
    assert installations.bot_token("T1") == "xoxb-new"


def test_a_workspace_of_an_enterprise_grid_is_found_by_its_team_alone(
    installations: Installations,
) -> None:
    installations.store.save(
        Installation(
            app_id="A0WORKFLOWBOT",
            enterprise_id="E1",
            team_id="T1",
            bot_token="xoxb-grid",
            user_id="U0INSTALLER",
        )
    )
    assert installations.bot_token("T1") == "xoxb-grid"


def test_forgetting_a_workspace_removes_its_tokens_only(installations: Installations) -> None:
    _install(installations, "T1", "xoxb-one")
    _install(installations, "T2", "xoxb-two")
    installations.store.delete_all(enterprise_id=None, team_id="T2")
    assert installations.bot_token("T2") is None
    assert installations.bot_token("T1") == "xoxb-one"


def test_states_are_issued_and_consumed_once(installations: Installations) -> None:
    state = installations.states.issue()
    assert installations.states.consume(state)
    assert not installations.states.consume(state)
    assert not installations.states.consume("never-issued")


def test_issuing_a_state_removes_the_expired_ones(installations: Installations) -> None:
    states = installations.states
    past = normalize_datetime_for_db(datetime.now(tz=UTC) - timedelta(hours=1))
    with states.engine.begin() as connection:
        connection.execute(states.oauth_states.insert(), {"state": "abandoned", "expire_at": past})
    fresh = states.issue()
    with states.engine.begin() as connection:
        left = connection.execute(select(states.oauth_states.c.state)).scalars().all()
    assert left == [fresh]


def test_each_workspace_posts_with_its_own_token(
    installations: Installations, slack_api: SlackStandIn
) -> None:
    _install(installations, "T1", "xoxb-one")
    _install(installations, "T2", "xoxb-two")
    notifier_for = _stand_in_notifiers(installations, slack_api)
    notifier_for("T2").post(Message(channel="C0TWO", text="hello two"))
    notifier_for("T1").post(Message(channel="C0ONE", text="hello one"))
    tokens = {c.params["channel"]: c.token for c in slack_api.calls("chat.postMessage")}
    assert tokens == {"C0TWO": "xoxb-two", "C0ONE": "xoxb-one"}


def test_notifiers_are_kept_per_token_and_replaced_on_reinstall(
    installations: Installations, slack_api: SlackStandIn
) -> None:
    _install(installations, "T1", "xoxb-old")
    notifier_for = _stand_in_notifiers(installations, slack_api)
    first = notifier_for("T1")
    assert notifier_for("T1") is first
    _install(installations, "T1", "xoxb-new", at=60)
    renewed = notifier_for("T1")
    assert renewed is not first
    renewed.post(Message(channel="C0ONE", text="after the reinstall"))
    assert [c.token for c in slack_api.calls("chat.postMessage")] == ["xoxb-new"]


def test_a_workspace_without_installation_is_told_to_reinstall(
    installations: Installations, slack_api: SlackStandIn
) -> None:
    notifier = _stand_in_notifiers(installations, slack_api)("T9")
    assert isinstance(notifier, NotInstalledNotifier)
    with pytest.raises(DeliveryFailed) as raised:
        notifier.post(Message(channel="C0NINE", text="hello"))
    assert (raised.value.code, raised.value.reason) == (NOT_INSTALLED, NOT_INSTALLED_REASON)
    assert "install it again at /slack/install" in str(raised.value)
    assert notifier.find_marked("C0NINE", ActionMark(1, 1, 0), START) is None
    assert slack_api.calls() == []


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def due_in_uninstalled_workspace(
    sessions: sessionmaker[Session], clock: FixedClock
) -> sessionmaker[Session]:
    """A workflow of a workspace without installation, due now on ``clock``."""
    import_deals(sessions, [deal("D1", "Acme")], clock.now(), "T9")
    save(sessions, workflow_document(), clock.now(), team="T9")
    clock.set(START.replace(hour=9) + timedelta(days=1))
    return sessions


def test_a_run_in_a_workspace_without_installation_records_the_reason_to_reinstall(
    installations: Installations,
    slack_api: SlackStandIn,
    due_in_uninstalled_workspace: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    sessions = due_in_uninstalled_workspace
    engine = WorkflowEngine(sessions, clock, _stand_in_notifiers(installations, slack_api))
    [(run_id, status)] = engine.tick()
    assert status is RunStatus.FAILED
    [result] = results(sessions, run_id)
    assert result.outcome == ActionOutcome.FAILED
    assert result.reason is not None and NOT_INSTALLED_REASON in result.reason
