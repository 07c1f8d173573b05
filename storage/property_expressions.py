"""The SQL expression that reads one typed property or built-in field of a record, per
database: the one definition that criteria queries and property indexes share, so that an
index always matches the query that should use it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Double,
    Table,
    Text,
    cast,
    collate,
    func,
    literal_column,
    type_coerce,
)

from bot.workflows.vocabulary import PropertyType
from storage.properties import FOLDED_NAME, is_valid_property_name

SUPPORTED_DIALECTS = ("sqlite", "postgresql")

# The built-in fields (bot.workflows.fields) and the records column each one reads. A name
# here always means the field, never a property of that name.
FIELD_COLUMNS: Mapping[str, str] = {
    "id": "external_id",
    "name": "name",
    "owner": "owner",
    "created_at": "created_at",
    "updated_at": "updated_at",
}
FIELD_TYPES: Mapping[str, PropertyType] = {
    "id": PropertyType.STRING,
    "name": PropertyType.STRING,
    "owner": PropertyType.STRING,
    "created_at": PropertyType.DATETIME,
    "updated_at": PropertyType.DATETIME,
}


def is_field(name: str) -> bool:
    """Whether ``name`` is a built-in field (a records column) rather than a property."""
    return name in FIELD_COLUMNS


def property_expression(
    records: Table, name: str, property_type: PropertyType, dialect: str
) -> ColumnElement[Any]:
    """The value of property ``name`` as ``dialect`` compares it; NULL when the record lacks it.

    Text and enumeration properties read the case-folded copy (``records.folded``), so every
    comparison on them is case-insensitive; the others read ``records.properties``. A
    built-in field's name reads its column instead (see field_expression).
    """
    if dialect not in SUPPORTED_DIALECTS:
        raise ValueError(f"unsupported database {dialect!r}: use one of {SUPPORTED_DIALECTS}")
    if is_field(name):
        return field_expression(records, name, dialect)
    document = records.c.folded if property_type.is_text else records.c.properties
    if dialect == "sqlite":
        return _sqlite_expression(document, name, property_type)
    return _postgresql_expression(document, name, property_type)


def field_expression(records: Table, name: str, dialect: str) -> ColumnElement[Any]:
    """The built-in field ``name`` as criteria compare it (bot.workflows.fields.TextComparison).

    - id: ``external_id`` as written.
    - name: the folded name kept in ``records.folded`` (key FOLDED_NAME), full case folding
      like every text property; SQL has no function that folds as Python does.
    - owner: ``lower(owner)``, which lowers A-Z only: SQLite's lower() does nothing else, and
      PostgreSQL's does nothing else under the "C" collation, whatever the database's locale.
    - created_at, updated_at: the aware-UTC columns, compared with bound datetimes.
    """
    if name == "name":
        if dialect == "postgresql":
            return records.c.folded.op("->>", return_type=Text())(
                literal_column(f"'{FOLDED_NAME}'")
            )
        return type_coerce(
            func.json_extract(records.c.folded, literal_column(f"'$.{FOLDED_NAME}'")), Text()
        )
    if name == "owner":
        owner = records.c.owner
        return func.lower(collate(owner, "C") if dialect == "postgresql" else owner)
    return records.c[FIELD_COLUMNS[name]]


def _path_literal(text: str, name: str) -> ColumnElement[Any]:
    # The property name is written into the SQL text instead of being bound: SQLite uses an
    # expression index only when the query's expression is the indexed one, and a bound
    # "?" path never equals the literal path in the index (PostgreSQL's planner likewise
    # matches index expressions against constants, not parameters). Inlining is safe
    # because a property name is ^[a-z][a-z0-9_]{0,62}$, checked right here: no quote or
    # other SQL syntax can get through. Values are always bound parameters.
    if not is_valid_property_name(name):
        raise ValueError(f"{name!r} is not a valid property name")
    return literal_column(f"'{text}'")


def _sqlite_expression(
    document: ColumnElement[Any], name: str, property_type: PropertyType
) -> ColumnElement[Any]:
    # json_extract returns JSON numbers as INTEGER/REAL (compared numerically, exactly),
    # JSON booleans as 1/0, and text as TEXT compared bytewise (BINARY), which is code-point
    # order: for the fixed-width date and datetime texts that is time order.
    extracted = func.json_extract(document, _path_literal(f"$.{name}", name))
    return type_coerce(extracted, _sqlalchemy_type(property_type))


def _postgresql_expression(
    document: ColumnElement[Any], name: str, property_type: PropertyType
) -> ColumnElement[Any]:
    text = document.op("->>", return_type=Text())(_path_literal(name, name))
    match property_type:
        case PropertyType.NUMBER:
            # Compared as double precision, like Python floats; integers up to 2^53 (the
            # storage limit) are exact.
            return cast(text, Double())
        case PropertyType.BOOLEAN:
            return cast(text, Boolean())
        case PropertyType.DATE | PropertyType.DATETIME:
            # Byte order, whatever the database's default collation, so that text order
            # stays time order.
            return collate(text, "C")
        case PropertyType.STRING | PropertyType.ENUMERATION:
            # Only compared for (in)equality and substrings: collation does not matter.
            return text


def _sqlalchemy_type(property_type: PropertyType) -> Double[float] | Boolean | Text:
    if property_type is PropertyType.NUMBER:
        return Double()
    if property_type is PropertyType.BOOLEAN:
        return Boolean()
    return Text()
