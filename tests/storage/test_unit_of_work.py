"""The unit of work: what a use case writes in it is committed together when the block ends,
and nothing of it when the block raises."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import HandledEvent
from storage.unit_of_work import UnitOfWork

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class Refused(Exception):
    pass


def _events(sessions: sessionmaker[Session]) -> list[str]:
    with UnitOfWork(sessions).reading() as session:
        return list(session.scalars(select(HandledEvent.event_id).order_by(HandledEvent.event_id)))


def test_writing_commits_everything_the_block_wrote(sessions: sessionmaker[Session]) -> None:
    work = UnitOfWork(sessions)
    with work.writing() as session:
        session.add(HandledEvent(team_id="T1", event_id="E1", handled_at=NOW))
        session.flush()
        session.add(HandledEvent(team_id="T1", event_id="E2", handled_at=NOW))
    assert _events(sessions) == ["E1", "E2"]


def test_writing_that_fails_half_way_leaves_nothing_written(
    sessions: sessionmaker[Session],
) -> None:
    work = UnitOfWork(sessions)
    with pytest.raises(Refused), work.writing() as session:
        session.add(HandledEvent(team_id="T1", event_id="E1", handled_at=NOW))
        session.flush()  # the first row is in the database's transaction already
        raise Refused
    assert _events(sessions) == []


def test_reading_rolls_back_what_a_failed_block_flushed(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(Refused), UnitOfWork(sessions).reading() as session:
        session.add(HandledEvent(team_id="T1", event_id="E1", handled_at=NOW))
        session.flush()
        raise Refused
    with UnitOfWork(sessions).reading() as session:
        assert session.scalar(select(func.count()).select_from(HandledEvent)) == 0
