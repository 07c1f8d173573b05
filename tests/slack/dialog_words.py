"""What the dialog's words must not contain: keys of the workflow file, operator codes, and
quoting as files quote (a straight double quote, a value in single quotes)."""

from __future__ import annotations

import re

from bot.workflows.criteria import Operator
from bot.workflows.definitions import ACTION_FIELDS, FIELDS, SETTINGS_FIELDS
from bot.workflows.schedules import KNOWN_FIELDS

# Keys that are not plain English words ("name", "time" and "value" are).
FILE_KEYS = frozenset(
    key
    for key in (
        *FIELDS,
        *SETTINGS_FIELDS,
        *KNOWN_FIELDS,
        *ACTION_FIELDS,
        *(field for fields in ACTION_FIELDS.values() for field in fields),
    )
    if "_" in key
) | {"any", "all"}
# The codes a person never sees: the dialog offers "is equal to", "is any of"...
OPERATOR_CODES = frozenset(
    o.value
    for o in Operator
    if "_" in o.value or o.value in ("eq", "neq", "gt", "gte", "lt", "lte")
)
_FILE_QUOTES = re.compile(r"\"|(?:^|[\s(\[])'[^'\s]")


def file_words_in(text: str) -> list[str]:
    """What in ``text`` belongs to the file's wording, not the dialog's; empty when none."""
    words = set(re.findall(r"[a-z_]+", text))
    found = sorted(words & (FILE_KEYS | OPERATOR_CODES))
    return found + [quote.strip() for quote in _FILE_QUOTES.findall(text)]
