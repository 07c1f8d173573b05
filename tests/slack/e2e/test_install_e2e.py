"""Installing into several workspaces over real HTTP: the OAuth install against the stand-in,
each workspace seeing and running only its own workflows with its own token, and uninstalls
that pause a workspace's workflows so that nothing more is posted there."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.installations import BOT_SCOPES
from bot.slack.listeners.revocation import REVOKED, UNINSTALLED
from bot.workflows.clock import FixedClock
from bot.workflows.vocabulary import RunStatus, WorkflowStatus
from storage.database import transaction
from storage.models import Run, Workflow
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.slack.e2e.conftest import OTHER, OWNER
from tests.slack.harness import Trap
from tests.slack.workspaces import (
    CLIENT_ID,
    CLIENT_SECRET,
    WorkspacesBot,
    WorkspaceSlack,
    running_workspaces_bot,
)
from tests.slack_standin import BOT_USER_ID, INSTALLER, TEAM_ID, WorkspacesStandIn

SECOND = "T0SECOND"
STATE_COOKIE = "slack-app-oauth-state"


@pytest.fixture
def slack_api(clock: FixedClock) -> Iterator[WorkspacesStandIn]:
    with WorkspacesStandIn(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, clock=lambda: clock.now().timestamp()
    ) as standin:
        standin.add_user(OWNER, "olivia", tz="America/New_York")
        standin.add_user(OTHER, "oscar", tz="Europe/Paris")
        yield standin


@pytest.fixture
def bot(
    sessions: sessionmaker[Session], clock: FixedClock, slack_api: WorkspacesStandIn
) -> Iterator[WorkspacesBot]:
    yield from running_workspaces_bot(sessions, clock, slack_api)


@pytest.fixture
def first(bot: WorkspacesBot, slack_api: WorkspacesStandIn) -> WorkspaceSlack:
    return WorkspaceSlack(bot.server.port, slack_api, TEAM_ID)


@pytest.fixture
def second(bot: WorkspacesBot, slack_api: WorkspacesStandIn) -> WorkspaceSlack:
    return WorkspaceSlack(bot.server.port, slack_api, SECOND)


@pytest.fixture
def two_workspaces(bot: WorkspacesBot, first: WorkspaceSlack, second: WorkspaceSlack) -> None:
    """Both workspaces installed, each with deals in contract and a daily workflow at 09:00
    posting to a channel of its own."""
    for slack in (first, second):
        assert slack.install().status == 200
    now = bot.clock.now()
    for team, name, channel in (
        (TEAM_ID, "First's review", "C0FIRST"),
        (SECOND, "Second's review", "C0SECOND"),
    ):
        import_deals(bot.sessions, [deal("D1", f"Acme of {team}")], now, team)
        document = workflow_document(
            name=name,
            owner=OWNER,
            actions=[{"type": "send_channel_message", "channel": channel, "text": "{{ name }}"}],
        )
        save(bot.sessions, document, now, team=team)


def _next_occurrence(bot: WorkspacesBot) -> None:
    """The clock at the workflows' next run: tomorrow 09:00."""
    bot.clock.set(bot.clock.now().replace(hour=9) + timedelta(days=1))


def _workflow(bot: WorkspacesBot, name: str) -> Workflow:
    with transaction(bot.sessions) as session:
        found = session.scalars(select(Workflow).where(Workflow.name == name)).one()
        session.expunge(found)
        return found


# -- installing ------------------------------------------------------------------------------


def test_install_sends_the_admin_to_slacks_consent_page_with_a_state_cookie(
    second: WorkspaceSlack,
) -> None:
    page = second.browse("/slack/install")
    assert page.status == 302
    location = urlsplit(page.headers["location"])
    assert (location.netloc, location.path) == ("slack.com", "/oauth/v2/authorize")
    query = parse_qs(location.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(BOT_SCOPES)
    assert page.headers["set-cookie"].startswith(f"{STATE_COOKIE}={query['state'][0]};")


def test_a_second_workspace_is_installed_through_oauth(
    bot: WorkspacesBot, first: WorkspaceSlack, second: WorkspaceSlack, slack_api: WorkspacesStandIn
) -> None:
    assert first.install().status == 200
    page = second.install()
    assert page.status == 200, page.body
    assert "Thank you!" in page.body  # Bolt's success page
    installations = bot.installations
    assert installations is not None
    assert installations.teams() == sorted([TEAM_ID, SECOND])
    assert installations.bot_token(SECOND) == slack_api.token_of(SECOND)
    assert installations.bot_token(TEAM_ID) == slack_api.token_of(TEAM_ID)
    assert slack_api.token_of(SECOND) != slack_api.token_of(TEAM_ID)


@pytest.mark.parametrize(
    ("state", "cookie", "status"),
    [
        ("from-the-install", None, 400),  # no cookie: another browser than the one that began
        ("forged", f"{STATE_COOKIE}=forged", 401),  # a state the bot never issued
        (None, None, 400),
    ],
)
def test_a_redirect_without_the_state_the_install_set_is_refused(
    bot: WorkspacesBot,
    second: WorkspaceSlack,
    slack_api: WorkspacesStandIn,
    state: str | None,
    cookie: str | None,
    status: int,
) -> None:
    started = parse_qs(urlsplit(second.browse("/slack/install").headers["location"]).query)
    code = slack_api.authorize(SECOND, ",".join(BOT_SCOPES))
    query = {"code": code}
    if state is not None:
        query["state"] = started["state"][0] if state == "from-the-install" else state
    page = second.browse(f"/slack/oauth_redirect?{urlencode(query)}", cookie)
    assert page.status == status
    assert slack_api.calls("oauth.v2.access") == []
    assert bot.installations is not None and bot.installations.teams() == []


def test_a_state_works_once(
    bot: WorkspacesBot, second: WorkspaceSlack, slack_api: WorkspacesStandIn
) -> None:
    start = second.browse("/slack/install")
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    cookie = start.headers["set-cookie"].split(";")[0]
    for expected in (200, 401):
        code = slack_api.authorize(SECOND, ",".join(BOT_SCOPES))
        page = second.browse(
            f"/slack/oauth_redirect?{urlencode({'code': code, 'state': state})}", cookie
        )
        assert page.status == expected
    assert len(slack_api.tokens_of(SECOND)) == 1


def test_a_workspace_without_installation_is_told_to_install_the_bot(
    bot: WorkspacesBot, slack_api: WorkspacesStandIn
) -> None:
    stranger = WorkspaceSlack(bot.server.port, slack_api, "T0STRANGER")
    assert "is not installed in this workspace" in stranger.reply_to(OWNER, "list")
    assert slack_api.calls("auth.test") == []


# -- each workspace its own --------------------------------------------------------------------


def test_each_workspace_lists_only_its_own_workflows(
    two_workspaces: None,
    first: WorkspaceSlack,
    second: WorkspaceSlack,
    slack_api: WorkspacesStandIn,
) -> None:
    reply = second.reply_to(OTHER, "list")
    assert "Second's review" in reply and "First's review" not in reply
    reply = first.reply_to(OTHER, "list")
    assert "First's review" in reply and "Second's review" not in reply
    # Bolt authorized each request with its own workspace's token.
    assert slack_api.calls_by(SECOND, "auth.test") and slack_api.calls_by(TEAM_ID, "auth.test")


def test_a_workspace_token_is_checked_with_slack_once_not_on_every_request(
    two_workspaces: None, second: WorkspaceSlack, slack_api: WorkspacesStandIn
) -> None:
    before = len(slack_api.calls_by(SECOND, "auth.test"))
    for _ in range(3):
        assert "Second's review" in second.reply_to(OTHER, "list")
    assert len(slack_api.calls_by(SECOND, "auth.test")) - before <= 1


def test_a_workflow_posts_with_its_own_workspaces_token(
    bot: WorkspacesBot, two_workspaces: None, slack_api: WorkspacesStandIn
) -> None:
    _next_occurrence(bot)
    executed = bot.engine().tick()
    assert [status for _, status in executed] == [RunStatus.SUCCEEDED] * 2
    posts = slack_api.calls("chat.postMessage")
    by_channel = {call.params["channel"]: call.token for call in posts}
    assert by_channel == {
        "C0FIRST": slack_api.token_of(TEAM_ID),
        "C0SECOND": slack_api.token_of(SECOND),
    }


# -- uninstalls ------------------------------------------------------------------------------------


def test_an_uninstall_pauses_the_workspaces_workflows_and_nothing_more_is_posted_there(
    bot: WorkspacesBot, two_workspaces: None, second: WorkspaceSlack, slack_api: WorkspacesStandIn
) -> None:
    _next_occurrence(bot)
    engine = bot.engine()
    engine.plan()  # both occurrences are due: a pending run each
    slack_api.uninstall(SECOND)
    assert second.event({"type": "app_uninstalled"}, "EvUNINSTALL").status == 200
    # Event listeners run after Slack got its answer; this one wakes the scheduler once it
    # has forgotten the workspace's tokens and committed the pause.
    bot.wait_for_wakes(1)
    assert _workflow(bot, "Second's review").status == WorkflowStatus.PAUSED
    assert bot.installations is not None
    assert bot.installations.bot_token(SECOND) is None
    assert bot.installations.teams() == [TEAM_ID]
    assert _workflow(bot, "Second's review").next_run_at is None
    assert _workflow(bot, "First's review").status == WorkflowStatus.ACTIVE

    engine.tick()
    bot.clock.advance(timedelta(days=1))
    engine.tick()
    assert slack_api.calls_by(SECOND, "chat.postMessage") == []
    assert len(slack_api.calls_by(TEAM_ID, "chat.postMessage")) == 2
    with transaction(bot.sessions) as session:
        cancelled = session.scalars(
            select(Run).where(Run.status == RunStatus.CANCELLED.value)
        ).one()
        assert cancelled.reason == UNINSTALLED


def test_a_revoked_bot_token_pauses_the_workspaces_workflows(
    bot: WorkspacesBot, two_workspaces: None, second: WorkspaceSlack, slack_api: WorkspacesStandIn
) -> None:
    _next_occurrence(bot)
    engine = bot.engine()
    engine.plan()
    slack_api.uninstall(SECOND)
    event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [BOT_USER_ID]}}
    assert second.event(event, "EvREVOKED").status == 200
    bot.wait_for_wakes(1)  # the listener forgot the tokens and committed the pause
    assert _workflow(bot, "Second's review").status == WorkflowStatus.PAUSED
    assert bot.installations is not None and bot.installations.bot_token(SECOND) is None
    engine.tick()
    assert slack_api.calls_by(SECOND, "chat.postMessage") == []
    assert [run.reason for run in _runs(bot) if run.status == RunStatus.CANCELLED] == [REVOKED]


def test_revoked_user_tokens_leave_the_workflows_running(
    bot: WorkspacesBot, two_workspaces: None, second: WorkspaceSlack, slack_api: WorkspacesStandIn
) -> None:
    # The installer's user token (the bot asks for none, but Slack may name the installer).
    event = {"type": "tokens_revoked", "tokens": {"oauth": [INSTALLER], "bot": []}}
    assert second.event(event, "EvUSERREVOKED").status == 200
    bot.app.listener_runner.listener_executor.shutdown(wait=True)  # the listener is done
    assert _workflow(bot, "Second's review").status == WorkflowStatus.ACTIVE
    assert bot.installations is not None
    assert bot.installations.bot_token(SECOND) == slack_api.token_of(SECOND)


def test_reinstalling_keeps_the_workflows_paused_until_activated(
    bot: WorkspacesBot, two_workspaces: None, second: WorkspaceSlack, slack_api: WorkspacesStandIn
) -> None:
    slack_api.uninstall(SECOND)
    assert second.event({"type": "app_uninstalled"}, "EvUNINSTALL").status == 200
    bot.wait_for_wakes(1)  # the listener forgot the tokens and committed the pause
    assert _workflow(bot, "Second's review").status == WorkflowStatus.PAUSED
    assert second.install().status == 200
    assert "paused" in second.reply_to(OWNER, "list")
    assert "*Second's review* is active" in second.reply_to(OWNER, "activate Second's review")
    _next_occurrence(bot)
    bot.engine().tick()
    assert [c.token for c in slack_api.calls_by(SECOND, "chat.postMessage")] == [
        slack_api.token_of(SECOND)
    ]
    assert len(slack_api.tokens_of(SECOND)) == 2


def _runs(bot: WorkspacesBot) -> list[Run]:
    with transaction(bot.sessions) as session:
        found = list(session.scalars(select(Run)))
        for run in found:
            session.expunge(run)
        return found


@pytest.mark.parametrize("timestamp", ["abc", "NaN", ""])
def test_with_several_workspaces_a_malformed_timestamp_acts_on_nothing(
    first: WorkspaceSlack, slack_api: WorkspacesStandIn, trap: Trap, timestamp: str
) -> None:
    first.install()
    calls_before = len(slack_api.calls())
    form = {**first.command_form(OWNER, "list"), "response_url": trap.url}
    answer = first.send(
        urlencode(form), signature="v0=0", headers={"X-Slack-Request-Timestamp": timestamp}
    )
    assert answer.status == 401
    assert first.reply_to(OWNER, "help")  # anything the refused request set off came first
    assert [c.method for c in slack_api.calls()[calls_before:] if c.method != "auth.test"] == []
    assert len(slack_api.responses()) == 1
    assert trap.received == []
