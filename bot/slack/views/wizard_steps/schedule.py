"""Wizard step 2, the schedule: its inputs (chosen or typed as a sentence), the preview of
the sentence and next runs, reading them back and placing their problems.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from bot.slack.ids import WizardAction, WizardBlock
from bot.slack.views.blocks import (
    MODAL_BLOCKS,
    SELECT_OPTIONS,
    Block,
    checkboxes,
    context,
    cut,
    datepicker,
    fits_option_value,
    input_block,
    multi_static_select,
    number_input,
    option,
    option_group,
    plain_text_input,
    radio_buttons,
    section,
    static_select,
    timepicker,
)
from bot.slack.views.editor_inputs import fits_input, kept_as_it_is, typed_list
from bot.slack.views.input_places import MONTHLY_BOTH, MONTHLY_DAYS, MONTHLY_POSITIONS
from bot.slack.views.phrases import when
from bot.slack.views.places import zone_choices
from bot.slack.views.wizard_steps.inputs import (
    StateValues,
    as_list,
    is_int,
    number_or_none,
    options_of,
    select_block,
    shown,
    strings,
    text_or_none,
    value_of,
)
from bot.slack.views.wizard_steps.placing import (
    MAX_ERROR_CHARS,
    Placed,
    own_inputs,
    place_on,
    warnings_block,
)
from bot.slack.views.wizard_steps.settings import NO_HOLIDAYS, holidays_select
from bot.workflows.definitions import supported_countries
from bot.workflows.draft_document import (
    SET_ASIDE,
    DraftDocument,
    MonthPositionDocument,
    NumberAsTyped,
    ScheduleDocument,
    schedule_of,
    set_aside_of,
)
from bot.workflows.drafts import (
    SchedulePreview,
    WizardPage,
    WizardStep,
)
from bot.workflows.problems import Problem
from bot.workflows.property_labels import NO_LABELS, PropertyLabels
from bot.workflows.schedule_phrases import PhraseNotUnderstood, parse_phrase
from bot.workflows.schedules import (
    DAY_NAMES,
    MAX_INTERVAL,
    MONTH_NAMES,
    WEEKDAYS,
    InvalidSchedule,
    Ordinal,
    PositionDay,
    holiday_subdivision_names,
    parse_schedule,
)
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.vocabulary import PropertyType

MAX_SCHEDULE_TEXT = 200  # the schedule step's "Type it"


FREQUENCIES = (
    ("daily", "Daily"),
    ("weekly", "Weekly"),
    ("monthly", "Monthly"),
    ("annually", "Annually"),
    ("once", "Once"),
)


UNITS = {"daily": "days", "weekly": "weeks", "monthly": "months", "annually": "years"}


# The schedule's fields that say on which days it runs: set aside when a new choice of
# "Runs" or "Which days" leaves them out, restored when it is chosen again.
_DayField = Literal["weekdays", "month_days", "month_positions", "months", "month", "day", "date"]
_DAY_FIELDS: tuple[_DayField, ...] = (
    "weekdays",
    "month_days",
    "month_positions",
    "months",
    "month",
    "day",
    "date",
)
_DATE_INPUTS: tuple[tuple[str, Literal["start_date", "end_date"]], ...] = (
    (WizardBlock.START_DATE, "start_date"),
    (WizardBlock.END_DATE, "end_date"),
)


POSITION_DAY_NAMES = {
    "day": "day",
    "weekday": "weekday (Mon to Fri)",
    "business_day": "business day",
} | {day.value: DAY_NAMES[index] for index, day in enumerate(WEEKDAYS)}


def render(page: WizardPage) -> list[Block]:
    schedule = schedule_of(page.document)
    frequency = schedule.get("frequency")
    blocks = [_schedule_text_input(page.layout), _frequency_input(frequency)]
    if frequency == "weekly":
        blocks.append(_weekdays_input(schedule))
    elif frequency == "monthly":
        blocks += _monthly_inputs(schedule)
    elif frequency == "annually":
        blocks += _annual_inputs(schedule)
    elif frequency == "once":
        blocks.append(_date_input(WizardBlock.DATE, "Date", schedule.get("date"), optional=False))
    times = _times_of(schedule)
    blocks.append(_time_input(times[0] if times else None))
    blocks.append(_more_times_input(times[1:]))
    blocks.append(_timezone_input(schedule.get("timezone")))
    if frequency in UNITS:
        blocks.append(_interval_input(schedule.get("interval"), UNITS[str(frequency)]))
        blocks.append(_date_input(WizardBlock.START_DATE, "Start date", schedule.get("start_date")))
        blocks.append(_date_input(WizardBlock.END_DATE, "End date", schedule.get("end_date")))
    blocks += _schedule_preview_blocks(page.schedule, page.document)
    return blocks


def _frequency_input(frequency: object) -> Block:
    options = [option(text, value) for value, text in FREQUENCIES]
    element = select_block(options, frequency, "How often")
    return input_block("Runs", element, block_id=WizardBlock.FREQUENCY, dispatch_action=True)


def _weekdays_input(schedule: ScheduleDocument) -> Block:
    options = [option(DAY_NAMES[i], day.value) for i, day in enumerate(WEEKDAYS)]
    chosen = strings(schedule.get("weekdays"))
    initial = [o for o in options if o["value"] in chosen]
    element = checkboxes(WizardAction.REFRESH, options, initial_options=initial)
    return input_block("On", element, block_id=WizardBlock.WEEKDAYS, dispatch_action=True)


def _monthly_inputs(schedule: ScheduleDocument) -> list[Block]:
    mode = _monthly_mode(schedule)
    modes = [
        option("On days of the month, e.g. the 1st and 15th", MONTHLY_DAYS),
        option("On a flexible day, e.g. the last weekday", MONTHLY_POSITIONS),
        option("On both, e.g. the 15th and the last day", MONTHLY_BOTH),
    ]
    radio = radio_buttons(
        WizardAction.REFRESH, modes, initial_option=next(o for o in modes if o["value"] == mode)
    )
    blocks = [
        input_block("Which days", radio, block_id=WizardBlock.MONTHLY_MODE, dispatch_action=True)
    ]
    if mode == MONTHLY_BOTH:
        blocks.append(_month_days_input(schedule, "Days of the month"))
        blocks.append(_month_positions_input(schedule, "Flexible days"))
    elif mode == MONTHLY_DAYS:
        blocks.append(_month_days_input(schedule, "Days"))
    else:
        blocks.append(_month_positions_input(schedule, "Days"))
    blocks.append(_months_input(schedule))
    if mode != MONTHLY_DAYS and _counts_business_days(schedule.get("month_positions")):
        blocks += _business_holidays_inputs(schedule)
    return blocks


def _month_days_input(schedule: ScheduleDocument, label: str) -> Block:
    options = [option(str(day), str(day)) for day in range(1, 32)]
    chosen = {str(day) for day in as_list(schedule.get("month_days"))}
    element = multi_static_select(
        WizardAction.REFRESH,
        placeholder="Choose days",
        options=options,
        initial_options=[o for o in options if o["value"] in chosen],
    )
    hint = "A day a month does not have (e.g. the 31st) is skipped that month, never moved."
    return input_block(
        label, element, block_id=WizardBlock.MONTH_DAYS, dispatch_action=True, hint=hint
    )


def _month_positions_input(schedule: ScheduleDocument, label: str) -> Block:
    groups: list[Block] = []
    for ordinal in Ordinal:
        words = ordinal.value.replace("_", " ")
        group = [
            option(f"{words} {POSITION_DAY_NAMES[day.value]}", _position_value(ordinal, day))
            for day in PositionDay
        ]
        groups.append(option_group(words.capitalize(), group))
    chosen = {
        _position_value(p.get("ordinal"), p.get("day"))
        for p in as_list(schedule.get("month_positions"))
        if isinstance(p, Mapping)
    }
    element = multi_static_select(
        WizardAction.REFRESH,
        placeholder="e.g. last weekday",
        option_groups=groups,
        initial_options=[o for g in groups for o in g["options"] if o["value"] in chosen],
    )
    hint = (
        "A weekday is Monday to Friday; a business day too, except the public holidays "
        "chosen below; a day is any day of the month. A month without a fifth one is skipped."
    )
    return input_block(
        label, element, block_id=WizardBlock.MONTH_POSITIONS, dispatch_action=True, hint=hint
    )


def _counts_business_days(positions: object) -> bool:
    """Whether a business day is among the positions: only then is there a holiday calendar
    to choose (the schedule refuses one that no position uses)."""
    return any(
        isinstance(p, Mapping) and p.get("day") == PositionDay.BUSINESS_DAY
        for p in as_list(positions)
    )


def _months_input(schedule: ScheduleDocument) -> Block:
    options = [option(name, str(number)) for number, name in enumerate(MONTH_NAMES, start=1)]
    chosen = {str(month) for month in as_list(schedule.get("months"))}
    element = multi_static_select(
        WizardAction.REFRESH,
        placeholder="Every month",
        options=options,
        initial_options=[o for o in options if o["value"] in chosen],
    )
    hint = "Leave it empty to run every month; e.g. January, April, July and October: quarterly."
    return input_block(
        "Only in these months",
        element,
        block_id=WizardBlock.MONTHS,
        dispatch_action=True,
        optional=True,
        hint=hint,
    )


def _business_holidays_inputs(schedule: ScheduleDocument) -> list[Block]:
    """Whose public holidays are not business days, and for a country with regions, which
    region's: these only move business days, unlike the pause days of the settings step."""
    country = schedule.get("holidays")
    element = holidays_select(country)
    element["action_id"] = WizardAction.REFRESH
    hint = (
        "Business days skip these public holidays. To pause runs on holidays instead, "
        "use the settings step."
    )
    label = "Business days skip the public holidays of"
    blocks = [
        input_block(
            label, element, block_id=WizardBlock.BUSINESS_HOLIDAYS, dispatch_action=True, hint=hint
        )
    ]
    known = isinstance(country, str) and country in supported_countries()
    regions = holiday_subdivision_names(country) if known else {}
    if regions:
        blocks.append(_subdivision_input(regions, schedule.get("subdivision")))
    return blocks


def _subdivision_input(regions: Mapping[str, str], current: object) -> Block:
    whole = option("The whole country", NO_HOLIDAYS)
    named = sorted((name, code) for code, name in regions.items())
    shown = [option(code if name == code else f"{name} ({code})", code) for name, code in named]
    options = [whole, *shown]
    chosen = next((o for o in options if o["value"] == current), whole)
    groups = None
    if len(options) > SELECT_OPTIONS:  # Slack shows 100 options a group; Italy has more
        chunks = [options[i : i + SELECT_OPTIONS] for i in range(0, len(options), SELECT_OPTIONS)]
        groups = [
            option_group(f"{_initial(chunk[1 if n == 0 else 0])} to {_initial(chunk[-1])}", chunk)
            for n, chunk in enumerate(chunks)
        ]
    element = static_select(
        WizardAction.REFRESH,
        placeholder="The whole country",
        options=None if groups else options,
        option_groups=groups,
        initial_option=chosen,
    )
    hint = "A region's own public holidays are skipped too."
    return input_block(
        "Region",
        element,
        block_id=WizardBlock.BUSINESS_SUBDIVISION,
        dispatch_action=True,
        hint=hint,
    )


def _initial(region: Mapping[str, Any]) -> str:
    """The first letter of a region option's name, for the labels of its groups ("A to M")."""
    return str(region["text"]["text"])[:1]


def _monthly_mode(schedule: ScheduleDocument) -> str:
    if "month_positions" in schedule:
        return MONTHLY_BOTH if "month_days" in schedule else MONTHLY_POSITIONS
    return MONTHLY_DAYS


def _position_value(ordinal: object, day: object) -> str:
    return f"{ordinal}:{day}"  # StrEnum members format as their value


def _annual_inputs(schedule: ScheduleDocument) -> list[Block]:
    months = [option(name, str(number)) for number, name in enumerate(MONTH_NAMES, start=1)]
    days = [option(str(day), str(day)) for day in range(1, 32)]
    month = select_block(months, text_or_none(schedule.get("month")), "Month")
    day = select_block(days, text_or_none(schedule.get("day")), "Day")
    return [
        input_block("Month", month, block_id=WizardBlock.MONTH, dispatch_action=True),
        input_block("Day", day, block_id=WizardBlock.DAY, dispatch_action=True),
    ]


def _time_input(value: object) -> Block:
    valid = isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value)
    element = timepicker(WizardAction.REFRESH, initial_time=str(value) if valid else None)
    return input_block("Time of day", element, block_id=WizardBlock.TIME, dispatch_action=True)


def _times_of(schedule: ScheduleDocument) -> list[str]:
    """The schedule's times as the draft holds them: ``time``, or the list ``times``."""
    if "times" in schedule:
        return [str(t) for t in as_list(schedule.get("times"))]
    time = schedule.get("time")
    return [] if time is None else [str(time)]


def _more_times_input(more: Sequence[str]) -> Block:
    label, typed = "More times of day", typed_list(more)
    if not fits_input(typed):
        return kept_as_it_is(label, WizardBlock.MORE_TIMES)
    element = plain_text_input(
        WizardAction.REFRESH, placeholder="e.g. 12:00, 16:30", initial_value=typed
    )
    hint = (
        "Each time is a run of its own: write HH:MM on a 24-hour clock, separated by commas; "
        "press Enter to update."
    )
    return input_block(
        label,
        element,
        block_id=WizardBlock.MORE_TIMES,
        dispatch_action=True,
        optional=True,
        hint=hint,
    )


def _timezone_input(value: object) -> Block:
    groups = timezone_groups(value if isinstance(value, str) else None)
    element = static_select(
        WizardAction.REFRESH,
        placeholder="Choose a time zone",
        option_groups=groups,
        initial_option=next((o for g in groups for o in g["options"] if o["value"] == value), None),
    )
    hint = "The time of day is in this zone; daylight saving time is followed."
    return input_block(
        "Time zone", element, block_id=WizardBlock.TIMEZONE, dispatch_action=True, hint=hint
    )


def timezone_groups(current: str | None) -> list[Block]:
    """The time zone select's option groups: common zones by region, plus ``current``."""
    return [
        option_group(label, [option(zone, zone) for zone in zones])
        for label, zones in zone_choices(current)
        if all(fits_option_value(zone) for zone in zones)
    ]


def _interval_input(value: object, unit: str) -> Block:
    element = number_input(
        WizardAction.REFRESH,
        min_value=1,
        max_value=MAX_INTERVAL,
        initial_value=str(value) if is_int(value) else "1",
    )
    hint = f"1 runs every {unit[:-1]}, 2 every other {unit[:-1]}; press Enter to update."
    return input_block(
        f"Repeat every how many {unit}",
        element,
        block_id=WizardBlock.INTERVAL,
        dispatch_action=True,
        optional=True,
        hint=hint,
    )


def _date_input(block_id: str, label: str, value: object, optional: bool = True) -> Block:
    valid = isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
    element = datepicker(WizardAction.REFRESH, initial_date=str(value) if valid else None)
    return input_block(label, element, block_id=block_id, dispatch_action=True, optional=optional)


def _schedule_preview_blocks(
    preview: SchedulePreview | None, document: DraftDocument
) -> list[Block]:
    if preview is None:
        return []
    if preview.sentence is None:
        lines = [_schedule_wording(p, document) for p in preview.problems]
        text = "*Not a schedule yet:*\n" + "\n".join(f"• {escape_mrkdwn(line)}" for line in lines)
        return [section(text, block_id=WizardBlock.SCHEDULE_PREVIEW)]
    runs = "\n".join(f"• {when(at)}" for at in preview.next_runs) or "• none"
    text = f"*{escape_mrkdwn(preview.sentence)}*\nNext runs:\n{runs}"
    return [section(text, block_id=WizardBlock.SCHEDULE_PREVIEW), *warnings_block(preview.warnings)]


def _schedule_wording(problem: Problem, document: DraftDocument) -> str:
    """A schedule's problem (located in the schedule) in the words of the schedule step."""
    return place(problem.under("schedule"), document, 0, NO_LABELS)[1]


def _schedule_text_input(layout: int) -> Block:
    element = plain_text_input(
        WizardAction.TYPE_SCHEDULE,
        placeholder="e.g. every other Tuesday at 9am",
        max_length=MAX_SCHEDULE_TEXT,
        dispatch_on=["on_enter_pressed"],
    )
    hint = "Press Enter: the fields below are filled in from it, with the next runs."
    block_id = f"{WizardBlock.SCHEDULE_TEXT}.{layout}"
    return input_block(
        "Type it", element, block_id=block_id, dispatch_action=True, optional=True, hint=hint
    )


def typed_schedule_text(values: StateValues) -> tuple[str, str] | None:
    """The block id and text of the schedule step's "Type it" input, when it holds text."""
    for block_id in values:
        if block_id.startswith(f"{WizardBlock.SCHEDULE_TEXT}."):
            text = (value_of(values, block_id) or "").strip()
            return (block_id, text) if text else None
    return None


def typed_schedule_errors(
    values: StateValues, default_timezone: str, now: datetime
) -> dict[str, str]:
    """The "Type it" input's problem, as response_action "errors": text that is not a
    schedule, or one the schedule check refuses; empty when it is empty or fine."""
    typed = typed_schedule_text(values)
    if typed is None:
        return {}
    block_id, text = typed
    try:
        parse_schedule(parse_phrase(text, default_timezone), default_timezone, now)
    except PhraseNotUnderstood as error:
        return {block_id: cut(error.message, MAX_ERROR_CHARS)}
    except InvalidSchedule as error:
        # Worded by the fields the text would fill in, as the step shows them.
        messages = [_schedule_wording(p, {}) for p in error.problems]
        return {block_id: cut("\n".join(messages), MAX_ERROR_CHARS)}
    return {}


def schedule_text_not_understood(values: StateValues) -> tuple[str, str] | None:
    """The text typed in "Type it" and why it is not a schedule, when it is not one."""
    typed = typed_schedule_text(values)
    if typed is None:
        return None
    try:
        parse_phrase(typed[1], None)
    except PhraseNotUnderstood as error:
        return typed[1], error.message
    return None


def with_schedule_text_problem(view: Mapping[str, Any], text: str, problem: str) -> dict[str, Any]:
    """The schedule step's view with ``text`` kept in its "Type it" input and ``problem``
    under it: a dispatched action cannot answer with errors beside an input."""
    shown = copy.deepcopy(dict(view))
    blocks = shown["blocks"]
    for index, block in enumerate(blocks):
        if str(block.get("block_id", "")).startswith(f"{WizardBlock.SCHEDULE_TEXT}."):
            block["element"]["initial_value"] = text[:MAX_SCHEDULE_TEXT]
            blocks.insert(index + 1, context(f"⚠️ {escape_mrkdwn(problem)}"))
            shown["blocks"] = blocks[:MODAL_BLOCKS]
            break
    return shown


def _typed_schedule(values: StateValues, read: ScheduleDocument) -> ScheduleDocument | None:
    """The schedule typed in "Type it", in the zone of the schedule's fields unless it names
    one; None when none is typed or the text is not a schedule (typed_schedule_errors)."""
    typed = typed_schedule_text(values)
    if typed is None:
        return None
    zone = read.get("timezone")
    try:
        return parse_phrase(typed[1], zone if isinstance(zone, str) else None)
    except PhraseNotUnderstood:
        return None


def read_inputs(
    updated: DraftDocument,
    values: StateValues,
    document: DraftDocument,
    properties: Mapping[str, PropertyType],
    layout: int,
) -> None:
    old = schedule_of(document)
    aside = set_aside_of(document).get("schedule", {})
    read = _read_schedule(values, old, aside)
    schedule = _typed_schedule(values, read) or read
    updated["schedule"] = schedule
    left: ScheduleDocument = {}
    for name in _DAY_FIELDS:
        if name in old and name not in schedule:
            left[name] = old[name]
    if left:
        updated[SET_ASIDE] = {**set_aside_of(document), "schedule": {**aside, **left}}


def _read_schedule(
    values: StateValues, old: ScheduleDocument, aside: ScheduleDocument
) -> ScheduleDocument:
    """The schedule the step's inputs show. Days a new choice (of "Runs" or "Which days")
    has no input for yet come back from ``aside``, where a change set them aside, or start
    empty: a preset chip would stay beside the day picked next ("the first Monday and the
    last day") unless the user removed it."""
    frequency = value_of(values, WizardBlock.FREQUENCY) or old.get("frequency")
    # What the view showed belongs to the old frequency when the user just changed it.
    same = frequency == old.get("frequency")
    earlier = old if same else aside
    schedule: ScheduleDocument = {"frequency": frequency} if frequency is not None else {}
    if frequency == "weekly":
        weekdays = options_of(values, WizardBlock.WEEKDAYS)
        if weekdays is None:
            weekdays = strings(earlier.get("weekdays"))
        schedule["weekdays"] = [d.value for d in WEEKDAYS if d.value in weekdays]
    elif frequency == "monthly":
        schedule.update(_read_monthly(values, old if same else {}, aside))
    elif frequency == "annually":
        schedule["month"] = _chosen_number(values, WizardBlock.MONTH, earlier.get("month", 1))
        schedule["day"] = _chosen_number(values, WizardBlock.DAY, earlier.get("day", 1))
    elif frequency == "once":
        date = value_of(values, WizardBlock.DATE)
        if date is None and earlier.get("date"):
            date = earlier["date"]
        if date is not None:
            schedule["date"] = date
    schedule.update(_read_times(values, old))
    zone = value_of(values, WizardBlock.TIMEZONE) or old.get("timezone")
    if zone is not None:
        schedule["timezone"] = zone
    if frequency in UNITS:
        schedule.update(_read_repetition(values, old))
    return schedule


def _chosen_number(values: StateValues, block_id: str, kept: int) -> int:
    """The number chosen in a select; ``kept`` when none is."""
    chosen = number_or_none(value_of(values, block_id))
    return kept if chosen is None else chosen


def _read_times(values: StateValues, old: ScheduleDocument) -> ScheduleDocument:
    """``time`` for one time of day, ``times`` for several: the picker's first, then the
    typed ones as written (the check names one that is not a time)."""
    kept = _times_of(old)
    if shown(values, WizardBlock.TIME):
        first = value_of(values, WizardBlock.TIME)
    else:
        first = kept[0] if kept else None
    if shown(values, WizardBlock.MORE_TIMES):
        typed = value_of(values, WizardBlock.MORE_TIMES) or ""
        more = [t for t in re.split(r"[,;\s]+", typed) if t]
    else:
        more = kept[1:]
    times = list(dict.fromkeys([first, *more] if first else more))
    if len(times) > 1:
        return {"times": times}
    return {"time": times[0]} if times else {}


def _read_monthly(
    values: StateValues, old: ScheduleDocument, aside: ScheduleDocument
) -> ScheduleDocument:
    # Monthly chosen again: the way of choosing days it had comes back with its days.
    mode = value_of(values, WizardBlock.MONTHLY_MODE) or _monthly_mode(old or aside)
    months = _read_months(values, old, aside)
    days: ScheduleDocument = {}
    if mode != MONTHLY_POSITIONS:
        days["month_days"] = _read_month_days(values, old, aside)
    if mode == MONTHLY_DAYS:
        return {**days, **months}
    chosen = options_of(values, WizardBlock.MONTH_POSITIONS)
    if chosen is not None:
        parsed = [_position(value) for value in chosen]
        positions = _sorted_positions(p for p in parsed if p)
    else:
        positions = as_list(old.get("month_positions")) or as_list(aside.get("month_positions"))
    holidays: ScheduleDocument = {}
    if _counts_business_days(positions):
        holidays = _read_business_holidays(values, old)
    return {**days, "month_positions": positions, **months, **holidays}


def _read_month_days(
    values: StateValues, old: ScheduleDocument, aside: ScheduleDocument
) -> list[int]:
    chosen = options_of(values, WizardBlock.MONTH_DAYS)
    if chosen is not None:
        numbers = [number_or_none(value) for value in chosen]
        return sorted({n for n in numbers if isinstance(n, int)})
    return as_list(old.get("month_days")) or as_list(aside.get("month_days"))


def _read_months(
    values: StateValues, old: ScheduleDocument, aside: ScheduleDocument
) -> ScheduleDocument:
    chosen = options_of(values, WizardBlock.MONTHS)
    if chosen is None:
        months = as_list(old.get("months")) or as_list(aside.get("months"))
    else:
        months = sorted({n for n in (number_or_none(value) for value in chosen) if n is not None})
    return {"months": months} if months else {}


def _read_business_holidays(values: StateValues, old: ScheduleDocument) -> ScheduleDocument:
    """The country (and region) whose holidays are not business days; a region is kept only
    while its country stays chosen."""
    if shown(values, WizardBlock.BUSINESS_HOLIDAYS):
        country = value_of(values, WizardBlock.BUSINESS_HOLIDAYS)
    else:
        country = old.get("holidays")
    if country is None or country == NO_HOLIDAYS:
        return {}
    region = None
    if country == old.get("holidays"):
        if shown(values, WizardBlock.BUSINESS_SUBDIVISION):
            region = value_of(values, WizardBlock.BUSINESS_SUBDIVISION)
        else:
            region = old.get("subdivision")
    if region is None or region == NO_HOLIDAYS:
        return {"holidays": country}
    return {"holidays": country, "subdivision": region}


def _position(value: str) -> MonthPositionDocument | None:
    ordinal, _, day = value.partition(":")
    if ordinal in set(Ordinal) and day in set(PositionDay):
        return {"ordinal": ordinal, "day": day}
    return None


def _sorted_positions(
    positions: Iterable[MonthPositionDocument],
) -> list[MonthPositionDocument]:
    ordinals, days = list(Ordinal), list(PositionDay)
    unique = {(p["ordinal"], p["day"]) for p in positions}
    ordered = sorted(
        unique, key=lambda p: (ordinals.index(Ordinal(p[0])), days.index(PositionDay(p[1])))
    )
    return [{"ordinal": ordinal, "day": day} for ordinal, day in ordered]


def _read_repetition(values: StateValues, old: ScheduleDocument) -> ScheduleDocument:
    fields: ScheduleDocument = {}
    if shown(values, WizardBlock.INTERVAL):
        raw = (value_of(values, WizardBlock.INTERVAL) or "").strip()
        # Kept as typed when not a number: the check says what is wrong with it.
        interval: NumberAsTyped | None = number_or_none(raw) if raw else None
        if interval is None and raw:
            interval = raw
    else:
        interval = old.get("interval")
    if interval is not None and interval != 1:
        fields["interval"] = interval
    for block, field in _DATE_INPUTS:
        value = value_of(values, block) if shown(values, block) else old.get(field)
        if value is not None:
            fields[field] = value
    return fields


def place(
    problem: Problem, document: DraftDocument, layout: int, property_labels: PropertyLabels
) -> Placed:
    """A problem of the schedule on its input; the days of a monthly schedule on the select
    of the way they are chosen."""
    schedule = schedule_of(document)
    monthly = _monthly_mode(schedule) if schedule.get("frequency") == "monthly" else None
    page = WizardPage("", WizardStep.SCHEDULE, 0, document)
    return place_on(own_inputs(render(page)), problem, layout, monthly, property_labels)
