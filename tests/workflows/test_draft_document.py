"""The draft document's parts as its readers give them: a part only when it is a JSON object,
and the items of the actions as a hand-written file left them."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from bot.workflows.draft_document import (
    DraftDocument,
    actions_of,
    criteria_of,
    is_action,
    schedule_of,
    set_aside_of,
    settings_of,
)

# Written by hand: not every part is what the wizard writes there.
HAND_WRITTEN: dict[str, Any] = {
    "schedule": "every monday",
    "criteria": ["stage is won"],
    "suppression": MappingProxyType({"any": []}),  # a mapping, but no JSON object
    "settings": 7,
    "actions": ["send_owner_dm", 3, None, {"type": "send_owner_dm", "text": "Hi"}],
    "set_aside": {"schedule": "weekly"},
}


def test_a_part_that_is_no_json_object_is_read_as_empty() -> None:
    document: DraftDocument = HAND_WRITTEN  # type: ignore[assignment]

    assert schedule_of(document) == {}
    assert criteria_of(document, "criteria") == {}
    assert criteria_of(document, "suppression") == {}
    assert settings_of(document) == {}
    assert set_aside_of(document) == {}


def test_the_actions_keep_every_item_and_say_which_are_actions() -> None:
    document: DraftDocument = HAND_WRITTEN  # type: ignore[assignment]

    items = actions_of(document)

    assert items == HAND_WRITTEN["actions"] and items is not HAND_WRITTEN["actions"]
    assert [is_action(item) for item in items] == [False, False, False, True]
