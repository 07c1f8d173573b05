"""The create/edit wizard's modal: one view per step built from a WizardPage, the step's
input read back into the draft document, and the step's problems placed on its inputs.

Steps (WizardStep): 1 name and object type, 2 schedule, 3 enrollment criteria, 4 actions,
5 settings, 6 review; _STEPS maps each to its renderer and reader. The modal's
private_metadata is the draft id and nothing else; every value lives in the draft. Inputs
whose change re-renders the step dispatch WizardAction.REFRESH.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.slack.ids import SLASH_COMMAND, View, WizardAction, WizardBlock
from bot.slack.views import actions_editor, criteria_editor
from bot.slack.views.blocks import (
    MODAL_BLOCKS,
    SELECT_OPTIONS,
    Block,
    button,
    context,
    cut,
    fits_option_value,
    labelled,
    notice_view,
    option,
    packed,
    plain,
    read_only_modal,
    section,
)
from bot.slack.views.editor_inputs import entered
from bot.slack.views.explanations import forecast_lines
from bot.slack.views.input_places import (
    MONTHLY_BOTH,
    MONTHLY_DAYS,
    MONTHLY_POSITIONS,
    SETTINGS_BLOCKS,
    input_of,
)
from bot.slack.views.phrases import phrase_mrkdwn, when
from bot.slack.views.places import COUNTRIES, zone_choices
from bot.slack.views.problem_wording import dialog_text, dialog_warning
from bot.workflows.definitions import (
    DEFAULT_CATCH_UP_MINUTES,
    MAX_CATCH_UP_MINUTES,
    MAX_NAME,
    AlertOwner,
    PauseBehaviour,
    StaleSourceBehaviour,
    supported_countries,
)
from bot.workflows.drafts import (
    SET_ASIDE,
    STEP_FIELDS,
    Finished,
    Matching,
    ObjectTypeChoice,
    Review,
    SchedulePreview,
    WizardPage,
    WizardStep,
    step_of,
)
from bot.workflows.problems import Problem
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
from bot.workflows.wording import SUMMARY_WORDS
from storage.models import WorkflowStatus
from storage.properties import PropertyType

StateValues = Mapping[str, Mapping[str, Any]]

SHOWN_LINE_CHARS = 500  # one action or criteria group in the review
MAX_SCHEDULE_TEXT = 200  # the schedule step's "Type it"
MAX_ERROR_CHARS = 1000  # an error beside an input

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
_DAY_FIELDS = ("weekdays", "month_days", "month_positions", "months", "month", "day", "date")
POSITION_DAY_NAMES = {
    "day": "day",
    "weekday": "weekday (Mon to Fri)",
    "business_day": "business day",
} | {day.value: DAY_NAMES[index] for index, day in enumerate(WEEKDAYS)}
NO_SUMMARY = "none"
NO_HOLIDAYS = "none"
PAUSE_BEHAVIOURS = (
    (PauseBehaviour.DEFER, "Run on the next day that is not a pause day"),
    (PauseBehaviour.SKIP, "Skip that run"),
)
# The failure alert's choices, in plain words (the file's values are any_failure...).
ALERT_CHOICES = (
    (AlertOwner.ANY_FAILURE, "When any action of a run fails"),
    (AlertOwner.ALL_FAILED, "Only when every action of a run fails"),
    (AlertOwner.NEVER, "Never"),
)
STALE_SOURCE_BEHAVIOURS = (
    (StaleSourceBehaviour.RUN, "Run with the records as last synced, and say so in the summary"),
    (StaleSourceBehaviour.POSTPONE, "Wait and try the source again (up to 12 minutes)"),
)

_NOT_SHOWN = object()  # what entered() gives for an input the step's view did not have


# --- The modal ------------------------------------------------------------------------------


def build_wizard_view(page: WizardPage) -> dict[str, Any]:
    """The modal of the page's step."""
    blocks = [_step_line(page.step)]
    if page.problems:
        blocks.append(_problems_section(page.problems))
    blocks += _STEPS[page.step].blocks(page)
    if page.step != WizardStep.NAME:
        blocks.append(_navigation(page))
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": View.WIZARD,
        "private_metadata": page.draft_id,
        "title": plain(_title(page.editing is not None)),
        "close": plain("Cancel"),
        "submit": plain(_submit_label(page)),
        "blocks": blocks[:MODAL_BLOCKS],
    }
    return view


def loading_view(editing: bool = False) -> dict[str, Any]:
    """What the modal shows while the wizard starts (views.open must come first)."""
    return {
        "type": "modal",
        "callback_id": View.LOADING,
        "title": plain(_title(editing)),
        "close": plain("Cancel"),
        "blocks": [section("Loading…")],
    }


def message_view(text: str, editing: bool = False) -> dict[str, Any]:
    """A modal that only says, in ``text`` (mrkdwn, already escaped), why the wizard cannot
    go on: permission denied, an unknown workflow, a draft that expired."""
    return notice_view(_title(editing), text)


def saving_view(draft_id: str, editing: bool = False) -> dict[str, Any]:
    """What the modal shows while the workflow is saved. Saving can take longer than the
    3 seconds Slack waits for an answer, so the answer is this; the modal is updated once
    saving is done. Nothing to submit: nothing to press twice."""
    return {
        "type": "modal",
        "callback_id": View.WIZARD,
        "private_metadata": draft_id,
        "title": plain(_title(editing)),
        "close": plain("Close"),
        "blocks": [section("Saving…")],
    }


def finished_text(done: Finished) -> str:
    """What became of the saved workflow and when it runs next, in mrkdwn."""
    shown = f"*{escape_mrkdwn(done.name)}*"
    if done.status is WorkflowStatus.ACTIVE:
        next_run = when(done.next_run) if done.next_run else "none: the schedule has no run left"
        return f"{shown} is active. Next run: {next_run}."
    state = "paused" if done.status is WorkflowStatus.PAUSED else "is a draft"
    return (
        f"{shown} is saved and {state}: it does not run until you activate it "
        f"with `{SLASH_COMMAND} activate {escape_mrkdwn(done.name)}`."
    )


def finished_view(done: Finished) -> dict[str, Any]:
    """The modal after saving: what became of the workflow and when it runs next."""
    activated = done.status is WorkflowStatus.ACTIVE and done.created
    title = "Workflow activated" if activated else "Workflow saved"
    blocks = [section(finished_text(done)), *warnings_block(done.warnings)]
    if done.writes_to_hubspot:
        blocks.append(context(f"⚠️ {escape_mrkdwn(done.writes_to_hubspot)}"))
    return read_only_modal(View.NOTICE, title, blocks)


def warnings_block(warnings: Sequence[Problem]) -> list[Block]:
    """Warnings in the dialog's words, in a context block of their own: the workflow saves
    anyway, so they are no input's errors."""
    if not warnings:
        return []
    return [context("\n".join(f"⚠️ {escape_mrkdwn(dialog_warning(w))}" for w in warnings))]


def problem_lines(
    problems: Sequence[Problem] | Sequence[str], document: Mapping[str, Any] | None = None
) -> tuple[str, ...]:
    """Problems as lines for the top of a step or the review, each led by the part of the
    workflow it is in and worded by its input's label in the draft's ``document`` (when
    given); messages that are already sentences (a refusal to save) as they are."""
    return tuple(
        problem if isinstance(problem, str) else _problem_line(problem, document or {})
        for problem in problems
    )


def _problem_line(problem: Problem, document: Mapping[str, Any]) -> str:
    root = str(problem.location[0]) if problem.location else ""
    section = _LOCATION_NAMES.get(root, "Workflow")
    _, text = _placed(step_of(problem), problem, document, 0)
    return f"{section}: {text}"


def draft_id_of(view: Mapping[str, Any]) -> str:
    return str(view.get("private_metadata") or "")


def is_review(view: Mapping[str, Any]) -> bool:
    """Whether a submitted view is the review step (submitting it saves the workflow)."""
    blocks = view.get("blocks") or []
    return any(block.get("block_id") == WizardBlock.REVIEW for block in blocks)


def is_editing(view: Mapping[str, Any]) -> bool:
    """Whether a view of the wizard edits a workflow (rather than creates one)."""
    title = view.get("title")
    return isinstance(title, Mapping) and title.get("text") == _title(True)


def _title(editing: bool) -> str:
    return "Edit workflow" if editing else "New workflow"


def _submit_label(page: WizardPage) -> str:
    if page.step != WizardStep.REVIEW:
        return "Next"
    if page.editing is None:
        return "Activate"
    if page.editing is WorkflowStatus.ACTIVE:
        return "Save"  # it stays active; the other button says it pauses
    return "Save and activate"


def _save_draft_label(editing: WorkflowStatus | None) -> str:
    """The button that saves without running: it says what becomes of the workflow, so an
    active one being edited is never deactivated silently."""
    if editing is WorkflowStatus.ACTIVE:
        return "Save and pause"
    return "Save, keep paused" if editing is WorkflowStatus.PAUSED else "Save as draft"


def _step_line(step: WizardStep) -> Block:
    text = f"Step {step} of {len(WizardStep)} · {WizardStep(step).title}"
    return context(text, block_id=WizardBlock.STEP)


def _navigation(page: WizardPage) -> Block:
    elements = [button("Back", WizardAction.BACK, "back")]
    if page.step == WizardStep.REVIEW:
        elements.append(
            button(_save_draft_label(page.editing), WizardAction.SAVE_DRAFT, "save_draft")
        )
    return {"type": "actions", "block_id": WizardBlock.NAVIGATION, "elements": elements}


def _problems_section(problems: Sequence[str]) -> Block:
    lines = "\n".join(f"• {escape_mrkdwn(problem)}" for problem in problems)
    return section(f"⚠️ *This cannot be saved yet:*\n{lines}", block_id=WizardBlock.PROBLEMS)


# --- Step 1: name and object type -----------------------------------------------------------


def _name_blocks(page: WizardPage) -> list[Block]:
    name = page.document.get("name")
    element: Block = {
        "type": "plain_text_input",
        "action_id": WizardAction.INPUT,
        "max_length": MAX_NAME,
        "placeholder": plain("e.g. Weekly deal review"),
    }
    if isinstance(name, str) and name:
        element["initial_value"] = name
    blocks = [_input(WizardBlock.NAME, "Workflow name", element)]
    options = _object_type_options(page)
    if not options:
        blocks.append(
            section("There are no object types yet: import records first, then try again.")
        )
        return blocks
    select: Block = {
        "type": "static_select",
        "action_id": WizardAction.INPUT,
        "placeholder": plain("Choose a type of record"),
        "options": options,
    }
    current = page.document.get("object_type")
    chosen = [o for o in options if o["value"] == current]
    if chosen:
        select["initial_option"] = chosen[0]
    hint = "The records the workflow enrolls: criteria and actions use this type's properties."
    blocks.append(_input(WizardBlock.OBJECT_TYPE, "Object type", select, hint=hint))
    return blocks


def _object_type_options(page: WizardPage) -> list[Block]:
    current = page.document.get("object_type")
    choices = list(page.object_types)
    if len(choices) > SELECT_OPTIONS:
        # Keep the current type among the 100 Slack can list.
        kept = [c for c in choices if c.name == current]
        choices = kept + [c for c in choices if c.name != current][: SELECT_OPTIONS - len(kept)]
    return [
        option(
            labelled(choice.name, f"{choice.records:,} record{'' if choice.records == 1 else 's'}"),
            choice.name,
        )
        for choice in choices
    ]


# --- Step 2: schedule -----------------------------------------------------------------------


def _schedule_blocks(page: WizardPage) -> list[Block]:
    schedule = _mapping(page.document.get("schedule"))
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
    element = _select(options, frequency, "How often")
    return _input(WizardBlock.FREQUENCY, "Runs", element, dispatch=True)


def _weekdays_input(schedule: Mapping[str, Any]) -> Block:
    options = [option(DAY_NAMES[i], day.value) for i, day in enumerate(WEEKDAYS)]
    chosen = _strings(schedule.get("weekdays"))
    element: Block = {"type": "checkboxes", "action_id": WizardAction.REFRESH, "options": options}
    initial = [o for o in options if o["value"] in chosen]
    if initial:
        element["initial_options"] = initial
    return _input(WizardBlock.WEEKDAYS, "On", element, dispatch=True)


def _monthly_inputs(schedule: Mapping[str, Any]) -> list[Block]:
    mode = _monthly_mode(schedule)
    modes = [
        option("On days of the month, e.g. the 1st and 15th", MONTHLY_DAYS),
        option("On a flexible day, e.g. the last weekday", MONTHLY_POSITIONS),
        option("On both, e.g. the 15th and the last day", MONTHLY_BOTH),
    ]
    radio: Block = {
        "type": "radio_buttons",
        "action_id": WizardAction.REFRESH,
        "options": modes,
        "initial_option": next(o for o in modes if o["value"] == mode),
    }
    blocks = [_input(WizardBlock.MONTHLY_MODE, "Which days", radio, dispatch=True)]
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


def _month_days_input(schedule: Mapping[str, Any], label: str) -> Block:
    options = [option(str(day), str(day)) for day in range(1, 32)]
    chosen = {str(day) for day in _list(schedule.get("month_days"))}
    element: Block = {
        "type": "multi_static_select",
        "action_id": WizardAction.REFRESH,
        "placeholder": plain("Choose days"),
        "options": options,
    }
    initial = [o for o in options if o["value"] in chosen]
    if initial:
        element["initial_options"] = initial
    hint = "A day a month does not have (e.g. the 31st) is skipped that month, never moved."
    return _input(WizardBlock.MONTH_DAYS, label, element, dispatch=True, hint=hint)


def _month_positions_input(schedule: Mapping[str, Any], label: str) -> Block:
    groups: list[Block] = []
    for ordinal in Ordinal:
        words = ordinal.value.replace("_", " ")
        group = [
            option(f"{words} {POSITION_DAY_NAMES[day.value]}", _position_value(ordinal, day))
            for day in PositionDay
        ]
        groups.append({"label": plain(words.capitalize()), "options": group})
    chosen = {
        _position_value(p.get("ordinal"), p.get("day"))
        for p in _list(schedule.get("month_positions"))
        if isinstance(p, Mapping)
    }
    element = {
        "type": "multi_static_select",
        "action_id": str(WizardAction.REFRESH),
        "placeholder": plain("e.g. last weekday"),
        "option_groups": groups,
    }
    initial = [o for g in groups for o in g["options"] if o["value"] in chosen]
    if initial:
        element["initial_options"] = initial
    hint = (
        "A weekday is Monday to Friday; a business day too, except the public holidays "
        "chosen below; a day is any day of the month. A month without a fifth one is skipped."
    )
    return _input(WizardBlock.MONTH_POSITIONS, label, element, dispatch=True, hint=hint)


def _counts_business_days(positions: object) -> bool:
    """Whether a business day is among the positions: only then is there a holiday calendar
    to choose (the schedule refuses one that no position uses)."""
    return any(
        isinstance(p, Mapping) and p.get("day") == PositionDay.BUSINESS_DAY
        for p in _list(positions)
    )


def _months_input(schedule: Mapping[str, Any]) -> Block:
    options = [option(name, str(number)) for number, name in enumerate(MONTH_NAMES, start=1)]
    chosen = {str(month) for month in _list(schedule.get("months"))}
    element: Block = {
        "type": "multi_static_select",
        "action_id": WizardAction.REFRESH,
        "placeholder": plain("Every month"),
        "options": options,
    }
    initial = [o for o in options if o["value"] in chosen]
    if initial:
        element["initial_options"] = initial
    hint = "Leave it empty to run every month; e.g. January, April, July and October: quarterly."
    return _input(
        WizardBlock.MONTHS, "Only in these months", element, dispatch=True, optional=True, hint=hint
    )


def _business_holidays_inputs(schedule: Mapping[str, Any]) -> list[Block]:
    """Whose public holidays are not business days, and for a country with regions, which
    region's: these only move business days, unlike the pause days of the settings step."""
    country = schedule.get("holidays")
    element = _holidays_select({"holidays": country})
    element["action_id"] = WizardAction.REFRESH
    hint = (
        "Business days skip these public holidays. To pause runs on holidays instead, "
        "use the settings step."
    )
    label = "Business days skip the public holidays of"
    blocks = [_input(WizardBlock.BUSINESS_HOLIDAYS, label, element, dispatch=True, hint=hint)]
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
    chosen = [o for o in options if o["value"] == current]
    element: Block = {
        "type": "static_select",
        "action_id": WizardAction.REFRESH,
        "placeholder": plain("The whole country"),
        "initial_option": chosen[0] if chosen else whole,
    }
    if len(options) <= SELECT_OPTIONS:
        element["options"] = options
    else:  # Slack shows at most 100 options a group, and Italy has more provinces
        chunks = [options[i : i + SELECT_OPTIONS] for i in range(0, len(options), SELECT_OPTIONS)]
        element["option_groups"] = [
            {
                "label": plain(f"{_initial(chunk[1 if n == 0 else 0])} to {_initial(chunk[-1])}"),
                "options": chunk,
            }
            for n, chunk in enumerate(chunks)
        ]
    hint = "A region's own public holidays are skipped too."
    return _input(WizardBlock.BUSINESS_SUBDIVISION, "Region", element, dispatch=True, hint=hint)


def _initial(region: Mapping[str, Any]) -> str:
    """The first letter of a region option's name, for the labels of its groups ("A to M")."""
    return str(region["text"]["text"])[:1]


def _monthly_mode(schedule: Mapping[str, Any]) -> str:
    if "month_positions" in schedule:
        return MONTHLY_BOTH if "month_days" in schedule else MONTHLY_POSITIONS
    return MONTHLY_DAYS


def _position_value(ordinal: object, day: object) -> str:
    return f"{ordinal}:{day}"  # StrEnum members format as their value


def _annual_inputs(schedule: Mapping[str, Any]) -> list[Block]:
    months = [option(name, str(number)) for number, name in enumerate(MONTH_NAMES, start=1)]
    days = [option(str(day), str(day)) for day in range(1, 32)]
    month = _select(months, _text(schedule.get("month")), "Month")
    day = _select(days, _text(schedule.get("day")), "Day")
    return [
        _input(WizardBlock.MONTH, "Month", month, dispatch=True),
        _input(WizardBlock.DAY, "Day", day, dispatch=True),
    ]


def _time_input(value: object) -> Block:
    element: Block = {"type": "timepicker", "action_id": WizardAction.REFRESH}
    if isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        element["initial_time"] = value
    return _input(WizardBlock.TIME, "Time of day", element, dispatch=True)


def _times_of(schedule: Mapping[str, Any]) -> list[str]:
    """The schedule's times as the draft holds them: ``time``, or the list ``times``."""
    if "times" in schedule:
        return [str(t) for t in _list(schedule.get("times"))]
    time = schedule.get("time")
    return [] if time is None else [str(time)]


def _more_times_input(more: Sequence[str]) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": WizardAction.REFRESH,
        "placeholder": plain("e.g. 12:00, 16:30"),
    }
    if more:
        element["initial_value"] = ", ".join(more)
    hint = (
        "Each time is a run of its own: write HH:MM on a 24-hour clock, separated by commas; "
        "press Enter to update."
    )
    label = "More times of day"
    return _input(WizardBlock.MORE_TIMES, label, element, dispatch=True, optional=True, hint=hint)


def _timezone_input(value: object) -> Block:
    groups = timezone_groups(value if isinstance(value, str) else None)
    element: Block = {
        "type": "static_select",
        "action_id": WizardAction.REFRESH,
        "placeholder": plain("Choose a time zone"),
        "option_groups": groups,
    }
    chosen = [o for g in groups for o in g["options"] if o["value"] == value]
    if chosen:
        element["initial_option"] = chosen[0]
    hint = "The time of day is in this zone; daylight saving time is followed."
    return _input(WizardBlock.TIMEZONE, "Time zone", element, dispatch=True, hint=hint)


def timezone_groups(current: str | None) -> list[Block]:
    """The time zone select's option groups: common zones by region, plus ``current``."""
    return [
        {"label": plain(label), "options": [option(zone, zone) for zone in zones]}
        for label, zones in zone_choices(current)
        if all(fits_option_value(zone) for zone in zones)
    ]


def _interval_input(value: object, unit: str) -> Block:
    element: Block = {
        "type": "number_input",
        "action_id": WizardAction.REFRESH,
        "is_decimal_allowed": False,
        "min_value": "1",
        "max_value": str(MAX_INTERVAL),
        "initial_value": str(value) if _is_int(value) else "1",
    }
    hint = f"1 runs every {unit[:-1]}, 2 every other {unit[:-1]}; press Enter to update."
    return _input(
        WizardBlock.INTERVAL,
        f"Repeat every how many {unit}",
        element,
        dispatch=True,
        optional=True,
        hint=hint,
    )


def _date_input(block_id: str, label: str, value: object, optional: bool = True) -> Block:
    element: Block = {"type": "datepicker", "action_id": WizardAction.REFRESH}
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        element["initial_date"] = value
    return _input(block_id, label, element, dispatch=True, optional=optional)


def _schedule_preview_blocks(
    preview: SchedulePreview | None, document: Mapping[str, Any]
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


def _schedule_wording(problem: Problem, document: Mapping[str, Any]) -> str:
    """A schedule's problem (located in the schedule) in the words of the schedule step."""
    return _placed(WizardStep.SCHEDULE, problem.under("schedule"), document, 0)[1]


def _schedule_text_input(layout: int) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": WizardAction.TYPE_SCHEDULE,
        "placeholder": plain("e.g. every other Tuesday at 9am"),
        "max_length": MAX_SCHEDULE_TEXT,
        "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
    }
    hint = "Press Enter: the fields below are filled in from it, with the next runs."
    block_id = f"{WizardBlock.SCHEDULE_TEXT}.{layout}"
    return _input(block_id, "Type it", element, dispatch=True, optional=True, hint=hint)


def typed_schedule_text(values: StateValues) -> tuple[str, str] | None:
    """The block id and text of the schedule step's "Type it" input, when it holds text."""
    for block_id in values:
        if block_id.startswith(f"{WizardBlock.SCHEDULE_TEXT}."):
            text = (_value_of(values, block_id) or "").strip()
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


def _typed_schedule(values: StateValues, read: Mapping[str, Any]) -> dict[str, Any] | None:
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


# --- Step 3: criteria; step 4: actions ------------------------------------------------------


def _criteria_blocks(page: WizardPage) -> list[Block]:
    criteria = _mapping(page.document.get("criteria"))
    blocks = criteria_editor.criteria_blocks(
        "criteria", criteria, page.properties, page.layout, page.options, page.labels
    )
    if page.matching is not None:
        blocks.append(context(_matching_text(page.matching), block_id=WizardBlock.MATCHING))
    return blocks


def _matching_text(matching: Matching) -> str:
    records = "record matches" if matching.records == 1 else "records match"
    text = f"*{matching.records:,}* {records} right now"
    if matching.unfinished:
        filters = "filter" if matching.unfinished == 1 else "filters"
        text += f" (not counting {matching.unfinished} unfinished {filters})"
    return text + "."


def _actions_blocks(page: WizardPage) -> list[Block]:
    intro = context("What the workflow does for each enrolled record, in this order.")
    actions = _list(page.document.get("actions"))
    return [intro, *actions_editor.actions_blocks(actions, page.properties, page.layout)]


# --- Step 5: settings -----------------------------------------------------------------------


def _settings_blocks(page: WizardPage) -> list[Block]:
    settings = _mapping(page.document.get("settings"))
    channel = settings.get("summary_channel")
    conversations: Block = {
        "type": "conversations_select",
        "action_id": WizardAction.INPUT,
        "placeholder": plain("Choose a channel"),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if isinstance(channel, str) and channel:
        conversations["initial_conversation"] = channel
    summaries = [option(_sentence(text), value) for value, text in SUMMARY_WORDS.items()]
    summaries.append(option("No summary", NO_SUMMARY))
    # Without a channel there is no summary whatever the policy: "No summary" is there to
    # remove a channel, which a channel select cannot be emptied of.
    summary: Block = {
        "type": "radio_buttons",
        "action_id": WizardAction.INPUT,
        "options": summaries,
        "initial_option": next(
            (o for o in summaries if o["value"] == settings.get("summary")), summaries[1]
        ),
    }
    pause_days: Block = {
        "type": "plain_text_input",
        "action_id": WizardAction.INPUT,
        "placeholder": plain("e.g. 12-25, 2026-11-26"),
    }
    days = ", ".join(str(day) for day in _list(settings.get("pause_days")))
    if days:
        pause_days["initial_value"] = days
    behaviours = [option(text, value) for value, text in PAUSE_BEHAVIOURS]
    behaviour: Block = {
        "type": "radio_buttons",
        "action_id": WizardAction.INPUT,
        "options": behaviours,
        "initial_option": behaviours[1]
        if settings.get("on_pause_day") == PauseBehaviour.SKIP
        else behaviours[0],
    }
    catch_up = settings.get("catch_up_minutes", DEFAULT_CATCH_UP_MINUTES)
    minutes: Block = {
        "type": "number_input",
        "action_id": WizardAction.INPUT,
        "is_decimal_allowed": False,
        "min_value": "0",
        "max_value": str(MAX_CATCH_UP_MINUTES),
        "initial_value": str(catch_up) if _is_int(catch_up) else str(DEFAULT_CATCH_UP_MINUTES),
    }
    suppression = _mapping(page.document.get("suppression"))
    return [
        _input(
            WizardBlock.SUMMARY_CHANNEL,
            "Summary channel",
            conversations,
            optional=True,
            hint="After runs, post a summary of what happened here. Invite the bot there first.",
        ),
        _input(WizardBlock.SUMMARY, "Post the summary", summary),
        _input(
            WizardBlock.PAUSE_DAYS,
            "Pause days",
            pause_days,
            optional=True,
            hint='Days without runs, separated by commas: "12-25" every year, "2026-11-26" once.',
        ),
        _input(WizardBlock.HOLIDAYS, "Public holidays", _holidays_select(settings), optional=True),
        _input(WizardBlock.ON_PAUSE_DAY, "When a run falls on a pause day", behaviour),
        _alert_owner_block(settings),
        *_stale_source_blocks(page.source, settings),
        _input(
            WizardBlock.CATCH_UP,
            "Catch-up window (minutes)",
            minutes,
            hint="A run missed while the bot was down still happens if at most this late; "
            f"0 runs only on time, {MAX_CATCH_UP_MINUTES} is a week.",
        ),
        {"type": "divider"},
        *criteria_editor.criteria_blocks(
            "suppression", suppression, page.properties, page.layout, page.options, page.labels
        ),
    ]


def _alert_owner_block(settings: Mapping[str, Any]) -> Block:
    """When the owner gets a direct message about failed actions (default: any failure)."""
    choices = [option(text, value) for value, text in ALERT_CHOICES]
    chosen = settings.get("alert_owner")
    element: Block = {
        "type": "static_select",
        "action_id": WizardAction.INPUT,
        "options": choices,
        "initial_option": next((o for o in choices if o["value"] == chosen), choices[0]),
    }
    return _input(
        WizardBlock.ALERT_OWNER,
        "Tell the owner about failed actions",
        element,
        hint="A direct message to the workflow's owner, once per run, naming the records "
        "that failed and why.",
    )


def _stale_source_blocks(source: str | None, settings: Mapping[str, Any]) -> list[Block]:
    """What a run does when the source feeding its records cannot be synced before it: a
    choice only for a type that a source feeds."""
    if source is None:
        return []
    choices = [option(text, value) for value, text in STALE_SOURCE_BEHAVIOURS]
    chosen = settings.get("on_stale_source") == StaleSourceBehaviour.POSTPONE
    element: Block = {
        "type": "radio_buttons",
        "action_id": WizardAction.INPUT,
        "options": choices,
        "initial_option": choices[1] if chosen else choices[0],
    }
    label = f"When the source {source} cannot be synced before a run"
    return [_input(WizardBlock.ON_STALE_SOURCE, label[:2000], element)]


def _holidays_select(settings: Mapping[str, Any]) -> Block:
    supported = supported_countries()
    current = settings.get("holidays")
    countries = {code: name for code, name in COUNTRIES.items() if code in supported}
    if isinstance(current, str) and fits_option_value(current):
        countries.setdefault(current, current)
    options = [option("No public holidays", NO_HOLIDAYS)] + [
        option(f"{name} ({code})", code)
        for code, name in sorted(countries.items(), key=lambda item: item[1])
    ]
    element = _select(options, current if current else NO_HOLIDAYS, "Choose a country")
    element["action_id"] = WizardAction.INPUT
    return element


# --- Step 6: review -------------------------------------------------------------------------


def _review_blocks(page: WizardPage) -> list[Block]:
    review = page.review
    if review is None:
        return [section("Nothing to review.", block_id=WizardBlock.REVIEW)]
    type_name = escape_mrkdwn(review.object_type)
    head = f"*{escape_mrkdwn(review.name) or 'Unnamed workflow'}* · {type_name}"
    if review.problems:
        lines = [
            f"• Step {step_of(problem)}, {escape_mrkdwn(line)}"
            for problem in review.problems
            for line in problem_lines([problem], page.document)
        ]
        text = f"{head}\n⚠️ *Fix these before saving* (use Back):\n" + "\n".join(lines)
        return [section(text, block_id=WizardBlock.REVIEW)]
    return [section(head, block_id=WizardBlock.REVIEW), *_summary_blocks(review)]


def _summary_blocks(review: Review) -> list[Block]:
    runs = ", ".join(when(at) for at in review.next_runs) or "none"
    enrolls = " *or* ".join(cut(escape_mrkdwn(c), SHOWN_LINE_CHARS) for c in review.criteria)
    lines = [f"*Schedule:* {escape_mrkdwn(review.schedule)}"]
    if review.forecast:
        lines.append("*Next runs*, with the records each would enroll on today's data:")
        lines += forecast_lines(review.forecast)
    else:
        lines.append(f"*Next runs:* {runs}")
    lines.append(f"*Enrolls:* {enrolls or f'all {escape_mrkdwn(review.object_type)}'}")
    if review.suppression:
        never = " *or* ".join(cut(escape_mrkdwn(c), SHOWN_LINE_CHARS) for c in review.suppression)
        lines.append(f"*Never enrolls:* {never}")
    records = "record matches" if review.matching == 1 else "records match"
    matching = f"*Right now:* {review.matching:,} {records}"
    if review.records:
        names = ", ".join(
            f"{escape_mrkdwn(r.name)} ({escape_mrkdwn(r.external_id)})" for r in review.records
        )
        more = review.matching - len(review.records)
        matching += f": {names}" + (f" and {more:,} more" if more > 0 else "")
    lines.append(cut(matching, SHOWN_LINE_CHARS * 2))
    lines.append("*Actions:*")
    lines += [
        f"{number}. {cut(phrase_mrkdwn(action), SHOWN_LINE_CHARS)}"
        for number, action in enumerate(review.actions, start=1)
    ]
    if review.settings:
        lines.append("*Settings:*")
        lines += [
            f"• {cut(phrase_mrkdwn(setting), SHOWN_LINE_CHARS)}" for setting in review.settings
        ]
    return [*packed(lines), *warnings_block(review.warnings)]


_LOCATION_NAMES = {
    "name": "Name",
    "object_type": "Object type",
    "owner": "Owner",
    "status": "Status",
    "schedule": "Schedule",
    "criteria": "Criteria",
    "actions": "Actions",
    "settings": "Settings",
    "suppression": "Suppression",
}


# --- Reading the input back -----------------------------------------------------------------


def read_step(
    step: WizardStep,
    state_values: StateValues,
    document: Mapping[str, Any],
    properties: Mapping[str, PropertyType],
    layout: int,
) -> dict[str, Any]:
    """The draft document with the step's inputs (Slack's view.state.values) read into it.
    Permissive: what the user entered is kept as entered, valid or not; an input the view
    did not have leaves the document's value as it was. Never raises."""
    updated = copy.deepcopy(dict(document))
    values = state_values if isinstance(state_values, Mapping) else {}
    _STEPS[step].read(updated, values, document, properties, layout)
    return updated


def _read_name_step(
    updated: dict[str, Any],
    values: StateValues,
    document: Mapping[str, Any],
    properties: Mapping[str, PropertyType],
    layout: int,
) -> None:
    if _shown(values, WizardBlock.NAME):
        updated["name"] = _value_of(values, WizardBlock.NAME) or ""
    if _shown(values, WizardBlock.OBJECT_TYPE):
        updated.pop("object_type", None)
        if object_type := _value_of(values, WizardBlock.OBJECT_TYPE):
            updated["object_type"] = object_type


def _read_schedule_step(
    updated: dict[str, Any],
    values: StateValues,
    document: Mapping[str, Any],
    properties: Mapping[str, PropertyType],
    layout: int,
) -> None:
    old = _mapping(document.get("schedule"))
    aside = _mapping(_mapping(document.get(SET_ASIDE)).get("schedule"))
    schedule = _read_schedule(values, old, aside)
    updated["schedule"] = _typed_schedule(values, schedule) or schedule
    if left := {f: old[f] for f in _DAY_FIELDS if f in old and f not in updated["schedule"]}:
        updated[SET_ASIDE] = {
            **_mapping(document.get(SET_ASIDE)),
            "schedule": {**aside, **left},
        }


def _read_criteria_step(
    updated: dict[str, Any],
    values: StateValues,
    document: Mapping[str, Any],
    properties: Mapping[str, PropertyType],
    layout: int,
) -> None:
    criteria = _mapping(document.get("criteria"))
    updated["criteria"] = criteria_editor.read_criteria(
        "criteria", values, criteria, properties, layout
    )


def _read_actions_step(
    updated: dict[str, Any],
    values: StateValues,
    document: Mapping[str, Any],
    properties: Mapping[str, PropertyType],
    layout: int,
) -> None:
    actions = _list(document.get("actions"))
    updated["actions"] = actions_editor.read_actions(values, actions, properties, layout)


def _read_settings_step(
    updated: dict[str, Any],
    values: StateValues,
    document: Mapping[str, Any],
    properties: Mapping[str, PropertyType],
    layout: int,
) -> None:
    updated["settings"] = _read_settings(values, _mapping(document.get("settings")))
    suppression = _mapping(document.get("suppression"))
    updated["suppression"] = criteria_editor.read_criteria(
        "suppression", values, suppression, properties, layout
    )


def _read_nothing(
    updated: dict[str, Any],
    values: StateValues,
    document: Mapping[str, Any],
    properties: Mapping[str, PropertyType],
    layout: int,
) -> None:
    """The review has no inputs: the document stays as it was."""


def _shown(values: StateValues, block_id: str) -> bool:
    """Whether the step's view had the input (Slack sends the state of every input shown)."""
    return entered(values, block_id, _NOT_SHOWN) is not _NOT_SHOWN


def _value_of(values: StateValues, block_id: str) -> str | None:
    """The text or option value the input holds; None when it holds none, or is not shown."""
    value = entered(values, block_id, None)
    return value if isinstance(value, str) and value else None


def _options_of(values: StateValues, block_id: str) -> list[str] | None:
    """The option values chosen in a multiple choice; None when it is not shown."""
    value = entered(values, block_id, None)
    return _strings(value) if isinstance(value, list) else None


def _read_schedule(
    values: StateValues, old: Mapping[str, Any], aside: Mapping[str, Any]
) -> dict[str, Any]:
    """The schedule the step's inputs show. Days a new choice (of "Runs" or "Which days")
    has no input for yet come back from ``aside``, where a change set them aside, or start
    empty: a preset chip would stay beside the day picked next ("the first Monday and the
    last day") unless the user removed it."""
    frequency = _value_of(values, WizardBlock.FREQUENCY) or old.get("frequency")
    # What the view showed belongs to the old frequency when the user just changed it.
    same = frequency == old.get("frequency")
    earlier = old if same else aside
    schedule: dict[str, Any] = {"frequency": frequency} if frequency is not None else {}
    if frequency == "weekly":
        weekdays = _options_of(values, WizardBlock.WEEKDAYS)
        if weekdays is None:
            weekdays = _strings(earlier.get("weekdays"))
        schedule["weekdays"] = [d.value for d in WEEKDAYS if d.value in weekdays]
    elif frequency == "monthly":
        schedule.update(_read_monthly(values, old if same else {}, aside))
    elif frequency == "annually":
        for block, field in ((WizardBlock.MONTH, "month"), (WizardBlock.DAY, "day")):
            value: object = _number(_value_of(values, block))
            if value is None:
                value = earlier.get(field, 1)
            schedule[field] = value
    elif frequency == "once":
        date = _value_of(values, WizardBlock.DATE)
        if date is None and earlier.get("date"):
            date = earlier["date"]
        if date is not None:
            schedule["date"] = date
    schedule.update(_read_times(values, old))
    zone = _value_of(values, WizardBlock.TIMEZONE) or old.get("timezone")
    if zone is not None:
        schedule["timezone"] = zone
    if frequency in UNITS:
        schedule.update(_read_repetition(values, old))
    return schedule


def _read_times(values: StateValues, old: Mapping[str, Any]) -> dict[str, Any]:
    """``time`` for one time of day, ``times`` for several: the picker's first, then the
    typed ones as written (the check names one that is not a time)."""
    kept = _times_of(old)
    if _shown(values, WizardBlock.TIME):
        first = _value_of(values, WizardBlock.TIME)
    else:
        first = kept[0] if kept else None
    if _shown(values, WizardBlock.MORE_TIMES):
        typed = _value_of(values, WizardBlock.MORE_TIMES) or ""
        more = [t for t in re.split(r"[,;\s]+", typed) if t]
    else:
        more = kept[1:]
    times = list(dict.fromkeys([first, *more] if first else more))
    if len(times) > 1:
        return {"times": times}
    return {"time": times[0]} if times else {}


def _read_monthly(
    values: StateValues, old: Mapping[str, Any], aside: Mapping[str, Any]
) -> dict[str, Any]:
    # Monthly chosen again: the way of choosing days it had comes back with its days.
    mode = _value_of(values, WizardBlock.MONTHLY_MODE) or _monthly_mode(old or aside)
    months = _read_months(values, old, aside)
    days = {} if mode == MONTHLY_POSITIONS else {"month_days": _read_month_days(values, old, aside)}
    if mode == MONTHLY_DAYS:
        return {**days, **months}
    chosen = _options_of(values, WizardBlock.MONTH_POSITIONS)
    if chosen is not None:
        parsed = [_position(value) for value in chosen]
        positions = _sorted_positions(p for p in parsed if p)
    else:
        positions = _list(old.get("month_positions")) or _list(aside.get("month_positions"))
    holidays = _read_business_holidays(values, old) if _counts_business_days(positions) else {}
    return {**days, "month_positions": positions, **months, **holidays}


def _read_month_days(
    values: StateValues, old: Mapping[str, Any], aside: Mapping[str, Any]
) -> list[Any]:
    chosen = _options_of(values, WizardBlock.MONTH_DAYS)
    if chosen is not None:
        numbers = [_number(value) for value in chosen]
        return sorted({n for n in numbers if isinstance(n, int)})
    return _list(old.get("month_days")) or _list(aside.get("month_days"))


def _read_months(
    values: StateValues, old: Mapping[str, Any], aside: Mapping[str, Any]
) -> dict[str, Any]:
    chosen = _options_of(values, WizardBlock.MONTHS)
    if chosen is None:
        months = _list(old.get("months")) or _list(aside.get("months"))
    else:
        months = sorted({n for n in (_number(value) for value in chosen) if n is not None})
    return {"months": months} if months else {}


def _read_business_holidays(values: StateValues, old: Mapping[str, Any]) -> dict[str, Any]:
    """The country (and region) whose holidays are not business days; a region is kept only
    while its country stays chosen."""
    if _shown(values, WizardBlock.BUSINESS_HOLIDAYS):
        country = _value_of(values, WizardBlock.BUSINESS_HOLIDAYS)
    else:
        country = old.get("holidays")
    if country in (None, NO_HOLIDAYS):
        return {}
    region = None
    if country == old.get("holidays"):
        if _shown(values, WizardBlock.BUSINESS_SUBDIVISION):
            region = _value_of(values, WizardBlock.BUSINESS_SUBDIVISION)
        else:
            region = old.get("subdivision")
    if region in (None, NO_HOLIDAYS):
        return {"holidays": country}
    return {"holidays": country, "subdivision": region}


def _position(value: str) -> dict[str, str] | None:
    ordinal, _, day = value.partition(":")
    if ordinal in set(Ordinal) and day in set(PositionDay):
        return {"ordinal": ordinal, "day": day}
    return None


def _sorted_positions(positions: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    ordinals, days = list(Ordinal), list(PositionDay)
    unique = {(p["ordinal"], p["day"]) for p in positions}
    ordered = sorted(
        unique, key=lambda p: (ordinals.index(Ordinal(p[0])), days.index(PositionDay(p[1])))
    )
    return [{"ordinal": ordinal, "day": day} for ordinal, day in ordered]


def _read_repetition(values: StateValues, old: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if _shown(values, WizardBlock.INTERVAL):
        raw = (_value_of(values, WizardBlock.INTERVAL) or "").strip()
        # Kept as typed when not a number: the check says what is wrong with it.
        interval: object = _number(raw) if raw else None
        if interval is None and raw:
            interval = raw
    else:
        interval = old.get("interval")
    if interval is not None and interval != 1:
        fields["interval"] = interval
    for block, field in (
        (WizardBlock.START_DATE, "start_date"),
        (WizardBlock.END_DATE, "end_date"),
    ):
        value = _value_of(values, block) if _shown(values, block) else old.get(field)
        if value is not None:
            fields[field] = value
    return fields


def _read_settings(values: StateValues, old: Mapping[str, Any]) -> dict[str, Any]:
    settings = dict(old)
    if _shown(values, WizardBlock.SUMMARY_CHANNEL) or _shown(values, WizardBlock.SUMMARY):
        channel = _value_of(values, WizardBlock.SUMMARY_CHANNEL)
        policy = _value_of(values, WizardBlock.SUMMARY) or settings.get("summary")
        settings.pop("summary_channel", None)
        settings.pop("summary", None)
        if policy != NO_SUMMARY:
            if channel is not None:
                settings["summary_channel"] = channel
            if policy is not None:
                settings["summary"] = policy
    if _shown(values, WizardBlock.PAUSE_DAYS):
        text = _value_of(values, WizardBlock.PAUSE_DAYS) or ""
        settings["pause_days"] = [day for day in re.split(r"[\s,;]+", text) if day]
    if _shown(values, WizardBlock.HOLIDAYS):
        country = _value_of(values, WizardBlock.HOLIDAYS)
        settings.pop("holidays", None)
        if country is not None and country != NO_HOLIDAYS:
            settings["holidays"] = country
    if behaviour := _value_of(values, WizardBlock.ON_PAUSE_DAY):
        settings["on_pause_day"] = behaviour
    if stale := _value_of(values, WizardBlock.ON_STALE_SOURCE):
        settings["on_stale_source"] = stale
    if alert := _value_of(values, WizardBlock.ALERT_OWNER):
        settings.pop("alert_owner", None)
        if alert != AlertOwner.ANY_FAILURE:  # the default, which a file leaves out too
            settings["alert_owner"] = alert
    if _shown(values, WizardBlock.CATCH_UP):
        raw = (_value_of(values, WizardBlock.CATCH_UP) or "").strip()
        minutes = _number(raw)
        if minutes is not None:
            settings["catch_up_minutes"] = minutes
        elif raw:
            settings["catch_up_minutes"] = raw
        else:
            settings.pop("catch_up_minutes", None)
    return settings


# --- Problems on their fields ---------------------------------------------------------------


def step_errors(
    step: WizardStep, problems: Sequence[Problem], document: Mapping[str, Any], layout: int
) -> dict[str, str]:
    """The step's problems (drafts.step_problems) as response_action "errors": block id of
    an input the step's view has -> the problems there, each its own sentence in the words
    of that input. A problem without an input of its own goes on the step's first input; a
    step without inputs (the review) gets none."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        block_id, text = _placed(step, problem, document, layout)
        if block_id is not None:
            errors.setdefault(block_id, []).append(text)
    return {
        block_id: cut("\n".join(dict.fromkeys(texts)), MAX_ERROR_CHARS)
        for block_id, texts in errors.items()
    }


def _placed(
    step: WizardStep, problem: Problem, document: Mapping[str, Any], layout: int
) -> tuple[str | None, str]:
    """The input block of the step's view a problem (located from the document's root)
    goes on, and its words there: the editors of criteria and actions place their own."""
    root = problem.location[0] if problem.location else None
    edits_root = root in STEP_FIELDS.get(step, ())
    if root in criteria_editor.FIELDS and edits_root:
        assert isinstance(root, str)
        found = criteria_editor.criteria_errors(
            root, [problem], _mapping(document.get(root)), layout
        )
        if found:
            return next(iter(found.items()))
    if root == "actions" and edits_root:
        found = actions_editor.actions_errors([problem], _list(document.get("actions")), layout)
        if found:
            return next(iter(found.items()))
    labels = _input_labels(step, document)
    schedule = _mapping(document.get("schedule"))
    monthly = _monthly_mode(schedule) if schedule.get("frequency") == "monthly" else None
    own = input_of(problem.location, layout, monthly)
    if own is not None and own in labels:
        return own, dialog_text(problem, labels[own])
    # No input of its own: on the step's first input, named by the part of the workflow.
    return next(iter(labels), None), dialog_text(problem, _LOCATION_NAMES.get(str(root), "It"))


def _input_labels(step: WizardStep, document: Mapping[str, Any]) -> dict[str, str]:
    """The block ids of the step's own inputs, in view order, with their labels."""
    if not _STEPS[step].own_inputs:
        return {}
    # Any object type makes step 1 show its select, as it does whenever one exists.
    page = WizardPage("", step, 0, document, object_types=(ObjectTypeChoice("", 0),))
    blocks = _STEPS[step].blocks(page)
    # Not "Type it": its id depends on the layout, and its errors come with its own id.
    typed = f"{WizardBlock.SCHEDULE_TEXT}."
    inputs = {
        str(b["block_id"]): str(b["label"]["text"])
        for b in blocks
        if b["type"] == "input" and not str(b["block_id"]).startswith(typed)
    }
    if step == WizardStep.SETTINGS:  # the suppression editor's inputs are its own to place
        return {b: label for b, label in inputs.items() if b in SETTINGS_BLOCKS.values()}
    return inputs


# --- The steps ------------------------------------------------------------------------------


# Reads a step's inputs into the updated document: (updated, state values, document as it
# was, the object type's properties, layout).
StepReader = Callable[
    [dict[str, Any], StateValues, Mapping[str, Any], Mapping[str, PropertyType], int], None
]


@dataclass(frozen=True)
class _Step:
    blocks: Callable[[WizardPage], list[Block]]
    read: StepReader
    # Whether the step has inputs of its own (besides the editors of criteria and actions,
    # which place their own problems): a problem without an input goes on the first.
    own_inputs: bool


_STEPS: Mapping[WizardStep, _Step] = {
    WizardStep.NAME: _Step(_name_blocks, _read_name_step, own_inputs=True),
    WizardStep.SCHEDULE: _Step(_schedule_blocks, _read_schedule_step, own_inputs=True),
    WizardStep.CRITERIA: _Step(_criteria_blocks, _read_criteria_step, own_inputs=False),
    WizardStep.ACTIONS: _Step(_actions_blocks, _read_actions_step, own_inputs=False),
    WizardStep.SETTINGS: _Step(_settings_blocks, _read_settings_step, own_inputs=True),
    WizardStep.REVIEW: _Step(_review_blocks, _read_nothing, own_inputs=False),
}


# --- Block Kit ------------------------------------------------------------------------------


def _input(
    block_id: str,
    label: str,
    element: Block,
    *,
    dispatch: bool = False,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
    }
    if dispatch:
        block["dispatch_action"] = True
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = plain(hint)
    return block


def _select(options: list[dict[str, Any]], current: object, placeholder: str) -> Block:
    element: Block = {
        "type": "static_select",
        "action_id": WizardAction.REFRESH,
        "placeholder": plain(placeholder),
        "options": options,
    }
    chosen = [o for o in options if o["value"] == current]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _strings(value: object) -> list[str]:
    return [item for item in _list(value) if isinstance(item, str)]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _number(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
