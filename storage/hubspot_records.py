"""Queries a HubSpot sync needs beyond the batch writes of storage.records: the live records
of a type by external id, and a record that follows a merged object to its new id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Record
from storage.record_versions import RecordVersions


class HubSpotRecordRepository:
    """Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def live_ids(self, object_type_id: int) -> dict[str, int]:
        """External id -> row id of the type's records not removed."""
        query = select(Record.external_id, Record.id).where(
            Record.object_type_id == object_type_id, Record.deleted_at.is_(None)
        )
        return {external_id: record_id for external_id, record_id in self.session.execute(query)}

    def follow(self, object_type_id: int, old_id: str, new_id: str, now: datetime) -> bool:
        """Gives the record of ``old_id`` the id ``new_id`` (HubSpot merged the object into
        that one), keeping its history; False when there is no such record."""
        named = (Record.object_type_id == object_type_id, Record.external_id == old_id)
        RecordVersions(self.session).keep_matching(named, now)
        result = self.session.execute(
            update(Record).where(*named).values(external_id=new_id),
            execution_options={"synchronize_session": False},
        )
        return bool(getattr(result, "rowcount", 0))
