"""What a workflow remembers: revisions with their author, the history of who changed, ran or
deleted it, runs' details by the revision they ran, diffs, and deletion that can be undone
(restore, purge), transfer and copy; every workflow of a workspace listed for everyone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.audit import ChangeLine
from bot.workflows.definitions import InvalidDefinition
from bot.workflows.lifecycle import (
    CLI_ACTOR,
    Actor,
    NameTaken,
    PermissionDenied,
    UnknownWorkflow,
    WorkflowError,
    delete_workflow,
    get_workflow,
    pause_workspace,
    request_run,
    save_workflow,
    set_status,
)
from bot.workflows.manual_enrollment import NotEnrollable, enrollable_workflow
from bot.workflows.overview import list_workflows, run_details
from bot.workflows.revisions import (
    UnknownRevision,
    revision_diff,
    saved_revision,
)
from bot.workflows.run_followups import StaleButton, followed_run
from bot.workflows.runner import ClaimedRun
from bot.workflows.sharing import copy_workflow, transfer_workflow
from bot.workflows.trash import NotRestorable, restorable_names, restore_workflow
from bot.workflows.vocabulary import RunStatus, WorkflowStatus
from bot.workflows.workflow_requests import workflow_past
from storage.database import write_transaction as transaction
from storage.models import Run, Workflow, WorkflowEvent
from storage.runs import RunRepository
from storage.unit_of_work import UnitOfWork
from tests.engine.builders import (
    NAME,
    OWNER,
    TEAM,
    channel_message,
    daily,
    deal,
    import_deals,
    save,
    workflow,
    workflow_document,
)

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
OWNER_ACTOR = Actor(OWNER)
EDITOR = Actor("U0EDITOR", is_admin=True)
SOMEONE = Actor("U0SOMEONE")
SOMEONE_ADMIN = Actor("U0ADMIN", is_admin=True)


@pytest.fixture
def saved(sessions: sessionmaker[Session]) -> None:
    import_deals(sessions, [deal("D1", "Acme"), deal("D2", "Globex")], NOW)
    save(sessions, workflow_document(), NOW, actor=OWNER_ACTOR)


def _changes(sessions: sessionmaker[Session], name: str = NAME) -> list[tuple[str, str]]:
    return [(c.kind, c.actor) for c in _recent_changes(sessions, name)]


def _recent_changes(sessions: sessionmaker[Session], name: str = NAME) -> tuple[ChangeLine, ...]:
    return workflow_past(UnitOfWork(sessions), TEAM, name, runs=0).changes


def _delete(sessions: sessionmaker[Session], now: datetime, name: str = NAME) -> None:
    with transaction(sessions) as session:
        delete_workflow(session, TEAM, name, OWNER_ACTOR, now=now)


# -- revisions ------------------------------------------------------------------------------


@pytest.mark.usefixtures("saved")
def test_every_save_keeps_its_definition_as_a_revision_with_its_author_and_time(
    sessions: sessionmaker[Session],
) -> None:
    later = NOW + timedelta(hours=1)
    save(sessions, workflow_document(schedule=daily("10:00")), later, actor=EDITOR)

    with transaction(sessions) as session:
        first = saved_revision(session, TEAM, NAME, 1)
        second = saved_revision(session, TEAM, NAME, 2)
    assert (first.author, first.saved_at, first.document["schedule"]["time"]) == (
        OWNER,
        NOW,
        "09:00",
    )
    assert (second.author, second.saved_at, second.document["schedule"]["time"]) == (
        "U0EDITOR",
        later,
        "10:00",
    )


@pytest.mark.usefixtures("saved")
def test_the_diff_of_two_revisions_is_a_unified_diff_of_their_files(
    sessions: sessionmaker[Session],
) -> None:
    save(sessions, workflow_document(schedule=daily("10:00")), NOW, actor=EDITOR)

    with transaction(sessions) as session:
        diff = revision_diff(session, TEAM, NAME, 1, 2)
        same = revision_diff(session, TEAM, NAME, 2, 2)
    assert diff.startswith(f"--- {NAME} revision 1\n+++ {NAME} revision 2\n")
    assert "-  time: 09:00" in diff or "-  time: '09:00'" in diff
    assert "+  time: '10:00'" in diff or "+  time: 10:00" in diff
    assert [line[0] for line in diff.splitlines()[2:] if line[:1] in "+-"] == ["-", "+"]
    assert same == ""


@pytest.mark.usefixtures("saved")
def test_a_revision_not_kept_is_refused_naming_those_there_are(
    sessions: sessionmaker[Session],
) -> None:
    with pytest.raises(UnknownRevision) as refused, transaction(sessions) as session:
        saved_revision(session, TEAM, NAME, 7)
    assert str(refused.value) == f"{NAME!r} has no revision 7: the revisions kept are 1."


@pytest.mark.usefixtures("saved")
def test_an_old_runs_details_show_the_actions_of_the_revision_it_ran(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        run_id = request_run(session, TEAM, NAME, OWNER_ACTOR, NOW).run_id
    edited = workflow_document(actions=[channel_message("{{ name }} changed its mind")])
    save(sessions, edited, NOW, actor=OWNER_ACTOR)

    details = run_details(UnitOfWork(sessions), TEAM, run_id)
    [action] = [phrase.plain() for phrase in details.actions]
    assert action.startswith("Post to #C0DEALS") and action.endswith("“{{ name }} is in contract”")


# -- the history ----------------------------------------------------------------------------


@pytest.mark.usefixtures("saved")
def test_the_history_says_who_edited_paused_activated_ran_and_deleted_it_newest_first(
    sessions: sessionmaker[Session],
) -> None:
    save(sessions, workflow_document(schedule=daily("10:00")), NOW, actor=EDITOR)
    with transaction(sessions) as session:
        set_status(session, TEAM, NAME, WorkflowStatus.PAUSED, SOMEONE_ADMIN, NOW)
        set_status(session, TEAM, NAME, WorkflowStatus.ACTIVE, OWNER_ACTOR, NOW)
        run_id = request_run(session, TEAM, NAME, CLI_ACTOR, NOW).run_id
    _delete(sessions, NOW)

    assert _changes(sessions) == [
        ("deleted", OWNER),
        ("ran", "cli"),
        ("activated", OWNER),
        ("paused", "U0ADMIN"),
        ("edited", "U0EDITOR"),
        ("created", OWNER),
    ]
    about = [c.about for c in _recent_changes(sessions)]
    assert about[1] == f"ran (run {run_id})"
    assert about[4:] == ["edited (revision 2)", "created (revision 1)"]


@pytest.mark.usefixtures("saved")
def test_a_refused_change_leaves_no_trace_in_the_history(
    sessions: sessionmaker[Session],
) -> None:
    with pytest.raises(PermissionDenied), transaction(sessions) as session:
        set_status(session, TEAM, NAME, WorkflowStatus.PAUSED, SOMEONE, NOW)
    assert _changes(sessions) == [("created", OWNER)]


@pytest.mark.usefixtures("saved")
def test_a_workspace_paused_by_the_bot_says_why_in_each_history(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        pause_workspace(session, TEAM, NOW, "the app was uninstalled")
    changes = _recent_changes(sessions)
    assert (changes[0].kind, changes[0].actor) == ("paused", "workflow-bot")
    assert changes[0].about == "paused (the app was uninstalled)"


# -- deleting and restoring -----------------------------------------------------------------


@pytest.mark.usefixtures("saved")
def test_deleting_frees_the_name_cancels_pending_runs_and_keeps_the_runs(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        run_id = request_run(session, TEAM, NAME, OWNER_ACTOR, NOW).run_id
    _delete(sessions, NOW)

    with transaction(sessions) as session:
        with pytest.raises(UnknownWorkflow):
            get_workflow(session, TEAM, NAME)
        assert list_workflows(session, TEAM, now=NOW) == []
        kept = session.get(Run, run_id)
        assert kept is not None and kept.status == RunStatus.CANCELLED.value
        deleted = session.get(Workflow, kept.workflow_id)
        assert deleted is not None
        assert (deleted.status, deleted.next_run_at) == ("paused", None)  # never due
    # The name is free at once, in any case.
    assert save(sessions, workflow_document(name=NAME.upper()), NOW).created


@pytest.mark.usefixtures("saved")
def test_a_run_claimed_before_its_workflow_was_deleted_is_still_read(
    sessions: sessionmaker[Session],
) -> None:
    # Deleting cancels only pending runs: one already claimed carries on (or is reclaimed
    # once its lease runs out), so it must still be read with its deleted workflow.
    with transaction(sessions) as session:
        run_id = request_run(session, TEAM, NAME, OWNER_ACTOR, NOW).run_id
    with transaction(sessions) as session:
        taken = RunRepository(session).claim_next("me", NOW, timedelta(minutes=5), run_id)
        assert taken is not None
        workflow_id = taken.workflow_id
    _delete(sessions, NOW)

    with transaction(sessions) as session:
        claimed = ClaimedRun.read(session, run_id, NOW)
    assert claimed.run_id == run_id
    assert claimed.workflow_id == workflow_id  # read from the deleted workflow itself


@pytest.mark.usefixtures("saved")
def test_a_deleted_workflows_old_buttons_and_pickers_do_nothing_and_say_why(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        run_id = request_run(session, TEAM, NAME, OWNER_ACTOR, NOW).run_id
        workflow_id = get_workflow(session, TEAM, NAME).id
    _delete(sessions, NOW)

    with pytest.raises(StaleButton) as stale, transaction(sessions) as session:
        followed_run(session, TEAM, run_id, OWNER_ACTOR)
    assert str(stale.value) == (
        f"{NAME!r} was deleted since this run: nothing was done. "
        f"`/workflow restore {NAME}` brings it back."
    )
    with pytest.raises(NotEnrollable) as gone, transaction(sessions) as session:
        enrollable_workflow(session, TEAM, workflow_id)
    assert "deleted in the meantime" in str(gone.value)


@pytest.mark.usefixtures("saved")
def test_restore_brings_the_workflow_back_paused_with_its_runs_and_history(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        request_run(session, TEAM, NAME, OWNER_ACTOR, NOW)
    _delete(sessions, NOW)

    later = NOW + timedelta(days=29)
    restored = restore_workflow(UnitOfWork(sessions), TEAM, NAME.lower(), OWNER_ACTOR, later)
    assert (restored.name, restored.status, restored.revision) == (NAME, "paused", 1)
    back = workflow(sessions)
    assert back is not None and back.deleted_at is None and back.deleted_name is None
    assert back.next_run_at is None  # runs again only once activated
    with sessions() as session:
        assert session.scalar(select(func.count(Run.id))) == 1
    assert [kind for kind, _ in _changes(sessions)] == ["restored", "deleted", "ran", "created"]


@pytest.mark.usefixtures("saved")
def test_restore_is_refused_after_30_days_and_the_next_deletion_purges_it(
    sessions: sessionmaker[Session],
) -> None:
    _delete(sessions, NOW)
    late = NOW + timedelta(days=30, seconds=1)
    work = UnitOfWork(sessions)
    # What an empty list names as restorable: until 30 days after the deletion, not after.
    assert restorable_names(work, TEAM, late - timedelta(seconds=1)) == [NAME]
    assert restorable_names(work, TEAM, late) == []

    with pytest.raises(NotRestorable) as refused:
        restore_workflow(UnitOfWork(sessions), TEAM, NAME, OWNER_ACTOR, late)
    assert "more than 30 days ago: it can no longer be restored" in str(refused.value)

    save(sessions, workflow_document(name="Other"), late)
    _delete(sessions, late, name="Other")
    with sessions() as session:
        assert session.scalar(select(func.count(Workflow.id))) == 1  # only "Other", restorable
        assert session.scalar(select(func.count(Run.id))) == 0
        # The audit history outlives the purge, without its workflow.
        purged = session.scalars(
            select(WorkflowEvent).where(WorkflowEvent.workflow_name == NAME)
        ).all()
    assert {event.kind for event in purged} == {"created", "deleted"}
    assert {event.workflow_id for event in purged} == {None}


@pytest.mark.usefixtures("saved")
def test_restore_is_refused_while_another_workflow_has_the_name(
    sessions: sessionmaker[Session],
) -> None:
    _delete(sessions, NOW)
    save(sessions, workflow_document(name=NAME.lower()), NOW)

    with pytest.raises(NotRestorable) as refused:
        restore_workflow(UnitOfWork(sessions), TEAM, NAME, OWNER_ACTOR, NOW)
    assert str(refused.value) == (
        f"Another workflow is named {NAME.lower()!r} now, so {NAME!r} cannot come back under "
        "its name: rename or delete that one first, then restore again."
    )


@pytest.mark.usefixtures("saved")
def test_only_the_owner_or_an_admin_may_restore(sessions: sessionmaker[Session]) -> None:
    _delete(sessions, NOW)
    with pytest.raises(PermissionDenied):
        restore_workflow(UnitOfWork(sessions), TEAM, NAME, SOMEONE, NOW)
    assert restore_workflow(UnitOfWork(sessions), TEAM, NAME, SOMEONE_ADMIN, NOW).name == NAME


def test_restoring_a_name_never_deleted_says_which_can_be(
    sessions: sessionmaker[Session],
) -> None:
    import_deals(sessions, [deal("D1")], NOW)
    save(sessions, workflow_document(name="Gone"), NOW)
    _delete(sessions, NOW, name="Gone")
    with pytest.raises(NotRestorable) as refused:
        restore_workflow(UnitOfWork(sessions), TEAM, "Never", OWNER_ACTOR, NOW)
    assert str(refused.value) == "No deleted workflow is named 'Never'. Deleted workflows: Gone."


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
    ).filter(lambda text: text.strip() == text and text != "")
)
def test_any_name_deleted_is_free_at_once_and_restored_exactly(
    sessions: sessionmaker[Session], name: str
) -> None:
    import_deals(sessions, [deal("D1")], NOW)
    with transaction(sessions) as session:
        for row in session.scalars(select(Workflow)):
            session.delete(row)  # each example starts with no workflow
    save(sessions, workflow_document(name=name), NOW)
    _delete(sessions, NOW, name=name)
    again = save(sessions, workflow_document(name=name), NOW)
    assert again.created
    _delete(sessions, NOW + timedelta(seconds=1), name=name)

    restored = restore_workflow(
        UnitOfWork(sessions), TEAM, name, OWNER_ACTOR, NOW + timedelta(days=1)
    )
    assert restored.name == name
    with transaction(sessions) as session:
        # The latest deletion came back; the older one is still restorable after it is gone.
        assert get_workflow(session, TEAM, name).id == again.workflow_id


# -- transfer and copy ----------------------------------------------------------------------


@pytest.mark.usefixtures("saved")
def test_the_owner_transfers_a_workflow_to_a_person_and_the_history_says_so(
    sessions: sessionmaker[Session],
) -> None:
    done = transfer_workflow(UnitOfWork(sessions), TEAM, NAME, "U0NEW", OWNER_ACTOR, NOW)
    assert (done.previous_owner, done.owner) == (OWNER, "U0NEW")
    moved = workflow(sessions)
    assert moved is not None and moved.owner_user_id == "U0NEW" and moved.revision == 1
    latest = _recent_changes(sessions)[0]
    assert latest.about == f"transferred from {OWNER} to U0NEW"
    # The previous owner is now someone else.
    with pytest.raises(PermissionDenied), transaction(sessions) as session:
        set_status(session, TEAM, NAME, WorkflowStatus.PAUSED, OWNER_ACTOR, NOW)


@pytest.mark.parametrize(
    ("actor", "new_owner", "refusal"),
    [
        (SOMEONE, "U0NEW", PermissionDenied),
        (OWNER_ACTOR, "#general", WorkflowError),
        (OWNER_ACTOR, OWNER, WorkflowError),
    ],
)
@pytest.mark.usefixtures("saved")
def test_a_transfer_is_refused_to_others_than_owner_or_admin_and_to_non_people(
    sessions: sessionmaker[Session], actor: Actor, new_owner: str, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal) as refused:
        transfer_workflow(UnitOfWork(sessions), TEAM, NAME, new_owner, actor, NOW)
    assert NAME in str(refused.value)
    kept = workflow(sessions)
    assert kept is not None and kept.owner_user_id == OWNER
    assert _changes(sessions) == [("created", OWNER)]


@pytest.mark.parametrize(("status", "copied_status"), [("active", "paused"), ("draft", "draft")])
def test_anyone_may_copy_a_workflow_into_a_paused_one_of_their_own(
    sessions: sessionmaker[Session], status: str, copied_status: str
) -> None:
    import_deals(sessions, [deal("D1")], NOW)
    save(sessions, workflow_document(status=status), NOW, actor=OWNER_ACTOR)

    copied = copy_workflow(UnitOfWork(sessions), TEAM, NAME, " My review ", SOMEONE, "UTC", NOW)
    assert (copied.name, copied.status, copied.owner, copied.copied_from) == (
        "My review",
        copied_status,
        "U0SOMEONE",
        NAME,
    )
    copy, original = workflow(sessions, "My review"), workflow(sessions)
    assert copy is not None and original is not None
    assert (copy.schedule, copy.criteria, copy.actions) == (
        original.schedule,
        original.criteria,
        original.actions,
    )
    assert copy.next_run_at is None and copy.status == copied_status
    made = _recent_changes(sessions, "My review")
    assert [(c.about, c.actor) for c in made] == [(f"created as a copy of {NAME!r}", "U0SOMEONE")]
    assert _changes(sessions)[0] == ("copied", "U0SOMEONE")


@pytest.mark.usefixtures("saved")
def test_a_copy_onto_a_name_taken_in_any_case_is_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(NameTaken) as refused:
        copy_workflow(UnitOfWork(sessions), TEAM, NAME, NAME.upper(), OWNER_ACTOR, "UTC", NOW)
    assert "already exists" in str(refused.value)
    with pytest.raises(InvalidDefinition):
        copy_workflow(UnitOfWork(sessions), TEAM, NAME, "   ", OWNER_ACTOR, "UTC", NOW)
    with sessions() as session:
        assert session.scalar(select(func.count(Workflow.id))) == 1


# -- the list -------------------------------------------------------------------------------


def test_everyone_sees_every_workflow_and_may_change_only_their_own(
    sessions: sessionmaker[Session],
) -> None:
    import_deals(sessions, [deal("D1")], NOW)
    save(sessions, workflow_document(name="Olivia's", owner=OWNER), NOW)
    save(sessions, workflow_document(name="Oscar's", owner="U0OSCAR"), NOW)

    with transaction(sessions) as session:
        seen_by_owner = list_workflows(session, TEAM, viewer=OWNER_ACTOR, now=NOW)
        seen_by_admin = list_workflows(session, TEAM, viewer=SOMEONE_ADMIN, now=NOW)
    assert [(line.name, line.owner, line.may_change) for line in seen_by_owner] == [
        ("Olivia's", OWNER, True),
        ("Oscar's", "U0OSCAR", False),
    ]
    assert all(line.may_change for line in seen_by_admin)


@pytest.mark.usefixtures("saved")
def test_saving_an_edit_of_a_workflow_deleted_meanwhile_is_refused_saying_how_to_restore(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        workflow_id = get_workflow(session, TEAM, NAME).id
    _delete(sessions, NOW)

    edited = workflow_document(schedule=daily("10:00"))
    with pytest.raises(WorkflowError) as refused, transaction(sessions) as session:
        save_workflow(session, TEAM, edited, OWNER_ACTOR, "UTC", NOW, editing_id=workflow_id)
    assert str(refused.value) == (
        f"{NAME!r} was deleted while you were editing it: nothing was saved. "
        f"/workflow restore {NAME} brings it back, to edit it again."
    )
    assert workflow(sessions) is None
