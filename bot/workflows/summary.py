"""The run summary: what a finished run did, gathered from its rows, the message that tells
the workflow's channel, and the failure alert that tells its owner (settings.alert_owner)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.workflows.definitions import WorkflowDefinition
from bot.workflows.freshness import StaleData
from bot.workflows.notifier import SECTION_CHARS
from bot.workflows.readable import plural
from bot.workflows.templates import cut_mrkdwn, escape_mrkdwn
from bot.workflows.vocabulary import ActionOutcome, RunStatus
from storage.columns import among_ids
from storage.models import Enrollment, Record, Run
from storage.runs import RunRepository

SHOWN_FAILURES = 5


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    workflow_name: str
    scheduled_at: datetime  # in the workflow's zone
    enrolled: int
    ok: int
    failed: int
    skipped: int
    deferred_reason: str | None
    seconds: float
    missed: tuple[datetime, ...]
    failures: tuple[tuple[str, int, str], ...]  # record name, action number, reason
    waited_for: datetime | None  # when the previous run finished, if this one waited
    # Messages Slack may or may not have posted (it answered with an error and its history
    # could not be read): how many, and the first few as failures are.
    unknown: int
    unknowns: tuple[tuple[str, int, str], ...]
    # The source feeding the type could not be synced first: the data's age and why.
    stale: StaleData | None = None
    # The run whose failed actions this run re-ran (Re-run failed), if it is a re-run.
    retry_of: int | None = None

    @property
    def all_failed(self) -> bool:
        # A message whose outcome is unknown may well have been posted.
        return self.failed > 0 and self.ok == 0 and self.unknown == 0

    @classmethod
    def gather(
        cls,
        session: Session,
        run_id: int,
        definition: WorkflowDefinition,
        started_at: datetime,
        now: datetime,
        enrolled: int | None = None,
        counts: Mapping[str, int] | None = None,
        earlier: EarlierRuns | None = None,
    ) -> RunSummary:
        """The run's summary from its rows; ``enrolled`` and ``counts`` (its results by
        outcome) when the caller counted them, ``earlier`` when it read for a batch of runs
        which of their workflows have earlier runs to tell about."""
        run = session.get(Run, run_id)
        assert run is not None
        runs = RunRepository(session)
        if counts is None:
            counts = runs.outcome_counts(run_id)
        if enrolled is None:
            enrolled = session.scalar(
                select(func.count()).select_from(Enrollment).where(Enrollment.run_id == run_id)
            )
        zone = definition.schedule.zone
        missed: tuple[datetime, ...] = ()
        if earlier is None or run.workflow_id in earlier.with_missed:
            missed = tuple(
                r.scheduled_at.astimezone(zone)
                for r in runs.missed_since_last_run(run.workflow_id, run.scheduled_at)
            )
        waited_for = None
        if earlier is None or run.workflow_id in earlier.finished_late:
            waited_for = _waited_for(session, run)
        return cls(
            run_id=run_id,
            workflow_name=definition.name,
            scheduled_at=run.scheduled_at.astimezone(zone),
            enrolled=enrolled or 0,
            ok=counts.get(ActionOutcome.OK.value, 0),
            failed=counts.get(ActionOutcome.FAILED.value, 0),
            skipped=counts.get(ActionOutcome.SKIPPED.value, 0),
            deferred_reason=run.reason if run.deferred_from is not None else None,
            seconds=(now - started_at).total_seconds(),
            missed=missed,
            failures=_problems(session, runs, run_id, ActionOutcome.FAILED, counts),
            waited_for=_in_zone(waited_for, zone),
            unknown=counts.get(ActionOutcome.UNKNOWN.value, 0),
            unknowns=_problems(session, runs, run_id, ActionOutcome.UNKNOWN, counts),
            stale=StaleData.from_json(run.stale_source),
            retry_of=run.retry_of,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "enrolled": self.enrolled,
            "ok": self.ok,
            "failed": self.failed,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
            "missed": [m.isoformat() for m in self.missed],
            "waited_for": self.waited_for.isoformat() if self.waited_for else None,
            "failures": [list(f) for f in self.failures],
            "unknown": self.unknown,
            "unknowns": [list(u) for u in self.unknowns],
        }


@dataclass(frozen=True)
class EarlierRuns:
    """Which workflows of a batch of runs have missed runs, and which have a run that
    finished after the earliest of the batch was due: only their runs ask about
    those in their summary. Two queries for the batch instead of two for each run."""

    with_missed: frozenset[int]
    finished_late: frozenset[int]
    # The batch's runs, read at once: held here, the session gives them to the summaries
    # from memory (it holds what it loaded only while something else does).
    runs: tuple[Run, ...] = ()

    @classmethod
    def of(cls, session: Session, run_ids: Sequence[int]) -> EarlierRuns:
        batch = tuple(session.scalars(select(Run).where(among_ids(session, Run.id, run_ids))))
        if not batch:
            return cls(frozenset(), frozenset())
        runs = RunRepository(session)
        workflow_ids = {run.workflow_id for run in batch}
        earliest = min(run.scheduled_at for run in batch)
        return cls(
            frozenset(runs.workflows_with_missed(workflow_ids)),
            frozenset(runs.workflows_finished_after(workflow_ids, earliest)),
            batch,
        )


def _problems(
    session: Session,
    runs: RunRepository,
    run_id: int,
    outcome: ActionOutcome,
    counts: Mapping[str, int],
) -> tuple[tuple[str, int, str], ...]:
    """The first SHOWN_FAILURES results with ``outcome``: record name, action number, reason
    (no query when ``counts``, the run's outcome counts, has none)."""
    if not counts.get(outcome.value):
        return ()
    failures = runs.failures(run_id, SHOWN_FAILURES, outcome)
    names = {
        record_id: name
        for record_id, name in session.execute(
            select(Record.id, Record.name).where(Record.id.in_([f.record_id for f in failures]))
        )
    }
    return tuple(
        (names.get(f.record_id, f"record {f.record_id}"), f.action_index + 1, f.reason or "")
        for f in failures
    )


def _in_zone(instant: datetime | None, zone: tzinfo) -> datetime | None:
    # Shown next to the run's local time, so in the same zone rather than in UTC.
    return None if instant is None else instant.astimezone(zone)


def _waited_for(session: Session, run: Run) -> datetime | None:
    """When the workflow's previous run finished, if it was still running at this run's time."""
    finished = session.scalar(
        select(func.max(Run.finished_at)).where(
            Run.workflow_id == run.workflow_id,
            Run.id != run.id,
            Run.started_at < run.scheduled_at,
            Run.finished_at > run.scheduled_at,
        )
    )
    return finished


# A run that ran to its end with some of its actions failed: stored as succeeded (only a
# run whose actions all failed is stored as failed), and worded so that nobody reads it as
# all gone well.
FINISHED_WITH_FAILURES = "finished with failed actions"


def run_outcome(status: str, failed: int) -> str:
    """How a run ended, in words: its status, or FINISHED_WITH_FAILURES for one that
    succeeded with ``failed`` actions failed."""
    if status == RunStatus.SUCCEEDED.value and failed:
        return FINISHED_WITH_FAILURES
    return status


def summary_message(summary: RunSummary) -> str:
    """The summary as mrkdwn text; user data is escaped."""
    name = escape_mrkdwn(summary.workflow_name)
    when = f"{summary.scheduled_at:%Y-%m-%d %H:%M} ({summary.scheduled_at.tzname()})"
    unknown = f"{summary.unknown:,} unknown, " if summary.unknown else ""
    head = f"*{name}* ran for {when}"
    if summary.failed:
        ended = "all its actions failed" if summary.all_failed else FINISHED_WITH_FAILURES
        head = f":warning: {head}: {ended}"
    lines = [
        head,
        *([_retry_line(summary)] if summary.retry_of is not None else []),
        f"{plural(summary.enrolled, 'record')} enrolled · actions: {summary.ok:,} ok, "
        f"{summary.failed:,} failed, {unknown}{summary.skipped:,} skipped · "
        f"{summary.seconds:.1f} s",
    ]
    if summary.stale is not None:
        lines.append(_stale_line(summary.stale, summary.scheduled_at))
    if summary.deferred_reason:
        lines.append(f"Deferred: {escape_mrkdwn(summary.deferred_reason)}")
    if summary.waited_for:
        lines.append(
            f"Waited for the previous run, which finished at {summary.waited_for:%H:%M:%S}."
        )
    if summary.missed:
        shown = ", ".join(f"{m:%Y-%m-%d %H:%M}" for m in summary.missed[:5])
        more = f" and {len(summary.missed) - 5} more" if len(summary.missed) > 5 else ""
        lines.append(f"Missed since the last run (the bot was not running): {shown}{more}")
    for record_name, action_number, reason in summary.failures:
        lines.append(
            f"• {escape_mrkdwn(record_name)}, action {action_number}: {escape_mrkdwn(reason)}"
        )
    if summary.unknown:
        lines.append(_unknown_lines(summary))
    return cut_mrkdwn("\n".join(lines), SECTION_CHARS)


def failure_alert_message(summary: RunSummary) -> str:
    """The direct message that tells the owner a run had failed actions: how many of its
    actions failed, then the first records that failed and why (the Details button the
    notifier adds shows them all); user data is escaped."""
    name = escape_mrkdwn(summary.workflow_name)
    when = f"{summary.scheduled_at:%Y-%m-%d %H:%M} ({summary.scheduled_at.tzname()})"
    actions = summary.ok + summary.failed + summary.unknown + summary.skipped
    what = f"{summary.failed:,} of {plural(actions, 'action')} failed"
    if not summary.failed:
        what = f"{summary.unknown:,} of {plural(actions, 'action')} may not have been done"
    lines = [f":warning: *{name}*: {what} in the run for {when}"]
    if summary.retry_of is not None:
        lines.append(_retry_line(summary))
    for record_name, action_number, reason in summary.failures:
        lines.append(
            f"• {escape_mrkdwn(record_name)}, action {action_number}: {escape_mrkdwn(reason)}"
        )
    if summary.failed > len(summary.failures):
        lines.append(f"…and {summary.failed - len(summary.failures):,} more: see Details.")
    if summary.unknown:
        lines.append(_unknown_lines(summary))
    return cut_mrkdwn("\n".join(lines), SECTION_CHARS)


def _retry_line(summary: RunSummary) -> str:
    """``Re-run of run #12: 3 of 3 failed actions succeeded``."""
    retried = summary.ok + summary.failed + summary.unknown + summary.skipped
    return (
        f"Re-run of run #{summary.retry_of}: {summary.ok:,} of "
        f"{plural(retried, 'failed action')} succeeded"
    )


def _stale_line(stale: StaleData, scheduled_at: datetime) -> str:
    """``data as of HH:MM (zone); the source NAME failed: REASON``, in the run's zone (with
    the date when it is another day)."""
    source = escape_mrkdwn(stale.source)
    reason = escape_mrkdwn(stale.reason)
    if stale.data_as_of is None:
        return f"No data yet: the source {source} has never synced; it failed: {reason}"
    as_of = stale.data_as_of.astimezone(scheduled_at.tzinfo)
    shown = f"{as_of:%H:%M}" if as_of.date() == scheduled_at.date() else f"{as_of:%Y-%m-%d %H:%M}"
    return f"Data as of {shown} ({as_of.tzname()}); the source {source} failed: {reason}"


def _unknown_lines(summary: RunSummary) -> str:
    """Which messages may be missing and why, the records of one reason on one line."""
    count = summary.unknown
    lines = [
        f"Outcome unknown for {plural(count, 'action')}: their message may "
        "or may not be in Slack, and was not posted again:"
    ]
    by_reason: dict[str, list[str]] = {}
    for record_name, action_number, reason in summary.unknowns:
        by_reason.setdefault(reason, []).append(
            f"{escape_mrkdwn(record_name)}, action {action_number}"
        )
    shown = 0
    for reason, actions in by_reason.items():
        shown += len(actions)
        lines.append(f"• {'; '.join(actions)}: {escape_mrkdwn(reason)}")
    if count > shown:
        lines.append(f"…and {count - shown:,} more: see the run's details.")
    return "\n".join(lines)
