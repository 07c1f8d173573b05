"""A task's notes, priority and owner in the dialog, walked by their labels through the
Slack stand-in: saved as the workflow's create_task, read back in the review, and an owner
that is not an email refused beside its input."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from tests.engine.builders import deal, import_deals
from tests.slack.e2e.test_hubspot_write_back_dialog_e2e import (
    NAME,
    _fed_by_hubspot,
    _walk_to_actions,
)
from tests.slack.e2e.test_wizard_schedule_e2e import block_labelled, label_of, pick
from tests.slack.harness import Bot, Modal, Slack
from tests.slack_standin import TEAM_ID


def _deals_from_hubspot(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    import_deals(sessions, [deal("11", "Acme", stage="contract")], clock.now(), TEAM_ID)
    _fed_by_hubspot(sessions, clock)


def _task_filled(modal: Modal, owner: str) -> None:
    pick(modal, "Add the first action", "Create a task")
    modal.enter(block_labelled(modal, "Task title"), "Call {{ name }}")
    modal.enter(block_labelled(modal, "Task notes"), "{{ name }} waits for its contract")
    modal.enter(block_labelled(modal, "Due in (days)"), "2")
    modal.enter(block_labelled(modal, "Task owner"), owner)
    pick(modal, "Priority", "High")


def test_a_tasks_notes_priority_and_owner_are_saved_and_reviewed(
    slack: Slack, bot: Bot, clock: FixedClock
) -> None:
    _deals_from_hubspot(bot.sessions, clock)
    modal = _walk_to_actions(slack)
    _task_filled(modal, "grace@example.com")
    offered = [o["text"]["text"] for o in _options(modal, "Priority")]
    assert offered == ["No priority", "Low", "Medium", "High"]

    modal.submit()  # the actions
    modal.submit()  # the settings, as they are
    review = modal.text()
    assert (
        "Create a task “Call {{ name }}”, due 2 days after the run, priority High, "
        "for grace@example.com" in review
    ), review
    modal.submit()  # Activate

    workflow = bot.stored_workflow(NAME)
    assert workflow is not None and workflow.status == "active", modal.text()
    assert workflow.actions == [
        {
            "type": "create_task",
            "title": "Call {{ name }}",
            "due_in_days": 2,
            "body": "{{ name }} waits for its contract",
            "priority": "high",
            "owner": "grace@example.com",
        }
    ]


def test_an_owner_that_is_not_an_email_is_refused_beside_task_owner(
    slack: Slack, bot: Bot, clock: FixedClock
) -> None:
    _deals_from_hubspot(bot.sessions, clock)
    modal = _walk_to_actions(slack)
    _task_filled(modal, "grace")

    answer = modal.submit()

    assert answer.json.get("response_action") == "errors", answer.json
    labels = {str(b["block_id"]): label_of(b) for b in modal.blocks if b.get("type") == "input"}
    errors: dict[str, str] = answer.json["errors"]
    assert {labels[block_id] for block_id in errors} == {"Task owner"}, errors
    [text] = errors.values()
    assert text == (
        "Task owner needs an email address, e.g. ana@example.com, or leave it empty for the "
        "record's owner."
    )
    assert bot.stored_workflow(NAME) is None


def _options(modal: Modal, label: str) -> list[dict[str, object]]:
    block = next(b for b in modal.blocks if label_of(b) == label)
    return list(block["element"]["options"])


def test_a_task_title_is_stored_as_typed_and_shown_escaped_in_the_review(
    slack: Slack, bot: Bot, clock: FixedClock
) -> None:
    _deals_from_hubspot(bot.sessions, clock)
    modal = _walk_to_actions(slack)
    typed = "Call about <!channel> & Co {{ name }}"
    pick(modal, "Add the first action", "Create a task")
    modal.enter(block_labelled(modal, "Task title"), typed)
    modal.enter(block_labelled(modal, "Due in (days)"), "2")

    modal.submit()  # the actions
    modal.submit()  # the settings, as they are
    review = modal.text()
    assert "Create a task “Call about &lt;!channel&gt; &amp; Co {{ name }}”" in review, review
    assert "<!channel>" not in review
    modal.submit()  # Activate

    workflow = bot.stored_workflow(NAME)
    assert workflow is not None, modal.text()
    assert [action["title"] for action in workflow.actions] == [typed]
