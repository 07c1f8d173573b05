"""What a run summary offers beside its Details button, and what the bot answers when one
is pressed: Re-run failed, Skip next run (with Undo skip in its reply) and Snooze a record
(a modal that picks one of the run's records and a number of days), with the parsers of
those buttons' values and of the modal beside them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.slack.ids import SnoozeAction, SnoozeBlock, SummaryAction, View
from bot.slack.views.blocks import (
    SELECT_OPTIONS,
    Block,
    actions_block,
    button,
    cut,
    external_select,
    fits_option_value,
    id_value,
    input_block,
    labelled,
    modal,
    number_input,
    option,
    read_only_modal,
    section,
    state_values,
    static_select,
)
from bot.slack.views.history import details_button
from bot.slack.views.phrases import person_mrkdwn
from bot.workflows.run_followups import (
    MAX_SNOOZE_DAYS,
    MIN_SNOOZE_DAYS,
    RetryRequested,
    RunAbout,
    SkippedRun,
    SnoozeChoice,
    Snoozed,
)
from bot.workflows.templates import escape_mrkdwn

SNOOZE_TITLE = "Snooze a record"
DEFAULT_SNOOZE_DAYS = 7
_UNDO_SEPARATOR = ":"


def summary_actions(run_id: int, failed_actions: int) -> Block:
    """The actions block a run summary ends with: Details, Re-run failed (when something
    failed), Skip next run and Snooze a record; each button's value is the run id."""
    value = str(run_id)
    elements = [details_button(run_id)]
    if failed_actions:
        elements.append(button("Re-run failed", SummaryAction.RERUN_FAILED, value))
    elements.append(button("Skip next run", SummaryAction.SKIP_NEXT, value))
    elements.append(button("Snooze a record", SummaryAction.SNOOZE, value))
    return actions_block(*elements)


def _when(instant: datetime) -> str:
    return f"{instant:%a %d %b %Y %H:%M} ({instant.tzname()})"


def _day(day: date) -> str:
    return f"{day:%a %d %b %Y}"


# Re-run failed ------------------------------------------------------------------------------


def rerun_started_text(asked: RetryRequested) -> str:
    """What the one who pressed Re-run failed reads at once (the re-run's summary follows
    in the summary's channel)."""
    actions = "failed action" if asked.actions == 1 else "failed actions"
    return (
        f":repeat: Re-running {asked.actions:,} {actions} of run #{asked.retried_run_id} of "
        f"*{escape_mrkdwn(asked.workflow_name)}* as run #{asked.run_id}; its summary follows "
        "where this one was posted."
    )


# Skip next run ------------------------------------------------------------------------------


def skip_message(skipped: SkippedRun) -> tuple[str, list[Block]]:
    """The reply to Skip next run: which run is skipped, by whom, and Undo skip."""
    name = escape_mrkdwn(skipped.workflow_name)
    if skipped.already:
        text = (
            f":fast_forward: The run of *{name}* on {_when(skipped.scheduled_at)} was already "
            f"skipped by {person_mrkdwn(skipped.skipped_by)}."
        )
    else:
        text = (
            f":fast_forward: *{name}* will skip its run on {_when(skipped.scheduled_at)}, once; "
            "the runs after it happen as usual."
        )
    undo = button(
        "Undo skip",
        SummaryAction.UNDO_SKIP,
        f"{skipped.workflow_id}{_UNDO_SEPARATOR}{skipped.occurrence_key}",
    )
    return text, [section(text), actions_block(undo)]


def parse_undo(action: Mapping[str, Any]) -> tuple[int, str] | None:
    """The workflow id and occurrence key an Undo skip button stands for; None when its
    value is not one."""
    workflow, _, key = str(action.get("value") or "").partition(_UNDO_SEPARATOR)
    workflow_id = id_value(workflow)
    if workflow_id is None or not key:
        return None
    return workflow_id, key


def undone_text(skipped: SkippedRun) -> str:
    return (
        f":leftwards_arrow_with_hook: Skip undone: *{escape_mrkdwn(skipped.workflow_name)}* "
        f"runs on {_when(skipped.scheduled_at)} as scheduled."
    )


# Snooze a record ----------------------------------------------------------------------------


def record_option(choice: SnoozeChoice) -> dict[str, Any] | None:
    value = str(choice.record_id)
    if not fits_option_value(value):
        return None
    return option(labelled(choice.name, choice.external_id), value)


def record_options(choices: Sequence[SnoozeChoice]) -> list[dict[str, Any]]:
    options = [record_option(choice) for choice in choices[:SELECT_OPTIONS]]
    return [o for o in options if o is not None]


def snooze_view(about: RunAbout, choices: Sequence[SnoozeChoice], searched: bool) -> dict[str, Any]:
    """The modal: a picker of the run's records (listed, or searched as the user types when
    ``searched``: the run enrolled more than a select lists) and the days to snooze for."""
    if searched:
        picker = external_select(SnoozeAction.RECORD, "Search by name or id")
    else:
        picker = static_select(
            SnoozeAction.RECORD, placeholder="Choose a record", options=record_options(choices)
        )
    days = number_input(
        SnoozeAction.DAYS,
        min_value=MIN_SNOOZE_DAYS,
        max_value=MAX_SNOOZE_DAYS,
        initial_value=str(DEFAULT_SNOOZE_DAYS),
    )
    name = escape_mrkdwn(about.workflow_name)
    blocks = [
        section(
            f"A snoozed record is not enrolled by *{name}* until the snooze ends, even when "
            f"it matches. Records of run #{about.run_id} ({_when(about.scheduled_at)}):"
        ),
        input_block("Record", picker, block_id=SnoozeBlock.RECORD),
        input_block(
            "Days",
            days,
            block_id=SnoozeBlock.DAYS,
            hint=f"From {MIN_SNOOZE_DAYS} to {MAX_SNOOZE_DAYS}: it is enrolled again from "
            "the start of that day.",
        ),
    ]
    return modal(
        View.SNOOZE,
        SNOOZE_TITLE,
        blocks,
        submit="Snooze",
        close="Cancel",
        private_metadata=str(about.run_id),
    )


@dataclass(frozen=True)
class SnoozeDraft:
    run_id: int | None
    record_id: int | None
    days: str


def parse_snooze(view: Mapping[str, Any]) -> SnoozeDraft:
    values = state_values(view)
    record = (values.get(SnoozeBlock.RECORD) or {}).get(SnoozeAction.RECORD) or {}
    chosen = str((record.get("selected_option") or {}).get("value") or "")
    days = (values.get(SnoozeBlock.DAYS) or {}).get(SnoozeAction.DAYS) or {}
    run = str(view.get("private_metadata") or "")
    return SnoozeDraft(
        run_id=id_value(run),
        record_id=id_value(chosen),
        days=str(days.get("value") or "").strip(),
    )


def snooze_errors(draft: SnoozeDraft) -> dict[str, str]:
    """What is missing from the submission, by input block."""
    errors: dict[str, str] = {}
    if draft.record_id is None:
        errors[SnoozeBlock.RECORD] = "Choose the record to snooze."
    if not draft.days:
        errors[SnoozeBlock.DAYS] = (
            f"Enter how many days to snooze for, from {MIN_SNOOZE_DAYS} to {MAX_SNOOZE_DAYS}."
        )
    return errors


def snoozed_view(snoozed: Snoozed) -> dict[str, Any]:
    """The modal once done: ``Acme renewal is snoozed in Weekly review until Mon 14 Dec``."""
    text = (
        f":zzz: *{escape_mrkdwn(snoozed.record_name)}* is snoozed in "
        f"*{escape_mrkdwn(snoozed.workflow_name)}* until {_day(snoozed.until)}: its runs "
        "enroll it again from that day."
    )
    return read_only_modal(View.SNOOZE, SNOOZE_TITLE, [section(cut(text, 2900))])
