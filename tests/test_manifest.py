"""manifest.yml: valid for Slack, its scopes those the README explains, and its command,
shortcuts and events exactly the ids the bot defines in bot/slack/ids.py."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from bot.slack.ids import SLASH_COMMAND, Event, Shortcut
from bot.slack.installations import BOT_SCOPES, REDIRECT_PATH

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "manifest.yml"
README = ROOT / "README.md"
# A copy of Slack's public app manifest schema, kept with the tests so a clean clone validates.
SCHEMA = Path(__file__).resolve().parent / "schemas" / "slack-app-manifest.schema.json"
SCOPES_TABLE_TITLE = "**Bot scopes.**"
EVENTS_PATH = "/slack/events"


@cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA.read_text())
    return schema


def _manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return manifest


def _errors(manifest: dict[str, Any]) -> list[jsonschema.ValidationError]:
    schema = _schema()
    validator_class = jsonschema.validators.validator_for(
        schema, default=jsonschema.Draft7Validator
    )
    validator_class.check_schema(schema)
    return list(validator_class(schema).iter_errors(manifest))


def _readme_scopes() -> list[str]:
    """The first column of the table that follows the README's scopes paragraph."""
    lines = README.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(SCOPES_TABLE_TITLE))
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            if rows:
                break
            continue
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    header, separator, *body = rows
    assert header[0] == "scope" and set(separator[0]) <= set("-: ")
    scopes = []
    for cells in body:
        match = re.fullmatch(r"`([a-z.:]+)`", cells[0])
        assert match, f"the README's scope cell {cells[0]!r} is not one `scope`"
        assert cells[1], f"the README gives no reason for {cells[0]}"
        scopes.append(match.group(1))
    return scopes


def test_the_manifest_is_a_valid_slack_app_manifest() -> None:
    assert [error.message for error in _errors(_manifest())] == []


def _add_unknown_top_level_key(manifest: dict[str, Any]) -> None:
    manifest["unknown_section"] = {}


def _drop_the_slash_of_the_command(manifest: dict[str, Any]) -> None:
    command = manifest["features"]["slash_commands"][0]
    command["command"] = command["command"].lstrip("/")


@pytest.mark.parametrize(
    ("breaks", "keyword"),
    [
        (_add_unknown_top_level_key, "additionalProperties"),
        # Checked through two $refs: proves the schema's definitions are resolved.
        (_drop_the_slash_of_the_command, "pattern"),
    ],
)
def test_the_schema_check_rejects_a_manifest_slack_would_refuse(
    breaks: Callable[[dict[str, Any]], None], keyword: str
) -> None:
    manifest = copy.deepcopy(_manifest())
    breaks(manifest)
    assert [error.validator for error in _errors(manifest)] == [keyword]


def test_the_background_color_is_a_hex_color() -> None:
    # The schema states this with "regex", which is no JSON Schema keyword: nothing checks it.
    color = _manifest()["display_information"]["background_color"]
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", color)


def test_the_bot_scopes_are_exactly_those_the_readme_explains() -> None:
    scopes = _manifest()["oauth_config"]["scopes"]["bot"]
    readme_scopes = _readme_scopes()
    assert len(set(readme_scopes)) == len(readme_scopes), "a scope is listed twice in the README"
    assert sorted(scopes) == sorted(readme_scopes)


def test_an_install_asks_for_exactly_the_manifests_bot_scopes() -> None:
    assert sorted(BOT_SCOPES) == sorted(_manifest()["oauth_config"]["scopes"]["bot"])
    assert len(set(BOT_SCOPES)) == len(BOT_SCOPES)


def test_the_redirect_url_is_the_bots_oauth_redirect_path() -> None:
    urls = _manifest()["oauth_config"]["redirect_urls"]
    assert [urlsplit(url).path for url in urls] == [REDIRECT_PATH]


def test_the_manifest_asks_for_no_user_scopes() -> None:
    assert set(_manifest()["oauth_config"]["scopes"]) == {"bot"}


def test_the_slash_command_is_the_bots_only_command() -> None:
    commands = [c["command"] for c in _manifest()["features"]["slash_commands"]]
    assert commands == [SLASH_COMMAND]


def test_the_shortcuts_are_exactly_the_bots_shortcut_ids() -> None:
    callback_ids = [s["callback_id"] for s in _manifest()["features"]["shortcuts"]]
    assert sorted(callback_ids) == sorted(Shortcut)


def test_the_bot_events_are_exactly_the_bots_event_ids() -> None:
    events = _manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(events) == sorted(Event)


def test_every_request_url_is_the_bots_events_endpoint() -> None:
    # The README tells HTTP-mode users to replace the host of these four URLs, nothing else.
    manifest = _manifest()
    urls = [
        *(c["url"] for c in manifest["features"]["slash_commands"]),
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
        manifest["settings"]["interactivity"]["message_menu_options_url"],
    ]
    assert len(urls) == 4
    assert all(url.startswith("https://") and url.endswith(EVENTS_PATH) for url in urls)
