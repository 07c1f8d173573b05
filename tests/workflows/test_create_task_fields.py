"""create_task's optional fields: body (a template), priority (HubSpot's LOW, MEDIUM, HIGH)
and owner (an email). Each round-trips through the document and the workflow file, and a
wrong one is a located Problem with its file wording."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.workflows.definitions import CreateTask, InvalidDefinition, TaskPriority, to_document
from bot.workflows.problems import ProblemCode, file_text
from bot.workflows.workflow_files import dump_workflows, load_workflows
from tests.workflows.test_definitions import document, parse, with_action

TASK = {"type": "create_task", "title": "Call about {{ name }}", "due_in_days": 3}


def task_of(action: dict[str, Any]) -> CreateTask:
    [task] = parse(with_action(action)).definition.actions
    assert isinstance(task, CreateTask)
    return task


def test_a_task_with_body_priority_and_owner_reads_them() -> None:
    task = task_of(
        {**TASK, "body": "{{ name }} is worth {{ properties.amount }}", "priority": "high",
         "owner": "ana@example.com"}
    )  # fmt: skip
    assert task.priority is TaskPriority.HIGH
    assert task.owner == "ana@example.com"
    assert task.body is not None and task.body.placeholders == {"name", "properties.amount"}
    assert task.templates == (task.title, task.body)


def test_a_task_without_them_is_as_before() -> None:
    task = task_of(TASK)
    assert (task.body, task.priority, task.owner) == (None, None, None)
    assert to_document(parse(with_action(TASK)).definition)["actions"][0] == TASK


@pytest.mark.parametrize("written", ["HIGH", "High", " low ", "medium"])
def test_a_priority_is_read_in_any_case_and_written_in_lower_case(written: str) -> None:
    task = task_of({**TASK, "priority": written})
    assert task.priority is TaskPriority(written.strip().upper())
    assert task.to_document()["priority"] == written.strip().lower()


SOME_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda t: bool(t.strip()) and "{" not in t and "}" not in t)
EMAILS = st.from_regex(r"[a-z]{1,8}\.?[a-z]{0,5}@[a-z]{1,8}\.(com|org|de)", fullmatch=True)


@given(
    body=st.none() | SOME_TEXT,
    priority=st.none() | st.sampled_from(TaskPriority),
    owner=st.none() | EMAILS,
)
def test_every_task_round_trips_through_the_document_and_the_workflow_file(
    body: str | None, priority: TaskPriority | None, owner: str | None
) -> None:
    action: dict[str, Any] = dict(TASK)
    if body is not None:
        action["body"] = body
    if priority is not None:
        action["priority"] = priority.value.lower()
    if owner is not None:
        action["owner"] = owner
    data = with_action(action)
    written = to_document(parse(data).definition)
    assert written["actions"][0] == action
    [read_back] = load_workflows(dump_workflows([written]))
    assert parse(read_back).definition == parse(data).definition


def problems_of(action: dict[str, Any]) -> list[tuple[tuple[Any, ...], ProblemCode, str]]:
    with pytest.raises(InvalidDefinition) as caught:
        parse(document(actions=[action]))
    return [(p.location, p.code, file_text(p)) for p in caught.value.problems]


def test_an_unknown_priority_is_refused_naming_the_three() -> None:
    [(location, code, text)] = problems_of({**TASK, "priority": "urgent"})
    assert (location, code) == (("actions", 0, "priority"), ProblemCode.UNKNOWN_OPTION)
    assert "'urgent'" in text and "low, medium or high" in text, text


@pytest.mark.parametrize("owner", ["ana", "U0123ABCD", 42, "ana@example"])
def test_an_owner_that_is_not_an_email_is_refused(owner: object) -> None:
    [(location, code, text)] = problems_of({**TASK, "owner": owner})
    assert (location, code) == (("actions", 0, "owner"), ProblemCode.NOT_VALID)
    assert "email address" in text, text


def test_an_empty_body_is_refused_beside_the_other_problems() -> None:
    found = problems_of({**TASK, "body": "  ", "priority": "urgent"})
    assert [(location, code) for location, code, _text in found] == [
        (("actions", 0, "body"), ProblemCode.NOT_VALID),
        (("actions", 0, "priority"), ProblemCode.UNKNOWN_OPTION),
    ]
