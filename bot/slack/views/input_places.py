"""Which input of the dialog a location (a path into the draft's document, as Problems carry
it) names, by block id: the one place where the domain's locations meet the wizard's inputs
and the criteria and actions editors' rows. Whether that input is on the view shown, and how
a problem is worded there, stays with the step or editor that shows it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.slack.ids import WizardBlock
from bot.workflows.problems import CRITERIA_KEYS, Location

# The monthly schedule's ways of choosing days (the wizard's "Which days" choice).
MONTHLY_DAYS = "days"
MONTHLY_POSITIONS = "positions"
MONTHLY_BOTH = "both"  # days of the month and flexible days: the dates of each

STEP_ONE_BLOCKS: Mapping[str, str] = {
    "name": WizardBlock.NAME,
    "object_type": WizardBlock.OBJECT_TYPE,
}
SCHEDULE_BLOCKS: Mapping[str, str] = {
    "frequency": WizardBlock.FREQUENCY,
    "weekdays": WizardBlock.WEEKDAYS,
    "month_days": WizardBlock.MONTH_DAYS,
    "month_positions": WizardBlock.MONTH_POSITIONS,
    "month": WizardBlock.MONTH,
    "day": WizardBlock.DAY,
    "date": WizardBlock.DATE,
    "time": WizardBlock.TIME,
    "times": WizardBlock.MORE_TIMES,
    "months": WizardBlock.MONTHS,
    "holidays": WizardBlock.BUSINESS_HOLIDAYS,
    "subdivision": WizardBlock.BUSINESS_SUBDIVISION,
    "timezone": WizardBlock.TIMEZONE,
    "interval": WizardBlock.INTERVAL,
    "start_date": WizardBlock.START_DATE,
    "end_date": WizardBlock.END_DATE,
}
SETTINGS_BLOCKS: Mapping[str, str] = {
    "summary_channel": WizardBlock.SUMMARY_CHANNEL,
    "summary": WizardBlock.SUMMARY,
    "pause_days": WizardBlock.PAUSE_DAYS,
    "holidays": WizardBlock.HOLIDAYS,
    "on_pause_day": WizardBlock.ON_PAUSE_DAY,
    "catch_up_minutes": WizardBlock.CATCH_UP,
    "alert_owner": WizardBlock.ALERT_OWNER,
}


def input_of(location: Location, layout: int, monthly_mode: str | None = None) -> str | None:
    """The block id of the input ``location`` names, or None when no input holds it (the
    whole workflow, a part of it the dialog does not show). ``layout`` is the editors'
    (see criteria_block); ``monthly_mode`` the monthly schedule's way of choosing days,
    which decides the select its days are on."""
    root = location[0] if location else None
    if root in CRITERIA_KEYS:
        assert isinstance(root, str)
        g, f, part = filter_place(location)
        if g is None or f is None:
            return None
        # A filter's operator is in an actions block, where Slack shows no errors.
        return criteria_block(root, layout, g, f, "value" if part == "value" else "property")
    keys = [part for part in location if isinstance(part, str)]
    field = keys[-1] if keys else None
    if root == "actions":
        index = location[1] if len(location) > 1 else None
        if isinstance(index, int) and len(location) > 2 and isinstance(field, str):
            return action_block(index, field, layout)
        return None
    if root == "schedule" and field is not None:
        return _schedule_block(field, monthly_mode)
    if root == "settings" and field is not None:
        return SETTINGS_BLOCKS.get(field)
    return STEP_ONE_BLOCKS.get(str(root))


def _schedule_block(field: str, monthly_mode: str | None) -> str | None:
    if field in ("month_days", "month_positions") and monthly_mode is not None:
        if monthly_mode == MONTHLY_BOTH:  # each on its own select
            return SCHEDULE_BLOCKS[field]
        if monthly_mode == MONTHLY_POSITIONS:
            return WizardBlock.MONTH_POSITIONS
        return WizardBlock.MONTH_DAYS
    return SCHEDULE_BLOCKS.get(field)


def filter_place(location: Location) -> tuple[int | None, int | None, str | None]:
    """Group index, filter index and part of a location in criteria (its root first)."""
    rest = location[1:]
    numbers = [part for part in rest if isinstance(part, int)]
    part = rest[-1] if rest and isinstance(rest[-1], str) else None
    if len(numbers) >= 2:
        return numbers[0], numbers[1], part
    if numbers:
        return numbers[0], 0, part  # a group's problem: beside its first filter
    return None, None, part


def criteria_block(field: str, layout: int, g: int, f: int, part: str) -> str:
    """The block id of one part of filter ``f`` of group ``g``, e.g. criteria.g0.f1.value@3.

    ``layout`` changes whenever rows are added, removed or moved, so that Slack, which keeps
    what was typed in a block whose id it has seen, never shows one row's value in another.
    """
    return f"{field}.g{g}.f{f}.{part}@{layout}"


def action_block(index: int | None, part: str, layout: int) -> str:
    """The block id of input ``part`` of action ``index`` (None: of the editor), e.g.
    actions.a0.text@3. ``layout`` changes whenever actions are added, removed or moved, so
    that Slack, which keeps what was typed in a block whose id it has seen, never shows one
    action's text in another."""
    row = "" if index is None else f"a{index}."
    return f"actions.{row}{part}@{layout}"
