"""Built-in fields: what every record has besides its properties (id, name, owner, created and
updated dates), usable in criteria and templates like a property, and listed first wherever
properties are chosen."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from bot.workflows.vocabulary import PropertyType
from storage.properties import StoredValue, stored_datetime

ID = "id"
NAME = "name"
OWNER = "owner"
CREATED_AT = "created_at"
UPDATED_AT = "updated_at"

# In the order pickers list them. Each maps to a records column (storage.property_expressions):
# id to the external id, name, owner, created_at and updated_at to their own columns.
BUILT_IN_FIELDS: Mapping[str, PropertyType] = {
    ID: PropertyType.STRING,
    NAME: PropertyType.STRING,
    OWNER: PropertyType.STRING,
    CREATED_AT: PropertyType.DATETIME,
    UPDATED_AT: PropertyType.DATETIME,
}


class TextComparison(StrEnum):
    """How a text field compares with a value."""

    # Full Unicode case folding ("STRASSE" equals "straße"): every text property, and name.
    FOLDED = "folded"
    # As written: the id, which tells records apart exactly as the store does.
    EXACT = "exact"
    # A-Z equals a-z and nothing else, as both databases' lower() compare: owners, which are
    # Slack user ids (upper case) or email addresses (written in any case).
    ASCII_CASE = "ascii_case"


FIELD_TEXT_COMPARISON: Mapping[str, TextComparison] = {
    ID: TextComparison.EXACT,
    NAME: TextComparison.FOLDED,
    OWNER: TextComparison.ASCII_CASE,
}


def is_built_in(name: str) -> bool:
    return name in BUILT_IN_FIELDS


def criteria_fields(properties: Mapping[str, PropertyType]) -> dict[str, PropertyType]:
    """Every name criteria may use for an object type with ``properties``: the built-in fields
    first, in their order, then the properties by name.

    A built-in field always wins over a property of the same name: new properties cannot take
    those names (see built_in_name_problem), and one declared before they were reserved is
    reachable in templates only, as ``{{ properties.NAME }}``.
    """
    own = sorted((n, t) for n, t in properties.items() if n not in BUILT_IN_FIELDS)
    return {**BUILT_IN_FIELDS, **dict(own)}


def property_choices(
    properties: Mapping[str, PropertyType], property_type: PropertyType | None = None
) -> list[tuple[str, PropertyType]]:
    """What a property picker offers, built-in fields first, then the object type's own
    properties by name; only those of ``property_type`` when one is given."""
    return [
        (name, type_)
        for name, type_ in criteria_fields(properties).items()
        if property_type is None or type_ is property_type
    ]


def built_in_name_problem(name: str) -> str | None:
    """Why a new property cannot be called ``name``, or None when it can."""
    if name not in BUILT_IN_FIELDS:
        return None
    return (
        f"{name!r} is a built-in field of every record ({', '.join(BUILT_IN_FIELDS)}), "
        "not a property: choose another name"
    )


def record_values(
    properties: Mapping[str, StoredValue],
    *,
    external_id: str,
    name: str,
    owner: str | None,
    created_at: datetime,
    updated_at: datetime,
) -> dict[str, StoredValue]:
    """A record's values as criteria read them (criteria.matches): its properties and its
    built-in fields in stored form; a field wins over a property of its name."""
    values = {key: value for key, value in properties.items() if key not in BUILT_IN_FIELDS}
    values[ID] = external_id
    values[NAME] = name
    if owner is not None:
        values[OWNER] = owner
    values[CREATED_AT] = stored_datetime(created_at)
    values[UPDATED_AT] = stored_datetime(updated_at)
    return values
