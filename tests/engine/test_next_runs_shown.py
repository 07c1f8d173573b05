"""Next runs shown are the runs that happen: on random schedules with pause days and public
holidays (deferred or skipped), what the list, /workflow show, the App Home, the command
line, the pause/activate replies and the dialog's review say is next equals what the engine
runs when the clock is stepped from one wake-up to the next, on both databases."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.clock import FixedClock
from bot.workflows.definitions import read_settings
from bot.workflows.drafts import schedule_preview
from bot.workflows.forecast import coming_runs
from bot.workflows.lifecycle import CLI_ACTOR, pause_workspace, set_status
from bot.workflows.overview import coming_run, list_workflows, workflow_details
from bot.workflows.schedules import Schedule
from bot.workflows.vocabulary import RunStatus, WorkflowStatus
from bot.workflows.workflow_files import ImportOutcome, import_workflow
from storage.database import transaction, write_transaction
from storage.models import Run, Workflow
from storage.unit_of_work import UnitOfWork
from tests.engine.builders import TEAM, deal, import_deals, save, workflow_document
from tests.engine.conftest import Processes

# A Monday noon; the pause days fall in the weeks after it, around US holidays.
START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SHOWN = 4  # runs compared, from each display
_names = itertools.count(1)

ZONES = st.sampled_from(["UTC", "America/New_York", "Europe/Berlin"])
TIMES = st.sampled_from(["06:30", "09:00", "17:45"])
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SCHEDULES = st.one_of(
    st.builds(lambda t, z: {"frequency": "daily", "time": t, "timezone": z}, TIMES, ZONES),
    st.builds(
        lambda days, t, z: {"frequency": "weekly", "weekdays": days, "time": t, "timezone": z},
        st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True),
        TIMES,
        ZONES,
    ),
    st.builds(
        lambda day, t, z: {"frequency": "monthly", "month_days": [day], "time": t, "timezone": z},
        st.integers(1, 28),
        TIMES,
        ZONES,
    ),
)
PAUSE_DAYS = st.lists(
    st.dates(date(2026, 11, 30), date(2027, 1, 15)).map(date.isoformat), max_size=6, unique=True
)
SETTINGS = st.fixed_dictionaries(
    {
        "pause_days": PAUSE_DAYS,
        "on_pause_day": st.sampled_from(["defer", "skip"]),
    },
    optional={"holidays": st.just("US")},
)


def _ran(sessions: sessionmaker[Session], workflow_id: int) -> list[datetime]:
    """The instants the engine ran the workflow at, in order."""
    with transaction(sessions) as session:
        query = select(Run.scheduled_at).where(
            Run.workflow_id == workflow_id, Run.status == RunStatus.SUCCEEDED.value
        )
        return sorted(session.scalars(query))


def _displayed(sessions: sessionmaker[Session], name: str, now: datetime) -> list[datetime]:
    """The next runs each surface shows at ``now``: the list's (App Home, /workflow list,
    workflows list) and show's (/workflow show, workflows show) next run, then show's runs."""
    with transaction(sessions) as session:
        [line] = [line for line in list_workflows(session, TEAM, now=now) if line.name == name]
    details = workflow_details(UnitOfWork(sessions), TEAM, name, now)
    assert line.next_run == details.line.next_run
    return [*([line.next_run] if line.next_run else []), *details.upcoming]


def _first_after(ran: list[datetime], now: datetime, count: int) -> list[datetime]:
    return [at for at in ran if at > now][:count]


@settings(max_examples=12)
@given(schedule=SCHEDULES, chosen=SETTINGS)
def test_the_next_runs_shown_are_the_runs_the_engine_runs(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    schedule: dict[str, Any],
    chosen: dict[str, Any],
) -> None:
    clock.set(START)
    name = f"Deal review {next(_names)}"
    import_deals(sessions, [deal("D1")], START)
    saved = save(sessions, workflow_document(name=name, schedule=schedule, settings=chosen), START)
    with transaction(sessions) as session:
        stored = session.get(Workflow, saved.workflow_id)
        assert stored is not None
        # What the dialog's review shows for the same definition, before it is saved.
        reviewed = coming_runs(
            Schedule.from_json(stored.schedule), read_settings(stored.settings), START, SHOWN
        )
    shown: list[tuple[datetime, list[datetime]]] = []
    engine = processes.start()
    try:
        while len(_ran(sessions, saved.workflow_id)) < SHOWN + 1:
            shown.append((clock.now(), _displayed(sessions, name, clock.now())))
            wake_up = engine.next_wake_up()
            assert wake_up is not None
            clock.set(max(wake_up, clock.now()))
            engine.tick()
        ran = _ran(sessions, saved.workflow_id)
    finally:
        with write_transaction(sessions) as session:
            pause_workspace(session, TEAM, clock.now(), "the example is over")

    assert reviewed == tuple(_first_after(ran, START, SHOWN))
    for now, displayed in shown:
        next_run, *upcoming = displayed
        expected = _first_after(ran, now, SHOWN)
        assert next_run == expected[0], (now, displayed, ran)
        assert upcoming[: len(expected)] == expected, (now, displayed, ran)


def test_activating_says_the_next_run_a_pause_day_defers_to(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    """The pause/activate replies (Slack and the command line) say the deferred run: a
    Wednesday that is a pause day runs on Thursday."""
    import_deals(sessions, [deal("D1")], START)
    weekly = {"frequency": "weekly", "weekdays": ["wed"], "time": "09:00", "timezone": "UTC"}
    settings_ = {"pause_days": ["2026-12-02"], "on_pause_day": "defer"}
    save(sessions, workflow_document(schedule=weekly, settings=settings_, status="paused"), START)
    with write_transaction(sessions) as session:
        workflow = set_status(session, TEAM, "Deal review", WorkflowStatus.ACTIVE, CLI_ACTOR, START)
        said = coming_run(session, workflow, START)
        occurrence = workflow.next_run_at
    assert occurrence == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # the schedule's own
    assert said == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert said - timedelta(days=1) == occurrence


def test_the_schedule_step_shows_the_runs_the_drafts_pause_days_leave() -> None:
    """The dialog's schedule step, on a draft whose settings skip a pause day, leaves it out
    (and shows the runs unchanged while the settings cannot be read yet)."""
    daily = {"frequency": "daily", "time": "09:00", "timezone": "UTC"}
    skipping = {"pause_days": ["2026-12-01"], "on_pause_day": "skip"}
    shown = schedule_preview({"schedule": daily, "settings": skipping}, "UTC", START).next_runs
    assert [f"{at:%m-%d}" for at in shown] == ["12-02", "12-03", "12-04", "12-05", "12-06"]
    unreadable = {"schedule": daily, "settings": {"pause_days": "soon"}}
    shown = schedule_preview(unreadable, "UTC", START).next_runs
    assert [f"{at:%m-%d}" for at in shown] == ["12-01", "12-02", "12-03", "12-04", "12-05"]


def test_importing_a_file_says_the_next_run_the_list_says(
    sessions: sessionmaker[Session],
) -> None:
    """`workflows import` says the run the engine runs: today at 17:45 is a pause day, so
    the import, like `workflows list`, says tomorrow; again when the file is unchanged."""
    import_deals(sessions, [deal("D1")], START)
    daily = {"frequency": "daily", "time": "17:45", "timezone": "UTC"}
    skipping = {"pause_days": ["2026-11-30"], "on_pause_day": "skip"}
    document = workflow_document(schedule=daily, settings=skipping)
    tomorrow = datetime(2026, 12, 1, 17, 45, tzinfo=UTC)
    for outcome in (ImportOutcome.CREATED, ImportOutcome.UNCHANGED):
        with write_transaction(sessions) as session:
            imported = import_workflow(session, TEAM, document, CLI_ACTOR, "UTC", START)
            [line] = list_workflows(session, TEAM, now=START)
        assert (imported.outcome, imported.next_run, line.next_run) == (
            outcome,
            tomorrow,
            tomorrow,
        )
