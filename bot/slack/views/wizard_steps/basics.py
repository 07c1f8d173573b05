"""Wizard step 1, name and object type: its inputs, reading them back and placing their
problems.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.slack.ids import WizardAction, WizardBlock
from bot.slack.views.blocks import SELECT_OPTIONS, Block, labelled, option, plain, section
from bot.slack.views.wizard_steps.inputs import StateValues, input_block, shown, value_of
from bot.slack.views.wizard_steps.placing import Placed, own_inputs, place_on
from bot.workflows.definitions import MAX_NAME
from bot.workflows.draft_document import DraftDocument
from bot.workflows.drafts import ObjectTypeChoice, WizardPage, WizardStep
from bot.workflows.problems import Problem
from bot.workflows.property_labels import PropertyLabels
from bot.workflows.vocabulary import PropertyType


def render(page: WizardPage) -> list[Block]:
    name = page.document.get("name")
    element: Block = {
        "type": "plain_text_input",
        "action_id": WizardAction.INPUT,
        "max_length": MAX_NAME,
        "placeholder": plain("e.g. Weekly deal review"),
    }
    if isinstance(name, str) and name:
        element["initial_value"] = name
    blocks = [input_block(WizardBlock.NAME, "Workflow name", element)]
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
    blocks.append(input_block(WizardBlock.OBJECT_TYPE, "Object type", select, hint=hint))
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
