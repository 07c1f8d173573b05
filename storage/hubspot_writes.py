"""What a run's writes to HubSpot leave in its action results: a HubSpot task's intent (an
``unknown`` result written before HubSpot is asked, whose reference holds what was sent),
settled once HubSpot answered, and the intents a crash left unsettled."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import ActionOutcome, ActionResult

# The key of an intent's reference that holds the task as it was sent.
INTENT = "hubspot_task_intent"


class HubSpotWriteRepository:
    """Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def settle(
        self,
        run_id: int,
        action_index: int,
        results: Mapping[int, tuple[ActionOutcome, str | None, dict[str, Any] | None]],
    ) -> None:
        """Replaces the intents of these records by their outcome, reason and reference."""
        for record_id, (outcome, reason, reference) in results.items():
            self.session.execute(
                update(ActionResult)
                .where(
                    ActionResult.run_id == run_id,
                    ActionResult.record_id == record_id,
                    ActionResult.action_index == action_index,
                )
                .values(outcome=outcome.value, reason=reason, reference=reference)
            )

    def unsettled(self, run_id: int, action_index: int) -> dict[int, dict[str, Any]]:
        """Record id -> the task sent, of the intents still unknown."""
        query = select(ActionResult.record_id, ActionResult.reference).where(
            ActionResult.run_id == run_id,
            ActionResult.action_index == action_index,
            ActionResult.outcome == ActionOutcome.UNKNOWN.value,
        )
        return {
            record_id: reference[INTENT]
            for record_id, reference in self.session.execute(query)
            if isinstance(reference, dict) and isinstance(reference.get(INTENT), dict)
        }

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
