"""The wizard's monthly step with days of the month and flexible days together ("the 15th and
the last day"), walked by its labels over real HTTP: chosen by hand, or typed in "Type it",
shown back with both selects filled, previewed as one sentence, and saved as one schedule."""

from __future__ import annotations

from bot.slack.ids import WizardBlock
from tests.slack.e2e.test_wizard_schedule_e2e import (
    _labels,
    block_labelled,
    choose_many,
    pick,
    preview,
    schedule_step,
    stored_schedule,
    texts,
)
from tests.slack.harness import Bot, Modal

__all__ = ["schedule_step"]  # a fixture, used by name

BOTH = "On both, e.g. the 15th and the last day"


def test_the_15th_and_the_last_day_chosen_in_both_selects(schedule_step: Modal, bot: Bot) -> None:
    modal = schedule_step
    pick(modal, "Runs", "Monthly")
    pick(modal, "Which days", BOTH)
    assert {"Days of the month", "Flexible days", "Only in these months"} <= set(_labels(modal))
    choose_many(modal, "Days of the month", "15")
    choose_many(modal, "Flexible days", "last day")
    modal.enter(block_labelled(modal, "Time of day"), "09:00")
    pick(modal, "Which days", BOTH)  # sends the choices above with the action
    assert preview(modal).startswith(
        "*Every month on the 15th and the last day at 09:00 (America/New_York)*"
    )
    assert preview(modal).splitlines()[1:4] == [
        "Next runs:",
        "• Mon 30 Nov 2026 09:00 EST",
        "• Tue 15 Dec 2026 09:00 EST",
    ]
    assert modal.submit().json.get("response_action") == "update"
    assert stored_schedule(bot) == {
        "frequency": "monthly",
        "month_days": [15],
        "month_positions": [{"ordinal": "last", "day": "day"}],
        "time": "09:00",
        "timezone": "America/New_York",
    }


def test_typed_the_15th_and_the_last_day_fills_both_selects(schedule_step: Modal, bot: Bot) -> None:
    modal = schedule_step
    typed = next(
        b["block_id"]
        for b in modal.blocks
        if str(b.get("block_id", "")).startswith(f"{WizardBlock.SCHEDULE_TEXT}.")
    )
    modal.type_and_enter(typed, "the 15th and the last business day at 4pm")
    shown = list(texts(modal.blocks))
    assert BOTH in shown  # the mode chosen
    days = next(b for b in modal.blocks if b.get("label", {}).get("text") == "Days of the month")
    flexible = next(b for b in modal.blocks if b.get("label", {}).get("text") == "Flexible days")
    assert [o["text"]["text"] for o in days["element"]["initial_options"]] == ["15"]
    assert [o["text"]["text"] for o in flexible["element"]["initial_options"]] == [
        "last business day"
    ]
    assert "on the 15th and the last business day at 16:00" in preview(modal)
    assert modal.submit().json.get("response_action") == "update"
    assert stored_schedule(bot)["month_days"] == [15]
