"""Repository of what run summaries' buttons leave behind: occurrences skipped once by hand
(run_skips), records snoozed in a workflow (record_snoozes), and the results of an earlier
run that a re-run retries. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import ColumnElement, Select, bindparam, delete, exists, select
from sqlalchemy.orm import Session

from bot.workflows.vocabulary import ActionOutcome
from storage.columns import among_ids
from storage.database import dialect_insert
from storage.models import ActionResult, Enrollment, Record, RecordSnooze, Run, RunSkip
from storage.workflows import team_live_ids

# What a re-run retries: actions that failed, and those whose message may be missing (the
# re-run looks for the earlier message before posting it again).
RETRIED_OUTCOMES = (ActionOutcome.FAILED.value, ActionOutcome.UNKNOWN.value)


@dataclass(frozen=True)
class SnoozeRow:
    record_id: int
    external_id: str
    record_name: str
    until: datetime
    created_by: str


def not_snoozed(
    workflow_id: int | ColumnElement[int],
    at: datetime | ColumnElement[datetime],
    made_by: datetime | None = None,
) -> ColumnElement[bool]:
    """Records (of the records table) that no snooze of ``workflow_id`` holds at ``at``:
    one more term of a run's enrollment query, so a snoozed record is never selected.
    With ``made_by``, only snoozes created by then count (what a past run could see)."""
    made_then = () if made_by is None else (RecordSnooze.created_at <= made_by,)
    return ~exists().where(
        RecordSnooze.workflow_id == workflow_id,
        RecordSnooze.record_id == Record.id,
        RecordSnooze.until > at,
        *made_then,
    )


def snoozed_since(workflow_id: int, record_id: int, since: datetime) -> ColumnElement[bool]:
    """Whether the record's snooze in the workflow was made after ``since``: it may have
    replaced one that held the record then, which is no longer known."""
    return exists().where(
        RecordSnooze.workflow_id == workflow_id,
        RecordSnooze.record_id == record_id,
        RecordSnooze.created_at > since,
    )


class FollowUpRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # Skips ---------------------------------------------------------------------------------

    def workflows_with_skips(self, workflow_ids: Sequence[int]) -> set[int]:
        """Which of these workflows have an occurrence skipped by hand (one query for a
        planning batch; only those look up the occurrence they plan)."""
        if not workflow_ids:
            return set()
        query = select(RunSkip.workflow_id).where(
            among_ids(self.session, RunSkip.workflow_id, workflow_ids)
        )
        return set(self.session.scalars(query.distinct()))

    def skip(self, workflow_id: int, occurrence_key: str) -> RunSkip | None:
        return self.session.scalars(
            select(RunSkip).where(
                RunSkip.workflow_id == workflow_id, RunSkip.occurrence_key == occurrence_key
            )
        ).one_or_none()

    def add_skip(
        self,
        workflow_id: int,
        occurrence_key: str,
        scheduled_at: datetime,
        created_by: str,
        now: datetime,
    ) -> RunSkip:
        """Skips the occurrence; a skip of it written meanwhile (two clicks at once) stays,
        and is the one returned."""
        values = {
            "workflow_id": workflow_id,
            "occurrence_key": occurrence_key,
            "scheduled_at": scheduled_at,
            "created_by": created_by,
            "created_at": now,
        }
        self.session.execute(
            dialect_insert(self.session, RunSkip).values(**values).on_conflict_do_nothing()
        )
        skip = self.skip(workflow_id, occurrence_key)
        assert skip is not None
        return skip

    def remove_skip(self, workflow_id: int, occurrence_key: str) -> bool:
        result = self.session.execute(
            delete(RunSkip).where(
                RunSkip.workflow_id == workflow_id, RunSkip.occurrence_key == occurrence_key
            )
        )
        return bool(getattr(result, "rowcount", 0))

    def skips_after(self, workflow_id: int, after: datetime) -> list[RunSkip]:
        """The workflow's skips of occurrences after ``after``, soonest first."""
        return list(
            self.session.scalars(
                select(RunSkip)
                .where(RunSkip.workflow_id == workflow_id, RunSkip.scheduled_at > after)
                .order_by(RunSkip.scheduled_at)
            )
        )

    def skips_of(self, workflow_ids: list[int], after: datetime) -> list[RunSkip]:
        """skips_after of several workflows, in one query."""
        return list(
            self.session.scalars(
                select(RunSkip)
                .where(RunSkip.workflow_id.in_(workflow_ids), RunSkip.scheduled_at > after)
                .order_by(RunSkip.scheduled_at)
            )
        )

    def skips_in_team(self, team_id: str, after: datetime) -> list[tuple[int, str, datetime, str]]:
        """(workflow id, occurrence key, scheduled at, created by) of the skips after
        ``after`` of every live workflow of the team, as plain rows."""
        rows = self.session.connection().execute(
            _skips_in_team(), {"team_id": team_id, "after": after}
        )
        return [(id_, key, at, by) for id_, key, at, by in rows]

    # Snoozes -------------------------------------------------------------------------------

    def snooze(
        self, workflow_id: int, record_id: int, until: datetime, created_by: str, now: datetime
    ) -> None:
        """Snoozes the record until ``until``, replacing a snooze it had in the workflow (in
        one statement: two snoozes at once leave the last one)."""
        changed = {"until": until, "created_by": created_by, "created_at": now}
        statement = dialect_insert(self.session, RecordSnooze).values(
            workflow_id=workflow_id, record_id=record_id, **changed
        )
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["workflow_id", "record_id"], set_=changed
            )
        )

    def active_snoozes(self, workflow_id: int, at: datetime) -> list[SnoozeRow]:
        """The workflow's snoozes still holding at ``at``, the soonest to end first."""
        query = (
            select(
                RecordSnooze.record_id,
                Record.external_id,
                Record.name,
                RecordSnooze.until,
                RecordSnooze.created_by,
            )
            .join(Record, Record.id == RecordSnooze.record_id)
            .where(RecordSnooze.workflow_id == workflow_id, RecordSnooze.until > at)
            .order_by(RecordSnooze.until, Record.name)
        )
        return [SnoozeRow(*row) for row in self.session.execute(query)]

    # Re-runs -------------------------------------------------------------------------------

    def retry_of(self, run_id: int) -> int | None:
        """The run that re-ran run ``run_id``'s failed actions, if one did."""
        return self.session.scalar(select(Run.id).where(Run.retry_of == run_id).limit(1))

    def retried_pairs(self, run_id: int) -> list[tuple[int, int, str]]:
        """(record id, action index, outcome) of each result of ``run_id`` a re-run retries,
        for records not removed since."""
        query = (
            select(ActionResult.record_id, ActionResult.action_index, ActionResult.outcome)
            .join(Record, Record.id == ActionResult.record_id)
            .where(
                ActionResult.run_id == run_id,
                ActionResult.outcome.in_(RETRIED_OUTCOMES),
                Record.deleted_at.is_(None),
            )
            .order_by(ActionResult.record_id, ActionResult.action_index)
        )
        return [
            (record_id, index, outcome) for record_id, index, outcome in self.session.execute(query)
        ]

    def not_retried(self, run_id: int, retried_run_id: int, action_index: int) -> set[int]:
        """The records enrolled in re-run ``run_id`` whose action ``action_index`` did not
        fail (nor end unknown) in ``retried_run_id``: the re-run leaves them alone."""
        retried = exists().where(
            ActionResult.run_id == retried_run_id,
            ActionResult.record_id == Enrollment.record_id,
            ActionResult.action_index == action_index,
            ActionResult.outcome.in_(RETRIED_OUTCOMES),
        )
        query = select(Enrollment.record_id).where(Enrollment.run_id == run_id, ~retried)
        return set(self.session.scalars(query))

    def unknown_pairs(self, run_id: int) -> set[tuple[int, int]]:
        """(record id, action index) of the run's results whose outcome is unknown."""
        query = select(ActionResult.record_id, ActionResult.action_index).where(
            ActionResult.run_id == run_id, ActionResult.outcome == ActionOutcome.UNKNOWN.value
        )
        return {(record_id, index) for record_id, index in self.session.execute(query)}

    def enrolled_choices(self, run_id: int, typed: str, limit: int) -> list[tuple[int, str, str]]:
        """(record id, external id, name) of the run's enrolled records still present whose
        name or id contains ``typed`` (any case), by name: a record picker's options."""
        query = (
            select(Record.id, Record.external_id, Record.name)
            .join(Enrollment, Enrollment.record_id == Record.id)
            .where(Enrollment.run_id == run_id, Record.deleted_at.is_(None))
        )
        if typed.strip():
            typed = typed.strip()
            query = query.where(
                Record.name.icontains(typed, autoescape=True)
                | Record.external_id.icontains(typed, autoescape=True)
            )
        query = query.order_by(Record.name, Record.id).limit(limit)
        return [
            (record_id, external, name) for record_id, external, name in self.session.execute(query)
        ]

    def enrolled_record(self, run_id: int, record_id: int) -> Record | None:
        """The record if run ``run_id`` enrolled it and it is not removed."""
        return self.session.scalars(
            select(Record).where(
                Record.id == record_id,
                Record.deleted_at.is_(None),
                exists().where(Enrollment.run_id == run_id, Enrollment.record_id == Record.id),
            )
        ).one_or_none()

    def enrolled_more_than(self, run_id: int, count: int) -> bool:
        """Whether the run enrolled more than ``count`` records (reads at most one more)."""
        query = select(Enrollment.id).where(Enrollment.run_id == run_id).limit(count + 1)
        return len(self.session.scalars(query).all()) > count


@cache
def _skips_in_team() -> Select[int, str, datetime, str]:
    """FollowUpRepository.skips_in_team's query, built once: its team bound as ``team_id``."""
    return select(
        RunSkip.workflow_id, RunSkip.occurrence_key, RunSkip.scheduled_at, RunSkip.created_by
    ).where(RunSkip.workflow_id.in_(team_live_ids()), RunSkip.scheduled_at > bindparam("after"))
