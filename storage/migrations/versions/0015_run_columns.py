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
summary; the downgrade puts them back.

Every column is nullable or has a server default: a plain ADD COLUMN on both databases, no
rebuild of ``runs`` on SQLite.
"""

from __future__ import annotations

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
    for row in _rows(bind, _runs.c.summary, _runs.c.retry_of):
        summary = dict(row.summary or {})
        columns = _out_of_summary(summary, row.retry_of)
        if summary != (row.summary or {}):
            statement = _runs.update().where(_runs.c.id == row.id)
            bind.execute(statement.values(summary=summary, **columns))


def downgrade() -> None:
    bind = op.get_bind()
    read = [_runs.c[name] for name in (*_COLUMNS, "summary", "retry_of")]
    for row in _rows(bind, *read):
        summary = _into_summary(dict(row.summary or {}), row._mapping)
        if summary != (row.summary or {}):
            bind.execute(_runs.update().where(_runs.c.id == row.id).values(summary=summary))
    for name in reversed(_COLUMNS):
        op.drop_column("runs", name)


def _rows(bind: sa.Connection, *columns: sa.ColumnClause[Any]) -> Iterator[sa.Row[Any]]:
    """Every run, a page at a time by id: bounded memory however many runs there are."""
    last = 0
    while True:
        page = bind.execute(
            sa.select(_runs.c.id, *columns)
            .where(_runs.c.id > last)
            .order_by(_runs.c.id)
            .limit(_PAGE)
        ).all()
        yield from page
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
        columns["reason"] = str(reason)
    if isinstance(deferred_from := summary.pop("deferred_from", None), str):
        at = datetime.fromisoformat(deferred_from)
        columns["deferred_from"] = at if at.tzinfo else at.replace(tzinfo=UTC)
    if isinstance(stale := summary.pop("stale_source", None), dict):
        columns["stale_source"] = stale
    # The column has been the truth since 0009; the key was a copy of it.
    if (copy := summary.pop("retry_of", None)) is not None and retry_of is None:
        columns["retry_of"] = int(copy)
    return columns


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
