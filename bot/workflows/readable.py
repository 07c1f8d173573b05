"""How counts, instants, values and Slack-formatted text read for people, in one place so
that the command line, the console and error messages say them the same way: "1 workflow"
and "2 workflows", an instant in the workflow's zone with its offset, a value as written in
a file (never a Python repr), actions numbered from 1, Slack mrkdwn as the text was typed.

A leaf module: it imports nothing of the bot, so every domain module may use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from enum import Enum
from zoneinfo import ZoneInfo

# --- Counts -------------------------------------------------------------------------------

_SIBILANT = re.compile(r"(s|x|z|ch|sh)$")
_CONSONANT_Y = re.compile(r"[^aeiou]y$")


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``count`` and ``noun`` in the number it takes: "1 workflow", "0 workflows",
    "1,200 rows", "2 entries". ``plural_form`` is for a noun no rule makes ("people")."""
    return f"{count:,} {noun if count == 1 else (plural_form or plural_of(noun))}"


def plural_of(noun: str) -> str:
    """The regular English plural of the last word of ``noun``: rows, matches, entries."""
    if _CONSONANT_Y.search(noun):
        return noun[:-1] + "ies"
    if _SIBILANT.search(noun):
        return noun + "es"
    return noun + "s"


def is_are(count: int) -> str:
    """The verb that agrees with ``count``: "1 row is", "2 rows are"."""
    return "is" if count == 1 else "are"


# --- Instants -----------------------------------------------------------------------------


def instant_text(instant: datetime | None, zone: tzinfo | str) -> str:
    """``instant`` in ``zone`` (an IANA name or a tzinfo) as ISO 8601 to the second, with
    the zone's offset: ``2026-12-10T07:00:00-05:00``; "none" for None. The one form of an
    instant in the command line's output, so one moment never reads two ways."""
    if instant is None:
        return "none"
    shown_zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    return instant.astimezone(shown_zone).isoformat(timespec="seconds")


# --- Values -------------------------------------------------------------------------------

_SHOWN_CHARS = 60


def listed(items: Iterable[object], word: str = "or") -> str:
    """Items as a sentence lists them: "a", "a or b", "a, b or c" (or "and")."""
    words = [str(item) for item in items]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {word} {words[-1]}"


def shown_value(value: object, limit: int = _SHOWN_CHARS) -> str:
    """A value as it reads in a YAML or JSON file, shortened to ``limit`` characters: text
    quoted ('hourly'), lists and mappings in JSON (["thursday"]), null, true and false, an
    enumeration's value; never a Python repr such as ['thursday'] or <RunStatus.FAILED>."""
    if isinstance(value, Enum):  # a StrEnum is text too: shown as its value, not its repr
        value = value.value
    # Python quotes text as YAML does, and escapes what the terminal would not show.
    text = repr(value) if isinstance(value, str) else json.dumps(_plain(value), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plain(value: object) -> object:
    """``value`` made of what JSON writes: enumerations as their values, dates as ISO
    8601, tuples and sets as lists, anything else as its text."""
    if isinstance(value, Enum):
        return _plain(value.value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date):  # a datetime is a date too
        return value.isoformat()
    if isinstance(value, dict):
        return {str(_plain(key)): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_plain(item) for item in items]
    return str(value)


# --- Slack mrkdwn as typed ----------------------------------------------------------------

# Slack's special syntax: <@U123>, <#C123|name>, <!here>, <!subteam^S123|@team>,
# <https://...|label>. A user's own < and > arrive escaped, so every < opens one of these.
_SPECIAL = re.compile(r"<([^<>]*)>")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def mrkdwn_as_typed(text: str) -> str:
    """Slack mrkdwn as a person reads it in a terminal: &amp; &lt; &gt; as & < >, a
    mention as @U123 or #name, a link as "label (https://...)" or its address."""
    pieces = []
    position = 0
    for found in _SPECIAL.finditer(text):
        pieces.append(_unescaped(text[position : found.start()]))
        pieces.append(_special(found[1]))
        position = found.end()
    pieces.append(_unescaped(text[position:]))
    return "".join(pieces)


def _special(inside: str) -> str:
    target, _, label = inside.partition("|")
    label = _unescaped(label)
    if target.startswith("@"):
        return label if label.startswith("@") else f"@{label or target[1:]}"
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!subteam^"):
        return label or f"@{target.removeprefix('!subteam^')}"
    if target.startswith("!date^"):
        return label or target
    if target.startswith("!"):
        return f"@{target[1:]}"  # <!here>, <!channel>, <!everyone>
    address = _unescaped(target)
    return f"{label} ({address})" if label and label != address else address


def _unescaped(text: str) -> str:
    for entity, character in _ENTITIES:
        text = text.replace(entity, character)
    return text
