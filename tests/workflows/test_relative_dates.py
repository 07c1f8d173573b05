"""Relative dates in criteria: day words, more_than_days_ago / _from_now, and datetimes compared
by their local date in the zone of the instant of evaluation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.workflows.criteria import (
    Filter,
    InvalidCriteria,
    Operator,
    RelativeDay,
    day_start,
    matches,
    parse_criteria,
)
from bot.workflows.vocabulary import PropertyType
from storage.properties import stored_datetime, to_stored

TYPES = {"close_date": PropertyType.DATE, "seen_at": PropertyType.DATETIME}
PARIS = ZoneInfo("Europe/Paris")
# The README's example instant.
NOW = datetime(2026, 12, 6, 8, 0, tzinfo=PARIS)


def one(prop: str, operator: str, value: object) -> dict[str, Any]:
    return {"any": [{"all": [{"property": prop, "operator": operator, "value": value}]}]}


def resolved(prop: str, operator: str, value: object, now: datetime = NOW) -> Filter:
    [group] = parse_criteria(one(prop, operator, value), TYPES).at(now, TYPES).groups
    [the_filter] = group.filters
    return the_filter


def holds(prop: str, operator: str, value: object, stored: str, now: datetime = NOW) -> bool:
    criteria = parse_criteria(one(prop, operator, value), TYPES)
    return matches(criteria, {prop: to_stored(stored, TYPES[prop])}, TYPES, now)


def problems_of(data: object) -> list[str]:
    with pytest.raises(InvalidCriteria) as caught:
        parse_criteria(data, TYPES)
    return caught.value.messages


# --- The README's boundaries, at 2026-12-06 08:00 in Paris ---------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "bound"),
    [
        ("before", "today", Filter("close_date", Operator.BEFORE, "2026-12-06")),
        ("before", "yesterday", Filter("close_date", Operator.BEFORE, "2026-12-05")),
        ("after", "tomorrow", Filter("close_date", Operator.AFTER, "2026-12-07")),
        ("more_than_days_ago", 14, Filter("close_date", Operator.BEFORE, "2026-11-22")),
        ("more_than_days_from_now", 14, Filter("close_date", Operator.AFTER, "2026-12-20")),
        (
            "between",
            ["yesterday", "tomorrow"],
            Filter("close_date", Operator.BETWEEN, ("2026-12-05", "2026-12-07")),
        ),
        (
            "between",
            ["2026-12-01", "today"],
            Filter("close_date", Operator.BETWEEN, ("2026-12-01", "2026-12-06")),
        ),
    ],
)
def test_day_words_and_day_counts_resolve_to_dates_of_the_local_today(
    operator: str, value: object, bound: Filter
) -> None:
    assert resolved("close_date", operator, value) == bound


@pytest.mark.parametrize(
    ("operator", "value", "bound"),
    [
        # Midnight in Paris (UTC+1 in December) is 23:00 UTC the evening before.
        ("before", "today", Filter("seen_at", Operator.BEFORE, "2026-12-05T23:00:00.000000Z")),
        ("after", "today", Filter("seen_at", Operator.GTE, "2026-12-06T23:00:00.000000Z")),
        (
            "more_than_days_ago",
            14,
            Filter("seen_at", Operator.BEFORE, "2026-11-21T23:00:00.000000Z"),
        ),
        (
            "more_than_days_from_now",
            14,
            Filter("seen_at", Operator.GTE, "2026-12-20T23:00:00.000000Z"),
        ),
        (
            "between",
            ["today", "today"],
            Filter(
                "seen_at",
                Operator.BETWEEN,
                ("2026-12-05T23:00:00.000000Z", "2026-12-06T22:59:59.999999Z"),
            ),
        ),
        ("before", "2026-12-01", Filter("seen_at", Operator.BEFORE, "2026-11-30T23:00:00.000000Z")),
        (
            "between",
            ["2026-12-01T12:00:00Z", "yesterday"],
            Filter(
                "seen_at",
                Operator.BETWEEN,
                ("2026-12-01T12:00:00.000000Z", "2026-12-05T22:59:59.999999Z"),
            ),
        ),
    ],
)
def test_a_datetime_compared_with_a_day_is_compared_by_its_local_date(
    operator: str, value: object, bound: Filter
) -> None:
    assert resolved("seen_at", operator, value) == bound


def test_before_today_is_strict_and_after_today_excludes_today() -> None:
    assert holds("close_date", "before", "today", "2026-12-05")
    assert not holds("close_date", "before", "today", "2026-12-06")
    assert not holds("close_date", "after", "today", "2026-12-06")
    assert holds("close_date", "after", "today", "2026-12-07")


def test_more_than_14_days_ago_excludes_the_14th_day_itself() -> None:
    assert holds("close_date", "more_than_days_ago", 14, "2026-11-21")
    assert not holds("close_date", "more_than_days_ago", 14, "2026-11-22")
    assert holds("seen_at", "more_than_days_ago", 14, "2026-11-21T22:59:59.999999Z")
    # 00:00 in Paris on 22 November: 14 days before today's date, not more.
    assert not holds("seen_at", "more_than_days_ago", 14, "2026-11-21T23:00:00Z")


def test_more_than_0_days_from_now_means_after_today() -> None:
    assert not holds("close_date", "more_than_days_from_now", 0, "2026-12-06")
    assert holds("close_date", "more_than_days_from_now", 0, "2026-12-07")


def test_today_is_the_local_date_of_the_instant_in_its_zone() -> None:
    # 08:00 in Paris is 07:00 UTC but still the evening of the 5th in Los Angeles.
    los_angeles = NOW.astimezone(ZoneInfo("America/Los_Angeles"))
    assert resolved("close_date", "before", "today", los_angeles).value == "2026-12-05"
    tokyo = datetime(2026, 12, 6, 23, 30, tzinfo=PARIS).astimezone(ZoneInfo("Asia/Tokyo"))
    assert resolved("close_date", "before", "today", tokyo).value == "2026-12-07"


def test_a_day_on_a_dst_change_starts_at_its_local_midnight() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 29 March 2026 lasts 23 hours in Berlin, 25 October 25 hours.
    spring = datetime(2026, 3, 29, 12, 0, tzinfo=berlin)
    assert resolved("seen_at", "between", ["today", "today"], spring).value == (
        "2026-03-28T23:00:00.000000Z",
        "2026-03-29T21:59:59.999999Z",
    )
    autumn = datetime(2026, 10, 25, 12, 0, tzinfo=berlin)
    assert resolved("seen_at", "between", ["today", "today"], autumn).value == (
        "2026-10-24T22:00:00.000000Z",
        "2026-10-25T22:59:59.999999Z",
    )


def test_a_day_whose_midnight_is_skipped_starts_when_the_clocks_resume() -> None:
    # Chile moves from 24:00 to 01:00 on 6 September 2026: that day starts at 01:00 (-03).
    santiago = ZoneInfo("America/Santiago")
    start = day_start(date(2026, 9, 6), santiago)
    assert start == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert start.astimezone(santiago).date() == date(2026, 9, 6)
    assert (start - timedelta(microseconds=1)).astimezone(santiago).date() == date(2026, 9, 5)


ZONES = st.sampled_from(
    [
        "UTC",
        "Europe/Paris",
        "Europe/Berlin",
        "America/New_York",
        "America/Los_Angeles",
        "America/Santiago",
        "America/St_Johns",
        "Asia/Tokyo",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
        "Pacific/Chatham",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
    ]
).map(ZoneInfo)
INSTANTS = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@given(zone=ZONES, instant=INSTANTS, day=st.dates(date(2025, 1, 2), date(2027, 12, 30)))
def test_a_day_starts_at_the_first_instant_of_its_local_date(
    zone: ZoneInfo, instant: datetime, day: date
) -> None:
    assert (instant < day_start(day, zone)) == (instant.astimezone(zone).date() < day)


@given(
    zone=ZONES,
    now=INSTANTS,
    instant=INSTANTS,
    operator=st.sampled_from(["before", "after", "more_than_days_ago", "more_than_days_from_now"]),
    word=st.sampled_from(list(RelativeDay)),
    days=st.integers(0, 400),
)
def test_datetimes_match_as_their_local_dates_do(
    zone: ZoneInfo,
    now: datetime,
    instant: datetime,
    operator: str,
    word: RelativeDay,
    days: int,
) -> None:
    local_now = now.astimezone(zone)
    today, local_day = local_now.date(), instant.astimezone(zone).date()
    value: object
    if operator in ("before", "after"):
        value, day = word.value, today + timedelta(days=word.offset)
    else:
        value = days
        day = today + timedelta(days=-days if operator == "more_than_days_ago" else days)
    expected = local_day < day if operator in ("before", "more_than_days_ago") else local_day > day
    assert holds("seen_at", operator, value, stored_datetime(instant), local_now) is expected


# --- Parsing ------------------------------------------------------------------------------


def test_day_words_are_read_in_any_case_and_written_back_in_lower_case() -> None:
    criteria = parse_criteria(one("close_date", "before", " Today "), TYPES)
    [group] = criteria.groups
    assert group.filters == (Filter("close_date", Operator.BEFORE, RelativeDay.TODAY),)
    assert criteria.to_json() == one("close_date", "before", "today")
    assert parse_criteria(criteria.to_json(), TYPES) == criteria


def test_criteria_with_day_words_export_to_yaml_as_plain_text() -> None:
    criteria = parse_criteria(one("close_date", "between", ["yesterday", "tomorrow"]), TYPES)
    text = yaml.safe_dump(criteria.to_json())
    assert "- yesterday" in text and "!!python" not in text


def test_a_datetime_takes_a_date_or_a_day_word_besides_an_instant() -> None:
    criteria = parse_criteria(one("seen_at", "after", "2026-12-01"), TYPES)
    assert criteria.to_json() == one("seen_at", "after", "2026-12-01")


def test_a_misspelt_day_word_is_refused_with_the_word_it_looks_like() -> None:
    [problem] = problems_of(one("close_date", "before", "tomorow"))
    assert problem.startswith("group 1, filter 1: 'tomorow' is not a date")
    assert '(did you mean "tomorrow"?)' in problem
    assert '"today", "yesterday" or' not in problem
    assert '"yesterday", "today", "tomorrow"' in problem


def test_a_day_word_is_refused_where_only_dates_are_compared() -> None:
    [problem] = problems_of(one("close_date", "gt", "today"))
    assert "'today' is not a date" in problem


def test_a_day_word_on_a_datetime_says_what_the_datetime_takes() -> None:
    [problem] = problems_of(one("seen_at", "before", 5))
    assert problem == (
        "group 1, filter 1: 5 is a number, but datetime property 'seen_at' needs a datetime "
        'with a UTC offset, such as "2026-03-01T09:00:00Z", a date such as "2026-03-01" '
        '(compared with the local date), or "yesterday", "today", "tomorrow"'
    )


def test_reversed_day_words_are_refused_like_reversed_dates() -> None:
    [problem] = problems_of(one("close_date", "between", ["tomorrow", "yesterday"]))
    assert "the bounds are reversed" in problem


def test_bounds_of_different_kinds_are_checked_only_once_resolved() -> None:
    criteria = parse_criteria(one("close_date", "between", ["2100-01-01", "today"]), TYPES)
    assert not matches(criteria, {"close_date": "2100-01-01"}, TYPES, NOW)


@pytest.mark.parametrize("operator", ["more_than_days_ago", "more_than_days_from_now"])
@pytest.mark.parametrize("value", [-1, 1.5, "3", None, 36_601])
def test_day_counts_are_whole_numbers_of_days(operator: str, value: object) -> None:
    [problem] = problems_of(one("close_date", operator, value))
    assert "is not a number of days" in problem


def test_day_counts_do_not_apply_to_numbers() -> None:
    [problem] = problems_of(
        {"any": [{"all": [{"property": "amount", "operator": "more_than_days_ago", "value": 3}]}]}
    )
    assert "unknown property 'amount'" in problem


def test_bounds_past_the_end_of_the_calendar_match_nothing_or_everything() -> None:
    end_of_time = datetime(9999, 12, 31, 12, 0, tzinfo=UTC)
    assert not holds("close_date", "more_than_days_from_now", 36_600, "9999-12-31", end_of_time)
    assert not holds("seen_at", "after", "today", "9999-12-31T23:59:59Z", end_of_time)
    assert holds("seen_at", "before", "2026-01-01", "0001-01-01T00:00:00Z")
    start_of_time = datetime(1, 1, 1, 12, 0, tzinfo=UTC)
    assert not holds("close_date", "more_than_days_ago", 5, "0001-01-01", start_of_time)
