"""Slack requests and events acted on once: the use cases that record each one as it
arrives and tell a replay or a redelivery from a first time (Slack transport bookkeeping,
beside request_gate, not domain work)."""

from __future__ import annotations

from datetime import datetime

from storage.events import EventLog, RequestLog
from storage.unit_of_work import UnitOfWork


def first_delivery(work: UnitOfWork, team_id: str, event_id: str, now: datetime) -> bool:
    """Records the event; False when it was delivered before (a redelivery)."""
    with work.writing() as session:
        return EventLog(session).first_delivery(team_id, event_id, now)


def first_request(
    work: UnitOfWork, fingerprint: str, signed_at: datetime, forget_before: datetime | None
) -> bool:
    """Records the signed request; False when it was recorded before (a replay). With
    ``forget_before``, requests signed before then are forgotten first.

    Each statement stands alone: the INSERT ... ON CONFLICT DO NOTHING is atomic, so two
    copies racing each other still count once, and a purge is complete whenever it ends.
    Without a transaction around them, this costs PostgreSQL no BEGIN and COMMIT round trips
    on every request to the Slack endpoint."""
    with work.statements() as connection:
        requests = RequestLog(connection)
        if forget_before is not None:
            requests.forget_before(forget_before)
        return requests.first_time(fingerprint, signed_at)
