"""bot.slack.errors: a document refused in Slack is told in the dialog's words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.slack.errors import user_message
from bot.slack.views.wizard import problem_lines, unsaved_lines
from bot.workflows.criteria import InvalidCriteria, parse_criteria
from bot.workflows.definitions import InvalidDefinition, parse_definition
from bot.workflows.draft_document import DraftDocument
from bot.workflows.drafts import UnsavableDraft
from bot.workflows.lifecycle import PermissionDenied
from bot.workflows.property_labels import PropertyLabels
from bot.workflows.schedules import InvalidSchedule, parse_schedule
from bot.workflows.vocabulary import PropertyType
from tests.slack.dialog_words import file_words_in

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
TYPES = {"stage": PropertyType.ENUMERATION, "amount": PropertyType.NUMBER}


def test_refused_criteria_are_told_in_the_dialogs_words() -> None:
    criteria = {"any": [{"all": [{"property": "stage", "operator": "gt", "value": "x"}]}]}
    with pytest.raises(InvalidCriteria) as refused:
        parse_criteria(criteria, TYPES)

    told = user_message(refused.value)

    assert told == (
        ":warning: Criteria: “is greater than” does not apply to stage: choose another condition."
    )


def test_a_refused_schedule_is_told_field_by_field_without_its_keys() -> None:
    schedule = {"frequency": "weekly", "weekdays": [], "time": "9am", "timezone": "UTC"}
    with pytest.raises(InvalidSchedule) as refused:
        parse_schedule(schedule, "UTC", NOW)

    told = user_message(refused.value)

    assert told is not None
    assert told.splitlines() == [
        ":warning: Schedule: Write a time of day as 09:30 or 16:00 (a 24-hour clock): 9am is "
        "not one.",
        "Schedule: Choose at least one day of the week.",
    ]
    assert not file_words_in(told)


def test_a_refused_workflow_names_no_file_key() -> None:
    document = {
        "name": "Review",
        "object_type": "deals",
        "owner": "U0123ABCD",
        "schedule": {"frequency": "daily", "time": "09:00", "end_date": "2020-01-01"},
        "criteria": {},
        "actions": [{"type": "create_task", "title": "Call", "due_in_days": -1}],
        "settings": {"catch_up_minutes": 99999},
    }
    with pytest.raises(InvalidDefinition) as refused:
        parse_definition(document, TYPES, ["deals"], "UTC", NOW)

    told = user_message(refused.value)

    assert told is not None and not file_words_in(told), told
    assert "end_date" in str(refused.value)  # the file's wording keeps its keys


def test_a_draft_not_saved_names_its_properties_by_label_as_its_review_does() -> None:
    criteria = {"any": [{"all": [{"property": "amount", "operator": "gt", "value": "lots"}]}]}
    with pytest.raises(InvalidCriteria) as refused:
        parse_criteria(criteria, {"amount": PropertyType.NUMBER})
    problems = [problem.under("criteria") for problem in refused.value.problems]
    document: DraftDocument = {"criteria": criteria}  # type: ignore[typeddict-item]
    labels = PropertyLabels(names={"amount": "Deal amount"})
    unsaved = UnsavableDraft(problems, document, labels)

    lines = unsaved_lines(unsaved)
    told = user_message(unsaved)

    assert lines == problem_lines(problems, document, labels)  # the review's own wording
    assert "The value for Deal amount needs to be a number" in lines[0]
    assert told is not None and "Deal amount" in told and "for amount" not in told
    assert unsaved_lines(InvalidDefinition(problems)) == problem_lines(problems)


def test_a_refused_change_says_how_to_get_the_workflow_or_a_copy_of_it() -> None:
    told = user_message(PermissionDenied("Q3 <review> & more", "U0OWNER"))

    assert told == (
        ":no_entry: Only the owner of *Q3 &lt;review&gt; &amp; more* (<@U0OWNER>) or an admin "
        "can change it. Ask them to give it to you with "
        "`/workflow transfer Q3 &lt;review&gt; &amp; more @you`, or make your own copy to "
        "change: `/workflow copy Q3 &lt;review&gt; &amp; more NEW NAME`."
    )
