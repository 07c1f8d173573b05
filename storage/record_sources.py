"""Repository of record sources (SQL queries, HubSpot objects): their definitions, the
lease one process holds while it syncs one, the outcome of each sync, and when the
periodic ones are next due."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.workflows.vocabulary import WorkflowStatus
from storage.columns import among_ids
from storage.models import ObjectType, RecordSource, Workflow
from storage.workflows import LIVE


@dataclass(frozen=True)
class SyncCounts:
    added: int
    changed: int
    removed: int


class PortalIdentity(Protocol):
    """A HubSpot portal's id and the domain of its app."""

    @property
    def portal_id(self) -> int: ...

    @property
    def ui_domain(self) -> str: ...


class RecordSourceRepository:
    """Finds, adds, leases and updates record sources. Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, source: RecordSource) -> RecordSource:
        self.session.add(source)
        self.session.flush()
        return source

    def remove(self, source: RecordSource) -> None:
        self.session.delete(source)
        self.session.flush()

    def get(self, source_id: int) -> RecordSource | None:
        return self.session.get(RecordSource, source_id)

    def find(self, team_id: str, name: str) -> RecordSource | None:
        query = select(RecordSource).where(
            RecordSource.team_id == team_id, RecordSource.name == name
        )
        return self.session.scalars(query).one_or_none()

    def feeding(self, object_type_id: int) -> RecordSource | None:
        """The source that feeds this object type, if one does."""
        query = select(RecordSource).where(RecordSource.object_type_id == object_type_id)
        return self.session.scalars(query).one_or_none()

    def fed_types(self, object_type_ids: Collection[int]) -> set[int]:
        """Which of these object types a source feeds, in one query."""
        query = select(RecordSource.object_type_id).where(
            among_ids(self.session, RecordSource.object_type_id, object_type_ids)
        )
        return set(self.session.scalars(query))

    def of_team(self, team_id: str) -> list[tuple[RecordSource, str]]:
        """The team's sources by name, each with the name of the object type it feeds."""
        query = (
            select(RecordSource, ObjectType.name)
            .join(ObjectType, ObjectType.id == RecordSource.object_type_id)
            .where(RecordSource.team_id == team_id)
            .order_by(RecordSource.name)
        )
        return [(source, type_name) for source, type_name in self.session.execute(query)]

    # Leases -------------------------------------------------------------------------------

    def claim(self, source_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
        """Leases the source to ``owner`` for a sync unless a sync holds it, in this process
        or another (``owner`` names one sync: two threads of a process must not both sync)."""
        result = self.session.execute(
            update(RecordSource)
            .where(
                RecordSource.id == source_id,
                or_(
                    RecordSource.sync_lease_owner.is_(None),
                    RecordSource.sync_lease_expires_at <= now,
                ),
            )
            .values(sync_lease_owner=owner, sync_lease_expires_at=now + lease)
        )
        return bool(getattr(result, "rowcount", 0))

    def renew(self, source_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
        result = self.session.execute(
            update(RecordSource)
            .where(RecordSource.id == source_id, RecordSource.sync_lease_owner == owner)
            .values(sync_lease_expires_at=now + lease)
        )
        return bool(getattr(result, "rowcount", 0))

    def succeeded(
        self, source_id: int, owner: str, now: datetime, duration_ms: int, counts: SyncCounts
    ) -> None:
        """Records a successful sync, clears the last error (and its report), and releases
        the lease ``owner`` holds."""
        self.session.execute(
            update(RecordSource)
            .where(RecordSource.id == source_id)
            .values(
                last_attempt_at=now,
                last_success_at=now,
                last_duration_ms=duration_ms,
                last_added=counts.added,
                last_changed=counts.changed,
                last_removed=counts.removed,
                last_error=None,
                failure_reported_at=None,
            )
        )
        self.release(source_id, owner)

    def failed(
        self, source_id: int, owner: str, now: datetime, duration_ms: int, error: str
    ) -> None:
        """Records a failed sync (the counts stay those of the last success) and releases
        the lease ``owner`` holds."""
        self.session.execute(
            update(RecordSource)
            .where(RecordSource.id == source_id)
            .values(
                last_attempt_at=now,
                last_duration_ms=duration_ms,
                last_error=error,
            )
        )
        self.release(source_id, owner)

    def token_refused(self, source_id: int, error: str) -> None:
        """Marks the source failing with ``error`` when a run's write-back found its token
        refused. The sync's own columns (attempt, lease, counts) stay as they are: the next
        successful sync clears the error; a failure already reported stays reported."""
        self.session.execute(
            update(RecordSource).where(RecordSource.id == source_id).values(last_error=error)
        )

    def hubspot_progress(
        self,
        source_id: int,
        cursor_ms: int | None,
        daily_limit: int | None,
        daily_remaining: int | None,
        account: PortalIdentity | None = None,
    ) -> None:
        """Where a HubSpot source's next sync starts, the daily request budget HubSpot
        reported last (kept as it was when this sync learnt nothing of it), and the portal's
        id and app domain when the sync read them."""
        values: dict[str, int | str | None] = {"hubspot_cursor_ms": cursor_ms}
        if account is not None:
            values["hubspot_portal_id"] = account.portal_id
            values["hubspot_ui_domain"] = account.ui_domain
        if daily_limit is not None:
            values["daily_limit"] = daily_limit
        if daily_remaining is not None:
            values["daily_remaining"] = daily_remaining
        self.session.execute(
            update(RecordSource).where(RecordSource.id == source_id).values(**values)
        )

    def release(self, source_id: int, owner: str) -> None:
        # Only by its holder: a process that lost its lease must not free another's.
        self.session.execute(
            update(RecordSource)
            .where(RecordSource.id == source_id, RecordSource.sync_lease_owner == owner)
            .values(sync_lease_owner=None, sync_lease_expires_at=None)
        )

    def claim_failure_report(self, source_id: int, now: datetime) -> bool:
        """Marks the current failure as reported; False when it was already (or the source
        has no failure): each failure is reported once, not at every attempt."""
        result = self.session.execute(
            update(RecordSource)
            .where(
                RecordSource.id == source_id,
                RecordSource.last_error.is_not(None),
                RecordSource.failure_reported_at.is_(None),
            )
            .values(failure_reported_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    # Periodic syncs -----------------------------------------------------------------------

    def periodic(self) -> Sequence[tuple[int, datetime]]:
        """Each source synced on a period, with when its next sync is due: a period after
        its last attempt (or its creation), or when another process's lease on it ends."""
        query = select(
            RecordSource.id,
            RecordSource.sync_every_seconds,
            RecordSource.last_attempt_at,
            RecordSource.created_at,
            RecordSource.sync_lease_expires_at,
        ).where(RecordSource.sync_every_seconds.is_not(None))
        return [
            (source_id, max(due, leased) if leased is not None else due)
            for source_id, every, attempted, created, leased in self.session.execute(query)
            for due in [(attempted or created) + timedelta(seconds=every or 0)]
        ]

    def due(self, now: datetime) -> list[int]:
        """The periodic sources due at ``now``, earliest first, that no process is syncing."""
        return [
            source_id
            for source_id, due_at in sorted(self.periodic(), key=lambda item: item[1])
            if due_at <= now
        ]

    def next_due(self) -> datetime | None:
        """When the next periodic sync is due, for the scheduler's wake-up."""
        instants = [due_at for _, due_at in self.periodic()]
        return min(instants) if instants else None

    def workflow_owners(self, object_type_id: int) -> list[str]:
        """The owners of the live, active workflows on this object type, each once."""
        query = (
            select(Workflow.owner_user_id)
            .where(
                Workflow.object_type_id == object_type_id,
                Workflow.status == WorkflowStatus.ACTIVE.value,
                LIVE,  # a deleted workflow's owner has nothing running on the source
            )
            .distinct()
            .order_by(Workflow.owner_user_id)
        )
        return list(self.session.scalars(query))
