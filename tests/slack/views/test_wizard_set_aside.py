"""The schedule step's days when "Runs" changes, read as Slack sends the step: a new frequency
starts with no day preset, and the days the old one had come back when it is chosen again,
whatever the schedule and whatever was chosen in between."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.ids import WizardBlock
from bot.slack.views.wizard import read_step
from bot.workflows.schedules import Schedule
from tests.slack.views.state import choose, state_from_blocks
from tests.slack.views.test_wizard import NEW, page, schedules, view_of

FREQUENCIES = ("daily", "weekly", "monthly", "annually", "once")
# The fields that say on which days a schedule runs; the others (times, zone, interval...)
# are the step's whatever the frequency.
DAY_FIELDS = ("weekdays", "month_days", "month_positions", "months", "month", "day", "date")


def switched(document: dict[str, Any], frequency: str) -> dict[str, Any]:
    """The draft document after the user picks ``frequency`` in "Runs" on the step as
    rendered from ``document``."""
    view = view_of(page(2, document))
    values = state_from_blocks(view["blocks"])
    choose(view["blocks"], values, WizardBlock.FREQUENCY, frequency)
    return read_step(2, values, document, {}, 0)


def days(schedule: dict[str, Any]) -> dict[str, Any]:
    return {field: schedule[field] for field in DAY_FIELDS if field in schedule}


@settings(max_examples=40)  # each example renders and reads the step two to four times
@given(schedules(), st.lists(st.sampled_from(FREQUENCIES), min_size=1, max_size=3))
def test_days_come_back_when_the_frequency_is_chosen_again(
    raw: dict[str, Any], between: list[str]
) -> None:
    canonical = Schedule.from_json(raw).to_json()
    document = {**NEW, "schedule": canonical}
    frequency = canonical["frequency"]
    others = [f for f in between if f != frequency] or [
        next(f for f in FREQUENCIES if f != frequency)
    ]

    for other in others:
        document = switched(document, other)
        chosen = [
            document["schedule"].get(f) for f in ("weekdays", "month_days", "month_positions")
        ]
        assert not any(chosen), "no day preset: a new choice would be added to it"
    document = switched(document, frequency)

    assert days(document["schedule"]) == days(canonical)
