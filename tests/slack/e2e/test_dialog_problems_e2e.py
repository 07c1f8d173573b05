"""Every validation rule a person can break in the create dialog, walked over real HTTP by the
dialog's labels: each refusal lands on the input it is about, and its words are the
dialog's: no key of the workflow file, no operator code, no quoting as files quote."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from bot.slack.ids import WizardAction, WizardBlock
from bot.workflows.clock import FixedClock
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.slack.dialog_words import file_words_in
from tests.slack.e2e.conftest import OWNER
from tests.slack.e2e.test_wizard_schedule_e2e import block_labelled, choose_many, label_of, pick
from tests.slack.harness import Bot, Modal, Slack, open_modal
from tests.slack_standin import TEAM_ID


@pytest.fixture
def deals(bot: Bot, clock: FixedClock) -> None:
    import_deals(
        bot.sessions,
        [deal("D1", "Acme", owner=OWNER, amount=5000, close_date="2026-11-01")],
        clock.now(),
        TEAM_ID,
    )


def assert_in_dialog_words(text: str) -> None:
    assert not file_words_in(text), f"{file_words_in(text)} in {text!r}"


def to_step(modal: Modal, step: int) -> None:
    """From step 1, through valid steps, to ``step``."""
    fills: list[Callable[[Modal], None]] = [_name, _schedule, _criteria, _actions]
    for fill in fills[: step - 1]:
        fill(modal)
        answer = modal.submit()
        assert answer.json.get("response_action") == "update", answer.json


def _name(modal: Modal) -> None:
    modal.enter(WizardBlock.NAME, "Deal review")
    modal.choose(WizardBlock.OBJECT_TYPE, "deals")


def _schedule(modal: Modal) -> None:
    modal.enter(block_labelled(modal, "Time of day"), "09:00")


def _criteria(modal: Modal) -> None:
    """No filter: every record."""


def _actions(modal: Modal) -> None:
    modal.pick("actions.add", "send_owner_dm")
    modal.enter("actions.a0.text", "{{ name }} needs a look")


def _filter(modal: Modal, name: str, operator: str, value: str | None = None) -> None:
    modal.press(WizardAction.ADD_FILTER, '"criteria"')
    row = sum(str(b.get("block_id", "")).startswith("criteria.g0.f") for b in modal.blocks) // 2
    f = max(row - 1, 0)
    modal.pick(f"criteria.g0.f{f}.property", name)
    modal.pick(f"criteria.g0.f{f}.operator", operator, WizardAction.REFRESH)
    if value is not None:
        modal.enter(f"criteria.g0.f{f}.value", value)


def _action(modal: Modal, kind: str, **fields: Any) -> None:
    modal.pick("actions.add", kind)
    for name, value in fields.items():
        modal.enter(f"actions.a0.{name}", value)


# (step, what the person does there, the label of the input the refusal belongs beside,
# the words it says). Labels and texts are what the dialog shows.
Walk = tuple[int, Callable[[Modal], None], str, str]
WALKS: Mapping[str, Walk] = {
    "a name of spaces": (
        1,
        lambda m: (m.enter(WizardBlock.NAME, "   "), m.choose(WizardBlock.OBJECT_TYPE, "deals")),
        "Workflow name",
        "Give the workflow a name.",
    ),
    "no type of records": (
        1,
        lambda m: m.enter(WizardBlock.NAME, "Deal review"),
        "Object type",
        "Choose the type of records the workflow runs on.",
    ),
    "a name another workflow has": (
        1,
        lambda m: (m.enter(WizardBlock.NAME, "taken"), m.choose(WizardBlock.OBJECT_TYPE, "deals")),
        "Workflow name",
        "A workflow named Taken already exists: choose another name.",
    ),
    "a weekly schedule without days": (
        2,
        lambda m: (_schedule(m), m.enter(WizardBlock.WEEKDAYS, [])),
        "On",
        "Choose at least one day of the week.",
    ),
    "no time of day": (
        2,
        lambda m: m.enter(block_labelled(m, "Time of day"), None),
        "Time of day",
        "Choose the time of day.",
    ),
    "a time typed wrong": (
        2,
        lambda m: (_schedule(m), m.enter(block_labelled(m, "More times of day"), "9.30")),
        "More times of day",
        "Write a time of day as 09:30 or 16:00 (a 24-hour clock): 9.30 is not one.",
    ),
    "too many times a day": (
        2,
        lambda m: (
            _schedule(m),
            m.enter(
                block_labelled(m, "More times of day"),
                ", ".join(f"{h:02d}:30" for h in range(24)),
            ),
        ),
        "More times of day",
        "More times of day has 25: at most 24 are allowed.",
    ),
    "an interval of none": (
        2,
        lambda m: (_schedule(m), m.enter(WizardBlock.INTERVAL, "0")),
        "Repeat every how many weeks",
        "Repeat every how many weeks needs a whole number from 1 to 1000.",
    ),
    "an end before the start": (
        2,
        lambda m: (
            _schedule(m),
            m.enter(WizardBlock.START_DATE, "2027-02-01"),
            m.enter(WizardBlock.END_DATE, "2027-01-01"),
        ),
        "End date",
        "The end date is before the start date (1 February 2027): choose a later end date.",
    ),
    "a date that has passed": (
        2,
        lambda m: (
            pick(m, "Runs", "Once"),
            _schedule(m),
            m.enter(WizardBlock.DATE, "2020-01-01"),
        ),
        "Date",
        "2020-01-01 at 09:00 (America/New_York) has passed: choose a later date.",
    ),
    "a monthly day no chosen month has": (
        2,
        lambda m: (
            pick(m, "Runs", "Monthly"),
            choose_many(m, "Days", "31"),
            choose_many(m, "Only in these months", "April"),
            _schedule(m),
        ),
        "Days",
        "April has no day 31: choose days up to 30, or other months.",
    ),
    "a monthly schedule without days": (
        2,
        lambda m: (pick(m, "Runs", "Monthly"), choose_many(m, "Days"), _schedule(m)),
        "Days",
        "Choose at least one day of the month.",
    ),
    "an amount that is not a number": (
        3,
        lambda m: _filter(m, "amount", "gt", "lots"),
        "Value",
        "The value for amount needs to be a number, e.g. 4000.",
    ),
    "a condition without its value": (
        3,
        lambda m: _filter(m, "stage", "eq"),
        "Value",
        "Pick a value for “is equal to”.",
    ),
    "bounds the wrong way round": (
        3,
        lambda m: _filter(m, "amount", "between", "5000, 1000"),
        "From, to",
        "From, to: 5000 comes after 1000: write the lower one first.",
    ),
    "a date that is not one": (
        3,
        lambda m: _filter(m, "close_date", "before", "soon"),
        "Day",
        "The value for close_date needs to be a date, e.g. 2026-03-01, or today, yesterday "
        "or tomorrow.",
    ),
    "too many days back": (
        3,
        lambda m: _filter(m, "close_date", "in_last_days", "99999"),
        "Number of days",
        "Number of days needs a whole number from 0 to 36600.",
    ),
    "no action": (
        4,
        lambda m: None,
        "Add the first action",
        "Add at least one action: what the workflow does for each record.",
    ),
    "a task due in lots of days": (
        4,
        lambda m: _action(m, "create_task", title="Call", due_in_days="lots"),
        "Due in (days)",
        "Due in (days) needs a whole number from 0 to 36600.",
    ),
    "a property name with spaces": (
        4,
        lambda m: _action(m, "set_property", property="Last Call", value="x"),
        "Property",
        "Property needs lower-case letters, digits and _, starting with a letter, "
        "e.g. last_reminded.",
    ),
    "a built-in field set as a property": (
        4,
        lambda m: _action(m, "set_property", property="owner", value="x"),
        "Property",
        "The name owner belongs to a built-in field of every record, not a property: choose "
        "another name.",
    ),
    "a number property set to words": (
        4,
        lambda m: _action(m, "set_property", property="amount", value="lots"),
        "Value",
        "The value for amount needs to be a number, e.g. 4000.",
    ),
    "a message naming no placeholder known": (
        4,
        lambda m: _action(m, "send_owner_dm", text="Hi {{ nam }}"),
        "Message",
        "Message has {{ nam }}, which is not a placeholder: did you mean {{ name }}?",
    ),
    "a message naming a property the records lack": (
        4,
        lambda m: _action(m, "send_owner_dm", text="Hi {{ properties.amout }}"),
        "Message",
        "Message has {{ properties.amout }}, but the records have no property amout: did you "
        "mean {{ properties.amount }}?",
    ),
    "a message with a placeholder's braces unpaired": (
        4,
        lambda m: _action(m, "send_owner_dm", text="Hi {{ name"),
        "Message",
        "Message has braces that do not pair up in “Hi {{ name”: write a placeholder as "
        "{{ name }}, two braces each side.",
    ),
    "a direct message to nobody": (
        4,
        lambda m: _action(m, "send_dm", text="Hi"),
        "People",
        "Choose at least one person or user group.",
    ),
    "a user group written as words": (
        4,
        lambda m: _action(m, "send_dm", text="Hi", user_groups="sales team"),
        "User groups",
        "User groups needs people from the list, or user groups such as @sales-leads.",
    ),
    "pause days that are not days": (
        5,
        lambda m: m.enter(WizardBlock.PAUSE_DAYS, "12-25, 12-32, 02-30"),
        "Pause days",
        "Pause day 2 (12-32) is not a day: write 12-25 for every year or 2026-11-26 for one "
        "day.\nPause day 3 (02-30) is not a day: write 12-25 for every year or 2026-11-26 "
        "for one day.",
    ),
    "a catch-up window longer than a week": (
        5,
        lambda m: m.enter(WizardBlock.CATCH_UP, "20000"),
        "Catch-up window (minutes)",
        "Catch-up window (minutes) needs a whole number from 0 to 10080.",
    ),
}


@pytest.mark.parametrize("walk", list(WALKS), ids=list(WALKS))
def test_each_rule_is_refused_beside_its_input_in_the_dialogs_words(
    slack: Slack, bot: Bot, clock: FixedClock, deals: None, walk: str
) -> None:
    save(bot.sessions, workflow_document(name="Taken", owner=OWNER), clock.now(), team=TEAM_ID)
    step, act, label, expected = WALKS[walk]
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    to_step(modal, step)
    act(modal)

    answer = modal.submit()

    assert answer.json.get("response_action") == "errors", answer.json
    errors: dict[str, str] = answer.json["errors"]
    labels = {str(b["block_id"]): label_of(b) for b in modal.blocks if b.get("type") == "input"}
    assert {labels[block_id] for block_id in errors} == {label}, errors
    [text] = errors.values()
    assert text == expected
    assert_in_dialog_words(text)


def test_the_walks_cover_every_field_the_dialog_checks() -> None:
    """A walk per step at least, and the checks of the words themselves bite."""
    assert {step for step, *_ in WALKS.values()} == {1, 2, 3, 4, 5}
    for file_words in (
        "'eq' needs a \"value\": text in quotes",
        "use eq, neq, in or not_in",
        "2027-01-01 is before start_date 2027-02-01",
    ):
        with pytest.raises(AssertionError):
            assert_in_dialog_words(file_words)
