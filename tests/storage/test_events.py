"""The logs that make a redelivered event or a replayed request act once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.database import transaction, write_transaction
from storage.events import RequestLog
from storage.models import HandledRequest

SIGNED_AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_a_request_is_new_once_even_across_transactions(sessions: sessionmaker[Session]) -> None:
    with write_transaction(sessions) as session:
        assert RequestLog(session).first_time("a" * 64, SIGNED_AT)
        assert not RequestLog(session).first_time("a" * 64, SIGNED_AT)
    with write_transaction(sessions) as session:
        assert not RequestLog(session).first_time("a" * 64, SIGNED_AT)
        assert RequestLog(session).first_time("b" * 64, SIGNED_AT)


def test_old_fingerprints_are_forgotten(sessions: sessionmaker[Session]) -> None:
    with write_transaction(sessions) as session:
        RequestLog(session).first_time("old", SIGNED_AT - timedelta(minutes=11))
        RequestLog(session).first_time("new", SIGNED_AT)
        RequestLog(session).forget_before(SIGNED_AT - timedelta(minutes=10))
    with transaction(sessions) as session:
        kept = list(session.scalars(select(HandledRequest.fingerprint)))
        assert kept == ["new"]
        assert session.scalar(select(func.count()).select_from(HandledRequest)) == 1
