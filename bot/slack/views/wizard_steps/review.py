"""Wizard step 6, the review: what the workflow will do, or what to fix first. It has no
inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot.slack.ids import WizardBlock
from bot.slack.views.blocks import Block, cut, packed, section
from bot.slack.views.explanations import forecast_lines
from bot.slack.views.phrases import phrase_mrkdwn, when
from bot.slack.views.wizard_steps.inputs import StateValues
from bot.slack.views.wizard_steps.placing import Placed, place_on, warnings_block
from bot.workflows.draft_document import DraftDocument
from bot.workflows.drafts import Review, WizardPage, step_of
from bot.workflows.problems import Problem
from bot.workflows.property_labels import PropertyLabels
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.vocabulary import PropertyType

SHOWN_LINE_CHARS = 500  # one action or criteria group in the review


# Problems as the lines the review lists them in (the wizard's problem_lines).
ProblemLines = Callable[[Sequence[Problem], DraftDocument, PropertyLabels], Sequence[str]]


def render(page: WizardPage, problem_lines: ProblemLines) -> list[Block]:
    review = page.review
    if review is None:
        return [section("Nothing to review.", block_id=WizardBlock.REVIEW)]
    type_name = escape_mrkdwn(review.object_type)
    head = f"*{escape_mrkdwn(review.name) or 'Unnamed workflow'}* · {type_name}"
    if review.problems:
        lines = [
            f"• Step {step_of(problem)}, {escape_mrkdwn(line)}"
            for problem in review.problems
            for line in problem_lines([problem], page.document, page.labels)
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


def read_inputs(
    updated: DraftDocument,
    values: StateValues,
    document: DraftDocument,
    properties: Mapping[str, PropertyType],
    layout: int,
) -> None:
    """The review has no inputs: the document stays as it was."""


def place(
    problem: Problem, document: DraftDocument, layout: int, property_labels: PropertyLabels
) -> Placed:
    """The review has no inputs: a problem goes on none, worded by the part of the workflow."""
    return place_on({}, problem, layout, property_labels=property_labels)
