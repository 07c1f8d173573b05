"""The workflow setting on_stale_source: what a run does when the source feeding its type
cannot be synced first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.workflows.definitions import (
    InvalidDefinition,
    StaleSourceBehaviour,
    parse_definition,
    to_document,
)
from bot.workflows.vocabulary import PropertyType

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def document(**settings: Any) -> dict[str, Any]:
    return {
        "name": "Deal review",
        "object_type": "deals",
        "status": "active",
        "owner": "U0123ABCD",
        "schedule": {"frequency": "daily", "time": "09:00"},
        "criteria": {},
        "actions": [{"type": "send_channel_message", "channel": "C0123ABCD", "text": "hi"}],
        "settings": settings,
    }


def parse(data: dict[str, Any]) -> Any:
    types = {"stage": PropertyType.STRING}
    return parse_definition(data, types, ("deals",), "UTC", NOW).definition


def test_a_run_goes_on_with_the_data_it_has_unless_told_to_wait() -> None:
    assert parse(document()).settings.on_stale_source is StaleSourceBehaviour.RUN
    waiting = parse(document(on_stale_source="postpone")).settings
    assert waiting.on_stale_source is StaleSourceBehaviour.POSTPONE


def test_the_setting_is_written_back_only_when_it_was_chosen() -> None:
    assert "on_stale_source" not in to_document(parse(document()))["settings"]
    written = to_document(parse(document(on_stale_source="postpone")))["settings"]
    assert written["on_stale_source"] == "postpone"


def test_another_value_is_refused_with_the_choices() -> None:
    with pytest.raises(InvalidDefinition) as refused:
        parse(document(on_stale_source="later"))
    [problem] = refused.value.messages
    assert problem.startswith("settings.on_stale_source: ")
    assert "run or postpone" in problem
