"""run columns: what changed a run's behaviour, out of its summary into typed columns

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

``runs.summary`` held a run's counts beside keys read back by name: ``all_matching`` (a
manual run of every matching record) becomes ``evaluates_all_records``, ``reason`` (why it
was skipped, missed, deferred, cancelled or stopped) ``reason``, ``deferred_from`` (the
instant of an occurrence deferred past a pause day) ``deferred_from``, ``owner_alerted``
``owner_alerted``, and ``stale_source`` (the data's age when the source could not be
synced) a JSON column of its own. ``retry_of`` was already a column (0009): its copy in the
summary is dropped. The upgrade moves each run's values into the columns and out of its
summary; the downgrade puts them back. A ``deferred_from`` without a zone was written in
UTC; one that is no instant at all stays in the summary, where nothing reads it.

Every column is nullable or has a server default: a plain ADD COLUMN on both databases, no
rebuild of ``runs`` on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.columns import PortableJSON, UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_PAGE = 1_000

_runs = sa.table(
    "runs",
    sa.column("id", sa.Integer()),
    sa.column("summary", PortableJSON),
    sa.column("retry_of", sa.Integer()),
    sa.column("evaluates_all_records", sa.Boolean()),
    sa.column("reason", sa.Text()),
    sa.column("deferred_from", UTCDateTime()),
    sa.column("owner_alerted", sa.Boolean()),
    sa.column("stale_source", PortableJSON),
)
_COLUMNS = ("evaluates_all_records", "reason", "deferred_from", "owner_alerted", "stale_source")


def upgrade() -> None:
    op.add_column(
        "runs",
        sa.Column("evaluates_all_records", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("runs", sa.Column("reason", sa.Text(), nullable=True))
    op.add_column("runs", sa.Column("deferred_from", UTCDateTime(), nullable=True))
    op.add_column(
        "runs", sa.Column("owner_alerted", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("runs", sa.Column("stale_source", PortableJSON, nullable=True))
    bind = op.get_bind()
    # One UPDATE per page, run by executemany: a round trip per run would take long on a
    # big runs table. Every statement sets every column (executemany wants one shape);
    # the new columns hold only their defaults yet, so setting them again changes nothing.
    by_id = _runs.update().where(_runs.c.id == sa.bindparam("run_id"))
    for page in _pages(bind, _runs.c.summary, _runs.c.retry_of):
        moved = [_moved(row) for row in page if isinstance(row.summary, dict)]
        if changed := [values for values in moved if values is not None]:
            bind.execute(by_id, changed)


def _moved(row: sa.Row[Any]) -> dict[str, Any] | None:
    """The values of one run's update, None when its summary holds none of the keys."""
    summary = dict(row.summary)
    columns = _out_of_summary(summary, row.retry_of)
    if summary == row.summary:
        return None
    return {
        "run_id": row.id,
        "summary": summary,
        "evaluates_all_records": False,
        "owner_alerted": False,
        "reason": None,
        "deferred_from": None,
        "stale_source": None,
        "retry_of": row.retry_of,
        **columns,
    }


def downgrade() -> None:
    bind = op.get_bind()
    read = [_runs.c[name] for name in (*_COLUMNS, "summary", "retry_of")]
    by_id = _runs.update().where(_runs.c.id == sa.bindparam("run_id"))
    for page in _pages(bind, *read):
        changed = []
        for row in page:
            summary = _into_summary(dict(row.summary or {}), row._mapping)
            if summary != (row.summary or {}):
                changed.append({"run_id": row.id, "summary": summary})
        if changed:
            bind.execute(by_id, changed)
    for name in reversed(_COLUMNS):
        op.drop_column("runs", name)


def _pages(bind: sa.Connection, *columns: sa.ColumnClause[Any]) -> Iterator[list[sa.Row[Any]]]:
    """Every run, a page at a time by id: bounded memory however many runs there are."""
    last = 0
    while True:
        page = list(
            bind.execute(
                sa.select(_runs.c.id, *columns)
                .where(_runs.c.id > last)
                .order_by(_runs.c.id)
                .limit(_PAGE)
            ).all()
        )
        if page:
            yield page
        if len(page) < _PAGE:
            return
        last = page[-1].id


def _out_of_summary(summary: dict[str, Any], retry_of: int | None) -> dict[str, Any]:
    """The column values the summary's keys give (only those it has); takes the keys out."""
    columns: dict[str, Any] = {}
    if summary.pop("all_matching", None):
        columns["evaluates_all_records"] = True
    if summary.pop("owner_alerted", None):
        columns["owner_alerted"] = True
    if (reason := summary.pop("reason", None)) is not None:
        # Written as a string by every version; anything else is kept as its JSON text.
        columns["reason"] = reason if isinstance(reason, str) else json.dumps(reason, sort_keys=True)
    if (deferred_from := _instant(summary.get("deferred_from"))) is not None:
        del summary["deferred_from"]
        columns["deferred_from"] = deferred_from
    if isinstance(stale := summary.pop("stale_source", None), dict):
        columns["stale_source"] = stale
    # The column has been the truth since 0009; the key was a copy of it.
    if (copy := summary.pop("retry_of", None)) is not None and retry_of is None:
        columns["retry_of"] = int(copy)
    return columns


def _instant(value: Any) -> datetime | None:
    """An ISO instant as the summary held it, in UTC (naive ones were written in UTC); None
    when it is not one (such a value stays in the summary, where nothing reads it)."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def _into_summary(summary: dict[str, Any], row: sa.RowMapping) -> dict[str, Any]:
    """The summary with the keys the columns of ``row`` stand for, as before this revision."""
    if row["evaluates_all_records"]:
        summary["all_matching"] = True
    if row["owner_alerted"]:
        summary["owner_alerted"] = True
    if row["reason"] is not None:
        summary["reason"] = row["reason"]
    if row["deferred_from"] is not None:
        summary["deferred_from"] = row["deferred_from"].isoformat()
    if row["stale_source"] is not None:
        summary["stale_source"] = row["stale_source"]
    if row["retry_of"] is not None:
        summary["retry_of"] = row["retry_of"]
    return summary
