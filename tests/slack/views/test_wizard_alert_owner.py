"""The settings step asks when the owner hears of failed actions: a select in plain words
that reads back as the file's alert_owner value, and whose problem lands on it."""

from __future__ import annotations

from typing import Any

from bot.slack.ids import WizardBlock
from bot.slack.views.wizard import read_step, step_errors
from bot.workflows.problems import Problem, ProblemCode
from tests.slack.views.state import choose, state_from_blocks
from tests.slack.views.test_wizard import FULL, PROPERTIES, page, view_of


def _alert_block(settings: dict[str, object]) -> dict[str, Any]:
    view = view_of(page(5, {**FULL, "settings": settings}))
    return next(b for b in view["blocks"] if b.get("block_id") == WizardBlock.ALERT_OWNER)


def test_the_settings_step_offers_the_alert_in_plain_words_any_failure_first() -> None:
    block = _alert_block({})
    assert block["label"]["text"] == "Tell the owner about failed actions"
    element = block["element"]
    assert element["type"] == "static_select"
    labels = [o["text"]["text"] for o in element["options"]]
    assert labels == [
        "When any action of a run fails",
        "Only when every action of a run fails",
        "Never",
    ]
    for label in labels:
        assert "_" not in label  # no file value (any_failure...) in the dialog
    assert element["initial_option"]["value"] == "any_failure"


def test_a_chosen_alert_is_shown_again_and_read_back() -> None:
    assert _alert_block({"alert_owner": "never"})["element"]["initial_option"]["value"] == "never"
    view = view_of(page(5, FULL))
    values = state_from_blocks(view["blocks"])
    choose(view["blocks"], values, WizardBlock.ALERT_OWNER, "all_failed")
    assert read_step(5, values, FULL, PROPERTIES, 3)["settings"]["alert_owner"] == "all_failed"


def test_a_problem_with_the_alert_lands_on_its_select() -> None:
    problems = [
        Problem(("settings", "alert_owner"), ProblemCode.UNKNOWN_OPTION, "'sometimes' is not")
    ]
    errors = step_errors(5, problems, FULL, 3)
    assert list(errors) == [WizardBlock.ALERT_OWNER]
