"""Column types shared by every table: aware-UTC datetimes and portable JSON; and the one
"contains, in any case" comparison of a text column that searches share."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, DateTime, Dialect, Integer, any_, bindparam, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.types import TypeDecorator

# JSONB on PostgreSQL so that criteria compile to indexable ->> expressions; JSON text elsewhere.
PortableJSON = JSON().with_variant(JSONB(), "postgresql")


class NaiveDatetimeError(ValueError):
    """A datetime without a time zone reached the database layer."""


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and returns them aware.

    SQLite has no time zone type and hands back naive values; refusing naive input here
    means a wall-clock bug fails loudly at the write instead of shifting a run by hours.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetimeError(
                f"refusing naive datetime {value.isoformat()}: pass an aware one"
            )
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def copy(self, **kwargs: Any) -> UTCDateTime:
        return UTCDateTime()


def contains_in_any_case(column: QueryableAttribute[str], text: str) -> ColumnElement[bool]:
    """The column contains ``text`` in any case, its LIKE wildcards matched literally."""
    # lower() on both sides: PostgreSQL folds every letter, SQLite's lower() only A-Z.
    return func.lower(column).contains(text.lower(), autoescape=True)


class _IdArray(ARRAY[int]):
    """An integer array bound as the list it is: ARRAY's own bind processing copies the
    list item by item in Python (for item types that need no processing, as ints)."""

    def bind_processor(self, dialect: Dialect) -> None:
        return None


_IDS = _IdArray(Integer)


def among_ids(
    session: Session, column: QueryableAttribute[int], ids: Collection[int]
) -> ColumnElement[bool]:
    """The integer column is one of ``ids``: on PostgreSQL as ``= ANY`` of one array
    parameter, elsewhere as IN. A statement with an IN list of 50 ids binds 50 parameters,
    which SQLAlchemy renders and psycopg parses anew on every execution (psycopg caches
    the conversion of statements of under 50 parameters only): a burst's claims and
    finishes spent more CPU there than in the database."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=_IDS))
    return column.in_(ids)
