"""Repository of the sections a run laid its digests out in (run_digests), kept while a
digest may be missing replies. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.database import dialect_insert
from storage.models import RunDigest


class RunDigestRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def keep(self, run_id: int, action_index: int, sections: Sequence[str], now: datetime) -> None:
        """Keeps the digest's sections, in place of any kept before for it. One statement:
        a delete then an insert would let two processes keeping it at once both insert, and
        one fail on the primary key (on PostgreSQL the second waits for the first's row,
        then replaces it)."""
        values = {
            "run_id": run_id,
            "action_index": action_index,
            "sections": list(sections),
            "created_at": now,
        }
        statement = dialect_insert(self.session, RunDigest).values(**values)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[RunDigest.run_id, RunDigest.action_index],
                set_={
                    "sections": statement.excluded.sections,
                    "created_at": statement.excluded.created_at,
                },
            )
        )

    def sections(self, run_id: int, action_index: int) -> list[str] | None:
        """The digest's sections as kept; None when none are."""
        query = select(RunDigest.sections).where(
            RunDigest.run_id == run_id, RunDigest.action_index == action_index
        )
        return self.session.scalars(query).one_or_none()

    def forget(self, run_id: int, action_index: int) -> None:
        self.session.execute(
            delete(RunDigest).where(
                RunDigest.run_id == run_id, RunDigest.action_index == action_index
            )
        )
