"""The values records had before each change (record_versions): kept set-based, in the
transaction of the change, by every path that changes a record; read back as the record
was at an instant, so that a criteria clause written for ``records`` can be evaluated on
it. Never commits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Subquery,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import ClauseAdapter

from storage.columns import UTCDateTime
from storage.models import Record, RecordVersion, RecordVersionsKept, Run

RECORDS = cast(Table, Record.__table__)
# The columns a version copies from its record: every one a criteria clause may read.
KEPT_COLUMNS = (
    "external_id",
    "name",
    "owner",
    "properties",
    "folded",
    "updated_at",
    "deleted_at",
)
# One statement per batch whatever its size: the ids travel as one array (PostgreSQL) or
# one JSON text (SQLite), as RecordRepository.existing reads them.
_KEEP = {
    "postgresql": (
        "INSERT INTO record_versions (record_id, external_id, name, owner, properties, "
        "folded, updated_at, deleted_at, valid_until) "
        "SELECT id, external_id, name, owner, properties, folded, updated_at, deleted_at, "
        ":now FROM records WHERE id = ANY(:ids)"
    ),
    "sqlite": (
        "INSERT INTO record_versions (record_id, external_id, name, owner, properties, "
        "folded, updated_at, deleted_at, valid_until) "
        "SELECT id, external_id, name, owner, properties, folded, updated_at, deleted_at, "
        ":now FROM records WHERE id IN (SELECT value FROM json_each(:ids))"
    ),
}
_KEPT_ROW = 1


class RecordVersions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def keep(self, record_ids: Sequence[int], now: datetime) -> None:
        """Keeps these records' current values as valid until ``now``: called in the
        transaction that changes them, before the change."""
        if not record_ids:
            return
        dialect = self.session.get_bind().dialect.name
        ids: Any = list(record_ids) if dialect == "postgresql" else json.dumps(list(record_ids))
        statement = text(_KEEP[dialect]).bindparams(
            bindparam("now", type_=UTCDateTime()), bindparam("ids")
        )
        self.session.execute(statement, {"now": now, "ids": ids})

    def keep_matching(self, where: Sequence[ColumnElement[bool]], now: datetime) -> None:
        """As keep, for the records ``where`` selects (a removal by criteria)."""
        copied = select(
            Record.id, *(RECORDS.c[name] for name in KEPT_COLUMNS), literal(now, UTCDateTime())
        ).where(*where)
        self.session.execute(
            insert(RecordVersion).from_select(["record_id", *KEPT_COLUMNS, "valid_until"], copied)
        )

    def kept_since(self) -> datetime | None:
        """Since when every change is kept; None: since always."""
        return self.session.scalar(select(RecordVersionsKept.since))

    def oldest_enrollment(self, latest_runs: int) -> datetime | None:
        """The earliest enrollment among each workflow's ``latest_runs`` latest enrolled
        runs (by schedule, as `why` lists them); None when no run has enrolled."""
        ranked = (
            select(
                Run.enrolled_at,
                func.row_number()
                .over(
                    partition_by=Run.workflow_id,
                    order_by=(Run.scheduled_at.desc(), Run.id.desc()),
                )
                .label("latest"),
            )
            .where(Run.enrolled_at.is_not(None))
            .subquery()
        )
        oldest: datetime | None = self.session.scalar(
            select(func.min(ranked.c.enrolled_at)).where(ranked.c.latest <= latest_runs)
        )
        return oldest

    def prune(self, before: datetime) -> int:
        """Deletes the versions no longer valid after ``before`` (no instant from ``before``
        on needs them); returns how many. Changes before it are then no longer kept."""
        deleted = self.session.execute(
            delete(RecordVersion).where(RecordVersion.valid_until <= before),
            execution_options={"synchronize_session": False},
        )
        # Two processes pruning for the first time both find no row: the second insert is
        # ignored rather than failing its planning transaction, then both move it forward.
        dialect = self.session.get_bind().dialect.name
        first = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
            RecordVersionsKept
        )
        self.session.execute(
            first.values(id=_KEPT_ROW, since=before).on_conflict_do_nothing(),
            execution_options={"synchronize_session": False},
        )
        self.session.execute(
            update(RecordVersionsKept)
            .where(RecordVersionsKept.id == _KEPT_ROW, RecordVersionsKept.since < before)
            .values(since=before),
            execution_options={"synchronize_session": False},
        )
        return int(getattr(deleted, "rowcount", 0))

    def as_of(self, record_id: int, at: datetime) -> Subquery:
        """The record as it was at ``at``, as one row with the columns of ``records``
        (those criteria read). Whether it was stored yet then is the caller's to know."""
        version = self.session.scalar(
            select(RecordVersion.id)
            .where(RecordVersion.record_id == record_id, RecordVersion.valid_until > at)
            .order_by(RecordVersion.valid_until, RecordVersion.id)
            .limit(1)
        )
        if version is None:
            row = select(RECORDS).where(Record.id == record_id)
        else:
            row = (
                select(
                    Record.id,
                    Record.object_type_id,
                    Record.created_at,
                    *(RecordVersion.__table__.c[name] for name in KEPT_COLUMNS),
                )
                .join(RecordVersion, RecordVersion.record_id == Record.id)
                .where(RecordVersion.id == version)
            )
        return row.subquery("record_then")


def on_row(clause: ColumnElement[Any], row: Subquery) -> ColumnElement[Any]:
    """``clause``, written for the records table, reading ``row`` (see as_of) instead."""
    adapter = ClauseAdapter(
        row,
        include_fn=lambda column: getattr(column, "table", None) is RECORDS,
        adapt_on_names=True,
    )
    return adapter.traverse(clause)
