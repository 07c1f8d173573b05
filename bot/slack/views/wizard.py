"""The create/edit wizard's modal: the frame around the step's view (title, step line,
buttons, private_metadata) built from a WizardPage, and the table of steps that renders,
reads back and places problems for each step (one module each in wizard_steps).

The modal's private_metadata is the draft id and, on a page, the step it shows (a late
click on a page the draft has left is told apart by it); every value lives in the draft.
Inputs whose change re-renders the step dispatch WizardAction.REFRESH.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from bot.slack.ids import SLASH_COMMAND, View, WizardAction, WizardBlock
from bot.slack.views.blocks import (
    MODAL_BLOCKS,
    Block,
    actions_block,
    button,
    context,
    cut,
    modal,
    notice_view,
    read_only_modal,
    section,
)
from bot.slack.views.phrases import when
from bot.slack.views.wizard_steps import actions, basics, criteria, review, schedule, settings
from bot.slack.views.wizard_steps.inputs import StateValues
from bot.slack.views.wizard_steps.placing import (
    LOCATION_NAMES,
    MAX_ERROR_CHARS,
    Placed,
    warnings_block,
)
from bot.workflows.definitions import InvalidDefinition
from bot.workflows.draft_document import DraftDocument
from bot.workflows.drafts import Finished, UnsavableDraft, WizardPage, WizardStep, step_of
from bot.workflows.lifecycle import WorkflowError
from bot.workflows.problems import Problem
from bot.workflows.property_labels import NO_LABELS, PropertyLabels
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.vocabulary import PropertyType, WorkflowStatus

# Between the draft id (hex digits) and the step in a page's private_metadata.
_STEP_MARK = ":"


def build_wizard_view(page: WizardPage, outdated: WizardStep | None = None) -> dict[str, Any]:
    """The modal of the page's step; ``outdated``: the step of the out-of-date page that
    was submitted instead (drafts.Submitted.outdated), said above it."""
    blocks = [_step_line(page.step)]
    if outdated is not None:
        blocks.append(_outdated_section(outdated, page))
    if page.problems:
        blocks.append(_problems_section(page.problems))
    blocks += _STEPS[page.step].render(page)
    if page.step != WizardStep.NAME:
        blocks.append(_navigation(page))
    return modal(
        View.WIZARD,
        _title(page.editing is not None),
        blocks[:MODAL_BLOCKS],
        submit=_submit_label(page),
        close="Cancel",
        private_metadata=f"{page.draft_id}{_STEP_MARK}{int(page.step)}",
    )


def loading_view(editing: bool = False) -> dict[str, Any]:
    """What the modal shows while the wizard starts (views.open must come first)."""
    return modal(View.LOADING, _title(editing), [section("Loading…")], close="Cancel")


def message_view(text: str, editing: bool = False) -> dict[str, Any]:
    """A modal that only says, in ``text`` (mrkdwn, already escaped), why the wizard cannot
    go on: permission denied, an unknown workflow, a draft that expired."""
    return notice_view(_title(editing), text)


def saving_view(draft_id: str, editing: bool = False) -> dict[str, Any]:
    """What the modal shows while the workflow is saved. Saving can take longer than the
    3 seconds Slack waits for an answer, so the answer is this; the modal is updated once
    saving is done. Nothing to submit: nothing to press twice."""
    return modal(View.WIZARD, _title(editing), [section("Saving…")], private_metadata=draft_id)


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


def problem_lines(
    problems: Sequence[Problem] | Sequence[str],
    document: DraftDocument | None = None,
    property_labels: PropertyLabels = NO_LABELS,
) -> tuple[str, ...]:
    """Problems as lines for the top of a step or the review, each led by the part of the
    workflow it is in and worded by its input's label in the draft's ``document`` (when
    given), naming properties by their ``property_labels``; messages that are already
    sentences (a refusal to save) as they are."""
    return tuple(
        problem
        if isinstance(problem, str)
        else _problem_line(problem, document or {}, property_labels)
        for problem in problems
    )


def unsaved_lines(error: InvalidDefinition | WorkflowError) -> tuple[str, ...]:
    """Why the draft was not saved, as lines above the review: its problems worded as the
    review words them (a draft's, UnsavableDraft, by its inputs' and properties' labels),
    or the refusal's sentence."""
    if isinstance(error, UnsavableDraft):
        return problem_lines(error.problems, error.document, error.labels)
    if isinstance(error, InvalidDefinition):
        return problem_lines(error.problems)
    return (str(error),)


def _problem_line(problem: Problem, document: DraftDocument, labels: PropertyLabels) -> str:
    root = str(problem.location[0]) if problem.location else ""
    section = LOCATION_NAMES.get(root, "Workflow")
    _, text = _placed(step_of(problem), problem, document, 0, labels)
    return f"{section}: {text}"


def draft_id_of(view: Mapping[str, Any]) -> str:
    return str(view.get("private_metadata") or "").partition(_STEP_MARK)[0]


def page_step_of(view: Mapping[str, Any]) -> WizardStep | None:
    """The step of the wizard page ``view`` shows; None when it shows none ("Saving…") or
    its metadata names none."""
    step = str(view.get("private_metadata") or "").partition(_STEP_MARK)[2]
    if not step.isdigit() or int(step) not in {int(known) for known in WizardStep}:
        return None
    return WizardStep(int(step))


def input_version_of(body: Mapping[str, Any]) -> int | None:
    """When the user made the input a block action carries (its action_ts, in
    microseconds): it orders the inputs of a modal whose requests may be served in either
    order. None when the payload has none (a view submission) or it is not a number."""
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    stamp = first.get("action_ts") if isinstance(first, Mapping) else None
    if not isinstance(stamp, str):
        return None
    try:
        return int(Decimal(stamp) * 1_000_000)
    except (InvalidOperation, ValueError):  # ValueError: "NaN" and "Infinity" have no int
        return None


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
    return context(_step_words(step), block_id=WizardBlock.STEP)


def _step_words(step: WizardStep) -> str:
    return f"Step {step} of {len(WizardStep)} · {WizardStep(step).title}"


def _outdated_section(shown: WizardStep, page: WizardPage) -> Block:
    # What was typed on the page submitted is not kept: those inputs belong to another step.
    text = (
        f"⚠️ The page you clicked Next on ({_step_words(shown)}) was out of date, so what you "
        f"entered on it was not kept. The dialog is at {_step_words(page.step)}, shown here: "
        f"check it, then click {_submit_label(page)}."
    )
    return section(text, block_id=WizardBlock.OUTDATED)


def _navigation(page: WizardPage) -> Block:
    elements = [button("Back", WizardAction.BACK, "back")]
    if page.step == WizardStep.REVIEW:
        elements.append(
            button(_save_draft_label(page.editing), WizardAction.SAVE_DRAFT, "save_draft")
        )
    return actions_block(*elements, block_id=WizardBlock.NAVIGATION)


def _problems_section(problems: Sequence[str]) -> Block:
    lines = "\n".join(f"• {escape_mrkdwn(problem)}" for problem in problems)
    return section(f"⚠️ *This cannot be saved yet:*\n{lines}", block_id=WizardBlock.PROBLEMS)


def read_step(
    step: WizardStep,
    state_values: StateValues,
    document: DraftDocument,
    properties: Mapping[str, PropertyType],
    layout: int,
) -> DraftDocument:
    """The draft document with the step's inputs (Slack's view.state.values) read into it.
    Permissive: what the user entered is kept as entered, valid or not; an input the view
    did not have leaves the document's value as it was. Never raises."""
    updated = copy.deepcopy(document)
    values = state_values if isinstance(state_values, Mapping) else {}
    _STEPS[step].read(updated, values, document, properties, layout)
    return updated


def step_errors(
    step: WizardStep,
    problems: Sequence[Problem],
    document: DraftDocument,
    layout: int,
    property_labels: PropertyLabels = NO_LABELS,
) -> dict[str, str]:
    """The step's problems (drafts.step_problems) as response_action "errors": block id of
    an input the step's view has -> the problems there, each its own sentence in the words
    of that input (a property by its label in ``property_labels``, where it has one). A
    problem without an input of its own goes on the step's first input; a step without
    inputs (the review) gets none."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        block_id, text = _placed(step, problem, document, layout, property_labels)
        if block_id is not None:
            errors.setdefault(block_id, []).append(text)
    return {
        block_id: cut("\n".join(dict.fromkeys(texts)), MAX_ERROR_CHARS)
        for block_id, texts in errors.items()
    }


def _placed(
    step: WizardStep,
    problem: Problem,
    document: DraftDocument,
    layout: int,
    property_labels: PropertyLabels,
) -> Placed:
    """The input block of the step's view a problem (located from the document's root) goes
    on, and its words there: each step places its own."""
    return _STEPS[step].place(problem, document, layout, property_labels)


# --- The steps ------------------------------------------------------------------------------

# Reads a step's inputs into the updated document: (updated, state values, document as it
# was, the object type's properties, layout).
StepReader = Callable[
    [DraftDocument, StateValues, DraftDocument, Mapping[str, PropertyType], int], None
]


@dataclass(frozen=True)
class _Step:
    """One step of the wizard: its view, reading its inputs back into the document, and the
    input each of its problems goes on (a module of wizard_steps)."""

    render: Callable[[WizardPage], list[Block]]
    read: StepReader
    place: Callable[[Problem, DraftDocument, int, PropertyLabels], Placed]


_STEPS: Mapping[WizardStep, _Step] = {
    WizardStep.NAME: _Step(basics.render, basics.read_inputs, basics.place),
    WizardStep.SCHEDULE: _Step(schedule.render, schedule.read_inputs, schedule.place),
    WizardStep.CRITERIA: _Step(criteria.render, criteria.read_inputs, criteria.place),
    WizardStep.ACTIONS: _Step(actions.render, actions.read_inputs, actions.place),
    WizardStep.SETTINGS: _Step(settings.render, settings.read_inputs, settings.place),
    WizardStep.REVIEW: _Step(
        partial(review.render, problem_lines=problem_lines), review.read_inputs, review.place
    ),
}
