"""A location names one input of the dialog, in one place: the wizard's own inputs, a
filter's row in the criteria editors and an action's input in the actions editor."""

from __future__ import annotations

import pytest

from bot.slack.ids import WizardBlock
from bot.slack.views.input_places import (
    MONTHLY_BOTH,
    MONTHLY_DAYS,
    MONTHLY_POSITIONS,
    input_of,
)
from bot.workflows.problems import Location

LAYOUT = 3


@pytest.mark.parametrize(
    ("location", "monthly_mode", "block"),
    [
        (("name",), None, WizardBlock.NAME),
        (("object_type",), None, WizardBlock.OBJECT_TYPE),
        (("schedule", "time"), None, WizardBlock.TIME),
        (("schedule", "times", 1), None, WizardBlock.MORE_TIMES),
        (("schedule", "month_days"), MONTHLY_DAYS, WizardBlock.MONTH_DAYS),
        # Flexible days only: the step shows their select alone, days of the month go there.
        (("schedule", "month_days"), MONTHLY_POSITIONS, WizardBlock.MONTH_POSITIONS),
        (("schedule", "month_positions"), MONTHLY_DAYS, WizardBlock.MONTH_DAYS),
        (("schedule", "month_positions"), MONTHLY_BOTH, WizardBlock.MONTH_POSITIONS),
        (("schedule", "month_days"), MONTHLY_BOTH, WizardBlock.MONTH_DAYS),
        (("settings", "pause_days", 1), None, WizardBlock.PAUSE_DAYS),
        (("settings", "holidays"), None, WizardBlock.HOLIDAYS),
        (("criteria", 0, 1, "value"), None, "criteria.g0.f1.value@3"),
        # The operator select is in an actions block, where Slack shows no errors.
        (("criteria", 0, 1, "operator"), None, "criteria.g0.f1.property@3"),
        (("suppression", 2), None, "suppression.g2.f0.property@3"),
        (("actions", 2, "due_in_days"), None, "actions.a2.due_in_days@3"),
    ],
)
def test_a_location_names_its_input(
    location: Location, monthly_mode: str | None, block: str
) -> None:
    assert input_of(location, LAYOUT, monthly_mode) == block


@pytest.mark.parametrize(
    "location",
    [(), ("owner",), ("status",), ("criteria",), ("actions",), ("actions", 0), ("settings",)],
)
def test_a_location_no_input_holds_names_none(location: Location) -> None:
    assert input_of(location, LAYOUT) is None
