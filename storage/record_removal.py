"""Removing records: a removed record keeps its row (past runs still name it) with
``deleted_at`` set, and is never enrolled, counted or listed again; writing it again
(storage.records.RecordRepository.update_many) brings it back. Also finds the records of a
type that a full snapshot (a source sync, a pruning import) no longer holds."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from storage.models import Record
from storage.record_versions import RecordVersions

# Records read per page while looking for those a snapshot did not name.
PAGE = 20_000
# Removed records named when a removal is shown; the rest are counted.
SHOWN = 10


@dataclass(frozen=True)
class Removal:
    """What a removal removes (or would): how many records, and the first few."""

    count: int
    first: tuple[tuple[str, str], ...]  # (external id, name), by row id


class SeenRecords:
    """The records of one object type that a full snapshot named, as one bit per row id
    over the ids the type had when the snapshot began.

    A bitmap rather than a set of ids: a million records take 125 KB instead of about
    60 MB, whatever the ids look like. A record created while the snapshot is written
    has a higher id than any the type had; naming it again means the snapshot named one
    id twice.
    """

    def __init__(self, low: int, high: int) -> None:
        self.low = low
        self.high = high
        self._bits = bytearray((high - low) // 8 + 1) if high >= low else bytearray()

    @classmethod
    def of(cls, session: Session, object_type_id: int) -> SeenRecords:
        low, high = session.execute(
            select(func.min(Record.id), func.max(Record.id)).where(
                Record.object_type_id == object_type_id
            )
        ).one()
        return cls(low, high) if low is not None else cls(1, 0)

    def see(self, record_id: int) -> bool:
        """Notes that the snapshot names this record; False when it named it already (or
        created it: a record newer than the snapshot's start)."""
        if not self.low <= record_id <= self.high:
            return False
        offset = record_id - self.low
        byte, bit = offset >> 3, 1 << (offset & 7)
        if self._bits[byte] & bit:
            return False
        self._bits[byte] |= bit
        return True

    def seen(self, record_id: int) -> bool:
        if not self.low <= record_id <= self.high:
            return False
        offset = record_id - self.low
        return bool(self._bits[offset >> 3] & (1 << (offset & 7)))


class RecordRemoval:
    """Marks records removed and finds those to remove. Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def remove(self, record_ids: Sequence[int], now: datetime) -> int:
        """Removes these records (those not removed already); returns how many."""
        removed = 0
        versions = RecordVersions(self.session)
        for start in range(0, len(record_ids), PAGE):
            page = record_ids[start : start + PAGE]
            versions.keep_matching((Record.id.in_(page), Record.deleted_at.is_(None)), now)
            result = self.session.execute(
                update(Record)
                .where(Record.id.in_(page), Record.deleted_at.is_(None))
                .values(deleted_at=now),
                execution_options={"synchronize_session": False},
            )
            removed += int(getattr(result, "rowcount", 0))
        return removed

    def remove_matching(
        self, object_type_id: int, clause: ColumnElement[bool], now: datetime
    ) -> int:
        """Removes the live records of the type that satisfy ``clause``; returns how many."""
        live = (Record.object_type_id == object_type_id, Record.deleted_at.is_(None), clause)
        RecordVersions(self.session).keep_matching(live, now)
        result = self.session.execute(
            update(Record).where(*live).values(deleted_at=now),
            execution_options={"synchronize_session": False},
        )
        return int(getattr(result, "rowcount", 0))

    def matching(self, object_type_id: int, clause: ColumnElement[bool]) -> Removal:
        """What removing the live records of the type that satisfy ``clause`` would remove."""
        live = (Record.object_type_id == object_type_id, Record.deleted_at.is_(None), clause)
        count = self.session.scalar(select(func.count()).select_from(Record).where(*live)) or 0
        first = self.session.execute(
            select(Record.external_id, Record.name).where(*live).order_by(Record.id).limit(SHOWN)
        )
        return Removal(count, tuple((external_id, name) for external_id, name in first))

    def by_external_id(
        self, object_type_id: int, external_ids: Iterable[str]
    ) -> dict[str, tuple[int, str, bool]]:
        """The records of the type with these external ids: external id -> (row id, name,
        removed already)."""
        wanted = list(dict.fromkeys(external_ids))
        found: dict[str, tuple[int, str, bool]] = {}
        for start in range(0, len(wanted), PAGE):
            query = select(
                Record.external_id, Record.id, Record.name, Record.deleted_at.is_not(None)
            ).where(
                Record.object_type_id == object_type_id,
                Record.external_id.in_(wanted[start : start + PAGE]),
            )
            for external_id, record_id, name, removed in self.session.execute(query):
                found[external_id] = (record_id, name, bool(removed))
        return found

    def unseen(self, object_type_id: int, seen: SeenRecords) -> Iterator[list[int]]:
        """The live records of the type the snapshot did not name, a page of row ids at a
        time, by id (keyset pages: each costs the same however far in)."""
        last = seen.low - 1
        while True:
            page = list(
                self.session.scalars(
                    select(Record.id)
                    .where(
                        Record.object_type_id == object_type_id,
                        Record.deleted_at.is_(None),
                        Record.id > last,
                        Record.id <= seen.high,
                    )
                    .order_by(Record.id)
                    .limit(PAGE)
                )
            )
            if not page:
                return
            last = page[-1]
            unseen = [record_id for record_id in page if not seen.seen(record_id)]
            if unseen:
                yield unseen

    def absent(self, object_type_id: int, seen: SeenRecords) -> Removal:
        """What removing the records the snapshot did not name would remove."""
        count = 0
        first: list[int] = []
        for page in self.unseen(object_type_id, seen):
            count += len(page)
            first.extend(page[: SHOWN - len(first)])
        return Removal(count, self.named(first))

    def remove_absent(self, object_type_id: int, seen: SeenRecords, now: datetime) -> Removal:
        """Removes the live records of the type the snapshot did not name."""
        count = 0
        first: list[int] = []
        # Each page is read in full before its records are removed, and the next page
        # starts after it: removing does not disturb the walk.
        for page in self.unseen(object_type_id, seen):
            count += len(page)
            first.extend(page[: SHOWN - len(first)])
            self.remove(page, now)
        return Removal(count, self.named(first))

    def named(self, record_ids: Sequence[int]) -> tuple[tuple[str, str], ...]:
        if not record_ids:
            return ()
        query = (
            select(Record.external_id, Record.name)
            .where(Record.id.in_(record_ids))
            .order_by(Record.id)
        )
        return tuple((external_id, name) for external_id, name in self.session.execute(query))
