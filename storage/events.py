"""Slack events already received, so that a redelivery of one has no second effect."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import HandledEvent

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
