"""The owner directory: owner emails of a workspace and the Slack user each resolved to (or
none), with when Slack was last asked; and the owner values records hold, counted. Never
commits."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.database import dialect_insert
from storage.models import Enrollment, ObjectType, OwnerDirectory, Record

# Emails per statement: well below SQLite's 32,766 bound parameters, and a few kilobytes.
_CHUNK = 500


@dataclass(frozen=True)
class DirectoryEntry:
    """What Slack said of one (case-folded) email when it was last asked."""

    email: str
    slack_user_id: str | None
    checked_at: datetime


@dataclass(frozen=True)
class OwnerCount:
    """One owner value as records hold it, and how many records (not deleted) hold it."""

    owner: str
    records: int


class OwnerDirectoryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def entries(self, team_id: str, emails: Collection[str]) -> dict[str, DirectoryEntry]:
        """The directory's entries of ``emails`` (case-folded), by email; missing: never asked."""
        found: dict[str, DirectoryEntry] = {}
        for chunk in _chunks(emails):
            rows = self.session.execute(
                select(
                    OwnerDirectory.email, OwnerDirectory.slack_user_id, OwnerDirectory.checked_at
                ).where(OwnerDirectory.team_id == team_id, OwnerDirectory.email.in_(chunk))
            )
            for email, user_id, checked_at in rows:
                found[email] = DirectoryEntry(email, user_id, checked_at)
        return found

    def emails_of(self, team_id: str, user_ids: Collection[str]) -> dict[str, set[str]]:
        """The emails known to resolve to each of ``user_ids``, by user id."""
        found: dict[str, set[str]] = {}
        for chunk in _chunks(user_ids):
            rows = self.session.execute(
                select(OwnerDirectory.slack_user_id, OwnerDirectory.email).where(
                    OwnerDirectory.team_id == team_id, OwnerDirectory.slack_user_id.in_(chunk)
                )
            )
            for user_id, email in rows:
                if user_id is not None:
                    found.setdefault(user_id, set()).add(email)
        return found

    def record(self, team_id: str, answers: Mapping[str, str | None], checked_at: datetime) -> None:
        """Stores what Slack answered for each email (case-folded): its user, or None."""
        if not answers:
            return
        rows = [
            {"team_id": team_id, "email": email, "slack_user_id": user, "checked_at": checked_at}
            for email, user in answers.items()
        ]
        statement = dialect_insert(self.session, OwnerDirectory)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[OwnerDirectory.team_id, OwnerDirectory.email],
                set_={
                    "slack_user_id": statement.excluded.slack_user_id,
                    "checked_at": statement.excluded.checked_at,
                },
            ),
            rows,
        )

    def owner_counts(self, team_id: str) -> list[OwnerCount]:
        """Each owner value the workspace's records hold (deleted records aside), with how
        many records hold it; most records first, then by value (code point order, the same
        on both databases whatever their collation)."""
        rows = self.session.execute(
            select(Record.owner, func.count(Record.id))
            .join(ObjectType, ObjectType.id == Record.object_type_id)
            .where(
                ObjectType.team_id == team_id,
                Record.owner.is_not(None),
                Record.deleted_at.is_(None),
            )
            .group_by(Record.owner)
        )
        counts = [OwnerCount(owner, records) for owner, records in rows if owner is not None]
        return sorted(counts, key=lambda c: (-c.records, c.owner))

    def owners_of_type(self, object_type_id: int) -> list[str]:
        """The distinct owners of an object type's records (deleted records aside) that
        may be emails (they hold an @)."""
        rows = self.session.scalars(
            select(Record.owner)
            .where(
                Record.object_type_id == object_type_id,
                Record.owner.contains("@", autoescape=True),
                Record.deleted_at.is_(None),
            )
            .distinct()
        )
        return [owner for owner in rows if owner is not None]

    def enrolled_owners(self, run_id: int) -> list[str]:
        """The distinct owners of the records a run enrolled."""
        rows = self.session.scalars(
            select(Record.owner)
            .join(Enrollment, Enrollment.record_id == Record.id)
            .where(Enrollment.run_id == run_id, Record.owner.is_not(None))
            .distinct()
        )
        return [owner for owner in rows if owner is not None]


def _chunks(values: Collection[str]) -> Iterator[list[str]]:
    iterator = iter(values)
    while chunk := list(islice(iterator, _CHUNK)):
        yield chunk
