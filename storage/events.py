"""Slack events and requests already received, so that a redelivery or a replay of one has no
second effect."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Connection, Insert, bindparam, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.database import dialect_insert_for
from storage.models import HandledEvent, HandledRequest

# Slack retries an event three times within about an hour and a half.
KEEP_FOR = timedelta(days=1)


class EventLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def first_delivery(self, team_id: str, event_id: str, now: datetime) -> bool:
        """Records the event; False when it was recorded before (a redelivery)."""
        self.session.execute(delete(HandledEvent).where(HandledEvent.handled_at < now - KEEP_FOR))
        try:
            # The key decides, so two deliveries racing each other still count once.
            with self.session.begin_nested():
                self.session.add(HandledEvent(team_id=team_id, event_id=event_id, handled_at=now))
        except IntegrityError:
            return False
        return True


class RequestLog:
    """Signed Slack requests already let through, by the hash of their signature: the same
    signature again is a replay (of a command, click or submission) within its window.
    Core statements on a connection (UnitOfWork.statements), on every request."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def first_time(self, fingerprint: str, signed_at: datetime) -> bool:
        """Records the request; False when it was recorded before.

        One INSERT ... ON CONFLICT DO NOTHING, on every request to the Slack endpoint: no
        savepoint round trips, and two copies racing each other still count once."""
        statement = _record_request(self.connection.dialect.name)
        found = self.connection.execute(
            statement, {"fingerprint": fingerprint, "handled_at": signed_at}
        )
        # A row comes back only when it was inserted (rowcount is not reliable here).
        return found.first() is not None

    def forget_before(self, instant: datetime) -> None:
        self.connection.execute(delete(HandledRequest).where(HandledRequest.handled_at < instant))


@cache
def _record_request(dialect: str) -> Insert:
    """RequestLog's INSERT for ``dialect``, built once (building it costs more than
    running it): the plain INSERT has no ON CONFLICT."""
    return (
        dialect_insert_for(dialect, HandledRequest)
        .values(fingerprint=bindparam("fingerprint"), handled_at=bindparam("handled_at"))
        .on_conflict_do_nothing(index_elements=[HandledRequest.fingerprint])
        .returning(HandledRequest.fingerprint)
    )
