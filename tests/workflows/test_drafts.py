"""The wizard's use cases on the real databases: drafts started, checked step by step,
previewed, reviewed and saved as workflows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows import drafts
from bot.workflows.channel_access import ChannelNotAllowed
from bot.workflows.definitions import MAX_NAME, InvalidDefinition
from bot.workflows.lifecycle import (
    Actor,
    NameTaken,
    PermissionDenied,
    UnknownWorkflow,
    WorkflowError,
    save_workflow,
    set_status,
)
from bot.workflows.problems import (
    CRITERIA_KEYS,
    Location,
    Problem,
    ProblemCode,
    file_message,
    file_text,
    location_text,
)
from bot.workflows.vocabulary import PropertyType, RunSource, RunStatus, SourceKind, WorkflowStatus
from bot.workflows.wording import ChannelRef
from storage.database import transaction
from storage.models import RecordSource, WizardDraft, Workflow
from storage.object_types import ObjectTypeRepository
from storage.record_sources import RecordSourceRepository
from storage.runs import NewRun, RunRepository
from storage.unit_of_work import UnitOfWork
from tests.engine.builders import (
    DEALS_CHANNEL,
    NAME,
    OWNER,
    TEAM,
    channel_message,
    deal,
    import_deals,
    runs,
    save,
    workflow,
    workflow_document,
)

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday
OWNER_ACTOR = Actor(OWNER)
SOMEONE = Actor("U0SOMEONE")
WON = {"any": [{"all": [{"property": "stage", "operator": "eq", "value": "won"}]}]}


@pytest.fixture
def deals(sessions: sessionmaker[Session]) -> None:
    import_deals(
        sessions,
        [
            deal("D1", "Acme renewal", amount=12000),
            deal("D2", "Globex pilot", amount=3000),
            deal("W1", "Initech", stage="won", amount=7000),
            deal("W2", "Umbrella", stage="won", amount=500),
        ],
        NOW,
    )


def new_draft(sessions: sessionmaker[Session], **document: Any) -> str:
    """A create draft of the owner, its document updated with ``document``."""
    with transaction(sessions) as session:
        draft = drafts.start_create(session, TEAM, OWNER, "Europe/Paris", NOW)
        draft.document = {**draft.document, **document}
        return draft.id


def edit_draft(sessions: sessionmaker[Session], actor: Actor = OWNER_ACTOR, **document: Any) -> str:
    with transaction(sessions) as session:
        draft = drafts.start_edit(session, TEAM, NAME, actor, NOW)
        draft.document = {**draft.document, **document}
        return draft.id


def problems_at(sessions: sessionmaker[Session], draft_id: str, step: int) -> dict[str, list[str]]:
    """The step's problems in file terms, by location ("actions[0].text"; criteria by their
    field, each message led by its group and filter)."""
    with sessions() as session:
        found = drafts.step_problems(session, load(session, draft_id), step, "UTC", NOW)
    worded: dict[str, list[str]] = {}
    for problem in found:
        root = str(problem.location[0])
        if root in CRITERIA_KEYS:
            worded.setdefault(root, []).append(file_text(problem).removeprefix(f"{root}: "))
        else:
            worded.setdefault(location_text(problem.location), []).append(file_message(problem))
    return worded


def load(session: Session, draft_id: str, user_id: str = OWNER) -> WizardDraft:
    return drafts.load_draft(session, draft_id, TEAM, user_id)


def complete(**overrides: Any) -> dict[str, Any]:
    """A document every step accepts."""
    return {
        "name": "Won deals",
        "object_type": "deals",
        "schedule": {
            "frequency": "weekly",
            "weekdays": ["mon"],
            "time": "10:00",
            "timezone": "Europe/Paris",
        },
        "criteria": WON,
        "actions": [channel_message("{{ name }} was won")],
        "settings": {},
        **overrides,
    }


def finish(
    sessions: sessionmaker[Session], draft_id: str, activate: bool, actor: Actor = OWNER_ACTOR
) -> drafts.Finished:
    with transaction(sessions) as session:
        saved = drafts.finish(
            session, load(session, draft_id, actor.user_id), activate, actor, "UTC", NOW
        )
        return drafts.finished(session, saved, NOW)


def draft_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(WizardDraft)) or 0


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


# --- Starting ---------------------------------------------------------------------------------


def test_a_new_draft_is_weekly_on_monday_at_nine_in_the_users_zone(
    sessions: sessionmaker[Session],
) -> None:
    draft_id = new_draft(sessions)

    with sessions() as session:
        draft = load(session, draft_id)
        assert (draft.step, draft.layout, draft.workflow_id) == (1, 0, None)
        assert draft.document == {
            "owner": OWNER,
            "schedule": {
                "frequency": "weekly",
                "weekdays": ["mon"],
                "time": "09:00",
                "timezone": "Europe/Paris",
            },
            "criteria": {},
            "actions": [],
            "settings": {},
        }
        page = drafts.wizard_page(session, draft, "UTC", NOW)
    # A workspace that never imported anything is offered the built-in types.
    assert [c.name for c in page.object_types] == ["companies", "contacts", "deals", "tickets"]


def test_a_new_draft_may_start_with_the_name_given_cut_to_what_the_input_holds(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        named = drafts.start_create(session, TEAM, OWNER, "UTC", NOW, name="  Q4 deals ")
        long = drafts.start_create(session, TEAM, OWNER, "UTC", NOW, name="x" * (MAX_NAME + 5))
        blank = drafts.start_create(session, TEAM, OWNER, "UTC", NOW, name="  ")

    assert named.document["name"] == "Q4 deals"
    assert long.document["name"] == "x" * MAX_NAME
    assert "name" not in blank.document


def test_starting_a_draft_purges_drafts_untouched_for_a_day(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        old = drafts.start_create(session, TEAM, "U0OLD", "UTC", NOW - timedelta(days=2))
        old_id = old.id
    new_draft(sessions)

    with sessions() as session:
        assert session.get(WizardDraft, old_id) is None
    assert draft_count(sessions) == 1


def test_a_draft_is_only_its_authors(sessions: sessionmaker[Session]) -> None:
    draft_id = new_draft(sessions)

    with sessions() as session, pytest.raises(drafts.DraftNotFound, match="/workflow create"):
        load(session, draft_id, user_id="U0SOMEONE")
    with sessions() as session, pytest.raises(drafts.DraftNotFound):
        drafts.load_draft(session, draft_id, "T2", OWNER)


@pytest.mark.usefixtures("deals")
def test_editing_starts_from_the_stored_workflow(sessions: sessionmaker[Session]) -> None:
    saved = save(sessions, workflow_document(), NOW)

    draft_id = edit_draft(sessions)

    with sessions() as session:
        draft = load(session, draft_id)
        assert draft.workflow_id == saved.workflow_id
        assert draft.document["name"] == NAME
        assert draft.document["schedule"] == {
            "frequency": "daily",
            "time": "09:00",
            "timezone": "UTC",
        }
        assert draft.document["actions"] == [channel_message()]
        assert drafts.wizard_page(session, draft, "UTC", NOW).editing is WorkflowStatus.ACTIVE


@pytest.mark.usefixtures("deals")
def test_only_the_owner_or_an_admin_may_open_a_workflow_for_editing(
    sessions: sessionmaker[Session],
) -> None:
    save(sessions, workflow_document(), NOW)

    with pytest.raises(PermissionDenied), transaction(sessions) as session:
        drafts.start_edit(session, TEAM, NAME, SOMEONE, NOW)
    with pytest.raises(UnknownWorkflow, match="Deal review"), transaction(sessions) as session:
        drafts.start_edit(session, TEAM, "Deal reveiw", OWNER_ACTOR, NOW)
    edit_draft(sessions, Actor("U0ADMIN", is_admin=True))
    assert draft_count(sessions) == 1


# --- Checking each step -----------------------------------------------------------------------


def test_step_one_needs_a_name_and_a_known_object_type(sessions: sessionmaker[Session]) -> None:
    draft_id = new_draft(sessions, name="", object_type="dealz")

    problems = problems_at(sessions, draft_id, 1)

    assert set(problems) == {"name", "object_type"}
    assert problems["name"] == ["empty: give the workflow a name"]
    assert "did you mean deals?" in problems["object_type"][0]


def test_a_step_checks_neither_later_nor_earlier_steps(sessions: sessionmaker[Session]) -> None:
    draft_id = new_draft(
        sessions,
        name="Fine",
        object_type="deals",
        schedule={"frequency": "hourly", "time": "09:00"},
        actions=[{"type": "shout"}],
    )

    assert problems_at(sessions, draft_id, 1) == {}
    assert set(problems_at(sessions, draft_id, 2)) == {"schedule.frequency"}
    assert set(problems_at(sessions, draft_id, 3)) == set()
    assert set(problems_at(sessions, draft_id, 4)) == {"actions[0].type"}


@pytest.mark.usefixtures("deals")
def test_a_name_another_workflow_has_is_refused_when_creating_or_renaming(
    sessions: sessionmaker[Session],
) -> None:
    save(sessions, workflow_document(), NOW)
    save(sessions, workflow_document(name="Other"), NOW)
    creating = new_draft(sessions, name=NAME, object_type="deals")
    keeping = edit_draft(sessions)
    renaming = edit_draft(sessions, name="Other")

    assert problems_at(sessions, creating, 1) == {
        "name": [f"a workflow named {NAME!r} already exists: choose another name"]
    }
    assert problems_at(sessions, keeping, 1) == {}
    assert list(problems_at(sessions, renaming, 6)) == ["name"]


def test_schedule_problems_are_keyed_by_their_field(sessions: sessionmaker[Session]) -> None:
    draft_id = new_draft(
        sessions,
        schedule={"frequency": "weekly", "weekdays": [], "time": "25:00", "timezone": "Mars/Base"},
    )

    problems = problems_at(sessions, draft_id, 2)

    assert set(problems) == {"schedule.weekdays", "schedule.time", "schedule.timezone"}
    assert "HH:MM" in problems["schedule.time"][0]


def test_a_schedule_with_no_run_left_is_refused(sessions: sessionmaker[Session]) -> None:
    draft_id = new_draft(
        sessions,
        schedule={"frequency": "once", "date": "2026-11-01", "time": "09:00", "timezone": "UTC"},
    )

    assert problems_at(sessions, draft_id, 2) == {
        "schedule.date": ["2026-11-01 at 09:00 (UTC) has passed: choose a later date"]
    }


@pytest.mark.usefixtures("deals")
def test_criteria_problems_name_their_group_and_filter(sessions: sessionmaker[Session]) -> None:
    criteria = {"any": [{"all": [{"property": "stag", "operator": "eq", "value": "won"}]}]}
    draft_id = new_draft(sessions, **complete(criteria=criteria))

    problems = problems_at(sessions, draft_id, 3)

    [message] = problems["criteria"]
    assert message.startswith("group 1, filter 1: unknown property 'stag'; did you mean 'stage'?")


@pytest.mark.usefixtures("deals")
def test_an_action_is_needed_and_each_is_checked(sessions: sessionmaker[Session]) -> None:
    empty = new_draft(sessions, **complete(actions=[]))
    wrong = new_draft(
        sessions, **complete(name="Two", actions=[{"type": "send_owner_dm", "text": "{{ nme }}"}])
    )

    assert problems_at(sessions, empty, 4) == {
        "actions": ["empty: add an action (only a draft may have none)"]
    }
    assert list(problems_at(sessions, wrong, 4)) == ["actions[0].text"]


@pytest.mark.usefixtures("deals")
def test_settings_and_suppression_are_checked_at_step_five(
    sessions: sessionmaker[Session],
) -> None:
    settings = {"pause_days": ["12-25", "12-32"], "summary_channel": "#general"}
    suppression = {"any": [{"all": [{"property": "amount", "operator": "gt", "value": "x"}]}]}
    draft_id = new_draft(sessions, **complete(settings=settings, suppression=suppression))

    problems = problems_at(sessions, draft_id, 5)

    assert set(problems) == {"settings.pause_days[1]", "settings.summary_channel", "suppression"}
    assert set(problems_at(sessions, draft_id, 6)) == set(problems)


# --- Moving between steps ---------------------------------------------------------------------


@pytest.mark.usefixtures("deals")
def test_each_problem_location_belongs_to_the_step_that_edits_it() -> None:
    locations: list[Location] = [
        ("name",),
        ("object_type",),
        ("schedule", "time"),
        ("criteria", 0, 1, "value"),
        ("actions", 0, "text"),
        ("settings", "pause_days", 1),
        ("suppression",),
        ("owner",),
        (),
    ]
    steps = [drafts.step_of(at(location)) for location in locations]
    assert steps == [1, 1, 2, 3, 4, 5, 5, drafts.REVIEW_STEP, drafts.REVIEW_STEP]
    assert all(
        drafts.step_of(at((name,))) == step
        for step, names in drafts.STEP_FIELDS.items()
        for name in names
    )


def at(location: Location) -> Problem:
    return Problem(location, ProblemCode.MISSING, "missing")


@pytest.mark.usefixtures("deals")
def test_a_taken_name_is_the_name_taken_problem(sessions: sessionmaker[Session]) -> None:
    save(sessions, workflow_document(), NOW)
    draft_id = new_draft(sessions, **complete(name=NAME))

    assert problems_at(sessions, draft_id, 1) == {"name": [NameTaken(NAME).problem]}
    with pytest.raises(NameTaken):
        finish(sessions, draft_id, activate=True)


@pytest.mark.usefixtures("deals")
def test_a_name_taken_in_another_case_is_the_name_taken_problem(
    sessions: sessionmaker[Session],
) -> None:
    save(sessions, workflow_document(), NOW)
    draft_id = new_draft(sessions, **complete(name=NAME.upper()))

    assert problems_at(sessions, draft_id, 1) == {
        "name": [
            f"a workflow named {NAME!r} already exists, and names that differ only in case are "
            "the same name: choose another name"
        ]
    }
    with pytest.raises(NameTaken):
        finish(sessions, draft_id, activate=True)


def test_a_step_is_left_only_when_valid_and_what_was_typed_is_kept(
    sessions: sessionmaker[Session],
) -> None:
    draft_id = new_draft(sessions)

    with transaction(sessions) as session:
        draft = load(session, draft_id)
        typed = {**draft.document, "name": "", "object_type": "deals"}
        problems = drafts.submit_step(session, draft, typed, "UTC", NOW)
    with transaction(sessions) as session:
        draft = load(session, draft_id)
        located = [problem.location for problem in problems]
        assert (located, draft.step, draft.document["object_type"]) == ([("name",)], 1, "deals")
        assert drafts.submit_step(session, draft, {**typed, "name": "Won"}, "UTC", NOW) == ()
        assert draft.step == 2
        drafts.go_back(draft, {**draft.document, "name": "Won deals"}, NOW)
        assert (draft.step, draft.document["name"]) == (1, "Won deals")
        drafts.restructure(draft, draft.document, NOW)
    with sessions() as session:
        assert load(session, draft_id).layout == 1


# --- Previews ---------------------------------------------------------------------------------


def test_the_schedule_preview_says_it_in_words_with_the_next_five_runs_in_its_zone() -> None:
    document = {
        "schedule": {
            "frequency": "monthly",
            "month_days": [31],
            "time": "09:00",
            "timezone": "Europe/Paris",
        }
    }

    preview = drafts.schedule_preview(document, "UTC", NOW)

    assert preview.sentence == "Every month on the 31st at 09:00 (Europe/Paris)"
    assert [run.date().isoformat() for run in preview.next_runs] == [
        "2026-12-31",
        "2027-01-31",
        "2027-03-31",
        "2027-05-31",
        "2027-07-31",
    ]
    assert all(
        run.tzinfo is not None and run.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
        for run in preview.next_runs
    )
    assert [warning.code for warning in preview.warnings] == [ProblemCode.NOT_IN_EVERY_MONTH]
    assert "February" in file_text(preview.warnings[0])


def test_the_schedule_preview_of_an_invalid_schedule_lists_its_problems() -> None:
    preview = drafts.schedule_preview({"schedule": {"frequency": "weekly"}}, "UTC", NOW)

    assert preview.sentence is None
    assert {problem.location for problem in preview.problems} == {("weekdays",), ("time",)}


@pytest.mark.usefixtures("deals")
def test_step_three_counts_the_records_matching_now(sessions: sessionmaker[Session]) -> None:
    draft_id = new_draft(sessions, **complete())

    with transaction(sessions) as session:
        draft = load(session, draft_id)
        draft.step = 3
        assert drafts.wizard_page(session, draft, "UTC", NOW).matching == drafts.Matching(2)
        draft.document = {**draft.document, "criteria": {"any": "nonsense"}}
        assert drafts.wizard_page(session, draft, "UTC", NOW).matching is None


@pytest.mark.usefixtures("deals")
def test_only_the_steps_that_name_properties_get_the_property_types(
    sessions: sessionmaker[Session],
) -> None:
    draft_id = new_draft(sessions, **complete())

    shown = {}
    with sessions() as session:
        draft = load(session, draft_id)
        for step in range(drafts.FIRST_STEP, drafts.REVIEW_STEP + 1):
            draft.step = step
            shown[step] = dict(drafts.wizard_page(session, draft, "UTC", NOW).properties)

    assert {step for step, properties in shown.items() if properties} == {3, 4, 5}
    assert shown[3]["amount"] is PropertyType.NUMBER


@pytest.mark.usefixtures("deals")
def test_the_review_page_reads_the_object_types_properties_once(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    draft_id = new_draft(sessions, **complete())

    with sessions() as session:
        draft = load(session, draft_id)
        draft.step = drafts.REVIEW_STEP
        with statements_run(engine) as statements:
            page = drafts.wizard_page(session, draft, "UTC", NOW)

    assert page.review is not None and page.review.problems == ()
    assert sum("FROM property_definitions" in statement for statement in statements) == 1


@pytest.mark.usefixtures("deals")
def test_step_one_lists_object_types_with_their_record_counts(
    sessions: sessionmaker[Session],
) -> None:
    draft_id = new_draft(sessions)

    with sessions() as session:
        page = drafts.wizard_page(session, load(session, draft_id), "UTC", NOW)

    assert {c.name: c.records for c in page.object_types}["deals"] == 4
    assert {c.name: c.records for c in page.object_types}["tickets"] == 0


@pytest.mark.usefixtures("deals")
def test_the_review_describes_the_workflow_and_what_matches_now(
    sessions: sessionmaker[Session],
) -> None:
    suppression = {"any": [{"all": [{"property": "amount", "operator": "lt", "value": 1000}]}]}
    draft_id = new_draft(
        sessions,
        **complete(
            suppression=suppression,
            actions=[
                channel_message("{{ name }} was won", mode="digest"),
                {"type": "create_task", "title": "Call", "due_in_days": 3},
            ],
            settings={"summary_channel": "C0SUMMARY", "summary": "always"},
        ),
    )

    with sessions() as session:
        review = drafts.review(session, load(session, draft_id), "UTC", NOW)

    assert review.problems == ()
    assert review.schedule == "Every week on Monday at 10:00 (Europe/Paris)"
    assert review.next_runs[0] == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert str(review.next_runs[0].tzinfo) == "Europe/Paris"
    assert len(review.next_runs) == 5
    assert (review.matching, [r.external_id for r in review.records]) == (1, ["W1"])
    assert review.criteria == ("stage is equal to won",)
    assert review.suppression == ("amount is less than 1000",)
    assert review.actions[0].parts == (
        "Post to ",
        ChannelRef(DEALS_CHANNEL),
        " one digest message per run: “{{ name }} was won”",
    )
    assert str(review.actions[1]) == "Create a task “Call”, due 3 days after the run"
    assert review.settings[0].channels == ("C0SUMMARY",)
    assert review.warnings == ()


@pytest.mark.usefixtures("deals")
def test_the_review_of_a_draft_that_cannot_be_saved_lists_every_problem(
    sessions: sessionmaker[Session],
) -> None:
    draft_id = new_draft(sessions, name="", object_type="deals")

    with sessions() as session:
        review = drafts.review(session, load(session, draft_id), "UTC", NOW)

    assert {problem.location for problem in review.problems} == {("name",), ("actions",)}
    assert review.matching == 0 and review.schedule == ""


@pytest.mark.usefixtures("deals")
def test_the_review_warns_when_nothing_matches(sessions: sessionmaker[Session]) -> None:
    criteria = {"any": [{"all": [{"property": "stage", "operator": "eq", "value": "lost"}]}]}
    draft_id = new_draft(sessions, **complete(criteria=criteria))

    with sessions() as session:
        review = drafts.review(session, load(session, draft_id), "UTC", NOW)

    assert [(w.location, w.code) for w in review.warnings] == [
        (("criteria",), ProblemCode.NO_MATCHES)
    ]


# --- Finishing --------------------------------------------------------------------------------


@pytest.mark.usefixtures("deals")
def test_activating_creates_an_active_workflow_and_deletes_the_draft(
    sessions: sessionmaker[Session],
) -> None:
    draft_id = new_draft(sessions, **complete())

    done = finish(sessions, draft_id, activate=True)

    assert (done.name, done.status, done.created) == ("Won deals", WorkflowStatus.ACTIVE, True)
    assert done.next_run == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # 10:00 in Paris
    assert done.next_run is not None and str(done.next_run.tzinfo) == "Europe/Paris"
    stored = workflow(sessions, "Won deals")
    assert stored is not None and stored.owner_user_id == OWNER and stored.revision == 1
    assert draft_count(sessions) == 0


@pytest.mark.usefixtures("deals")
def test_saving_as_a_draft_stores_a_workflow_that_does_not_run(
    sessions: sessionmaker[Session],
) -> None:
    draft_id = new_draft(sessions, **complete())

    done = finish(sessions, draft_id, activate=False)

    assert (done.status, done.next_run) == (WorkflowStatus.DRAFT, None)
    stored = workflow(sessions, "Won deals")
    assert stored is not None and stored.next_run_at is None


@pytest.mark.usefixtures("deals")
def test_saving_an_active_workflow_applies_at_once_as_a_new_revision(
    sessions: sessionmaker[Session],
) -> None:
    saved = save(sessions, workflow_document(), NOW)
    with transaction(sessions) as session:
        planned = NewRun(
            saved.workflow_id, 1, "2026-11-02T09:00", NOW + timedelta(hours=1), RunSource.SCHEDULE
        )
        run_id = RunRepository(session).add(planned, NOW)
    schedule = {"frequency": "daily", "time": "10:00", "timezone": "UTC"}
    draft_id = edit_draft(sessions, schedule=schedule)

    done = finish(sessions, draft_id, activate=True)

    assert (done.status, done.created) == (WorkflowStatus.ACTIVE, False)
    assert done.next_run == datetime(2026, 11, 2, 10, tzinfo=UTC)
    stored = workflow(sessions)
    assert stored is not None and (stored.revision, stored.schedule) == (2, schedule)
    assert [(r.id, r.status) for r in runs(sessions)] == [(run_id, RunStatus.CANCELLED.value)]


@pytest.mark.usefixtures("deals")
def test_an_edit_may_rename_the_workflow(sessions: sessionmaker[Session]) -> None:
    saved = save(sessions, workflow_document(), NOW)
    draft_id = edit_draft(sessions, name="Deals in contract")

    done = finish(sessions, draft_id, activate=True)

    assert done.name == "Deals in contract"
    renamed = workflow(sessions, "Deals in contract")
    assert renamed is not None and (renamed.id, renamed.revision) == (saved.workflow_id, 2)
    assert workflow(sessions, NAME) is None


@pytest.mark.usefixtures("deals")
def test_a_name_taken_meanwhile_is_refused_and_nothing_is_written(
    sessions: sessionmaker[Session],
) -> None:
    save(sessions, workflow_document(), NOW)
    creating = new_draft(sessions, **complete(name="Taken later"))
    renaming = edit_draft(sessions, name="Taken later")
    save(sessions, workflow_document(name="Taken later"), NOW)

    for draft_id in (creating, renaming):
        with pytest.raises(WorkflowError, match="'Taken later' already exists"):
            finish(sessions, draft_id, activate=True)

    assert draft_count(sessions) == 2
    stored = workflow(sessions)
    assert stored is not None and stored.revision == 1


@pytest.mark.usefixtures("deals")
def test_an_edit_saved_without_activating_keeps_a_paused_workflow_paused(
    sessions: sessionmaker[Session],
) -> None:
    save(sessions, workflow_document(), NOW)
    with transaction(sessions) as session:
        set_status(session, TEAM, NAME, WorkflowStatus.PAUSED, OWNER_ACTOR, NOW)
    draft_id = edit_draft(sessions)

    done = finish(sessions, draft_id, activate=False)

    assert (done.status, done.next_run) == (WorkflowStatus.PAUSED, None)


@pytest.mark.usefixtures("deals")
def test_an_active_workflow_saved_without_activating_is_paused_not_made_a_draft(
    sessions: sessionmaker[Session],
) -> None:
    save(sessions, workflow_document(), NOW)

    done = finish(sessions, edit_draft(sessions), activate=False)  # "Save and pause"

    assert (done.status, done.next_run) == (WorkflowStatus.PAUSED, None)


@pytest.mark.usefixtures("deals")
def test_a_draft_that_cannot_be_saved_raises_every_problem_and_stays(
    sessions: sessionmaker[Session],
) -> None:
    draft_id = new_draft(sessions, **complete(actions=[]))

    with pytest.raises(InvalidDefinition) as refused:
        finish(sessions, draft_id, activate=True)

    assert refused.value.messages == ["actions: empty: add an action (only a draft may have none)"]
    assert draft_count(sessions) == 1


@pytest.mark.usefixtures("deals")
def test_editing_by_id_checks_who_asks_and_that_the_workflow_still_exists(
    sessions: sessionmaker[Session],
) -> None:
    saved = save(sessions, workflow_document(), NOW)
    document = workflow_document(name="Renamed")

    with pytest.raises(PermissionDenied), transaction(sessions) as session:
        save_workflow(session, TEAM, document, SOMEONE, "UTC", NOW, editing_id=saved.workflow_id)
    with pytest.raises(WorkflowError, match="deleted"), transaction(sessions) as session:
        save_workflow(session, TEAM, document, OWNER_ACTOR, "UTC", NOW, editing_id=999)
    stored = workflow(sessions)
    assert stored is not None and stored.revision == 1


@pytest.mark.usefixtures("deals")
def test_the_settings_step_names_the_source_that_feeds_the_type(
    sessions: sessionmaker[Session],
) -> None:
    draft_id = new_draft(sessions, **complete())
    with transaction(sessions) as session:
        deals_type = ObjectTypeRepository(session).get(TEAM, "deals")
        assert drafts.wizard_page(session, load(session, draft_id), "UTC", NOW).source is None
        RecordSourceRepository(session).add(
            RecordSource(
                team_id=TEAM,
                name="crm",
                kind=SourceKind.SQL.value,
                object_type_id=deals_type.id,
                url_env="CRM_URL",
                query="SELECT 1",
                id_column="id",
                max_staleness_seconds=300,
                created_at=NOW,
            )
        )
        draft = load(session, draft_id)
        draft.step = 5
        assert drafts.wizard_page(session, draft, "UTC", NOW).source == "crm"
        draft.step = 3
        assert drafts.wizard_page(session, draft, "UTC", NOW).source is None


# --- The use cases on a unit of work -----------------------------------------------------------


class _Refusing:
    """The messaging side refusing every channel (a ChannelAccess)."""

    def refusal(self, channel: str, user: str) -> str | None:
        return f"the bot is not in {channel}"


class _Allowing:
    def refusal(self, channel: str, user: str) -> str | None:
        return None


def _key(draft_id: str) -> drafts.DraftKey:
    return drafts.DraftKey(draft_id, TEAM, OWNER)


def _typed(**fields: Any) -> drafts.StepReader:
    """A step reader that finds ``fields`` typed in the dialog."""
    return lambda step, document, properties, layout: {**document, **fields}


def _new_draft(sessions: sessionmaker[Session]) -> tuple[UnitOfWork, drafts.DraftKey]:
    """A wizard draft OWNER has just started, in Europe/Paris, at its first step."""
    work = UnitOfWork(sessions)
    return work, drafts.create(work, TEAM, OWNER, "Europe/Paris", NOW)


def _draft_at_the_schedule(sessions: sessionmaker[Session]) -> tuple[UnitOfWork, drafts.DraftKey]:
    """A new draft whose first step named it "Won deals", on deals."""
    work, key = _new_draft(sessions)
    drafts.submit(work, key, _typed(name="Won deals", object_type="deals"), "UTC", NOW)
    return work, key


def test_a_submitted_step_keeps_what_was_typed_and_stays_when_it_is_wrong(
    sessions: sessionmaker[Session], deals: None
) -> None:
    work, key = _new_draft(sessions)

    refused = drafts.submit(work, key, _typed(name=" ", object_type="deals"), "UTC", NOW)
    accepted = drafts.submit(work, key, _typed(name="Won deals"), "UTC", NOW)

    assert refused.step is drafts.WizardStep.NAME
    assert [p.location for p in refused.problems] == [("name",)]
    assert refused.document["object_type"] == "deals"
    assert accepted.problems == ()
    page = drafts.page(work, key, "UTC", NOW)
    assert page.step is drafts.WizardStep.SCHEDULE
    assert page.document["name"] == "Won deals"


def test_a_step_submitted_brings_the_next_page_reading_and_writing_the_draft_once(
    sessions: sessionmaker[Session], engine: Engine, deals: None
) -> None:
    work, key = _new_draft(sessions)

    with statements_run(engine) as statements:
        done = drafts.submit(work, key, _typed(name="Won deals", object_type="deals"), "UTC", NOW)

    assert done.page is not None and done.page.step is drafts.WizardStep.SCHEDULE
    assert done.page.document["name"] == "Won deals" and done.page.schedule is not None
    assert done.page == drafts.page(work, key, "UTC", NOW)
    assert sum("FROM wizard_drafts" in statement for statement in statements) == 1
    assert sum(statement.startswith("UPDATE wizard_drafts") for statement in statements) == 1
    # The workspace's other object types are read only to name them beside an unknown one.
    assert not any(statement.startswith("SELECT object_types.name") for statement in statements)


def test_a_step_naming_an_unknown_object_type_is_told_the_known_ones(
    sessions: sessionmaker[Session], deals: None
) -> None:
    work, key = _new_draft(sessions)

    done = drafts.submit(work, key, _typed(name="Won deals", object_type="deal"), "UTC", NOW)

    [problem] = done.problems
    assert problem.location == ("object_type",)
    assert (
        "did you mean deals?" in problem.file_tail and "known object types: " in problem.file_tail
    )


def test_a_refused_first_step_counts_no_records_under_the_write_lock(
    sessions: sessionmaker[Session], engine: Engine, deals: None
) -> None:
    work, key = _new_draft(sessions)

    with statements_run(engine) as statements:
        blank = drafts.submit(work, key, _typed(name=" ", object_type="deals"), "UTC", NOW)
        unknown = drafts.submit(work, key, _typed(name="Won deals", object_type="nope"), "UTC", NOW)

    assert blank.problems and unknown.problems
    assert not [s for s in statements if "count(records.id)" in s.replace('"', "")]
    assert blank.page is None and unknown.page is None
    # The dialog reads the page the step stays at in a transaction of its own.
    assert drafts.page(work, key, "UTC", NOW).step is drafts.WizardStep.NAME


def test_a_page_the_draft_has_left_is_not_submitted(
    sessions: sessionmaker[Session], deals: None
) -> None:
    work, key = _draft_at_the_schedule(sessions)
    before = drafts.page(work, key, "UTC", NOW).document

    # Next on the first step's page, with the draft at the schedule step (a Back undone).
    shown = drafts.WizardStep.NAME
    done = drafts.submit(work, key, _typed(name="Lost deals"), "UTC", NOW, shown)

    assert done.outdated and done.step is drafts.WizardStep.SCHEDULE and done.problems == ()
    # The page the dialog shows instead comes with the refusal: no second transaction.
    assert done.page is not None and done.page.step is drafts.WizardStep.SCHEDULE
    assert done.page.document == before
    after = drafts.page(work, key, "UTC", NOW)
    assert after.step is drafts.WizardStep.SCHEDULE and after.document == before


def test_a_page_that_counts_records_is_not_read_with_the_submission(
    sessions: sessionmaker[Session], deals: None
) -> None:
    work, key = _draft_at_the_schedule(sessions)

    scheduled = drafts.submit(work, key, _typed(), "UTC", NOW)

    assert scheduled.problems == () and scheduled.page is None
    assert drafts.page(work, key, "UTC", NOW).step is drafts.WizardStep.CRITERIA


def test_an_editor_control_stores_the_document_with_a_new_layout_only_when_it_edits(
    sessions: sessionmaker[Session], deals: None
) -> None:
    work, key = _new_draft(sessions)

    def add_action(document: drafts.DraftDocument) -> bool:
        document["actions"] = [*document.get("actions", []), {"type": "send_owner_dm"}]
        return True

    drafts.change(work, key, _typed(name="Not its"), drafts.edited(lambda document: False), NOW)
    unchanged = drafts.page(work, key, "UTC", NOW)
    drafts.change(work, key, _typed(name="Its"), drafts.edited(add_action), NOW)
    edited = drafts.page(work, key, "UTC", NOW)

    assert "name" not in unchanged.document and unchanged.layout == 0
    assert edited.document["name"] == "Its" and edited.layout == 1
    assert edited.document["actions"] == [{"type": "send_owner_dm"}]


def test_a_draft_whose_channel_is_refused_is_not_saved_and_stays(
    sessions: sessionmaker[Session], deals: None
) -> None:
    work = UnitOfWork(sessions)
    key = _key(new_draft(sessions, **complete()))

    with pytest.raises(ChannelNotAllowed, match="the bot is not in"):
        drafts.save(work, key, True, OWNER_ACTOR, "UTC", NOW, _Refusing())
    assert draft_count(sessions) == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Workflow)) == 0

    done = drafts.save(work, key, True, OWNER_ACTOR, "UTC", NOW, _Allowing())
    assert (done.name, done.status, done.created) == ("Won deals", WorkflowStatus.ACTIVE, True)
    assert draft_count(sessions) == 0


def test_a_draft_that_cannot_be_saved_says_so_with_its_properties_labels(
    sessions: sessionmaker[Session], deals: None
) -> None:
    with transaction(sessions) as session:
        types = ObjectTypeRepository(session)
        found = types.find(TEAM, "deals")
        assert found is not None
        types.declare(found.id, {"amount": PropertyType.NUMBER}, labels={"amount": "Amount"})
    lots = {"any": [{"all": [{"property": "amount", "operator": "gt", "value": "lots"}]}]}
    key = _key(new_draft(sessions, **complete(criteria=lots)))

    with pytest.raises(drafts.UnsavableDraft) as refused:
        drafts.save(UnitOfWork(sessions), key, True, OWNER_ACTOR, "UTC", NOW, _Allowing())

    assert refused.value.labels.names == {"amount": "Amount"}
    assert refused.value.document["criteria"] == lots
    assert [p.location for p in refused.value.problems] == [("criteria", 0, 0, "value")]


def test_an_older_input_served_last_does_not_overwrite_the_newer_one(
    sessions: sessionmaker[Session], deals: None
) -> None:
    work, key = _new_draft(sessions)
    monday = {"frequency": "weekly", "weekdays": ["mon"], "time": "09:00", "timezone": "UTC"}
    friday = {**monday, "weekdays": ["mon", "wed", "fri"]}
    wednesday = {**monday, "weekdays": ["mon", "wed"]}

    newer = drafts.change(work, key, _typed(schedule=friday), drafts.keep_values, NOW, 2_000)
    older = drafts.change(work, key, _typed(schedule=wednesday), drafts.keep_values, NOW, 1_000)
    kept = drafts.page(work, key, "UTC", NOW).document
    again = drafts.change(work, key, _typed(schedule=monday), drafts.keep_values, NOW, 2_000)
    unversioned = drafts.change(work, key, _typed(name="Typed"), drafts.keep_values, NOW)

    assert (newer, older, again, unversioned) == (True, False, True, True)
    assert kept["schedule"]["weekdays"] == ["mon", "wed", "fri"]
    assert drafts.page(work, key, "UTC", NOW).document["schedule"]["weekdays"] == ["mon"]


def test_a_row_added_before_a_newer_input_is_added_when_served_after_it(
    sessions: sessionmaker[Session], deals: None
) -> None:
    """ "+ Add filter" clicked, then a value changed, served in the other order: the click's
    page is older than the draft, so its inputs are not read, but its row is still added,
    to the draft as the newer input left it."""
    work, key = _new_draft(sessions)
    stage = {"property": "stage", "operator": "eq", "value": "won"}

    def add_filter(document: drafts.DraftDocument) -> bool:
        document["criteria"] = {"all": [*document["criteria"]["all"], {}]}  # type: ignore[index,typeddict-item]
        return True

    newer = drafts.change(
        work, key, _typed(criteria={"all": [stage]}), drafts.keep_values, NOW, 2_000
    )
    stale = _typed(criteria={"all": [{"property": "stage"}]}, name="Stale")
    added = drafts.change(work, key, stale, drafts.edited(add_filter), NOW, 1_000)
    stale_value = drafts.change(work, key, stale, drafts.keep_values, NOW, 1_500)
    kept = drafts.page(work, key, "UTC", NOW)

    assert (newer, added, stale_value) == (True, True, False)
    assert kept.document["criteria"] == {"all": [stage, {}]}
    assert "name" not in kept.document and kept.layout == 1


def test_a_change_made_on_a_step_the_draft_has_left_is_refused(
    sessions: sessionmaker[Session], deals: None
) -> None:
    work, key = _draft_at_the_schedule(sessions)

    late = drafts.change(
        work, key, _typed(name="Late"), drafts.go_back, NOW, step=drafts.WizardStep.NAME
    )
    on_its_page = drafts.change(
        work, key, _typed(), drafts.keep_values, NOW, step=drafts.WizardStep.SCHEDULE
    )

    assert (late, on_its_page) == (False, True)
    page = drafts.page(work, key, "UTC", NOW)
    assert page.step is drafts.WizardStep.SCHEDULE and page.document["name"] == "Won deals"


@pytest.mark.parametrize("use_case", ["submit", "change"])
def test_a_use_case_that_writes_the_draft_holds_its_row_until_it_commits(
    engine: Engine, sessions: sessionmaker[Session], deals: None, use_case: str
) -> None:
    """While submit or an unversioned change has read the draft (its reader is reading the
    dialog), another transaction cannot lock the row (NOWAIT answers at once): a concurrent
    change waits for it, and is not overwritten by what it read."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writer holds the whole database")
    work = UnitOfWork(sessions)
    key = _key(new_draft(sessions, **complete()))
    inside, leave = threading.Event(), threading.Event()

    def reading(step: drafts.WizardStep, document: drafts.DraftDocument, *_: object) -> Any:
        inside.set()
        assert leave.wait(10)
        return document

    def run() -> None:
        if use_case == "submit":
            drafts.submit(work, key, reading, "UTC", NOW)
        else:
            drafts.change(work, key, reading, drafts.keep_values, NOW)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        assert inside.wait(10)
        with sessions() as session, session.begin():
            query = select(WizardDraft).where(WizardDraft.id == key.draft_id)
            with pytest.raises(OperationalError, match="could not obtain lock"):
                session.execute(query.with_for_update(nowait=True))
    finally:
        leave.set()
        worker.join(10)


def test_each_picker_reads_only_what_its_options_are_made_of(
    engine: Engine, sessions: sessionmaker[Session], deals: None
) -> None:
    """The pickers search on every keystroke, within Slack's 3 seconds: the property picker
    reads no enumeration options, the value picker no property types."""
    key = _key(new_draft(sessions, **complete(criteria=WON)))
    work = UnitOfWork(sessions)

    with statements_run(engine) as for_properties:
        properties = drafts.property_choices(work, key)
    with statements_run(engine) as for_values:
        values = drafts.value_choices(work, key)

    def reads(statements: list[str], column: str) -> bool:
        read = f"SELECT property_definitions.name, {column}"
        return any(statement.startswith(read) for statement in statements)

    assert properties.properties["stage"] is PropertyType.STRING
    assert values.document["criteria"] == WON
    assert not reads(for_properties, "property_definitions.options")
    assert reads(for_values, "property_definitions.options")
    assert not reads(for_values, "property_definitions.type")
    assert reads(for_properties, "property_definitions.type")


def test_an_input_to_a_draft_that_is_gone_is_refused_as_gone(
    sessions: sessionmaker[Session], deals: None
) -> None:
    work = UnitOfWork(sessions)
    gone = drafts.DraftKey("0" * 32, TEAM, OWNER)

    with pytest.raises(drafts.DraftNotFound):
        drafts.change(work, gone, _typed(name="x"), drafts.keep_values, NOW, 1_000)
