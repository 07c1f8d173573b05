"""``workflow-bot serve --role web`` with WEB_WORKERS: several worker processes answer
Slack's signed requests on one port, each with its own app and database pool, and the
whole stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings, SettingsError
from bot.workflows.workspaces import LOCAL_TEAM
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.serve_process import TIMEOUT, serving
from tests.slack.harness import SIGNING_SECRET, Slack
from tests.slack_standin import SlackStandIn

WORKERS = 2


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def test_web_workers_answer_slack_in_several_processes_and_stop_on_sigterm(
    database_url: str, sessions: sessionmaker[Session], slack_api: SlackStandIn, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    # Imported before Slack: serve moves it into the stand-in's workspace before forking.
    import_deals(sessions, [deal("D1", "Acme")], now, LOCAL_TEAM)
    save(sessions, workflow_document(name="Served by workers"), now, team=LOCAL_TEAM)
    environment = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": slack_api.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api.url,
        "WEB_WORKERS": str(WORKERS),
    }
    with serving(environment, tmp_path, "--role", "web") as served:
        process, output = served.process, served.output
        assert output and output[-1].startswith("Listening on port"), "".join(output)
        assert f"({WORKERS} worker processes)" in output[-1]
        slack = Slack(served.port, slack_api)
        for _ in range(4):  # new connections each: the workers take them in turn
            reply = slack.reply_to("U0OWNER", "list", timeout=TIMEOUT)
            assert "Served by workers" in reply
        assert slack.send("payload=%7B%7D", signature="v0=forged").status == 401
        assert slack.get("/healthz").json["database"] == "ok"
        assert len(children(process.pid)) == WORKERS
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, rest
    assert "Stopped." in rest
    assert "Traceback" not in rest


@pytest.mark.parametrize("value", ["0", "many", "65"])
def test_web_workers_must_be_a_number_of_processes(value: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_environment({"WEB_WORKERS": value}, dotenv=None, working_directory=Path("/"))
    assert error.value.problems == [
        f"WEB_WORKERS={value!r} is not a number of processes: use 1 to 64 (about 2 per CPU core)"
    ]
