"""folded record names: criteria on the built-in field name ignore case

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

Data only, no schema change. ``records.folded`` gets the record's case-folded name under the
key ``_name`` (which no property can take: property names start with a letter), beside the
folded text properties: criteria compare it, so that ``name eq "acme"`` matches "ACME" with
the same full case folding as every text property. Neither database can fold as Python does,
so the folded names are computed here, a batch of records at a time; the bot writes them
with every record from now on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_BATCH = 5_000
_SET = {
    "postgresql": (
        "UPDATE records SET folded = folded || jsonb_build_object('_name', CAST(:folded AS text)) "
        "WHERE id = :id"
    ),
    "sqlite": "UPDATE records SET folded = json_set(folded, '$._name', :folded) WHERE id = :id",
}
_REMOVE = {
    "postgresql": "UPDATE records SET folded = folded - '_name' WHERE folded ? '_name'",
    "sqlite": (
        "UPDATE records SET folded = json_remove(folded, '$._name') "
        "WHERE json_extract(folded, '$._name') IS NOT NULL"
    ),
}


def upgrade() -> None:
    connection = op.get_bind()
    update = sa.text(_SET[connection.dialect.name])
    last = 0
    while True:
        rows = connection.execute(
            sa.text("SELECT id, name FROM records WHERE id > :last ORDER BY id LIMIT :batch"),
            {"last": last, "batch": _BATCH},
        ).all()
        if not rows:
            return
        # str.casefold, as storage.properties.fold: written out so that this migration keeps
        # doing what it did whatever that function becomes.
        connection.execute(update, [{"id": id_, "folded": name.casefold()} for id_, name in rows])
        last = rows[-1][0]


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(sa.text(_REMOVE[connection.dialect.name]))
