"""A monthly schedule with both days of the month and month positions ("the 15th and the
last day") runs on the dates of each, each date once: the union of the two rules, with
months, intervals, business days and holidays as they are for each alone."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from itertools import takewhile

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.workflows.problems import file_text
from bot.workflows.schedules import InvalidSchedule, Schedule, parse_schedule

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
UNTIL = date(2029, 12, 31)
LAST_DAY = {"ordinal": "last", "day": "day"}

_ORDINALS = ["first", "second", "third", "fourth", "fifth", "second_to_last", "last"]
_DAYS = ["day", "weekday", "business_day", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def both(*days: int, **more: object) -> Schedule:
    positions = more.pop("month_positions", [LAST_DAY])
    spec = {
        "frequency": "monthly",
        "time": "09:00",
        "timezone": "UTC",
        "month_days": list(days),
        "month_positions": positions,
        **more,
    }
    return parse_schedule(spec, "UTC", NOW).schedule


def dates(schedule: Schedule, after: datetime = NOW) -> list[date]:
    runs: Iterator[date] = (o.at.date() for o in schedule.occurrences_after(after))
    return list(takewhile(lambda day: day <= UNTIL, runs))


def test_the_15th_and_the_last_day_reads_as_one_sentence_and_round_trips() -> None:
    schedule = both(15)
    assert schedule.describe() == "Every month on the 15th and the last day at 09:00 (UTC)"
    assert schedule.to_json() == {
        "frequency": "monthly",
        "time": "09:00",
        "timezone": "UTC",
        "month_days": [15],
        "month_positions": [LAST_DAY],
    }
    assert Schedule.from_json(schedule.to_json()) == schedule


def test_next_runs_are_each_date_of_either_rule_once() -> None:
    schedule = both(15, 31)
    assert dates(schedule)[:6] == [
        date(2026, 12, 15),
        date(2026, 12, 31),  # the 31st and the last day: one run
        date(2027, 1, 15),
        date(2027, 1, 31),
        date(2027, 2, 15),
        date(2027, 2, 28),  # no 31st in February: the last day still runs
    ]


def test_a_day_up_to_the_5th_keeps_its_own_on_so_the_sentence_is_not_the_first_friday() -> None:
    schedule = both(1, month_positions=[{"ordinal": "last", "day": "fri"}])
    assert schedule.describe() == "Every month on the 1st and on the last Friday at 09:00 (UTC)"


def test_business_days_still_skip_public_holidays_beside_days_of_the_month() -> None:
    schedule = both(1, month_positions=[{"ordinal": "first", "day": "business_day"}], holidays="US")
    # 1 January 2027 is a holiday (a Friday): the 1st runs, the first business day is the 4th.
    assert dates(schedule)[:3] == [date(2027, 1, 1), date(2027, 1, 4), date(2027, 2, 1)]
    assert "not counting public holidays in US" in schedule.describe()


def test_a_day_no_month_of_the_schedule_has_warns_that_the_positions_still_run() -> None:
    spec = {
        "frequency": "monthly",
        "time": "09:00",
        "month_days": [30],
        "month_positions": [LAST_DAY],
        "months": [2],
    }
    parsed = parse_schedule(spec, "UTC", NOW)
    assert dates(parsed.schedule)[:2] == [date(2027, 2, 28), date(2028, 2, 29)]
    assert [file_text(warning) for warning in parsed.warnings] == [
        "day 30 does not exist in February: the workflow runs on its other days in that "
        "month, not on a nearby day"
    ]


@st.composite
def _specs(draw: st.DrawFn) -> dict[str, object]:
    positions = draw(
        st.lists(
            st.tuples(st.sampled_from(_ORDINALS), st.sampled_from(_DAYS)),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    spec: dict[str, object] = {
        "frequency": "monthly",
        "time": "09:00",
        "timezone": draw(st.sampled_from(["UTC", "Europe/Paris", "Pacific/Kiritimati"])),
        "month_days": draw(st.lists(st.integers(1, 31), min_size=1, max_size=4, unique=True)),
        "month_positions": [{"ordinal": o, "day": d} for o, d in positions],
        "interval": draw(st.integers(1, 3)),
        "start_date": draw(st.dates(date(2026, 1, 1), date(2027, 6, 30))).isoformat(),
    }
    if draw(st.booleans()):
        spec["months"] = draw(st.lists(st.integers(1, 12), min_size=1, max_size=4, unique=True))
    if any(day == "business_day" for _, day in positions) and draw(st.booleans()):
        spec["holidays"] = draw(st.sampled_from(["US", "DE", "FR"]))
    return spec


@settings(max_examples=200, deadline=None)
@given(_specs())
def test_the_dates_of_both_are_the_two_rules_dates_merged(spec: dict[str, object]) -> None:
    try:
        schedule = parse_schedule(spec, "UTC", NOW).schedule
    except InvalidSchedule:
        return  # e.g. a fifth Monday in months that never have one, and days they lack
    days_only = dataclasses.replace(schedule, month_positions=(), holidays=None)
    positions_only = dataclasses.replace(schedule, month_days=())
    merged = sorted(set(dates(days_only)) | set(dates(positions_only)))
    found = dates(schedule)
    assert found == merged  # in order, each date once
