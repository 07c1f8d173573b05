"""Typed record properties: their names and how each value of a type is stored (the types
themselves, ``PropertyType``, are the domain's, in ``bot.workflows.vocabulary``).

Every value is stored in a canonical JSON form that both databases compare the same way as
Python does: numbers as JSON numbers, booleans as JSON booleans, dates as ``YYYY-MM-DD``,
datetimes as fixed-width UTC text (so text order is time order), strings as given. String and
enumeration values get a second, case-folded copy so that case-insensitive comparison is one
indexable SQL expression with identical results on SQLite, PostgreSQL and in Python.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime

from bot.workflows.vocabulary import PropertyType

PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_EXACT_NUMBER = 2**53  # beyond this a float (PostgreSQL double precision) loses integers
StoredValue = str | int | float | bool


class InvalidValue(ValueError):
    """A value that cannot be stored as the property's type; the message says why."""


def is_valid_property_name(name: str) -> bool:
    return PROPERTY_NAME.fullmatch(name) is not None


def normalize_property_name(header: str) -> str:
    """Turns a column header such as ``Close Date`` into the property name ``close_date``."""
    return re.sub(r"[\s\-./]+", "_", header.strip()).lower()


def fold(text: str) -> str:
    """The case-insensitive form of a string: full Unicode case folding (``ß`` == ``SS``)."""
    return text.casefold()


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """``text`` with A-Z turned into a-z and nothing else: what SQLite's lower() does, and
    PostgreSQL's under the "C" collation, so that the three compare alike."""
    return text.translate(_ASCII_LOWER)


_BOOLEAN_WORDS = {"true": True, "false": False, "yes": True, "no": False}
_NUMBER_TEXT = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$")


def parse_number(raw: object) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidValue(f"{raw!r} is not a number")
    if isinstance(raw, str):
        # A leading zero ("02134") means an identifier such as a postal code, not a number.
        if _NUMBER_TEXT.fullmatch(raw.strip()) is None:
            raise InvalidValue(f"{raw!r} is not a number")
        text = raw.strip()
        number: int | float = int(text) if text.lstrip("-").isdigit() else float(text)
    else:
        number = raw
    if isinstance(number, float) and not math.isfinite(number):
        raise InvalidValue(f"{raw!r} is not a finite number")
    if abs(number) > MAX_EXACT_NUMBER:
        raise InvalidValue(
            f"{raw!r} is too large to compare exactly (limit ±2^53); store it as text"
        )
    if isinstance(number, float) and number.is_integer() and abs(number) < MAX_EXACT_NUMBER:
        return int(number)
    return number


def parse_boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _BOOLEAN_WORDS:
        return _BOOLEAN_WORDS[raw.strip().lower()]
    raise InvalidValue(f"{raw!r} is not a boolean (use true or false)")


def parse_date(raw: object) -> date:
    if isinstance(raw, datetime):
        raise InvalidValue(f"{raw!r} is a datetime, not a date")
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError as exc:
            raise InvalidValue(f"{raw!r} is not a real date ({exc})") from None
    raise InvalidValue(f"{raw!r} is not a date (use YYYY-MM-DD)")


def parse_datetime(raw: object) -> datetime:
    if isinstance(raw, datetime):
        parsed = raw
    elif isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*", raw.strip()):
        try:
            parsed = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise InvalidValue(f"{raw!r} is not a datetime (use ISO 8601)") from None
    else:
        raise InvalidValue(f"{raw!r} is not a datetime (use ISO 8601 with a UTC offset)")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidValue(f"{raw!r} has no UTC offset (add Z or +HH:MM)")
    return parsed.astimezone(UTC)


def parse_text(raw: object) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InvalidValue(f"{raw!r} is not text")
    return str(raw)


def _stored_date(raw: object) -> str:
    return parse_date(raw).isoformat()


def stored_datetime(instant: datetime) -> str:
    """The fixed-width UTC text of an aware instant, e.g. ``2026-11-27T09:00:00.000000Z``.

    isoformat pads years below 1000 to four digits, which strftime("%Y") does not on every
    platform: fixed width is what keeps text order equal to time order.
    """
    return instant.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _stored_datetime(raw: object) -> str:
    return stored_datetime(parse_datetime(raw))


_CONVERTERS: dict[PropertyType, Callable[[object], StoredValue]] = {
    PropertyType.NUMBER: parse_number,
    PropertyType.BOOLEAN: parse_boolean,
    PropertyType.DATE: _stored_date,
    PropertyType.DATETIME: _stored_datetime,
    PropertyType.STRING: parse_text,
    PropertyType.ENUMERATION: parse_text,
}


def converter(property_type: PropertyType) -> Callable[[object], StoredValue]:
    """The conversion ``to_stored`` applies for one type: for converting a column of values."""
    return _CONVERTERS[property_type]


def to_stored(raw: object, property_type: PropertyType) -> StoredValue:
    """Converts an input value to its canonical stored form, or raises InvalidValue."""
    return _CONVERTERS[property_type](raw)


# The order in which a column's values are tried when its type is inferred: the narrowest
# type every value fits wins, and text always fits.
INFERENCE_ORDER = (
    PropertyType.BOOLEAN,
    PropertyType.NUMBER,
    PropertyType.DATE,
    PropertyType.DATETIME,
    PropertyType.STRING,
)


def fitting_types(raw: object) -> frozenset[PropertyType]:
    """Every inferable type that ``raw`` can be stored as."""
    fits = set()
    for candidate in INFERENCE_ORDER:
        try:
            to_stored(raw, candidate)
        except InvalidValue:
            continue
        fits.add(candidate)
    return frozenset(fits)


def narrowest(candidates: frozenset[PropertyType]) -> PropertyType:
    return next(t for t in INFERENCE_ORDER if t in candidates)


_TEXT_TYPES = frozenset((PropertyType.STRING, PropertyType.ENUMERATION))
# The key of the record's folded name in ``records.folded``, beside the folded properties: not
# a property name (those start with a letter), so no property can take it.
FOLDED_NAME = "_name"


def folded_copy(
    properties: dict[str, StoredValue], types: dict[str, PropertyType]
) -> dict[str, str]:
    """The case-folded copies of a record's text properties, stored beside the originals."""
    return {
        name: fold(value)
        for name, value in properties.items()
        if isinstance(value, str) and types[name] in _TEXT_TYPES
    }
