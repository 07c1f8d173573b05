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

    def keep(
        self,
        run_id: int,
        action_index: int,
        action: str,
        sections: Sequence[str],
        now: datetime,
    ) -> None:
        """Keeps the digest's sections, laid out for the action whose fingerprint is
        ``action``, in place of any kept before for it. One statement: a delete then an
        insert would let two processes keeping it at once both insert, and one fail on the
        primary key (on PostgreSQL the second waits for the first's row, then replaces
        it)."""
        values = {
            "run_id": run_id,
            "action_index": action_index,
            "action_fingerprint": action,
            "sections": list(sections),
            "created_at": now,
        }
        statement = dialect_insert(self.session, RunDigest).values(**values)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[RunDigest.run_id, RunDigest.action_index],
                set_={
                    "action_fingerprint": statement.excluded.action_fingerprint,
                    "sections": statement.excluded.sections,
                    "created_at": statement.excluded.created_at,
                },
            )
        )

    def sections(self, run_id: int, action_index: int, action: str) -> list[str] | None:
        """The digest's sections as kept; None when none are, or when they were laid out for
        another version of the action (its fingerprint is not ``action``): the run's workflow
        was edited since, and a layout of the old action is not this one's."""
        query = select(RunDigest.sections).where(
            RunDigest.run_id == run_id,
            RunDigest.action_index == action_index,
            RunDigest.action_fingerprint == action,
        )
        return self.session.scalars(query).one_or_none()

    def forget(self, run_id: int, action_index: int) -> None:
        self.session.execute(
            delete(RunDigest).where(
                RunDigest.run_id == run_id, RunDigest.action_index == action_index
            )
        )
