"""Where a problem goes in a wizard step's view and its words there, shared by the steps:
the input that holds its location, else the step's first input, named by the part of the
workflow; warnings worded for the dialog.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.slack.ids import WizardBlock
from bot.slack.views.blocks import Block, context
from bot.slack.views.input_places import input_of
from bot.slack.views.problem_wording import dialog_text, dialog_warning
from bot.workflows.problems import Problem
from bot.workflows.property_labels import NO_LABELS, PropertyLabels
from bot.workflows.templates import escape_mrkdwn

MAX_ERROR_CHARS = 1000  # an error beside an input


def warnings_block(warnings: Sequence[Problem]) -> list[Block]:
    """Warnings in the dialog's words, in a context block of their own: the workflow saves
    anyway, so they are no input's errors."""
    if not warnings:
        return []
    return [context("\n".join(f"⚠️ {escape_mrkdwn(dialog_warning(w))}" for w in warnings))]


LOCATION_NAMES = {
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


# An input's block id (None: no input of the view holds it) and the problem's words there.
Placed = tuple[str | None, str]


def own_inputs(blocks: Sequence[Block]) -> dict[str, str]:
    """The block ids of a step's own inputs in view order, with their labels."""
    # Not "Type it": its id depends on the layout, and its errors come with its own id.
    typed = f"{WizardBlock.SCHEDULE_TEXT}."
    return {
        str(b["block_id"]): str(b["label"]["text"])
        for b in blocks
        if b["type"] == "input" and not str(b["block_id"]).startswith(typed)
    }


def place_on(
    labels: Mapping[str, str],
    problem: Problem,
    layout: int,
    monthly: str | None = None,
    property_labels: PropertyLabels = NO_LABELS,
) -> Placed:
    """The input among ``labels`` (block id -> label, in view order) a problem goes on, and
    its words there: the input that holds its location, else the first input, naming the part
    of the workflow; none when there are no inputs. ``monthly`` is the monthly schedule's way
    of choosing days (see input_of); ``property_labels`` name the properties."""
    own = input_of(problem.location, layout, monthly)
    if own is not None and own in labels:
        return own, dialog_text(problem, labels[own], property_labels)
    root = problem.location[0] if problem.location else None
    part = LOCATION_NAMES.get(str(root), "It")
    return next(iter(labels), None), dialog_text(problem, part, property_labels)
