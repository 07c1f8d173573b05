"""How large the dialog's views get for an object type of 1,000 properties: the criteria and
settings steps with every row the editors hold, each filter on an enumeration whose options
have the longest text Slack shows (75 characters): as many as a select lists, and 100
(searched), next to Slack's 250 KB limit.

python -m bench --views-only
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.slack.views.criteria_editor import LISTED_CHOICES, MAX_FILTERS
from bot.slack.views.wizard import build_wizard_view
from bot.workflows.drafts import WizardPage
from bot.workflows.vocabulary import PropertyType

SLACK_VIEW_LIMIT = 250_000
PROPERTIES = 1_000


@dataclass(frozen=True)
class ViewFigures:
    sizes: dict[str, int]  # step name -> bytes of the view's JSON

    @property
    def largest(self) -> tuple[str, int]:
        return max(self.sizes.items(), key=lambda item: item[1])


def _page(step: int, document: dict[str, object], options_each: int) -> WizardPage:
    properties = {
        f"enumeration_property_{i:04}": PropertyType.ENUMERATION for i in range(PROPERTIES)
    }
    options = {
        name: [f"{name} option {o:03} ".ljust(75, "x") for o in range(options_each)]
        for name in properties
    }
    return WizardPage(
        draft_id="d" * 32,
        step=step,
        layout=7,
        document={"name": "Views at their largest", "object_type": "deals", **document},
        properties=properties,
        options=options,
    )


def _filters() -> dict[str, object]:
    chosen = [
        {
            "property": f"enumeration_property_{i:04}",
            "operator": "in",
            "value": [
                f"enumeration_property_{i:04} option {o:03} ".ljust(75, "x") for o in range(3)
            ],
        }
        for i in range(MAX_FILTERS)
    ]
    return {"any": [{"all": chosen}]}


def run() -> ViewFigures:
    steps = {
        f"{step} ({each} options each)": _page(number, {field: _filters()}, each)
        for each in (LISTED_CHOICES, 100)
        for step, number, field in (
            ("criteria, step 3", 3, "criteria"),
            ("settings with suppression, step 5", 5, "suppression"),
        )
    }
    return ViewFigures(
        {name: len(json.dumps(build_wizard_view(page)).encode()) for name, page in steps.items()}
    )


def print_figures(figures: ViewFigures) -> None:
    print(f"\n## Dialog views for a type of {PROPERTIES:,} properties")
    print("| view | KB | x Slack's 250 KB limit |")
    print("|---|---:|---:|")
    for name, size in figures.sizes.items():
        print(f"| {name} | {size / 1000:.1f} | {size / SLACK_VIEW_LIMIT:.2f} |")
