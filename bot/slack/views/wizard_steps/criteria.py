"""Wizard step 3, enrollment criteria: the criteria editor with the live count, reading it
back and placing its problems (the editor's).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.slack.ids import WizardBlock
from bot.slack.views import criteria_editor
from bot.slack.views.blocks import Block, context
from bot.slack.views.wizard_steps.inputs import StateValues
from bot.slack.views.wizard_steps.placing import Placed, place_on
from bot.workflows.draft_document import DraftDocument, criteria_of
from bot.workflows.drafts import Matching, WizardPage
from bot.workflows.problems import Problem
from bot.workflows.property_labels import PropertyLabels
from bot.workflows.vocabulary import PropertyType


def render(page: WizardPage) -> list[Block]:
    criteria = criteria_of(page.document, "criteria")
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


def read_inputs(
    updated: DraftDocument,
    values: StateValues,
    document: DraftDocument,
    properties: Mapping[str, PropertyType],
    layout: int,
) -> None:
    criteria = criteria_of(document, "criteria")
    updated["criteria"] = criteria_editor.read_criteria(
        "criteria", values, criteria, properties, layout
    )


def place(
    problem: Problem, document: DraftDocument, layout: int, property_labels: PropertyLabels
) -> Placed:
    """A problem of the criteria on its filter's row (the editor places it), else on no input."""
    root = problem.location[0] if problem.location else None
    if root == "criteria":
        found = criteria_editor.criteria_errors(
            "criteria", [problem], criteria_of(document, "criteria"), layout, property_labels
        )
        if found:
            return next(iter(found.items()))
    return place_on({}, problem, layout, property_labels=property_labels)
