"""Run history as Slack shows it: a run's line, the /workflow history reply and the history
modal (both with a Details button per run that has something to show), one run's details
modal, and the Details button that run summaries carry too; with the parser of that
button's value beside them. Built from the read models of bot.workflows.overview."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.slack.ids import HistoryAction, View
from bot.slack.views.blocks import (
    Block,
    actions_block,
    button,
    context,
    cut,
    divider,
    id_value,
    packed,
    read_only_modal,
    section,
)
from bot.slack.views.phrases import (
    outcome_mrkdwn,
    person_mrkdwn,
    phrase_mrkdwn,
    run_outcome_mrkdwn,
    when,
)
from bot.workflows.overview import RecordLine, ResultLine, RunDetails, RunLine, WorkflowHistory
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.vocabulary import ActionOutcome, RunSource

# Runs listed, one section each: a message holds 50 blocks, a modal 100.
IN_MESSAGE = 20
IN_MODAL = 40
HISTORY_TITLE = "Run history"
DETAILS_TITLE = "Run details"
# One record's or one result's line; a reason Slack gave is a sentence or two.
LINE_CHARS = 500
ACTION_CHARS = 300
# Blocks of the details modal for each list; with the run's head, under MODAL_BLOCKS.
ACTION_BLOCKS = 4
RECORD_BLOCKS = 40
RESULT_BLOCKS = 50
_COUNTED = (ActionOutcome.OK, ActionOutcome.FAILED, ActionOutcome.SKIPPED)


def _source(run: RunLine) -> str:
    if run.source == RunSource.SCHEDULE:
        # A scheduled run names a person only when they skipped it (Skip next run).
        if run.triggered_by:
            return f"scheduled, skipped by {person_mrkdwn(run.triggered_by)}"
        return "scheduled"
    manual = "manual" if run.retry_of is None else f"manual re-run of run #{run.retry_of}"
    return f"{manual}, by {person_mrkdwn(run.triggered_by)}" if run.triggered_by else manual


def run_mrkdwn(run: RunLine) -> str:
    """One run: when (in the workflow's zone), why it ran, how it ended, what it did, e.g.
    "*Tue 01 Dec 2026 09:00 UTC* · scheduled · :x: failed · 2 enrolled · 2 ok, 2 failed"."""
    parts = [f"*{when(run.scheduled_at)}*", _source(run), run_outcome_mrkdwn(run)]
    if run.enrolled is not None:
        counts = f"{run.enrolled:,} enrolled · {run.ok:,} ok, {run.failed:,} failed"
        if run.unknown:
            counts += f", {run.unknown:,} unknown"
        if run.skipped:
            counts += f", {run.skipped:,} skipped"
        parts.append(counts)
    line = " · ".join(parts)
    if run.reason:
        line += f"\n{escape_mrkdwn(cut(run.reason, LINE_CHARS))}"
    return line


def history_blocks(runs: Sequence[RunLine]) -> list[Block]:
    """The latest runs as lines without buttons, for a reply that shows more than them."""
    if not runs:
        return [context("No runs yet.")]
    return packed([run_mrkdwn(run) for run in runs], head="*Latest runs:*")


def details_button(run_id: int) -> dict[str, Any]:
    return button("Details", HistoryAction.DETAILS, str(run_id))


def details_actions(run_id: int) -> Block:
    """The actions block a run summary ends with: a Details button for the run."""
    return actions_block(details_button(run_id))


def parse_run_id(action: Mapping[str, Any]) -> int | None:
    """The run a Details button stands for; None when its value is not a run id."""
    return id_value(str(action.get("value") or "").strip())


def _history_blocks(history: WorkflowHistory, max_runs: int) -> list[Block]:
    blocks = [section(f"*History of {escape_mrkdwn(history.name)}* (newest first)")]
    if not history.runs:
        blocks.append(context("No runs yet."))
    for run in history.runs[:max_runs]:
        accessory = details_button(run.id) if run.has_details else None
        blocks.append(section(run_mrkdwn(run), accessory))
    if history.more or len(history.runs) > max_runs:
        blocks.append(context("Older runs are not shown."))
    return blocks


def history_message(history: WorkflowHistory) -> list[Block]:
    """The reply to /workflow history NAME: at most IN_MESSAGE runs."""
    return _history_blocks(history, IN_MESSAGE)


def history_view(history: WorkflowHistory, below: Sequence[Block] = ()) -> dict[str, Any]:
    """The history modal the App Home's History button opens: at most IN_MODAL runs, then
    ``below`` (the workflow's changes)."""
    blocks = [*_history_blocks(history, IN_MODAL), *below]
    return read_only_modal(View.HISTORY, HISTORY_TITLE, blocks)


def _counts(outcomes: Mapping[str, int]) -> str:
    counts = [f"{outcomes.get(outcome, 0):,} {outcome}" for outcome in _COUNTED]
    for outcome in (ActionOutcome.UNKNOWN, ActionOutcome.DEFERRED):
        if outcomes.get(outcome, 0):
            counts.append(f"{outcomes[outcome]:,} {outcome}")
    return ", ".join(counts)


def _record(record: RecordLine) -> str:
    return f"*{escape_mrkdwn(record.name)}* (`{escape_mrkdwn(record.external_id)}`)"


def _result(result: ResultLine) -> str:
    return cut(
        f"• {_record(result.record)} · action {result.action_number}: "
        f"{outcome_mrkdwn(result.outcome, result.reason)}",
        LINE_CHARS,
    )


def run_details_view(details: RunDetails) -> dict[str, Any]:
    """One run: its head line, the workflow's actions, the records it enrolled and each
    action's result for each record (failures first), each list capped with "and N more"."""
    head = f"*{escape_mrkdwn(details.workflow_name)}*\n{run_mrkdwn(details.run)}"
    blocks = [section(head)]
    if details.enrolled or details.result_count:
        blocks.append(
            context(f"{details.enrolled:,} enrolled · actions: {_counts(details.outcomes)}")
        )
    if details.actions:
        steps = [
            f"{number}. {cut(phrase_mrkdwn(action), ACTION_CHARS)}"
            for number, action in enumerate(details.actions, start=1)
        ]
        blocks += packed(steps, head="*Actions:*", max_blocks=ACTION_BLOCKS, noun="actions")
    blocks.append(divider())
    if not details.enrolled:
        blocks.append(section("No records were enrolled in this run."))
    else:
        records = [cut(f"• {_record(record)}", LINE_CHARS) for record in details.records]
        blocks += packed(
            records,
            head=f"*Records enrolled* ({details.enrolled:,})",
            max_blocks=RECORD_BLOCKS,
            noun="records",
            total=details.enrolled,
        )
    if details.result_count:
        blocks.append(divider())
        blocks += packed(
            [_result(result) for result in details.results],
            head="*Action results* (failures first)",
            max_blocks=RESULT_BLOCKS,
            noun="results",
            total=details.result_count,
        )
    return read_only_modal(View.RUN_DETAILS, DETAILS_TITLE, blocks)
