from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.workflows.vocabulary import PropertyType
from storage.properties import InvalidValue, fitting_types, narrowest, stored_datetime, to_stored


def test_stored_datetimes_are_fixed_width_utc_text_so_text_order_is_time_order() -> None:
    instants = [
        datetime(5, 1, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2026, 3, 8, 7, 30, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 3, 8, 12, 30, 0, 1, tzinfo=UTC),
    ]
    texts = [stored_datetime(instant) for instant in instants]
    assert len({len(text) for text in texts}) == 1
    assert texts == sorted(texts)
    assert texts[0] == "0005-01-01T00:00:00.000000Z"
    assert texts[2] == "2026-03-08T12:30:00.000000Z"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("02134", PropertyType.STRING),
        ("42", PropertyType.NUMBER),
        ("-0.5", PropertyType.NUMBER),
        ("true", PropertyType.BOOLEAN),
        ("2026-02-28", PropertyType.DATE),
        ("2026-02-28T10:00:00+01:00", PropertyType.DATETIME),
        ("2026-02-30", PropertyType.STRING),
    ],
)
def test_inference_picks_the_narrowest_type_a_value_fits(raw: str, expected: PropertyType) -> None:
    assert narrowest(fitting_types(raw)) is expected


@pytest.mark.parametrize(
    ("raw", "property_type", "message"),
    [
        ("nan", PropertyType.NUMBER, "not a number"),
        (2**60, PropertyType.NUMBER, "too large"),
        ("2026-11-27T10:00:00", PropertyType.DATETIME, "no UTC offset"),
        ("maybe", PropertyType.BOOLEAN, "use true or false"),
        ("27/11/2026", PropertyType.DATE, "use YYYY-MM-DD"),
    ],
)
def test_values_that_do_not_fit_say_why(
    raw: object, property_type: PropertyType, message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        to_stored(raw, property_type)
