"""The logs that make a redelivered event or a replayed request act once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.database import autocommit_statements, transaction
from storage.events import RequestLog
from storage.models import HandledRequest

SIGNED_AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_a_request_is_new_once_even_across_transactions(sessions: sessionmaker[Session]) -> None:
    with autocommit_statements(sessions) as connection:
        assert RequestLog(connection).first_time("a" * 64, SIGNED_AT)
        assert not RequestLog(connection).first_time("a" * 64, SIGNED_AT)
    with autocommit_statements(sessions) as connection:
        assert not RequestLog(connection).first_time("a" * 64, SIGNED_AT)
        assert RequestLog(connection).first_time("b" * 64, SIGNED_AT)


def test_old_fingerprints_are_forgotten(sessions: sessionmaker[Session]) -> None:
    with autocommit_statements(sessions) as connection:
        RequestLog(connection).first_time("old", SIGNED_AT - timedelta(minutes=11))
        RequestLog(connection).first_time("new", SIGNED_AT)
        RequestLog(connection).forget_before(SIGNED_AT - timedelta(minutes=10))
    with transaction(sessions) as session:
        kept = list(session.scalars(select(HandledRequest.fingerprint)))
        assert kept == ["new"]
        assert session.scalar(select(func.count()).select_from(HandledRequest)) == 1
