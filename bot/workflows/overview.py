"""Read models of workflows for people: the list, one workflow's details, and its runs, with
instants in the workflow's own time zone. Shared by the command line and Slack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.workflows.definitions import WorkflowDefinition
from bot.workflows.lifecycle import get_workflow
from bot.workflows.stored import definition_of
from storage.models import Run, Workflow, WorkflowStatus
from storage.runs import RunRepository
from storage.workflows import WorkflowRepository

UPCOMING = 5
RECENT_RUNS = 10


@dataclass(frozen=True)
class RunLine:
    id: int
    scheduled_at: datetime  # in the workflow's zone
    source: str
    status: str
    triggered_by: str | None
    enrolled: int | None  # None: the run enrolled nothing yet (pending, missed, cancelled)
    ok: int
    failed: int
    skipped: int
    reason: str | None

    @classmethod
    def of(cls, run: Run, zone: ZoneInfo) -> RunLine:
        summary = run.summary or {}
        enrolled = summary.get("enrolled")
        return cls(
            id=run.id,
            scheduled_at=run.scheduled_at.astimezone(zone),
            source=run.source,
            status=run.status,
            triggered_by=run.triggered_by,
            enrolled=enrolled if isinstance(enrolled, int) else None,
            ok=int(summary.get("ok", 0)),
            failed=int(summary.get("failed", 0)),
            skipped=int(summary.get("skipped", 0)),
            reason=summary.get("reason") or summary.get("deferred") or None,
        )

    def describe(self) -> str:
        """One plain-text line, e.g. "2026-12-03 07:00 EST schedule succeeded, 4 enrolled,
        8 ok, 0 failed"."""
        counts = ""
        if self.enrolled is not None:
            counts = f", {self.enrolled} enrolled, {self.ok} ok, {self.failed} failed"
            if self.skipped:
                counts += f", {self.skipped} skipped"
        reason = f" ({self.reason})" if self.reason else ""
        when = f"{self.scheduled_at:%Y-%m-%d %H:%M} {self.scheduled_at.tzname()}"
        return f"{when} {self.source} {self.status}{counts}{reason}"


@dataclass(frozen=True)
class WorkflowLine:
    name: str
    status: str
    object_type: str
    owner: str
    schedule: str
    next_run: datetime | None  # in the workflow's zone
    revision: int


@dataclass(frozen=True)
class WorkflowDetails:
    line: WorkflowLine
    definition: WorkflowDefinition
    upcoming: tuple[datetime, ...]  # only for an active workflow
    runs: tuple[RunLine, ...]


def _line(session: Session, workflow: Workflow) -> tuple[WorkflowLine, WorkflowDefinition]:
    definition = definition_of(session, workflow)
    zone = definition.schedule.zone
    next_run = workflow.next_run_at.astimezone(zone) if workflow.next_run_at else None
    line = WorkflowLine(
        name=workflow.name,
        status=workflow.status,
        object_type=definition.object_type,
        owner=workflow.owner_user_id,
        schedule=definition.schedule.describe(),
        next_run=next_run,
        revision=workflow.revision,
    )
    return line, definition


def list_workflows(session: Session, team_id: str) -> list[WorkflowLine]:
    return [
        _line(session, workflow)[0] for workflow in WorkflowRepository(session).in_team(team_id)
    ]


def workflow_details(
    session: Session, team_id: str, name: str, now: datetime, runs: int = RECENT_RUNS
) -> WorkflowDetails:
    workflow = get_workflow(session, team_id, name)
    line, definition = _line(session, workflow)
    upcoming: tuple[datetime, ...] = ()
    if workflow.status == WorkflowStatus.ACTIVE.value:
        occurrences = definition.schedule.occurrences_after(now)
        upcoming = tuple(o.at for o in islice(occurrences, UPCOMING))
    return WorkflowDetails(line, definition, upcoming, tuple(run_history(session, workflow, runs)))


def run_history(session: Session, workflow: Workflow, limit: int) -> list[RunLine]:
    zone = ZoneInfo(workflow.timezone)
    return [RunLine.of(run, zone) for run in RunRepository(session).history(workflow.id, limit)]
