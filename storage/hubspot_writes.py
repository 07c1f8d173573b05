"""What a run's writes to HubSpot leave in its action results: a HubSpot task's intent (an
``unknown`` result written before HubSpot is asked, whose reference holds what was sent),
settled once HubSpot answered, and the intents a crash left unsettled."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from bot.workflows.vocabulary import ActionOutcome
from storage.models import ActionResult, Enrollment

RESULTS = cast(Table, ActionResult.__table__)
# The key of an intent's reference that holds the task as it was sent.
INTENT = "hubspot_task_intent"


class HubSpotWriteRepository:
    """Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def intend(
        self,
        run_id: int,
        action_index: int,
        intents: Mapping[int, dict[str, Any]],
        reason: str,
        now: datetime,
    ) -> None:
        """Writes each record's intent (what is about to be sent) as an unknown result, in one
        statement; the records have no result for the action yet."""
        rows = [
            {
                "run_id": run_id,
                "record_id": record_id,
                "action_index": action_index,
                "outcome": ActionOutcome.UNKNOWN.value,
                "reason": reason,
                "reference": {INTENT: sent},
                "created_at": now,
            }
            for record_id, sent in intents.items()
        ]
        if rows:
            self.session.execute(insert(ActionResult), rows)

    def settle(
        self,
        run_id: int,
        action_index: int,
        results: Mapping[int, tuple[ActionOutcome, str | None, dict[str, Any] | None]],
    ) -> None:
        """Replaces the intents of these records by their outcome, reason and reference, in
        one statement executed for each."""
        if not results:
            return
        table = RESULTS
        statement = (
            update(table)
            .where(
                table.c.run_id == run_id,
                table.c.action_index == action_index,
                table.c.record_id == bindparam("settled_record"),
            )
            .values(
                outcome=bindparam("settled_outcome"),
                reason=bindparam("settled_reason"),
                reference=bindparam("settled_reference", type_=table.c.reference.type),
            )
        )
        rows = [
            {
                "settled_record": record_id,
                "settled_outcome": outcome.value,
                "settled_reason": reason,
                "settled_reference": reference,
            }
            for record_id, (outcome, reason, reference) in results.items()
        ]
        self.session.connection().execute(statement, rows)

    def unsettled(self, run_id: int, action_index: int) -> dict[int, dict[str, Any]]:
        """Record id -> the task sent, of the intents still unknown."""
        query = _unknown_results(run_id, action_index)
        return {
            record_id: intent
            for record_id, reference in self.session.execute(query)
            if (intent := _intent(reference)) is not None
        }

    def unsettled_of_retried(
        self, retried_run_id: int, action_index: int, rerun_id: int
    ) -> tuple[dict[int, dict[str, Any]], list[int]]:
        """The intents ``retried_run_id`` left unknown, split by whether re-run ``rerun_id``
        enrolled their records: record id -> the task sent, of those it did; the ids of
        those it did not (removed before the re-run was asked for), in id order. A result
        can only be written for a record its run enrolled."""
        enrolled = and_(
            Enrollment.run_id == rerun_id, Enrollment.record_id == ActionResult.record_id
        )
        query = (
            _unknown_results(retried_run_id, action_index)
            .add_columns(Enrollment.id)
            .outerjoin(Enrollment, enrolled)
            .order_by(ActionResult.record_id)
        )
        intents: dict[int, dict[str, Any]] = {}
        not_enrolled: list[int] = []
        for record_id, reference, enrollment_id in self.session.execute(query):
            if (intent := _intent(reference)) is None:
                continue
            if enrollment_id is None:
                not_enrolled.append(record_id)
            else:
                intents[record_id] = intent
        return intents, not_enrolled

    def forget(self, run_id: int, action_index: int, record_ids: Sequence[int]) -> None:
        """Removes intents HubSpot has no task for: the action is then done again."""
        if not record_ids:
            return
        self.session.execute(
            delete(ActionResult).where(
                ActionResult.run_id == run_id,
                ActionResult.action_index == action_index,
                ActionResult.record_id.in_(list(record_ids)),
                ActionResult.outcome == ActionOutcome.UNKNOWN.value,
            )
        )


def _unknown_results(run_id: int, action_index: int) -> Select[tuple[int, Any]]:
    """The record ids and references of action ``action_index``'s unknown results in run
    ``run_id``: where the intents of tasks not yet confirmed are kept."""
    return select(ActionResult.record_id, ActionResult.reference).where(
        ActionResult.run_id == run_id,
        ActionResult.action_index == action_index,
        ActionResult.outcome == ActionOutcome.UNKNOWN.value,
    )


def _intent(reference: Any) -> dict[str, Any] | None:
    """The task sent, kept in an unknown result's reference; None for a result of
    another kind (a reference without an intent)."""
    if isinstance(reference, dict) and isinstance(reference.get(INTENT), dict):
        return cast(dict[str, Any], reference[INTENT])
    return None
