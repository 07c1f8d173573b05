"""Everything manifest.yml promises Slack has a listener that answers over HTTP: each slash
command, message shortcut and bot event gets a 200 and does its work (no 404 "unhandled")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.slack.ids import SLASH_COMMAND
from tests.slack.e2e.conftest import OWNER
from tests.slack.harness import Slack
from tests.slack_standin import BOT_USER_ID, SlackStandIn

MANIFEST = Path(__file__).resolve().parents[3] / "manifest.yml"


def _manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return loaded


def test_every_slash_command_is_answered(slack: Slack) -> None:
    commands = [c["command"] for c in _manifest()["features"]["slash_commands"]]
    assert commands
    for command in commands:
        # A command without a listener gets a 404 from Bolt, and reply_to wants a 200.
        assert f"{SLASH_COMMAND} create" in slack.reply_to(OWNER, "help", command=command)


def test_every_message_shortcut_is_answered(slack: Slack, slack_api: SlackStandIn) -> None:
    message = {"type": "message", "text": "Acme renewal", "user": OWNER, "ts": "1700000000.000100"}
    shortcuts = _manifest()["features"]["shortcuts"]
    for number, shortcut in enumerate(shortcuts, start=1):
        assert shortcut["type"] == "message"
        assert slack.shortcut(OWNER, message, shortcut["callback_id"]).status == 200
        slack_api.wait_for(lambda api, n=number: len(api.calls("views.open")) == n)


def test_every_bot_event_is_answered(slack: Slack, slack_api: SlackStandIn) -> None:
    events = {
        "app_home_opened": {"type": "app_home_opened", "user": OWNER, "tab": "home"},
        "app_uninstalled": {"type": "app_uninstalled"},
        "tokens_revoked": {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [BOT_USER_ID]}},
    }
    for number, name in enumerate(_manifest()["settings"]["event_subscriptions"]["bot_events"]):
        assert slack.event(events[name], f"Ev{number}").status == 200
    slack_api.wait_for(lambda api: len(api.calls("views.publish")) == 1)  # the App Home
