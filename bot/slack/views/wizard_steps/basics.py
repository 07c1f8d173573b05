"""Wizard step 1, name and object type: its inputs, reading them back and placing their
problems.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.slack.ids import WizardAction, WizardBlock
from bot.slack.views.blocks import (
    SELECT_OPTIONS,
    Block,
    input_block,
    labelled,
    option,
    plain_text_input,
    section,
    static_select,
)
from bot.slack.views.wizard_steps.inputs import StateValues, shown, value_of
from bot.slack.views.wizard_steps.placing import Placed, own_inputs, place_on
from bot.workflows.definitions import MAX_NAME
from bot.workflows.draft_document import DraftDocument
from bot.workflows.drafts import ObjectTypeChoice, WizardPage, WizardStep
from bot.workflows.problems import Problem
from bot.workflows.property_labels import PropertyLabels
from bot.workflows.vocabulary import PropertyType


def render(page: WizardPage) -> list[Block]:
    name = page.document.get("name")
    element = plain_text_input(
        WizardAction.INPUT,
        placeholder="e.g. Weekly deal review",
        initial_value=name if isinstance(name, str) else None,
        max_length=MAX_NAME,
    )
    blocks = [input_block("Workflow name", element, block_id=WizardBlock.NAME)]
    options = _object_type_options(page)
    if not options:
        blocks.append(
            section("There are no object types yet: import records first, then try again.")
        )
        return blocks
    current = page.document.get("object_type")
    select = static_select(
        WizardAction.INPUT,
        placeholder="Choose a type of record",
        options=options,
        initial_option=next((o for o in options if o["value"] == current), None),
    )
    hint = "The records the workflow enrolls: criteria and actions use this type's properties."
    blocks.append(input_block("Object type", select, block_id=WizardBlock.OBJECT_TYPE, hint=hint))
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


def read_inputs(
    updated: DraftDocument,
    values: StateValues,
    document: DraftDocument,
    properties: Mapping[str, PropertyType],
    layout: int,
) -> None:
    if shown(values, WizardBlock.NAME):
        updated["name"] = value_of(values, WizardBlock.NAME) or ""
    if shown(values, WizardBlock.OBJECT_TYPE):
        updated.pop("object_type", None)
        if object_type := value_of(values, WizardBlock.OBJECT_TYPE):
            updated["object_type"] = object_type


def place(
    problem: Problem, document: DraftDocument, layout: int, property_labels: PropertyLabels
) -> Placed:
    """A problem of the name or the object type, on its input."""
    # Any object type makes the step show its select, as it does whenever one exists.
    page = WizardPage("", WizardStep.NAME, 0, document, object_types=(ObjectTypeChoice("", 0),))
    return place_on(own_inputs(render(page)), problem, layout, property_labels=property_labels)
