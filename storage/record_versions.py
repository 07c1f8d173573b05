"""The values records had before each change (record_versions): kept set-based, in the
transaction of the change, by every path that changes a record; read back as the record
was at an instant, so that a criteria clause written for ``records`` can be evaluated on
it. Never commits."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import ClauseAdapter

from bot.workflows.vocabulary import WorkflowStatus
from storage.columns import UTCDateTime
from storage.database import dialect_insert
from storage.models import Record, RecordVersion, RecordVersionsKept, Run, Workflow

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
# The values of a record as it was that evaluated_on reads after its columns, in this order.
VALUES_THEN = (
    "external_id",
    "name",
    "owner",
    "properties",
    "created_at",
    "updated_at",
    "deleted_at",
)

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

    @contextmanager
    def stamped_when_written(
        self, kept_at: datetime, written_at: Callable[[], datetime] | None
    ) -> Iterator[None]:
        """Around a long change whose versions are kept at ``kept_at`` (its start): when it
        succeeds, moves them to ``written_at()``, read just before the caller commits. The
        replaced values were what every other transaction saw until that commit, so a run
        enrolling meanwhile is judged on them. One statement, whatever the change's size;
        ``written_at`` None keeps ``kept_at``."""
        if written_at is None:
            yield
            return
        before = self.session.scalar(select(func.coalesce(func.max(RecordVersion.id), 0)))
        yield
        # The versions this transaction kept: newer than any it could see at its start and
        # stamped at its start (another writer's would need that very microsecond).
        self.session.execute(
            update(RecordVersion)
            .where(RecordVersion.id > before, RecordVersion.valid_until == kept_at)
            .values(valid_until=written_at()),
            execution_options={"synchronize_session": False},
        )

    def kept_since(self) -> datetime | None:
        """Since when every change is kept; None: since always."""
        return self.session.scalar(select(RecordVersionsKept.since))

    def oldest_enrollments(self, latest_runs: int) -> dict[int, datetime]:
        """Per object type, the earliest enrollment among the ``latest_runs`` latest enrolled
        runs (by schedule, as `why` lists them) of each of its active or paused workflows;
        a type no such workflow has enrolled records of is absent. A deleted workflow is
        not asked about, so it holds nothing back."""
        ranked = (
            select(
                Workflow.object_type_id,
                Run.enrolled_at,
                func.row_number()
                .over(
                    partition_by=Run.workflow_id,
                    order_by=(Run.scheduled_at.desc(), Run.id.desc()),
                )
                .label("latest"),
            )
            .join(Workflow, Workflow.id == Run.workflow_id)
            .where(
                Run.enrolled_at.is_not(None),
                Workflow.deleted_at.is_(None),
                Workflow.status.in_([WorkflowStatus.ACTIVE.value, WorkflowStatus.PAUSED.value]),
            )
            .subquery()
        )
        rows = self.session.execute(
            select(ranked.c.object_type_id, func.min(ranked.c.enrolled_at))
            .where(ranked.c.latest <= latest_runs)
            .group_by(ranked.c.object_type_id)
        )
        return {type_id: oldest for type_id, oldest in rows}

    def prune(self, floors: dict[int, datetime], before: datetime) -> int:
        """Deletes the versions no longer valid after their object type's floor in
        ``floors``, or after ``before`` for the other types (no instant from then on needs
        them); returns how many. Changes before the lowest floor are then no longer kept."""
        deleted = 0
        for type_id, floor in floors.items():
            deleted += self._delete(floor, Record.object_type_id == type_id)
        deleted += self._delete(before, Record.object_type_id.not_in(list(floors)))
        self._kept_since(min([before, *floors.values()]))
        return deleted

    def _delete(self, before: datetime, of_records: ColumnElement[bool]) -> int:
        result = self.session.execute(
            delete(RecordVersion).where(
                RecordVersion.valid_until <= before,
                RecordVersion.record_id.in_(select(Record.id).where(of_records)),
            ),
            execution_options={"synchronize_session": False},
        )
        return int(getattr(result, "rowcount", 0))

    def _kept_since(self, since: datetime) -> None:
        # Two processes pruning for the first time both find no row: the second insert is
        # ignored rather than failing its planning transaction, then both move it forward.
        first = dialect_insert(self.session, RecordVersionsKept)
        self.session.execute(
            first.values(id=_KEPT_ROW, since=since).on_conflict_do_nothing(),
            execution_options={"synchronize_session": False},
        )
        self.session.execute(
            update(RecordVersionsKept)
            .where(RecordVersionsKept.id == _KEPT_ROW, RecordVersionsKept.since < since)
            .values(since=since),
            execution_options={"synchronize_session": False},
        )

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

    def evaluated_on(self, row: Subquery, columns: Sequence[ColumnElement[Any]]) -> tuple[Any, ...]:
        """``columns``, written for the records table, evaluated on ``row`` (see as_of),
        followed by the row's own values named in VALUES_THEN, in one query."""
        query = select(
            *(on_row(column, row) for column in columns), *(row.c[name] for name in VALUES_THEN)
        )
        return tuple(self.session.execute(query).one())


def on_row(clause: ColumnElement[Any], row: Subquery) -> ColumnElement[Any]:
    """``clause``, written for the records table, reading ``row`` (see as_of) instead."""
    adapter = ClauseAdapter(
        row,
        include_fn=lambda column: getattr(column, "table", None) is RECORDS,
        adapt_on_names=True,
    )
    return adapter.traverse(clause)
