"""Why a record is (not) enrolled, and a workflow's forecast, in Slack: the /workflow why
and /workflow forecast replies, the buttons to pick one record when several match what was
typed, and the App Home's modal that picks a record and shows the explanation. Every name
and value from records and workflows is escaped."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.slack.ids import SLASH_COMMAND, View, WhyAction, WhyBlock
from bot.slack.views.blocks import (
    ACTIONS_ELEMENTS,
    MODAL_BLOCKS,
    Block,
    actions_block,
    button,
    context,
    cut,
    external_select,
    id_value,
    input_block,
    labelled,
    modal,
    option,
    packed,
    read_only_modal,
    section,
    state_values,
)
from bot.slack.views.commands import split_leading_name, unquoted
from bot.slack.views.phrases import person_mrkdwn, when
from bot.workflows.explanations import (
    Explanation,
    GroupCheck,
    PastRun,
    RecordChoice,
    shown_value,
    then_phrase,
)
from bot.workflows.forecast import Forecast, ForecastRun
from bot.workflows.readable import plural
from bot.workflows.templates import escape_mrkdwn

WHY_TITLE = "Why (not) enrolled"
FORECAST_TITLE = "Forecast"
# One button per record, all in one actions block.
PICKER_BUTTONS = ACTIONS_ELEMENTS
WHY_USAGE = f'`{SLASH_COMMAND} why NAME RECORD`, e.g. `{SLASH_COMMAND} why "Deal review" D-1`'


@dataclass(frozen=True)
class WhyText:
    workflow: str
    record: str


def split_why_text(text: str, names: Collection[str]) -> WhyText | None:
    """``"Deal review" D-1`` or ``Deal review D-1`` -> ("Deal review", "D-1"): a quoted
    workflow name, else the longest run of first words that names one of ``names`` (in any
    case); None when no workflow name and record can be told apart."""
    split = split_leading_name(text, names)
    return None if split is None else WhyText(split[0], unquoted(split[1]))


def why_usage_problem() -> str:
    return f"Say which workflow and which record: {WHY_USAGE}."


# --- The explanation ------------------------------------------------------------------------


def explanation_blocks(explanation: Explanation) -> list[Block]:
    blocks = [section(_verdict(explanation))]
    if explanation.snoozed_until is not None and explanation.snoozed_by is not None:
        blocks.append(
            context(
                f":zzz: Snoozed by {person_mrkdwn(explanation.snoozed_by)} until "
                f"{when(explanation.snoozed_until)}: runs before then leave it out."
            )
        )
    if explanation.pauses:
        pauses = "\n".join(f":calendar: {escape_mrkdwn(p)}" for p in explanation.pauses)
        blocks.append(context(pauses))
    if explanation.criteria:
        head = "*Criteria* (a record matches when every filter of one group holds):"
        blocks += packed(_group_lines(explanation.criteria), head=head, max_blocks=10)
    else:
        blocks.append(section("*Criteria:* none, every record matches."))
    if explanation.suppression:
        head = "*Suppression* (a record matching one group is never enrolled):"
        blocks += packed(_group_lines(explanation.suppression), head=head, max_blocks=10)
    blocks += _past_runs(explanation.past_runs)
    return blocks


def _verdict(explanation: Explanation) -> str:
    record = (
        f"*{escape_mrkdwn(explanation.record_name)}* ({escape_mrkdwn(explanation.external_id)})"
    )
    workflow = f"*{escape_mrkdwn(explanation.workflow_name)}*"
    icon, verb = (
        (":white_check_mark:", "would be")
        if explanation.enrolled
        else (":no_entry_sign:", "would not be")
    )
    if explanation.no_run_because is not None:
        return (
            f":calendar: {workflow} has no run at {when(explanation.at)}, because "
            f"{escape_mrkdwn(explanation.no_run_because)}; had it run, {record} {verb} "
            f"enrolled: {explanation.reason}."
        )
    if explanation.deferred_from is not None:
        moment = (
            f"at {when(explanation.at)}, where a pause day defers its run of "
            f"{when(explanation.deferred_from)}"
        )
    elif explanation.given:
        moment = f"at {when(explanation.at)}"
    elif explanation.has_next_run:
        moment = f"at its next run, {when(explanation.at)}"
    else:
        moment = f"now ({when(explanation.at)}; it has no run to come)"
    return f"{icon} {record} {verb} enrolled by {workflow} {moment}: {explanation.reason}."


def _group_lines(groups: Sequence[GroupCheck]) -> list[str]:
    lines = []
    for number, group in enumerate(groups, start=1):
        outcome = "matches" if group.matched else "does not match"
        lines.append(f"*Group {number}* {outcome}")
        for check in group.filters:
            mark = ":white_check_mark:" if check.passed else ":x:"
            then = f" (then: {escape_mrkdwn(check.resolved)})" if check.resolved else ""
            value = escape_mrkdwn(cut(shown_value(check.value), 200))
            lines.append(
                f"{mark} {escape_mrkdwn(check.text)}{then} · "
                f"{escape_mrkdwn(check.property)} is `{value}`"
            )
    return lines


def _past_runs(runs: Sequence[PastRun]) -> list[Block]:
    """Which runs enrolled the record, then what its values at each run say: why a run
    left it out, or what has changed since one enrolled it."""
    if not runs:
        return [section("*Past runs:* none has enrolled records yet.")]
    enrolled = [run for run in runs if run.enrolled]
    missed = [run for run in runs if not run.enrolled]
    parts = []
    if enrolled:
        parts.append(f"enrolled in {_runs(enrolled)}")
    if missed:
        parts.append(f"not in {_runs(missed)}")
    lines = [
        f"• #{run.id} ({run.scheduled_at:%a %d %b}), "
        f"{'enrolled' if run.enrolled else 'left out'}: {phrase}"
        for run in runs
        if (phrase := then_phrase(run.then, run.enrolled, _code, escape_mrkdwn)) is not None
    ]
    return packed(lines, head=f"*Latest {plural(len(runs), 'run')}:* {'; '.join(parts)}.")


def _code(text: str) -> str:
    # A backtick inside would end the code span and let the rest of a user's value be read
    # as mrkdwn (bold, strike, more code): it is shown as the look-alike prime instead.
    shown = escape_mrkdwn(cut(text, 200)).replace("`", "\u02b9")
    return f"`{shown}`"


def _runs(runs: Sequence[PastRun]) -> str:
    names = [f"#{run.id} ({run.scheduled_at:%a %d %b})" for run in runs]
    if len(names) == 1:
        return f"run {names[0]}"
    return f"runs {', '.join(names[:-1])} and {names[-1]}"


def explanation_view(explanation: Explanation) -> dict[str, Any]:
    return read_only_modal(View.NOTICE, WHY_TITLE, explanation_blocks(explanation)[:MODAL_BLOCKS])


# --- Picking a record -----------------------------------------------------------------------


def record_picker(typed: str, workflow_id: int, choices: Sequence[RecordChoice]) -> list[Block]:
    """The question when several records match ``typed``: one button per record."""
    shown = choices[:PICKER_BUTTONS]
    head = section(
        f"{len(choices)}{'+' if len(choices) >= PICKER_BUTTONS else ''} records match "
        f"*{escape_mrkdwn(typed)}*: which one? (Or give its id: {WHY_USAGE}.)"
    )
    buttons = [
        button(
            labelled(choice.name, choice.external_id),
            WhyAction.PICK,
            json.dumps({"w": workflow_id, "r": choice.id}),
        )
        for choice in shown
    ]
    return [head, actions_block(*buttons)]


def parse_pick(value: object) -> tuple[int, int] | None:
    """The (workflow id, record id) a picker button was built with; None if it is not one."""
    try:
        chosen = json.loads(str(value))
        return int(chosen["w"]), int(chosen["r"])
    except (ValueError, TypeError, KeyError):
        return None


def why_view(workflow_id: int, workflow_name: str) -> dict[str, Any]:
    """The App Home's modal: pick a record of the workflow (searched as the user types)."""
    picker = external_select(WhyAction.RECORD, "Type a part of its name, or its id")
    blocks = [
        section(f"Why is a record (not) enrolled by *{escape_mrkdwn(workflow_name)}*?"),
        input_block("Record", picker, block_id=WhyBlock.RECORD),
    ]
    return modal(View.WHY, WHY_TITLE, blocks, submit="Explain", private_metadata=str(workflow_id))


def record_options(choices: Sequence[RecordChoice]) -> list[dict[str, Any]]:
    return [option(labelled(c.name, c.external_id), str(c.id)) for c in choices]


def parse_why_view(view: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """The workflow id the modal was opened for and the record id chosen (None: none)."""
    workflow_id = id_value(str(view.get("private_metadata") or ""))
    state = state_values(view).get(WhyBlock.RECORD, {}).get(WhyAction.RECORD, {})
    selected = (state.get("selected_option") or {}).get("value")
    return workflow_id, None if selected is None else id_value(str(selected))


# --- The forecast ---------------------------------------------------------------------------


def forecast_blocks(forecast: Forecast) -> list[Block]:
    name = escape_mrkdwn(forecast.workflow_name)
    blocks = [section(f"*Forecast of {name}*: records each run would enroll on today's data")]
    if not forecast.active:
        blocks.append(
            context(
                f":double_vertical_bar: {name} is {escape_mrkdwn(forecast.status)}: these runs "
                f"happen only once it is activated (`{SLASH_COMMAND} activate {name}`)."
            )
        )
    lines = [_forecast_line(run.run.at, run.matching, run.run.reason) for run in forecast.runs]
    blocks += packed(lines or ["No run to come."])
    blocks.append(context("Relative dates are counted at each run's time."))
    return blocks


def _forecast_line(at: datetime, matching: int | None, reason: str | None) -> str:
    note = f" ({escape_mrkdwn(reason)})" if reason else ""
    if matching is None:
        return f"• {when(at)}: skipped{note}"
    records = "record" if matching == 1 else "records"
    return f"• {when(at)}: *{matching:,}* {records}{note}"


def forecast_lines(runs: Sequence[ForecastRun]) -> list[str]:
    """The lines of ``runs`` for another view, e.g. the wizard's review."""
    return [_forecast_line(run.run.at, run.matching, run.run.reason) for run in runs]
