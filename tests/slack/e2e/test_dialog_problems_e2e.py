"""Every validation rule a person can break in the create dialog, walked over real HTTP by the
dialog's labels, and one a step in the edit dialog of a workflow saved from a file: each
refusal lands on the input it is about, and its words are the dialog's: no key of the
workflow file, no operator code, no quoting as files quote. Every warning is walked to the
review, and every problem code is either walked or listed with why the dialog cannot show it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, NamedTuple

import pytest

from bot.slack.ids import WizardAction, WizardBlock
from bot.workflows.clock import FixedClock
from bot.workflows.problems import WARNING_CODES, ProblemCode
from tests.engine.builders import daily, deal, import_deals, save, workflow_document
from tests.slack.dialog_words import file_words_in
from tests.slack.e2e.conftest import OWNER
from tests.slack.e2e.test_wizard_schedule_e2e import block_labelled, choose_many, label_of, pick
from tests.slack.harness import Bot, Modal, Slack, open_modal
from tests.slack_standin import TEAM_ID

C = ProblemCode


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


def _settings(modal: Modal) -> None:
    """The settings as they come."""


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


class Walk(NamedTuple):
    """A rule broken in the dialog: on which step, what the person does there, the label of
    the input the refusal belongs beside, the words it says (labels and texts are what the
    dialog shows), and the code of the problem the rule is."""

    step: int
    act: Callable[[Modal], None]
    label: str
    text: str
    code: ProblemCode


WALKS: Mapping[str, Walk] = {
    "a name of spaces": Walk(
        1,
        lambda m: (m.enter(WizardBlock.NAME, "   "), m.choose(WizardBlock.OBJECT_TYPE, "deals")),
        "Workflow name",
        "Give the workflow a name.",
        C.NOT_VALID,
    ),
    "no type of records": Walk(
        1,
        lambda m: m.enter(WizardBlock.NAME, "Deal review"),
        "Object type",
        "Choose the type of records the workflow runs on.",
        C.MISSING,
    ),
    "a name another workflow has": Walk(
        1,
        lambda m: (m.enter(WizardBlock.NAME, "taken"), m.choose(WizardBlock.OBJECT_TYPE, "deals")),
        "Workflow name",
        "A workflow named Taken already exists: choose another name.",
        C.NAME_TAKEN,
    ),
    "a weekly schedule without days": Walk(
        2,
        lambda m: (_schedule(m), m.enter(WizardBlock.WEEKDAYS, [])),
        "On",
        "Choose at least one day of the week.",
        C.EMPTY,
    ),
    "no time of day": Walk(
        2,
        lambda m: m.enter(block_labelled(m, "Time of day"), None),
        "Time of day",
        "Choose the time of day.",
        C.MISSING,
    ),
    "a time typed wrong": Walk(
        2,
        lambda m: (_schedule(m), m.enter(block_labelled(m, "More times of day"), "9.30")),
        "More times of day",
        "Write a time of day as 09:30 or 16:00 (a 24-hour clock): 9.30 is not one.",
        C.NOT_A_TIME,
    ),
    "too many times a day": Walk(
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
        C.TOO_MANY,
    ),
    "an interval of none": Walk(
        2,
        lambda m: (_schedule(m), m.enter(WizardBlock.INTERVAL, "0")),
        "Repeat every how many weeks",
        "Repeat every how many weeks needs a whole number from 1 to 1000.",
        C.OUT_OF_RANGE,
    ),
    "an end before the start": Walk(
        2,
        lambda m: (
            _schedule(m),
            m.enter(WizardBlock.START_DATE, "2027-02-01"),
            m.enter(WizardBlock.END_DATE, "2027-01-01"),
        ),
        "End date",
        "The end date is before the start date (1 February 2027): choose a later end date.",
        C.BEFORE_START,
    ),
    "a date that has passed": Walk(
        2,
        lambda m: (
            pick(m, "Runs", "Once"),
            _schedule(m),
            m.enter(WizardBlock.DATE, "2020-01-01"),
        ),
        "Date",
        "2020-01-01 at 09:00 (America/New_York) has passed: choose a later date.",
        C.HAS_PASSED,
    ),
    "a monthly day no chosen month has": Walk(
        2,
        lambda m: (
            pick(m, "Runs", "Monthly"),
            choose_many(m, "Days", "31"),
            choose_many(m, "Only in these months", "April"),
            _schedule(m),
        ),
        "Days",
        "April has no day 31: choose days up to 30, or other months.",
        C.NEVER_RUNS,
    ),
    "a monthly schedule without days": Walk(
        2,
        lambda m: (pick(m, "Runs", "Monthly"), choose_many(m, "Days"), _schedule(m)),
        "Days",
        "Choose at least one day of the month.",
        C.EMPTY,
    ),
    "a filter whose property changed since its condition was chosen": Walk(
        3,
        lambda m: (
            _filter(m, "amount", "gt", "5"),
            m.pick("criteria.g0.f0.property", "stage"),
        ),
        "Where",
        "Choose a condition.",
        C.MISSING,
    ),
    "an amount that is not a number": Walk(
        3,
        lambda m: _filter(m, "amount", "gt", "lots"),
        "Value",
        "The value for amount needs to be a number, e.g. 4000.",
        C.BAD_VALUE,
    ),
    "a condition without its value": Walk(
        3,
        lambda m: _filter(m, "stage", "eq"),
        "Value",
        "Pick a value for “is equal to”.",
        C.NEEDS_VALUE,
    ),
    "bounds the wrong way round": Walk(
        3,
        lambda m: _filter(m, "amount", "between", "5000, 1000"),
        "From, to",
        "From, to: 5000 comes after 1000: write the lower one first.",
        C.REVERSED,
    ),
    "a date that is not one": Walk(
        3,
        lambda m: _filter(m, "close_date", "before", "soon"),
        "Day",
        "The value for close_date needs to be a date, e.g. 2026-03-01, or today, yesterday "
        "or tomorrow.",
        C.BAD_VALUE,
    ),
    "too many days back": Walk(
        3,
        lambda m: _filter(m, "close_date", "in_last_days", "99999"),
        "Number of days",
        "Number of days needs a whole number from 0 to 36600.",
        C.OUT_OF_RANGE,
    ),
    "no action": Walk(
        4,
        lambda m: None,
        "Add the first action",
        "Add at least one action: what the workflow does for each record.",
        C.NO_ACTIONS,
    ),
    "a task due in lots of days": Walk(
        4,
        lambda m: _action(m, "create_task", title="Call", due_in_days="lots"),
        "Due in (days)",
        "Due in (days) needs a whole number from 0 to 36600.",
        C.NOT_A_NUMBER,
    ),
    "a property name with spaces": Walk(
        4,
        lambda m: _action(m, "set_property", property="Last Call", value="x"),
        "Property",
        "Property needs lower-case letters, digits and _, starting with a letter, "
        "e.g. last_reminded.",
        C.NOT_VALID,
    ),
    "a built-in field set as a property": Walk(
        4,
        lambda m: _action(m, "set_property", property="owner", value="x"),
        "Property",
        "The name owner belongs to a built-in field of every record, not a property: choose "
        "another name.",
        C.BUILT_IN_NAME,
    ),
    "a number property set to words": Walk(
        4,
        lambda m: _action(m, "set_property", property="amount", value="lots"),
        "Value",
        "The value for amount needs to be a number, e.g. 4000.",
        C.BAD_VALUE,
    ),
    "a message naming no placeholder known": Walk(
        4,
        lambda m: _action(m, "send_owner_dm", text="Hi {{ nam }}"),
        "Message",
        "Message has {{ nam }}, which is not a placeholder: did you mean {{ name }}?",
        C.UNKNOWN_PLACEHOLDER,
    ),
    "a message naming a property the records lack": Walk(
        4,
        lambda m: _action(m, "send_owner_dm", text="Hi {{ properties.amout }}"),
        "Message",
        "Message has {{ properties.amout }}, but the records have no property amout: did you "
        "mean {{ properties.amount }}?",
        C.UNKNOWN_PLACEHOLDER,
    ),
    "a message with a placeholder's braces unpaired": Walk(
        4,
        lambda m: _action(m, "send_owner_dm", text="Hi {{ name"),
        "Message",
        "Message has braces that do not pair up in “Hi {{ name”: write a placeholder as "
        "{{ name }}, two braces each side.",
        C.UNMATCHED_BRACES,
    ),
    "a direct message to nobody": Walk(
        4,
        lambda m: _action(m, "send_dm", text="Hi"),
        "People",
        "Choose at least one person or user group.",
        C.NO_RECIPIENTS,
    ),
    "a user group written as words": Walk(
        4,
        lambda m: _action(m, "send_dm", text="Hi", user_groups="sales team"),
        "User groups",
        "User groups needs people from the list, or user groups such as @sales-leads.",
        C.NOT_A_PERSON,
    ),
    "a date more than five years away": Walk(
        2,
        lambda m: (pick(m, "Runs", "Once"), _schedule(m), m.enter(WizardBlock.DATE, "2040-01-01")),
        "Date",
        "2040-01-01 at 09:00 (America/New_York) is more than 5 years away: choose a date "
        "before 30 November 2031.",
        C.TOO_FAR,
    ),
    "a start more than five years away": Walk(
        2,
        lambda m: (_schedule(m), m.enter(WizardBlock.START_DATE, "2040-01-01")),
        "Start date",
        "2040-01-01 is more than 5 years away: choose a date before 30 November 2031.",
        C.TOO_FAR,
    ),
    "a property set to a placeholder": Walk(
        4,
        lambda m: _action(m, "set_property", property="stage", value="{{ name }}"),
        "Value",
        "Value holds braces: write the value as is, or {{ run.date }} to set the date of the run.",
        C.BAD_TEMPLATE,
    ),
    "pause days that are not days": Walk(
        5,
        lambda m: m.enter(WizardBlock.PAUSE_DAYS, "12-25, 12-32, 02-30"),
        "Pause days",
        "Pause day 2 (12-32) is not a day: write 12-25 for every year or 2026-11-26 for one "
        "day.\nPause day 3 (02-30) is not a day: write 12-25 for every year or 2026-11-26 "
        "for one day.",
        C.NOT_A_DATE,
    ),
    "a catch-up window longer than a week": Walk(
        5,
        lambda m: m.enter(WizardBlock.CATCH_UP, "20000"),
        "Catch-up window (minutes)",
        "Catch-up window (minutes) needs a whole number from 0 to 10080.",
        C.OUT_OF_RANGE,
    ),
}


@pytest.mark.parametrize("walk", list(WALKS), ids=list(WALKS))
def test_each_rule_is_refused_beside_its_input_in_the_dialogs_words(
    slack: Slack, bot: Bot, clock: FixedClock, deals: None, walk: str
) -> None:
    save(bot.sessions, workflow_document(name="Taken", owner=OWNER), clock.now(), team=TEAM_ID)
    step, act, label, expected, _ = WALKS[walk]
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    to_step(modal, step)
    act(modal)

    assert_refused_beside(modal, label, expected)


def assert_refused_beside(modal: Modal, label: str, expected: str) -> None:
    """Submitting the step is refused with ``expected`` on the input labelled ``label`` only."""
    answer = modal.submit()

    assert answer.json.get("response_action") == "errors", answer.json
    errors: dict[str, str] = answer.json["errors"]
    labels = {str(b["block_id"]): label_of(b) for b in modal.blocks if b.get("type") == "input"}
    assert {labels[block_id] for block_id in errors} == {label}, errors
    [text] = errors.values()
    assert text == expected
    assert_in_dialog_words(text)


# A workflow saved from a file, edited in the dialog: the edit shows its values, and a rule
# broken on each step is refused as the create dialog refuses it. The schedule step's walk
# breaks no rule: its file held a single run on a day that was ahead when it was saved and
# has passed since (the other walks' files run daily, so that their schedule step passes).
SHARED = "Shared review"
PASSED = {"frequency": "once", "date": "2026-11-20", "time": "09:00", "timezone": "UTC"}
BIG_DEALS = {"any": [{"all": [{"property": "amount", "operator": "gt", "value": 1000}]}]}
EDIT_WALKS: Mapping[str, Walk] = {
    "renamed as another workflow": Walk(
        1,
        lambda m: m.enter(WizardBlock.NAME, "taken"),
        "Workflow name",
        "A workflow named Taken already exists: choose another name.",
        C.NAME_TAKEN,
    ),
    "a single run whose day has passed since": Walk(
        2,
        lambda m: None,
        "Date",
        "2026-11-20 at 09:00 (UTC) has passed: choose a later date.",
        C.HAS_PASSED,
    ),
    "an amount changed to words": Walk(
        3,
        lambda m: m.enter("criteria.g0.f0.value", "lots"),
        "Value",
        "The value for amount needs to be a number, e.g. 4000.",
        C.BAD_VALUE,
    ),
    "a message changed to name no placeholder known": Walk(
        4,
        lambda m: m.enter("actions.a0.text", "Hi {{ nam }}"),
        "Message",
        "Message has {{ nam }}, which is not a placeholder: did you mean {{ name }}?",
        C.UNKNOWN_PLACEHOLDER,
    ),
    "a pause day changed to no day": Walk(
        5,
        lambda m: m.enter(WizardBlock.PAUSE_DAYS, "12-32"),
        "Pause days",
        "Pause day 1 (12-32) is not a day: write 12-25 for every year or 2026-11-26 for one day.",
        C.NOT_A_DATE,
    ),
}


# What the dialog says and where does not depend on the database (the create walks run on
# both, criteria to SQL is tested on both in storage): one database keeps the suite short.
ONE_DATABASE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@ONE_DATABASE
@pytest.mark.parametrize("walk", list(EDIT_WALKS), ids=list(EDIT_WALKS))
def test_each_step_of_an_edit_refuses_beside_its_input_in_the_dialogs_words(
    slack: Slack, bot: Bot, clock: FixedClock, deals: None, walk: str
) -> None:
    save(bot.sessions, workflow_document(name="Taken", owner=OWNER), clock.now(), team=TEAM_ID)
    step, act, label, expected, _ = EDIT_WALKS[walk]
    schedule = PASSED if step == 2 else daily("09:00")
    shared = workflow_document(name=SHARED, owner=OWNER, schedule=schedule, criteria=BIG_DEALS)
    save(bot.sessions, shared, clock.now() - timedelta(days=30), team=TEAM_ID)
    modal = open_modal(slack, OWNER, f"edit {SHARED}", WizardBlock.NAME)
    for _ in range(step - 1):  # the steps as the file left them
        answer = modal.submit()
        assert answer.json.get("response_action") == "update", answer.json
    act(modal)

    assert_refused_beside(modal, label, expected)


class Warned(NamedTuple):
    """A choice the dialog accepts with a warning: on which step, what the person does there,
    the words the review shows, and the code of the warning."""

    step: int
    act: Callable[[Modal], None]
    text: str
    code: ProblemCode


WARNED: Mapping[str, Warned] = {
    "an annual run on 29 February": Warned(
        2,
        lambda m: (
            pick(m, "Runs", "Annually"),
            pick(m, "Month", "February"),
            pick(m, "Day", "29"),
            _schedule(m),
        ),
        "29 February comes only in leap years: the workflow does not run in other years.",
        C.LEAP_DAY_ONLY,
    ),
    "a pause day on 29 February": Warned(
        5,
        lambda m: m.enter(WizardBlock.PAUSE_DAYS, "02-29"),
        "Pause day 02-29 comes only in leap years: in other years no day is paused for it.",
        C.LEAP_DAY_ONLY,
    ),
    "a monthly day some months lack": Warned(
        2,
        lambda m: (pick(m, "Runs", "Monthly"), choose_many(m, "Days", "1", "31"), _schedule(m)),
        "Day 31 does not exist in February, April, June, September and November: the workflow "
        "runs on its other days in those months, not on a nearby day.",
        C.NOT_IN_EVERY_MONTH,
    ),
    "a fifth Monday": Warned(
        2,
        lambda m: (
            pick(m, "Runs", "Monthly"),
            pick(m, "Which days", "On a flexible day, e.g. the last weekday"),
            choose_many(m, "Days", "fifth Monday"),
            _schedule(m),
        ),
        "Only some months have a fifth Monday: the workflow does not run in the others.",
        C.FIFTH_IN_SOME_MONTHS,
    ),
    "criteria no record matches": Warned(
        3,
        lambda m: _filter(m, "amount", "gt", "999999"),
        "No record matches right now: a run now would enroll nobody.",
        C.NO_MATCHES,
    ),
}


@ONE_DATABASE
@pytest.mark.parametrize("warned", list(WARNED), ids=list(WARNED))
def test_each_warning_is_shown_on_the_review_in_the_dialogs_words(
    slack: Slack, deals: None, warned: str
) -> None:
    step, act, expected, _ = WARNED[warned]
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    fills: list[Callable[[Modal], None]] = [_name, _schedule, _criteria, _actions, _settings]
    for number, fill in enumerate(fills, start=1):
        (act if number == step else fill)(modal)
        answer = modal.submit()
        assert answer.json.get("response_action") == "update", answer.json

    shown = [
        line.removeprefix("⚠️ ")
        for block in modal.blocks
        if block.get("type") == "context"
        for element in block["elements"]
        for line in str(element.get("text", "")).splitlines()
        if line.startswith("⚠️ ")
    ]
    assert shown == [expected]
    assert_in_dialog_words(expected)


# Codes the dialog cannot produce, each with the reason: what the dialog offers rules them
# out, or a workflow that has them is refused before it is saved, so an edit cannot show them
# either. A new code fails the coverage test until it is walked or listed here.
NOT_IN_THE_DIALOG: Mapping[ProblemCode, str] = {
    C.NOT_A_LIST: "the dialog writes every list itself",
    C.NOT_A_MAPPING: "the dialog writes every mapping itself",
    C.TOO_LONG: "the name and text inputs hold at most the limit (their max_length)",
    C.UNKNOWN_FIELD: "the dialog writes only the keys it shows",
    C.NOT_FOR_FREQUENCY: "a schedule step shows and reads only the inputs of its frequency",
    C.UNKNOWN_OPTION: "frequencies, days, months, countries and kinds of action are chosen "
    "from selects",
    C.UNKNOWN_PROPERTY: "properties are chosen from the records' properties, and a property "
    "once known stays known",
    C.UNKNOWN_OPERATOR: "conditions are chosen from a select",
    C.OPERATOR_NOT_APPLICABLE: "the condition select offers only the conditions of the "
    "property's type, and a property of another type gets a fresh select",
    C.TAKES_NO_VALUE: "a condition without a value (is known, is unknown) has no value input",
    C.BOTH_GIVEN: "Which days chooses between days of the month and flexible days",
    C.NEEDS_OTHER: "Region is offered only once a country is chosen",
    C.NOT_COUNTED: "the holiday calendar is offered, and read, only while a business day is chosen",
    C.BAD_TEXT: "Slack's inputs send no NUL characters or unpaired surrogates",
    C.NOT_A_CHANNEL: "the channel is chosen from Slack's channel select, which sends its id",
    C.DUPLICATE: "record files only: the dialog imports no records",
}


def test_every_code_the_dialog_can_show_is_walked() -> None:
    walked = {walk.code for walk in WALKS.values()} | {warned.code for warned in WARNED.values()}
    unwalked = set(ProblemCode) - walked - set(NOT_IN_THE_DIALOG)
    assert not unwalked, f"walk these through the dialog or say why it cannot show them: {unwalked}"
    assert not walked & set(NOT_IN_THE_DIALOG), "walked, yet listed as impossible"
    assert {warned.code for warned in WARNED.values()} == WARNING_CODES
    assert not {walk.code for walk in WALKS.values()} & WARNING_CODES


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
