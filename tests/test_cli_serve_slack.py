"""``workflow-bot serve`` in HTTP mode as a real process: it adopts what was imported before
Slack was connected, answers signed Slack requests and /healthz, and stops on SIGTERM."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.workspaces import LOCAL_TEAM
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.serve_process import TIMEOUT, Served, serving
from tests.slack.harness import SIGNING_SECRET, Slack
from tests.slack.workspaces import CLIENT_ID, CLIENT_SECRET, WorkspaceSlack
from tests.slack_standin import SlackStandIn, WorkspacesStandIn


@pytest.fixture
def served(
    database_url: str, sessions: sessionmaker[Session], slack_api: SlackStandIn, tmp_path: Path
) -> Iterator[Served]:
    now = datetime.now(UTC)
    import_deals(sessions, [deal("D1", "Acme")], now, LOCAL_TEAM)
    save(sessions, workflow_document(name="Imported before Slack"), now, team=LOCAL_TEAM)
    environment = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": slack_api.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api.url,
    }
    with serving(environment, tmp_path) as running:
        yield running


def test_serve_answers_slack_over_http_and_stops_cleanly(
    served: Served, slack_api: SlackStandIn
) -> None:
    process, port = served.process, served.port
    banner = "".join(served.output)
    assert "now belong to T0STANDIN" in banner
    assert "http mode" in banner
    slack = Slack(port, slack_api)
    assert "Imported before Slack" in slack.reply_to("U0OWNER", "list", timeout=TIMEOUT)
    assert slack.send("payload=%7B%7D", signature="v0=forged").status == 401
    health = slack.get("/healthz")
    assert health.json["database"] == "ok"
    assert health.json["scheduler"]["state"] in ("ok", "starting")
    process.send_signal(signal.SIGTERM)
    rest, _ = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, rest
    assert "Stopping" in rest
    assert "Traceback" not in rest


def test_serve_for_several_workspaces_installs_one_over_oauth_and_answers_it(
    database_url: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    import_deals(sessions, [deal("D1", "Acme")], now, "T0SECOND")
    save(sessions, workflow_document(name="Second's"), now, team="T0SECOND")
    with WorkspacesStandIn(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as slack_api:
        environment = {
            "DATABASE_URL": database_url,
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_api.url,
        }
        with serving(environment, tmp_path) as served:
            process = served.process
            assert "workspaces: none installed yet" in "".join(served.output)
            slack = WorkspaceSlack(served.port, slack_api, "T0SECOND")
            assert slack.install().status == 200
            assert "Second's" in slack.reply_to("U0OWNER", "list", timeout=TIMEOUT)
            assert slack_api.calls_by("T0SECOND", "auth.test")
            process.send_signal(signal.SIGTERM)
            rest, _ = process.communicate(timeout=TIMEOUT)
            assert process.returncode == 0, rest
            assert "Traceback" not in rest
