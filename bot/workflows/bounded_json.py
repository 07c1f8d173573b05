"""JSON that people type or hand over in files (criteria, schedule specs), decoded within limits:
its size, how deeply it nests, and numbers that are finite.

The standard decoder does the parsing; this module only bounds it. Deep nesting is measured on
the decoded value without recursion, and a value too deep for the decoder itself (which
recurses, and stops at the interpreter's recursion limit) is reported with the same sentence.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_JSON_CHARS = 1_000_000
# Criteria are 6 levels deep at most (criteria, groups, group, filters, filter, a list of
# values) and schedules 2: far deeper is a mistake, or an attempt to exhaust the stack.
MAX_JSON_DEPTH = 32


class InvalidJSON(ValueError):
    """JSON beyond the limits; the message says what is wrong and what to do, and reads as
    the rest of a sentence that starts with the name of what was read ("--criteria ...")."""


def load_json(text: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The value of JSON ``text``, typed as json.loads types it.

    Raises json.JSONDecodeError for text that is not JSON, and InvalidJSON for text longer
    than MAX_JSON_CHARS, nested deeper than ``max_depth`` (an object or array is one level),
    or holding NaN, Infinity, a number too large for a float (such as 1e400) or an integer
    of thousands of digits."""
    if len(text) > MAX_JSON_CHARS:
        raise InvalidJSON(
            f"is {len(text):,} characters long, more than the {MAX_JSON_CHARS:,} allowed"
        )
    try:
        value = json.loads(
            text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_whole
        )
    except RecursionError:
        raise InvalidJSON(_too_deep(max_depth)) from None
    if nested_deeper_than(value, max_depth):
        raise InvalidJSON(_too_deep(max_depth))
    return value


def _finite_float(text: str) -> float:
    # float("1e400") is infinity: neither the number written nor one a database compares.
    number = float(text)
    if not math.isfinite(number):
        raise InvalidJSON(
            f"has the number {_excerpt(text)}, too large to use: numbers must lie within "
            "about ±1.8e308"
        )
    return number


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # Python refuses to read integers of thousands of digits
        raise InvalidJSON(
            f"has a number of {len(text):,} digits ({_excerpt(text)}), too long to read"
        ) from None


def _refuse_constant(name: str) -> object:
    raise InvalidJSON(f"has {name}, which is not a JSON number: write a number or null")


def _too_deep(max_depth: int) -> str:
    return (
        f"is nested more than {max_depth} levels deep (arrays and objects inside each other): "
        "check the brackets"
    )


def nested_deeper_than(value: object, max_depth: int) -> bool:
    """Whether ``value`` nests more than ``max_depth`` arrays and objects (itself the first
    level), walked with a list for a stack so that the check itself cannot run out of stack."""
    pending: list[tuple[dict[object, object] | list[object], int]] = []
    if isinstance(value, dict | list):
        pending.append((value, 1))
    while pending:
        item, depth = pending.pop()
        if depth > max_depth:
            return True
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _excerpt(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
