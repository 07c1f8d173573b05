"""The wizard's schedule step walked by its labels over real HTTP: several times a day, only
in chosen months, business days with a country's (and region's) public holidays, the new
ordinals, and a combination that never runs refused beside its field."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from sqlalchemy import select

from bot.slack.ids import WizardBlock
from storage.database import transaction
from storage.models import WizardDraft
from tests.slack.e2e.conftest import OWNER
from tests.slack.harness import Bot, Modal, Slack, open_modal


def label_of(block: Mapping[str, Any]) -> str:
    return str(block.get("label", {}).get("text", ""))


def block_labelled(modal: Modal, label: str) -> str:
    """The block id of the input the user sees labelled ``label``."""
    found = [b["block_id"] for b in modal.blocks if label_of(b) == label]
    assert len(found) == 1, f"{len(found)} inputs labelled {label!r}: {_labels(modal)}"
    return str(found[0])


def _labels(modal: Modal) -> list[str]:
    return [label_of(b) for b in modal.blocks if b.get("type") == "input"]


def options_of(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    groups = element.get("option_groups") or [{"options": element.get("options", [])}]
    return [option for group in groups for option in group["options"]]


def option_shown(modal: Modal, label: str, text: str) -> dict[str, Any]:
    """The option of the input labelled ``label`` whose text reads ``text``."""
    block = next(b for b in modal.blocks if label_of(b) == label)
    options = options_of(block["element"])
    found = [o for o in options if o["text"]["text"] == text]
    assert found, f"{label!r} offers no {text!r}: {[o['text']['text'] for o in options]}"
    return found[0]


def pick(modal: Modal, label: str, text: str) -> None:
    modal.pick(block_labelled(modal, label), option_shown(modal, label, text)["value"])


def choose_many(modal: Modal, label: str, *texts: str) -> None:
    """Ticks options of a multi-select (sent with the next action or submission)."""
    modal.enter(block_labelled(modal, label), [option_shown(modal, label, t) for t in texts])


def texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    """Every text a person reads in the blocks: labels, hints, placeholders, options, sections."""
    for value in _walk(blocks):
        if isinstance(value, Mapping) and value.get("type") in ("plain_text", "mrkdwn"):
            yield str(value["text"])


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def preview(modal: Modal) -> str:
    block = next(b for b in modal.blocks if b.get("block_id") == WizardBlock.SCHEDULE_PREVIEW)
    return str(block["text"]["text"])


def stored_schedule(bot: Bot) -> dict[str, Any]:
    with transaction(bot.sessions) as session:
        [draft] = session.scalars(select(WizardDraft))
        return dict(draft.document["schedule"])


@pytest.fixture
def schedule_step(slack: Slack) -> Modal:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    modal.enter(WizardBlock.NAME, "Quarter close")
    modal.choose(WizardBlock.OBJECT_TYPE, "deals")
    assert modal.submit().json.get("response_action") == "update"
    return modal


def test_the_last_business_day_of_each_quarter_twice_a_day_skipping_californian_holidays(
    schedule_step: Modal, bot: Bot
) -> None:
    modal = schedule_step
    assert {"Runs", "Time of day", "More times of day"} <= set(_labels(modal))
    pick(modal, "Runs", "Monthly")
    pick(modal, "Which days", "On a flexible day, e.g. the last weekday")
    shown = list(texts(modal.blocks))
    for offered in ("last business day", "second to last Friday", "fifth Monday", "April"):
        assert offered in shown, offered
    assert "Second to last" in shown and "Fifth" in shown  # the option groups
    assert "Only in these months" in _labels(modal)
    # A holiday calendar is offered once a business day is chosen, a region once a country is.
    assert "Business days skip the public holidays of" not in _labels(modal)

    choose_many(modal, "Days", "last business day")
    choose_many(modal, "Only in these months", "March", "June", "September", "December")
    modal.enter(block_labelled(modal, "Time of day"), "09:00")
    modal.type_and_enter(block_labelled(modal, "More times of day"), "16:00")
    assert "Business days skip the public holidays of" in _labels(modal)
    assert "Region" not in _labels(modal)
    assert "Every month in March, June, September and December on the last business day " in (
        preview(modal)
    )
    assert "at 09:00 and 16:00 (America/New_York)" in preview(modal)

    pick(modal, "Business days skip the public holidays of", "United States (US)")
    assert "Region" in _labels(modal)
    pick(modal, "Region", "California (CA)")
    assert "(not counting public holidays in US-CA)" in preview(modal)
    # 31 March 2027 is César Chávez Day in California: its last business day is the 30th.
    assert preview(modal).splitlines()[1:6] == [
        "Next runs:",
        "• Thu 31 Dec 2026 09:00 EST",
        "• Thu 31 Dec 2026 16:00 EST",
        "• Tue 30 Mar 2027 09:00 EDT",
        "• Tue 30 Mar 2027 16:00 EDT",
    ]

    assert modal.submit().json.get("response_action") == "update"
    assert stored_schedule(bot) == {
        "frequency": "monthly",
        "month_positions": [{"ordinal": "last", "day": "business_day"}],
        "months": [3, 6, 9, 12],
        "holidays": "US",
        "subdivision": "CA",
        "times": ["09:00", "16:00"],
        "timezone": "America/New_York",
    }


def test_a_time_typed_wrong_is_named_beside_more_times(schedule_step: Modal) -> None:
    modal = schedule_step
    modal.enter(block_labelled(modal, "Time of day"), "09:00")
    modal.enter(block_labelled(modal, "More times of day"), "12:00, 9:30")
    answer = modal.submit()
    assert answer.json["response_action"] == "errors"
    assert answer.json["errors"] == {
        WizardBlock.MORE_TIMES: "Write a time of day as 09:30 or 16:00 (a 24-hour clock): "
        "9:30 is not one."
    }


def test_a_day_the_chosen_months_lack_is_refused_beside_the_days(schedule_step: Modal) -> None:
    modal = schedule_step
    pick(modal, "Runs", "Monthly")
    choose_many(modal, "Days", "30")
    choose_many(modal, "Only in these months", "February")
    modal.enter(block_labelled(modal, "Time of day"), "09:00")
    answer = modal.submit()
    assert answer.json["response_action"] == "errors"
    assert answer.json["errors"] == {
        WizardBlock.MONTH_DAYS: "February has no day 30: choose days up to 29, or other months."
    }


def test_a_holiday_calendar_is_offered_while_a_business_day_is_chosen(
    schedule_step: Modal, bot: Bot
) -> None:
    modal = schedule_step
    pick(modal, "Runs", "Monthly")
    pick(modal, "Which days", "On a flexible day, e.g. the last weekday")
    choose_many(modal, "Days", "fifth business day", "second to last Friday")
    modal.type_and_enter(block_labelled(modal, "More times of day"), "")
    assert "on the fifth business day and the second to last Friday at " in preview(modal)
    assert "not counting" not in preview(modal)
    hints = " ".join(texts(modal.blocks))
    assert "To pause runs on holidays instead, use the settings step." in hints
    assert "A month without a fifth one is skipped." in hints
    pick(modal, "Business days skip the public holidays of", "France (FR)")
    assert "(not counting public holidays in FR)" in preview(modal)
    # Without a business day among the days, the calendar goes, and so does the country.
    choose_many(modal, "Days", "second to last Friday")
    modal.type_and_enter(block_labelled(modal, "More times of day"), "")
    assert "Business days skip the public holidays of" not in _labels(modal)
    assert "not counting" not in preview(modal)
    assert "holidays" not in stored_schedule(bot)
    assert stored_schedule(bot)["month_positions"] == [{"ordinal": "second_to_last", "day": "fri"}]
