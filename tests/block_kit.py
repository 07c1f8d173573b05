"""Checks that what the bot sends Slack is valid Block Kit: the public JSON schema of Block
Kit surfaces and slack_sdk's own models (which enforce Slack's length limits)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

# Copies of the public schemas, kept with the tests so a clean clone validates alone.
SCHEMAS = Path(__file__).resolve().parent / "schemas"
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100


@cache
def _schema() -> dict[str, Any]:
    """The Block Kit schema, read and parsed once, on first use."""
    schema: dict[str, Any] = json.loads((SCHEMAS / "slack-block-kit.schema.json").read_text())
    return schema


@cache
def _validator(definition: str | None) -> jsonschema.Draft202012Validator:
    """One compiled validator per surface: building one takes far longer than using it."""
    schema = _schema()
    if definition is not None:
        schema = {
            **{
                k: v
                for k, v in schema.items()
                if k not in ("type", "items", "minItems", "maxItems")
            },
            "$ref": f"#/$defs/{definition}",
        }
    return jsonschema.Draft202012Validator(schema)


def _validate(instance: object, definition: str | None) -> None:
    error = jsonschema.exceptions.best_match(_validator(definition).iter_errors(instance))
    if error is not None:
        raise error


def _validate_blocks(blocks: Sequence[Mapping[str, Any]], limit: int) -> None:
    """Each block against the schema of its own type: the schema's union of every block
    type says the same, but checks each block against all of them (far slower)."""
    assert 1 <= len(blocks) <= limit, f"{len(blocks)} blocks; Slack takes 1 to {limit}"
    for block in blocks:
        definition = f"{block.get('type')}_block"
        assert definition in _schema()["$defs"], f"unknown block type {block.get('type')!r}"
        _validate(dict(block), definition)


def assert_valid_view(view: Mapping[str, Any]) -> None:
    """A modal or Home tab view, as passed to views.open/update/push/publish."""
    kind = view.get("type")
    assert kind in ("modal", "home"), f"unknown view type {kind!r}"
    blocks = list(view.get("blocks") or [])
    # The view's own fields, with one stand-in block; the blocks one by one below.
    _validate({**view, "blocks": [{"type": "divider"}]}, f"{kind}_view")
    if kind == "modal" and any(b.get("type") == "input" for b in blocks):
        assert "submit" in view, "a modal with input blocks needs a submit button"
    _validate_blocks(blocks, MAX_VIEW_BLOCKS)
    View(**dict(view)).validate_json()


def assert_valid_blocks(blocks: Sequence[Mapping[str, Any]]) -> None:
    """The blocks of a message (chat.postMessage, chat.postEphemeral, response_url)."""
    _validate_blocks(blocks, MAX_MESSAGE_BLOCKS)
    for block in Block.parse_all(list(blocks)):
        block.validate_json()
