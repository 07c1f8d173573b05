"""The criteria editor shows a property's label and an option's label where the source
gives them (HubSpot's "Deal stage", "Contract sent"), and stores the names and values that
criteria compare."""

from __future__ import annotations

import pytest

from bot.slack.views.criteria_editor import (
    STATIC_PROPERTIES,
    choice_options,
    criteria_blocks,
    property_options,
    read_criteria,
)
from bot.slack.views.wizard import step_errors
from bot.workflows.criteria import InvalidCriteria, parse_criteria
from bot.workflows.draft_document import DraftDocument
from bot.workflows.drafts import WizardStep
from bot.workflows.property_labels import PropertyLabels
from bot.workflows.vocabulary import PropertyType
from tests.slack.views.state import choose, state_from_blocks
from tests.slack.views.test_criteria_editor import assert_valid, block, one_group

PROPERTIES = {
    "dealstage": PropertyType.ENUMERATION,
    "amount": PropertyType.NUMBER,
    "hs_priority": PropertyType.STRING,
}
STAGES = {"dealstage": ["appointmentscheduled", "contractsent", "1234567"]}
LABELS = PropertyLabels(
    {"dealstage": "Deal stage", "amount": "Amount"},
    {
        "dealstage": {
            "appointmentscheduled": "Appointment scheduled",
            "contractsent": "Contract sent (Sales pipeline)",
            "1234567": "Contract sent (Renewals)",
        }
    },
)


def test_the_property_picker_shows_labels_and_stores_names() -> None:
    criteria = one_group({"property": "dealstage", "operator": "eq", "value": "contractsent"})
    blocks = criteria_blocks("criteria", criteria, PROPERTIES, 1, STAGES, LABELS)
    assert_valid(blocks)
    picker = block(blocks, "criteria.g0.f0.property@1")["element"]
    shown = {o["value"]: o["text"]["text"] for o in picker["options"]}
    assert shown["dealstage"] == "Deal stage (dealstage, enumeration)"
    assert shown["hs_priority"] == "hs_priority (string)"  # no label: the name
    assert picker["initial_option"]["value"] == "dealstage"


def test_stage_options_show_their_labels_and_store_their_ids() -> None:
    criteria = one_group({"property": "dealstage", "operator": "eq", "value": "contractsent"})
    blocks = criteria_blocks("criteria", criteria, PROPERTIES, 1, STAGES, LABELS)
    element = block(blocks, "criteria.g0.f0.value@1")["element"]
    assert [o["text"]["text"] for o in element["options"]] == [
        "Appointment scheduled",
        "Contract sent (Sales pipeline)",
        "Contract sent (Renewals)",
    ]
    assert element["initial_option"]["text"]["text"] == "Contract sent (Sales pipeline)"
    values = state_from_blocks(blocks)
    choose(blocks, values, "criteria.g0.f0.value@1", "1234567")
    read = read_criteria("criteria", values, criteria, PROPERTIES, 1)
    assert read == one_group({"property": "dealstage", "operator": "eq", "value": "1234567"})


def test_the_searches_find_properties_and_options_by_label_too() -> None:
    many = PROPERTIES | {f"custom_{i:03}": PropertyType.STRING for i in range(STATIC_PROPERTIES)}
    found = property_options(many, "deal st", LABELS)
    assert [o["value"] for o in found] == ["dealstage"]
    assert property_options(many, "deal st") == []  # by name alone, nothing
    document = {"criteria": one_group({"property": "dealstage", "operator": "eq"})}
    offered = choice_options(document, "criteria.g0.f0.value@4", STAGES, "renewals", LABELS)
    assert [(o["value"], o["text"]["text"]) for o in offered] == [
        ("1234567", "Contract sent (Renewals)")
    ]


def test_a_problem_beside_a_filter_names_its_property_by_its_label() -> None:
    criteria = one_group({"property": "amount", "operator": "gt", "value": "lots"})
    with pytest.raises(InvalidCriteria) as refused:
        parse_criteria(criteria, PROPERTIES)
    problems = [problem.under("criteria") for problem in refused.value.problems]
    document: DraftDocument = {"criteria": criteria}

    labelled = step_errors(WizardStep.CRITERIA, problems, document, 1, LABELS)
    named = step_errors(WizardStep.CRITERIA, problems, document, 1)

    assert list(labelled) == ["criteria.g0.f0.value@1"]
    assert "The value for Amount needs to be a number" in labelled["criteria.g0.f0.value@1"]
    assert "The value for amount needs to be a number" in named["criteria.g0.f0.value@1"]
