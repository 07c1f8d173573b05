"""Wizard step 4, actions: the actions editor, reading it back and placing its problems
(the editor's).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.slack.views import actions_editor
from bot.slack.views.blocks import Block, context
from bot.slack.views.wizard_steps.inputs import StateValues
from bot.slack.views.wizard_steps.placing import Placed, place_on
from bot.workflows.draft_document import DraftDocument, actions_of
from bot.workflows.drafts import WizardPage
from bot.workflows.problems import Problem
from bot.workflows.property_labels import PropertyLabels
from bot.workflows.vocabulary import PropertyType


def render(page: WizardPage) -> list[Block]:
    intro = context("What the workflow does for each enrolled record, in this order.")
    actions = actions_of(page.document)
    return [intro, *actions_editor.actions_blocks(actions, page.properties, page.layout)]


def read_inputs(
    updated: DraftDocument,
    values: StateValues,
    document: DraftDocument,
    properties: Mapping[str, PropertyType],
    layout: int,
) -> None:
    actions = actions_of(document)
    updated["actions"] = actions_editor.read_actions(values, actions, properties, layout)


def place(
    problem: Problem, document: DraftDocument, layout: int, property_labels: PropertyLabels
) -> Placed:
    """A problem of the actions on the action's input (the editor places it), else on no input."""
    root = problem.location[0] if problem.location else None
    if root == "actions":
        actions = actions_of(document)
        found = actions_editor.actions_errors([problem], actions, layout, property_labels)
        if found:
            return next(iter(found.items()))
    return place_on({}, problem, layout, property_labels=property_labels)
