"""Every ProblemCode has both wordings: produced by the domain from a document, it reads in
file terms for files and the command line, and in the dialog's words for the dialog. A new
code without a dialog wording, or one nothing produces, fails here rather than in front of
a user."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.views import problem_wording
from bot.slack.views.problem_wording import dialog_text, dialog_warning
from bot.workflows.criteria import Operator
from bot.workflows.definitions import InvalidDefinition, parse_definition
from bot.workflows.problems import WARNING_CODES, Problem, ProblemCode, file_text
from bot.workflows.property_labels import PropertyLabels
from bot.workflows.vocabulary import PropertyType
from tests.slack.dialog_words import file_words_in

C = ProblemCode
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
TYPES = {
    "stage": PropertyType.ENUMERATION,
    "amount": PropertyType.NUMBER,
    "close_date": PropertyType.DATE,
}
WEEKLY = {"frequency": "weekly", "weekdays": ["thu"], "time": "07:00", "timezone": "UTC"}
MONTHLY = {"frequency": "monthly", "month_days": [1], "time": "07:00", "timezone": "UTC"}
DM = {"type": "send_owner_dm", "text": "Hi {{ name }}"}
FIFTH_FRIDAY = {"ordinal": "fifth", "day": "fri"}
FIFTH_FRIDAYS = {"frequency": "monthly", "month_positions": [FIFTH_FRIDAY], "time": "07:00"}


def valid(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Deal review",
        "object_type": "deals",
        "status": "active",
        "owner": "U0123ABCD",
        "schedule": WEEKLY,
        "criteria": {},
        "actions": [DM],
        **changes,
    }


def one_filter(**filter_: Any) -> dict[str, Any]:
    return valid(criteria={"any": [{"all": [filter_]}]})


# A document that breaks one rule per code, as files and the dialog's draft can.
BROKEN: Mapping[ProblemCode, dict[str, Any]] = {
    C.MISSING: valid(schedule={**WEEKLY, "time": None}),
    C.EMPTY: valid(schedule={**WEEKLY, "weekdays": []}),
    C.NOT_VALID: valid(name="   "),
    C.NOT_A_NUMBER: valid(actions=[{"type": "create_task", "title": "Call", "due_in_days": "x"}]),
    C.NOT_A_DATE: valid(settings={"pause_days": ["12-32"]}),
    C.NOT_A_TIME: valid(schedule={**WEEKLY, "time": "25:00"}),
    C.NOT_A_LIST: valid(actions="send a message"),
    C.NOT_A_MAPPING: valid(schedule="daily"),
    C.OUT_OF_RANGE: valid(schedule={**WEEKLY, "interval": 0}),
    C.TOO_LONG: valid(name="x" * 201),
    C.TOO_MANY: valid(actions=[DM] * 21),
    C.UNKNOWN_FIELD: valid(colour="red"),
    C.NOT_FOR_FREQUENCY: valid(schedule={**WEEKLY, "month_days": [1]}),
    C.UNKNOWN_OPTION: valid(schedule={**WEEKLY, "frequency": "hourly"}),
    C.UNKNOWN_PROPERTY: one_filter(property="nope", operator="is_known"),
    C.UNKNOWN_OPERATOR: one_filter(property="stage", operator="like", value="x"),
    C.OPERATOR_NOT_APPLICABLE: one_filter(property="stage", operator="gt", value="x"),
    C.NEEDS_VALUE: one_filter(property="stage", operator="eq"),
    C.TAKES_NO_VALUE: one_filter(property="stage", operator="is_known", value="x"),
    C.BAD_VALUE: one_filter(property="amount", operator="gt", value="lots"),
    C.REVERSED: one_filter(property="amount", operator="between", value=[5000, 1000]),
    C.BEFORE_START: valid(
        schedule={**WEEKLY, "start_date": "2027-02-01", "end_date": "2027-01-01"}
    ),
    C.NEVER_RUNS: valid(schedule={**MONTHLY, "month_days": [31], "months": [4]}),
    C.HAS_PASSED: valid(schedule={"frequency": "once", "date": "2020-01-01", "time": "09:00"}),
    C.TOO_FAR: valid(schedule={"frequency": "once", "date": "2040-01-01", "time": "09:00"}),
    C.BOTH_GIVEN: valid(schedule={**WEEKLY, "times": ["08:00"]}),
    C.NEEDS_OTHER: valid(schedule={**MONTHLY, "subdivision": "CA"}),
    C.NOT_COUNTED: valid(schedule={**MONTHLY, "holidays": "US"}),
    C.BAD_TEXT: valid(name="Deal\x00review"),
    C.BUILT_IN_NAME: valid(actions=[{"type": "set_property", "property": "owner", "value": 1}]),
    C.BAD_TEMPLATE: valid(
        actions=[{"type": "set_property", "property": "last_reminded", "value": "{{ today }}"}]
    ),
    C.UNKNOWN_PLACEHOLDER: valid(actions=[{"type": "send_owner_dm", "text": "Hi {{ nam }}"}]),
    C.UNMATCHED_BRACES: valid(actions=[{"type": "send_owner_dm", "text": "Hi {{ name"}]),
    C.NO_RECIPIENTS: valid(actions=[{"type": "send_dm", "text": "Hi"}]),
    C.NOT_A_CHANNEL: valid(
        actions=[{"type": "send_channel_message", "channel": "#general", "text": "Hi"}]
    ),
    C.NOT_A_PERSON: valid(owner="bob"),
    C.NO_ACTIONS: valid(actions=[]),
}
# Made where the workspace is known (drafts), or by a record file's rows (record import).
NOT_FROM_A_DOCUMENT = {C.NAME_TAKEN, C.DUPLICATE}
# A document that is accepted with one warning, by code, with the warning in both wordings.
WARNED: Mapping[ProblemCode, tuple[dict[str, Any], str, str]] = {
    C.LEAP_DAY_ONLY: (
        valid(settings={"pause_days": ["02-29"]}),
        "settings.pause_days: 02-29 exists only in leap years: in other years no day is "
        "paused for it",
        "Pause day 02-29 comes only in leap years: in other years no day is paused for it.",
    ),
    C.NOT_IN_EVERY_MONTH: (
        valid(schedule={**MONTHLY, "month_days": [1, 30]}),
        "schedule: day 30 does not exist in February: the workflow runs on its other days in "
        "that month, not on a nearby day",
        "Day 30 does not exist in February: the workflow runs on its other days in that month, "
        "not on a nearby day.",
    ),
    C.FIFTH_IN_SOME_MONTHS: (
        valid(schedule={**FIFTH_FRIDAYS}),
        "schedule: only some months have a fifth Friday: the workflow will not run in the others",
        "Only some months have a fifth Friday: the workflow does not run in the others.",
    ),
}
# The review's warning about the records of the workspace (drafts.review).
NOT_FROM_A_DOCUMENT_ALONE = {C.NO_MATCHES}


def problems_of(document: Mapping[str, Any]) -> tuple[Problem, ...]:
    with pytest.raises(InvalidDefinition) as refused:
        parse_definition(document, TYPES, ["deals"], "UTC", NOW)
    return refused.value.problems


def test_every_code_has_a_dialog_wording_and_a_document_that_makes_it() -> None:
    assert set(problem_wording._WORDINGS) == set(ProblemCode)
    made = set(BROKEN) | NOT_FROM_A_DOCUMENT | set(WARNED) | NOT_FROM_A_DOCUMENT_ALONE
    assert made == set(ProblemCode)
    assert set(WARNED) | NOT_FROM_A_DOCUMENT_ALONE == WARNING_CODES


@pytest.mark.parametrize("code", list(BROKEN), ids=[code.value for code in BROKEN])
def test_each_code_reads_in_file_terms_and_in_the_dialogs_words(code: ProblemCode) -> None:
    problems = problems_of(BROKEN[code])

    made = [problem for problem in problems if problem.code is code]
    assert made, [file_text(problem) for problem in problems]
    for problem in made:
        in_file = file_text(problem)
        assert in_file and in_file in str(InvalidDefinition(problems)).splitlines()
        in_dialog = dialog_text(problem, "The input")
        assert not in_dialog[:1].islower() and in_dialog.endswith((".", "?")), in_dialog
        assert not file_words_in(in_dialog), (in_dialog, file_words_in(in_dialog))


@pytest.mark.parametrize("code", list(WARNED), ids=[code.value for code in WARNED])
def test_each_warning_reads_in_file_terms_and_in_the_dialogs_words(code: ProblemCode) -> None:
    document, in_file, in_dialog = WARNED[code]

    [warning] = parse_definition(document, TYPES, ["deals"], "UTC", NOW).warnings

    assert warning.code is code
    assert file_text(warning) == in_file
    assert dialog_warning(warning) == in_dialog
    assert not file_words_in(in_dialog), file_words_in(in_dialog)


def test_a_yearly_29_february_warns_in_both_wordings() -> None:
    yearly = {"frequency": "annually", "month": 2, "day": 29, "time": "07:00", "timezone": "UTC"}

    [warning] = parse_definition(valid(schedule=yearly), TYPES, ["deals"], "UTC", NOW).warnings

    assert file_text(warning) == (
        "schedule: 29 February exists only in leap years: the workflow will not run in other years"
    )
    assert dialog_warning(warning) == (
        "29 February comes only in leap years: the workflow does not run in other years."
    )


def test_a_day_some_months_lack_among_other_days_says_they_still_run() -> None:
    schedule = {**MONTHLY, "month_days": [31], "month_positions": [FIFTH_FRIDAY]}

    warnings = parse_definition(valid(schedule=schedule), TYPES, ["deals"], "UTC", NOW).warnings

    assert [dialog_warning(warning) for warning in warnings] == [
        "Day 31 does not exist in February, April, June, September and November: the "
        "workflow runs on its other days in those months, not on a nearby day.",
        "Only some months have a fifth Friday: the workflow runs on its other days in the "
        "others, not on a nearby day.",
    ]


def test_no_match_is_a_warning_of_the_review_in_both_wordings() -> None:
    warning = Problem(("criteria",), C.NO_MATCHES, "no record matches right now")

    assert file_text(warning) == "criteria: no record matches right now"
    assert dialog_warning(warning) == "No record matches right now: a run now would enroll nobody."


def test_a_refusal_is_not_worded_as_a_warning() -> None:
    [problem] = problems_of(BROKEN[C.NO_ACTIONS])

    with pytest.raises(AssertionError):
        dialog_warning(problem)


# Codes whose dialog wording names a property (params: property), with the parameters
# each needs besides; the property's name is generated.
NAMING_A_PROPERTY: Mapping[ProblemCode, list[dict[str, object]]] = {
    C.BAD_VALUE: [
        {"property_type": property_type, **extra}
        for property_type in PropertyType
        for extra in ({}, {"day_words": True}, {"run_date": True})
    ],
    C.BUILT_IN_NAME: [{}],
    C.UNKNOWN_PROPERTY: [{}],
    C.OPERATOR_NOT_APPLICABLE: [{"operator": Operator.GT}],
    C.UNKNOWN_PLACEHOLDER: [{"placeholder": "{{ properties.x }}", "suggestion": None}],
}


@given(
    name=st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True),
    code=st.sampled_from(list(NAMING_A_PROPERTY)),
    data=st.data(),
)
def test_a_property_is_named_as_written_and_never_capitalised(
    name: str, code: ProblemCode, data: st.DataObject
) -> None:
    params = {**data.draw(st.sampled_from(NAMING_A_PROPERTY[code])), "property": name}
    problem = Problem(("criteria", 0, 0, "value"), code, "file words", params=params)

    text = dialog_text(problem, "Value")

    assert re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text), text
    capitalised = name[:1].upper() + name[1:]
    assert not re.match(rf"{re.escape(capitalised)}(?!\w)", text), text


def test_the_checks_of_the_dialogs_words_bite() -> None:
    for file_words in (
        "'eq' needs a \"value\": text in quotes",
        "use eq, neq, in or not_in",
        "2027-01-01 is before start_date 2027-02-01",
    ):
        assert file_words_in(file_words), file_words
    assert not file_words_in("The end date is before the start date (1 February 2027).")
    assert not file_words_in("Pick a value for “is equal to”: the workflow's filter.")


@pytest.mark.parametrize(
    "code, params",
    [
        (code, params)
        for code in (C.BAD_VALUE, C.OPERATOR_NOT_APPLICABLE)
        for params in NAMING_A_PROPERTY[code]
    ],
)
def test_a_property_with_a_label_is_named_by_its_label_as_the_pickers_show_it(
    code: ProblemCode, params: dict[str, object]
) -> None:
    labels = PropertyLabels(names={"dealstage": "Deal stage", "amount": "amount"})
    problem = Problem(
        ("criteria", 0, 0, "value"), code, "file words", params={**params, "property": "dealstage"}
    )
    unlabelled = Problem(
        ("criteria", 0, 0, "value"), code, "file words", params={**params, "property": "amount"}
    )

    assert "Deal stage" in dialog_text(problem, "Value", labels)
    assert "dealstage" not in dialog_text(problem, "Value", labels)
    assert "dealstage" in dialog_text(problem, "Value")
    assert "amount" in dialog_text(unlabelled, "Value", labels)
