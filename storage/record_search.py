"""Finding and counting the records of one object type that satisfy a criteria clause, and
the expression indexes that make those queries fast."""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Index,
    Integer,
    MetaData,
    Select,
    Table,
    func,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex

from storage.columns import PortableJSON
from storage.models import Record
from storage.properties import PropertyType
from storage.property_expressions import property_expression

INDEX_PREFIX = "ixp_"
MAX_IDENTIFIER = 63  # PostgreSQL truncates longer names, which would break IF NOT EXISTS

# The records columns an index reads, on a table object of its own: building an Index on
# Record.__table__ would attach it to the models' metadata (and so to create_all and
# Alembic autogenerate) although these indexes are created on demand.
_INDEXED_RECORDS = Table(
    "records",
    MetaData(),
    Column("object_type_id", Integer),
    Column("properties", PortableJSON),
    Column("folded", PortableJSON),
)

# Types whose expressions are the same SQL share one index, named after the family. On
# SQLite every non-text type reads the same json_extract, so they share one too.
_FAMILY = {
    PropertyType.STRING: "text",
    PropertyType.ENUMERATION: "text",
    PropertyType.NUMBER: "num",
    PropertyType.BOOLEAN: "bool",
    PropertyType.DATE: "time",
    PropertyType.DATETIME: "time",
}


def matching(object_type_id: int, clause: ColumnElement[bool]) -> Select[Record]:
    """The records of one object type that satisfy ``clause``, by name then id."""
    return (
        select(Record)
        .where(Record.object_type_id == object_type_id, clause)
        .order_by(Record.name, Record.id)
    )


class RecordSearch:
    """Runs criteria clauses (see storage.criteria_sql) against the records. Never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        """The database the clauses must be compiled for: sqlite or postgresql."""
        return self.session.get_bind().dialect.name

    def count(self, object_type_id: int, clause: ColumnElement[bool]) -> int:
        query = (
            select(func.count())
            .select_from(Record)
            .where(Record.object_type_id == object_type_id, clause)
        )
        return self.session.scalar(query) or 0

    def list(
        self, object_type_id: int, clause: ColumnElement[bool], limit: int
    ) -> builtins.list[Record]:
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        return builtins.list(self.session.scalars(matching(object_type_id, clause).limit(limit)))


def property_index_name(name: str, property_type: PropertyType, dialect: str) -> str:
    family = _FAMILY[property_type]
    if dialect == "sqlite" and not property_type.is_text:
        family = "json"
    full = f"{INDEX_PREFIX}{family}_{name}"
    if len(full) <= MAX_IDENTIFIER:
        return full
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{INDEX_PREFIX}{family}_{name[:40]}_{digest}"


def property_index(name: str, property_type: PropertyType, dialect: str) -> Index:
    expression: ColumnElement[Any] = property_expression(
        _INDEXED_RECORDS, name, property_type, dialect
    )
    return Index(
        property_index_name(name, property_type, dialect),
        _INDEXED_RECORDS.c.object_type_id,
        expression,
    )


def ensure_property_indexes(
    session: Session, property_types: Mapping[str, PropertyType]
) -> builtins.list[str]:
    """Creates, if missing, one index per property that criteria filter on; returns their names.

    Each index is composite, ``(object_type_id, <property expression>)``: every criteria
    query fixes the object type by equality, so the leading column narrows the scan to that
    type and the expression then serves eq, in, gt/gte/lt/lte, between, before/after and
    is_known as one B-tree range. The expression is the very one criteria_sql compiles
    (storage.property_expressions), which is what lets SQLite and PostgreSQL match it. A
    partial index ``WHERE object_type_id = 7`` would be smaller, but neither SQLite nor a
    generic PostgreSQL plan can prove that a bound ``object_type_id = ?`` implies it; the
    composite index also serves every object type that has a property of that name.

    Write cost: every records row of every type gets an entry in each such index (NULL
    when it lacks the property), so each insert pays one extra B-tree insert per indexed
    property, and any update of ``properties`` or ``folded`` re-evaluates the expressions
    (and on PostgreSQL is never a HOT update). Index the properties that active criteria
    use, not every property. contains, not_contains, starts_with and neq cannot use them,
    and an OR of groups uses them only when every group has an indexable filter.

    PostgreSQL's CREATE INDEX blocks writes to records while it builds; the caller's
    transaction holds that lock until it commits.
    """
    dialect = session.get_bind().dialect.name
    names = []
    for name, property_type in sorted(property_types.items()):
        index = property_index(name, property_type, dialect)
        session.execute(CreateIndex(index, if_not_exists=True))
        names.append(str(index.name))
    return names
