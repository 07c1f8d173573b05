"""What the Slack listeners share: storage, the clock, settings, the people cache and, when
the app serves several workspaces, their installations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.slack.installations import Installations
from bot.slack.people import People
from bot.workflows.clock import Clock
from bot.workflows.vocabulary import RunStatus
from storage.unit_of_work import UnitOfWork

# Executes one pending run now, in the calling thread (Engine.run_now): its status, or None
# when it could not finish now and is left to the scheduler.
RunNow = Callable[[int], RunStatus | None]


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Services:
    sessions: sessionmaker[Session]
    clock: Clock
    settings: Settings
    people: People
    # Called after a listener changed a workflow or asked for a run: wakes this process's
    # scheduler now instead of at its next safety tick.
    workflows_changed: Callable[[], None] = field(default=_nothing)
    # Runs a manual enrollment's actions at once (the "Enroll in workflow" shortcut); None
    # leaves the run to this process's scheduler, woken with workflows_changed.
    run_now: RunNow | None = None
    # The workspaces that installed the app, when it serves several (slack_mode "oauth");
    # None with one workspace's SLACK_BOT_TOKEN.
    installations: Installations | None = None

    @classmethod
    def build(
        cls,
        sessions: sessionmaker[Session],
        clock: Clock,
        settings: Settings,
        workflows_changed: Callable[[], None] = _nothing,
        run_now: RunNow | None = None,
        installations: Installations | None = None,
    ) -> Services:
        people = People(settings.workflow_admins)
        return cls(sessions, clock, settings, people, workflows_changed, run_now, installations)

    @property
    def work(self) -> UnitOfWork:
        """The unit of work the listeners hand to use cases, which open their own
        transaction with it."""
        return UnitOfWork(self.sessions)

    def start_run(self, run_id: int) -> None:
        """Runs a manual run now in this thread when the process can, else wakes its
        scheduler, which runs it."""
        if self.run_now is None:
            self.workflows_changed()
        else:
            self.run_now(run_id)
