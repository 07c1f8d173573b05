"""Enrolling records by hand on the real databases: what may be picked, what a submission is
checked for before it is answered, the record made from a message, and the report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.lifecycle import Actor, WorkflowError
from bot.workflows.manual_enrollment import (
    LINK_PROPERTY,
    ManualEnrollment,
    MessageRecord,
    MessageRecordError,
    UnknownRecords,
    active_workflows,
    check_enrollment,
    enroll,
    report,
)
from bot.workflows.vocabulary import PropertyType
from storage.database import transaction
from storage.models import Run
from storage.object_types import ObjectTypeRepository
from storage.unit_of_work import UnitOfWork
from tests.engine.builders import (
    NAME,
    OWNER,
    TEAM,
    channel_message,
    deal,
    enrollments,
    import_deals,
    record_ids,
    records_of_type,
    save,
    workflow_document,
)

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
OWNER_ACTOR = Actor(OWNER)
MESSAGE = MessageRecord(
    name="Umbrella asks for a call",
    message_id="C0GENERAL-1762070400.000100",
    permalink="https://example.slack.com/archives/C0GENERAL/p1762070400000100",
    author="U0AUTHOR",
)


@pytest.fixture
def workflow_id(sessions: sessionmaker[Session]) -> int:
    """A deals workflow of OWNER, with three deals: D1 Initech, D2 Acme, D3 Globex."""
    deals = [deal("D1", "Initech"), deal("D2", "Acme"), deal("D3", "Globex")]
    import_deals(sessions, deals, NOW)
    actions = [channel_message(), channel_message("{{ name }} again")]
    return save(sessions, workflow_document(actions=actions), NOW).workflow_id


def check(sessions: sessionmaker[Session], request: ManualEnrollment) -> object:
    with sessions() as session:
        return check_enrollment(session, TEAM, request, OWNER_ACTOR)


def run_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Run)) or 0


def test_the_check_returns_the_chosen_records_once_each_in_the_order_chosen(
    sessions: sessionmaker[Session], workflow_id: int
) -> None:
    ids = record_ids(sessions)
    chosen = (ids["D3"], ids["D1"], ids["D3"])

    with sessions() as session:
        checked = check_enrollment(
            session, TEAM, ManualEnrollment(workflow_id, chosen), OWNER_ACTOR
        )

    assert (checked.name, checked.record_ids) == (NAME, (ids["D3"], ids["D1"]))


def test_the_check_refuses_records_that_are_gone(
    sessions: sessionmaker[Session], workflow_id: int
) -> None:
    with pytest.raises(UnknownRecords, match="1 of the chosen records no longer exist"):
        check(sessions, ManualEnrollment(workflow_id, (record_ids(sessions)["D1"], 999_999)))


def test_a_message_whose_id_is_too_long_is_refused_before_the_answer_with_what_to_do(
    sessions: sessionmaker[Session], workflow_id: int
) -> None:
    long = MessageRecord("A call", "C0GENERAL-" + "9" * 300, "", None)

    with pytest.raises(MessageRecordError) as refused:
        check(sessions, ManualEnrollment(workflow_id, (), long))

    assert isinstance(refused.value, WorkflowError)
    assert "its id is too long" in str(refused.value)
    assert "untick “Create a new record” and enroll an existing record" in str(refused.value)


def test_a_message_record_without_a_name_is_refused_before_the_answer(
    sessions: sessionmaker[Session], workflow_id: int
) -> None:
    unnamed = MessageRecord("  ", MESSAGE.message_id, "", None)
    with pytest.raises(MessageRecordError, match="Give the new record a name"):
        check(sessions, ManualEnrollment(workflow_id, (), unnamed))


def test_a_message_property_declared_as_no_text_is_refused_before_the_answer(
    sessions: sessionmaker[Session], workflow_id: int
) -> None:
    with transaction(sessions) as session:
        object_types = ObjectTypeRepository(session)
        deals = object_types.get(TEAM, "deals")
        object_types.declare(deals.id, {LINK_PROPERTY: PropertyType.NUMBER})

    # The permalink is asked of Slack only after the answer: the check does without it.
    without_link = MessageRecord(MESSAGE.name, MESSAGE.message_id, "", MESSAGE.author)
    with pytest.raises(MessageRecordError, match="message_link is a number property"):
        check(sessions, ManualEnrollment(workflow_id, (), without_link))
    assert records_of_type(sessions, "deals")[-1].external_id == "D3"


def test_enrolling_makes_the_record_from_the_message_once_and_enrolls_it_with_the_chosen(
    sessions: sessionmaker[Session], workflow_id: int
) -> None:
    ids = record_ids(sessions)
    request = ManualEnrollment(workflow_id, (ids["D2"],), MESSAGE)

    enrolled = []
    for _ in range(2):
        enrolled.append(enroll(UnitOfWork(sessions), TEAM, request, OWNER_ACTOR, NOW))

    made = [r for r in records_of_type(sessions, "deals") if r.external_id.startswith("message-")]
    assert len(made) == 1
    assert (made[0].name, made[0].owner) == (MESSAGE.name, MESSAGE.author)
    assert made[0].properties == {"message_link": MESSAGE.permalink, "message_author": "U0AUTHOR"}
    for each in enrolled:
        assert (each.workflow_name, each.created) == (NAME, made[0].external_id)
        enrolled_ids = {e.record_id for e in enrollments(sessions, each.run_id)}
        assert enrolled_ids == {ids["D2"], made[0].id}
    assert run_count(sessions) == 2


def test_nothing_is_enrolled_when_a_chosen_record_is_gone(
    sessions: sessionmaker[Session], workflow_id: int
) -> None:
    request = ManualEnrollment(workflow_id, (999_999,), MESSAGE)
    with pytest.raises(UnknownRecords):
        enroll(UnitOfWork(sessions), TEAM, request, OWNER_ACTOR, NOW)
    assert run_count(sessions) == 0
    assert len(records_of_type(sessions, "deals")) == 3


def test_the_report_lists_the_records_by_name_with_each_stored_action(
    sessions: sessionmaker[Session], workflow_id: int
) -> None:
    ids = record_ids(sessions)
    request = ManualEnrollment(workflow_id, (ids["D1"], ids["D2"]))
    enrolled = enroll(UnitOfWork(sessions), TEAM, request, OWNER_ACTOR, NOW)

    shown = report(UnitOfWork(sessions), enrolled.run_id)

    assert shown is not None and not shown.finished
    assert [record.name for record in shown.records] == ["Acme", "Initech"]
    assert [action["text"] for action in shown.actions] == [
        "{{ name }} is in contract",
        "{{ name }} again",
    ]
    assert [(line.number, line.outcome) for line in shown.records[0].actions] == [
        (1, None),
        (2, None),
    ]
    assert shown.count(None) == 4


def test_the_picker_offers_someone_who_is_not_an_admin_only_their_workflows(
    sessions: sessionmaker[Session], workflow_id: int
) -> None:
    save(sessions, workflow_document(name="Theirs", owner="U0OTHER"), NOW)

    with sessions() as session:
        everyone = [c.name for c in active_workflows(session, TEAM, "")]
        admin = [c.name for c in active_workflows(session, TEAM, "", Actor(OWNER, True))]
        own = [c.name for c in active_workflows(session, TEAM, "", OWNER_ACTOR)]

    assert everyone == admin == [NAME, "Theirs"]
    assert own == [NAME]
