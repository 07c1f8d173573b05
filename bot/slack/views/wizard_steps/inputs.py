"""The Block Kit inputs the wizard's steps are made of, and reading what they hold back
from Slack's view.state.values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.slack.ids import WizardAction
from bot.slack.views.blocks import Block, static_select
from bot.slack.views.editor_inputs import entered

StateValues = Mapping[str, Mapping[str, Any]]


_NOT_SHOWN = object()  # what entered() gives for an input the step's view did not have


def shown(values: StateValues, block_id: str) -> bool:
    """Whether the step's view had the input (Slack sends the state of every input shown)."""
    return entered(values, block_id, _NOT_SHOWN) is not _NOT_SHOWN


def value_of(values: StateValues, block_id: str) -> str | None:
    """The text or option value the input holds; None when it holds none, or is not shown."""
    value = entered(values, block_id, None)
    return value if isinstance(value, str) and value else None


def options_of(values: StateValues, block_id: str) -> list[str] | None:
    """The option values chosen in a multiple choice; None when it is not shown."""
    value = entered(values, block_id, None)
    return strings(value) if isinstance(value, list) else None


def select_block(options: list[dict[str, Any]], current: object, placeholder: str) -> Block:
    """A select that re-renders the step, starting on the option whose value is ``current``."""
    chosen = next((o for o in options if o["value"] == current), None)
    return static_select(
        WizardAction.REFRESH, placeholder=placeholder, options=options, initial_option=chosen
    )


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def as_list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def strings(value: object) -> list[str]:
    return [item for item in as_list(value) if isinstance(item, str)]


def text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def number_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
