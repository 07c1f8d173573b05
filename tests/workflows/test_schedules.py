"""Schedules: parsing, validation, descriptions, and occurrences checked against a day-by-day
oracle that shares no code with the module."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import islice, pairwise, takewhile
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.workflows.problems import file_text
from bot.workflows.schedules import (
    InvalidSchedule,
    Occurrence,
    Schedule,
    parse_schedule,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "UTC",
    "America/Santiago",
]
DAY_CODES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ORDINALS = ["first", "second", "third", "fourth", "fifth"]
FROM_THE_END = ["last", "second_to_last"]
# Calendars the oracle reads business days from: (country, subdivision).
CALENDARS = [("US", None), ("US", "CA"), ("GB", "SCT"), ("DE", "BY"), ("FR", None), ("JP", None)]


def parse(spec: dict[str, Any], now: datetime = NOW) -> Schedule:
    return parse_schedule(spec, "UTC", now).schedule


def instants(spec: dict[str, Any], after: datetime, count: int = 5) -> list[str]:
    return [o.at.isoformat() for o in islice(parse(spec).occurrences_after(after), count)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- The oracle: plain date arithmetic, one local calendar day at a time ---------------------


def runs_on(spec: dict[str, Any], day: date) -> bool:
    """Whether the schedule runs on this local calendar day, decided from the spec alone."""
    start = date.fromisoformat(spec["start_date"]) if "start_date" in spec else None
    end = date.fromisoformat(spec["end_date"]) if "end_date" in spec else None
    if (start and day < start) or (end and day > end):
        return False
    anchor = start or date(1970, 1, 5)
    every = spec.get("interval", 1)
    frequency = spec["frequency"]
    if frequency == "once":
        return day == date.fromisoformat(spec["date"])
    if frequency == "daily":
        return (day - anchor).days % every == 0
    if frequency == "weekly":
        monday, anchor_monday = day - timedelta(day.weekday()), anchor - timedelta(anchor.weekday())
        weeks = (monday - anchor_monday).days // 7
        return weeks % every == 0 and DAY_CODES[day.weekday()] in spec["weekdays"]
    if frequency == "monthly":
        months = (day.year - anchor.year) * 12 + day.month - anchor.month
        if months % every:
            return False
        if day.month not in spec.get("months", range(1, 13)):
            return False
        # With both, the dates of each.
        if day.day in spec.get("month_days", ()):
            return True
        calendar = (spec.get("holidays"), spec.get("subdivision"))
        return any(
            day == position_date(day.year, day.month, p["ordinal"], p["day"], calendar)
            for p in spec.get("month_positions", ())
        )
    assert frequency == "annually"
    return (day.year - anchor.year) % every == 0 and (day.month, day.day) == (
        spec["month"],
        spec["day"],
    )


@functools.cache
def position_date(
    year: int, month: int, ordinal: str, day: str, calendar: tuple[str | None, str | None]
) -> date | None:
    """The date a month position names, found by listing the month's days and counting; None
    when the month has too few (a fifth Monday)."""
    first = date(year, month, 1)
    days = [first + timedelta(n) for n in range(31) if (first + timedelta(n)).month == month]
    if day == "weekday":
        days = [d for d in days if d.weekday() < 5]
    elif day == "business_day":
        closed = public_holidays(*calendar, year)
        days = [d for d in days if d.weekday() < 5 and d not in closed]
    elif day != "day":
        days = [d for d in days if DAY_CODES[d.weekday()] == day]
    if ordinal in FROM_THE_END:
        days.reverse()
        ordinal = ORDINALS[FROM_THE_END.index(ordinal)]
    n = ORDINALS.index(ordinal)
    return days[n] if n < len(days) else None


@functools.cache
def public_holidays(country: str | None, subdivision: str | None, year: int) -> frozenset[date]:
    if country is None:
        return frozenset()
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def resolve(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """The instant a local wall time runs at, using only UTC-to-local conversions: an existing
    wall time at its first instant, a missing one shifted forward by the gap's length."""
    digits = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    before = (digits - timedelta(days=1)).astimezone(zone).utcoffset()
    after = (digits + timedelta(days=1)).astimezone(zone).utcoffset()
    assert before is not None and after is not None
    exact = [
        digits - offset
        for offset in {before, after}
        if (digits - offset).astimezone(zone).replace(tzinfo=UTC) == digits
    ]
    if exact:
        return min(exact)
    gap = after - before
    return digits + gap - after


def oracle(spec: dict[str, Any], after: datetime, count: int, last_day: date) -> list[str]:
    """Each day it runs on, its times in the order their instants come (a gap-shifted time
    can pass a later one), keeping only instants later than the last one kept."""
    zone = ZoneInfo(spec["timezone"])
    times = spec["times"] if "times" in spec else [spec["time"]]
    day = after.astimezone(zone).date() - timedelta(days=1)
    found: list[str] = []
    latest = after
    while day < last_day and len(found) < count:
        if runs_on(spec, day):
            runs = sorted(
                (resolve(day, int(text[:2]), int(text[3:]), zone), text) for text in set(times)
            )
            for instant, text in runs:
                if instant > latest:
                    latest = instant
                    found.append(f"{instant.astimezone(zone).isoformat()} {day}T{text}")
        day += timedelta(days=1)
    return found[:count]


# --- Random specs and instants around DST transitions ---------------------------------------


@functools.cache
def transitions() -> list[datetime]:
    """Days (as UTC midnights) on which one of ZONES changes its UTC offset, 2024 to 2031."""
    found = []
    for name in ZONES:
        zone = ZoneInfo(name)
        day = utc(2024, 1, 1)
        offset = day.astimezone(zone).utcoffset()
        while day < utc(2031, 1, 1):
            day += timedelta(days=1)
            if (new := day.astimezone(zone).utcoffset()) != offset:
                found.append(day)
                offset = new
    return found


def around_transitions() -> st.SearchStrategy[datetime]:
    return st.builds(
        lambda t, minutes: t + timedelta(minutes=minutes),
        st.sampled_from(transitions()),
        st.integers(-3 * 24 * 60, 2 * 24 * 60),
    )


afters = st.one_of(
    around_transitions(),
    # hypothesis wants naive bounds and adds the zone itself
    st.datetimes(datetime(2024, 1, 1), datetime(2031, 1, 1), timezones=st.just(UTC)),  # noqa: DTZ001
)
times = st.one_of(
    st.sampled_from(["00:00", "00:30", "01:30", "02:00", "02:15", "02:30", "02:45", "03:00"]),
    st.sampled_from(["03:30", "23:30", "23:59"]),
    st.builds(lambda h, m: f"{h:02}:{m:02}", st.integers(0, 23), st.integers(0, 59)),
)
dates = st.dates(date(2023, 1, 1), date(2031, 12, 31))
positions = st.fixed_dictionaries(
    {
        "ordinal": st.sampled_from([*ORDINALS, *FROM_THE_END]),
        "day": st.sampled_from(["day", "weekday", "business_day", *DAY_CODES]),
    }
)


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"timezone": draw(st.sampled_from(ZONES))}
    if draw(st.booleans()):
        spec["time"] = draw(times)
    else:
        spec["times"] = draw(st.lists(times, min_size=1, max_size=4))
    frequency = draw(st.sampled_from(["once", "daily", "weekly", "monthly", "annually"]))
    spec["frequency"] = frequency
    if frequency == "once":
        spec["date"] = draw(dates).isoformat()
        return spec
    if frequency == "weekly":
        spec["weekdays"] = draw(st.lists(st.sampled_from(DAY_CODES), min_size=1, unique=True))
    elif frequency == "monthly":
        # Days of the month, positions, or both.
        which = draw(st.sampled_from(["days", "positions", "both"]))
        if which != "positions":
            spec["month_days"] = draw(st.lists(st.integers(1, 31), min_size=1, max_size=4))
        if which != "days":
            spec["month_positions"] = draw(st.lists(positions, min_size=1, max_size=3))
        counted = any(p["day"] == "business_day" for p in spec.get("month_positions", ()))
        if counted and draw(st.booleans()):
            country, subdivision = draw(st.sampled_from(CALENDARS))
            spec["holidays"] = country
            if subdivision is not None:
                spec["subdivision"] = subdivision
    if frequency == "monthly" and draw(st.booleans()):
        spec["months"] = draw(st.lists(st.integers(1, 12), min_size=1, max_size=5))
    elif frequency == "annually":
        spec["month"] = month = draw(st.integers(1, 12))
        longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        spec["day"] = draw(st.integers(1, longest))
    if draw(st.booleans()):
        spec["interval"] = draw(st.integers(1, 4))
    start = draw(st.none() | dates)
    if start is not None:
        spec["start_date"] = start.isoformat()
    if draw(st.integers(0, 3)) == 0:
        spec["end_date"] = (
            (start or date(2023, 1, 1)) + draw(st.integers(0, 2000)) * timedelta(1)
        ).isoformat()
    return spec


def shown(occurrences: Iterator[Occurrence], count: int, last_day: date) -> list[str]:
    before_last = takewhile(lambda o: date.fromisoformat(o.key[:10]) < last_day, occurrences)
    return [f"{o.at.isoformat()} {o.key}" for o in islice(before_last, count)]


@settings(max_examples=1000)
@given(spec=specs(), after=afters)
def test_occurrences_match_a_day_by_day_oracle(spec: dict[str, Any], after: datetime) -> None:
    schedule = Schedule.from_json(spec)
    last_day = after.date() + timedelta(days=9 * 366)
    expected = oracle(spec, after, 8, last_day)
    assert shown(schedule.occurrences_after(after), 8, last_day) == expected
    if expected:
        first = schedule.next_after(after)
        assert first is not None and f"{first.at.isoformat()} {first.key}" == expected[0]


@settings(max_examples=150)
@given(spec=specs(), after=afters)
def test_asking_again_after_each_occurrence_gives_the_next(
    spec: dict[str, Any], after: datetime
) -> None:
    schedule = Schedule.from_json(spec)
    occurrences = list(islice(schedule.occurrences_after(after), 4))
    for previous, following in pairwise(occurrences):
        assert schedule.next_after(previous.utc) == following
        # Keys are in order too, except on a day a gap shifts a time past a later one.
        assert previous.utc < following.utc and previous.key != following.key
    for occurrence in occurrences:
        # The same instant. Compared in UTC: Python never calls an ambiguous local time
        # (a repeated fall-back hour) equal to a time in another zone (PEP 495).
        assert occurrence.utc.tzinfo is UTC and occurrence.utc == occurrence.at.astimezone(UTC)
        assert occurrence.at.fold == 0  # a repeated time runs at its first instant
        assert occurrence.at.tzinfo == ZoneInfo(spec["timezone"])
        assert occurrence.key[11:] == f"{occurrence.wall_time:%H:%M}"


# Times around the changes of the zones above: in a gap, just after one, or repeated.
NIGHT_TIMES = ["00:00", "00:30", "01:30", "02:00", "02:15", "02:30", "02:45", "03:00", "03:30"]


@settings(max_examples=300)
@given(
    times=st.lists(st.sampled_from(NIGHT_TIMES), min_size=2, max_size=4, unique=True),
    zone=st.sampled_from(ZONES),
    after=around_transitions(),
)
def test_several_night_times_a_day_match_the_oracle_across_dst_changes(
    times: list[str], zone: str, after: datetime
) -> None:
    # A time shifted by a gap can pass a later time of the same day: both still run, in
    # the order of their instants.
    spec = {"frequency": "daily", "times": times, "timezone": zone}
    last_day = after.date() + timedelta(days=4)
    expected = oracle(spec, after, 12, last_day)
    assert shown(Schedule.from_json(spec).occurrences_after(after), 12, last_day) == expected


def five_years_on(day: date) -> date:
    try:
        return day.replace(year=day.year + 5)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 5, day=28)


@settings(max_examples=200)
@given(spec=specs(), now=afters)
def test_a_schedule_is_refused_exactly_when_the_oracle_finds_no_run_in_5_years(
    spec: dict[str, Any], now: datetime
) -> None:
    today = now.astimezone(ZoneInfo(spec["timezone"])).date()
    last_day = five_years_on(today)
    if "end_date" in spec:
        last_day = min(last_day, date.fromisoformat(spec["end_date"]))
    runs = oracle(spec, now, 1, last_day + timedelta(days=1))
    try:
        parse_schedule(spec, "UTC", now)
    except InvalidSchedule as refused:
        assert not runs, refused.messages
        [field] = refused.by_field
        assert field in spec or field in ("schedule", "interval")
    else:
        assert runs


@settings(max_examples=150)
@given(spec=specs())
def test_to_json_round_trips(spec: dict[str, Any]) -> None:
    schedule = Schedule.from_json(spec)
    assert Schedule.from_json(schedule.to_json()) == schedule
    assert Schedule.from_json(schedule.to_json()).to_json() == schedule.to_json()


# --- Skipped dates ---------------------------------------------------------------------------


def test_a_31st_schedule_skips_february() -> None:
    spec = {"frequency": "monthly", "month_days": [31], "time": "09:00"}
    assert instants(spec, utc(2026, 1, 1)) == [
        "2026-01-31T09:00:00+00:00",
        "2026-03-31T09:00:00+00:00",  # not 28 February, not 3 March
        "2026-05-31T09:00:00+00:00",  # April has 30 days: skipped too
        "2026-07-31T09:00:00+00:00",
        "2026-08-31T09:00:00+00:00",
    ]


def test_a_30th_schedule_skips_only_february() -> None:
    spec = {"frequency": "monthly", "month_days": [30], "time": "09:00"}
    assert instants(spec, utc(2026, 1, 1), 3) == [
        "2026-01-30T09:00:00+00:00",
        "2026-03-30T09:00:00+00:00",
        "2026-04-30T09:00:00+00:00",
    ]


def test_feb_29_runs_only_in_leap_years() -> None:
    spec = {"frequency": "annually", "month": 2, "day": 29, "time": "08:00"}
    assert instants(spec, utc(2026, 1, 1), 3) == [
        "2028-02-29T08:00:00+00:00",
        "2032-02-29T08:00:00+00:00",
        "2036-02-29T08:00:00+00:00",
    ]


def test_a_29th_monthly_schedule_runs_in_february_of_leap_years_only() -> None:
    spec = {"frequency": "monthly", "month_days": [29], "time": "08:00"}
    feb = [i for i in instants(spec, utc(2027, 1, 1), 24) if i[5:7] == "02"]
    assert feb == ["2028-02-29T08:00:00+00:00"]


# --- DST: gaps and folds ---------------------------------------------------------------------


def test_a_wall_time_in_the_spring_forward_gap_runs_shifted_by_the_gap() -> None:
    spec = {"frequency": "daily", "time": "02:30", "timezone": "America/New_York"}
    runs = list(islice(parse(spec).occurrences_after(utc(2026, 3, 7, 12)), 2))
    assert [run.at.isoformat() for run in runs] == [
        "2026-03-08T03:30:00-04:00",
        "2026-03-09T02:30:00-04:00",
    ]
    assert runs[0].utc == utc(2026, 3, 8, 7, 30)
    assert runs[0].key == "2026-03-08T02:30"  # the intended wall time, not the shifted one


def test_lord_howe_shifts_a_gap_wall_time_by_its_30_minute_gap() -> None:
    spec = {"frequency": "daily", "time": "02:15", "timezone": "Australia/Lord_Howe"}
    runs = list(islice(parse(spec).occurrences_after(utc(2026, 10, 3, 0)), 2))
    assert [(run.at.isoformat(), run.key) for run in runs] == [
        ("2026-10-04T02:45:00+11:00", "2026-10-04T02:15"),
        ("2026-10-05T02:15:00+11:00", "2026-10-05T02:15"),
    ]


def test_a_repeated_fall_back_wall_time_runs_once_at_its_first_instant() -> None:
    spec = {"frequency": "daily", "time": "02:30", "timezone": "Europe/Berlin"}
    runs = list(islice(parse(spec).occurrences_after(utc(2026, 10, 24, 12)), 2))
    assert [run.at.isoformat() for run in runs] == [
        "2026-10-25T02:30:00+02:00",
        "2026-10-26T02:30:00+01:00",
    ]
    # Asked between the two 02:30s, the second one is not a run of its own.
    between = parse(spec).next_after(utc(2026, 10, 25, 0, 45))
    assert between is not None and between.key == "2026-10-26T02:30"


def test_a_day_the_zone_skips_does_not_run_twice() -> None:
    # Samoa skipped 30 December 2011: that day's 10:00 shifts onto the 31st's, which runs once.
    spec = {"frequency": "daily", "time": "10:00", "timezone": "Pacific/Apia"}
    runs = list(islice(Schedule.from_json(spec).occurrences_after(utc(2011, 12, 29)), 3))
    assert [(run.at.isoformat(), run.key) for run in runs] == [
        ("2011-12-29T10:00:00-10:00", "2011-12-29T10:00"),
        ("2011-12-31T10:00:00+14:00", "2011-12-30T10:00"),
        ("2012-01-01T10:00:00+14:00", "2012-01-01T10:00"),
    ]


# --- Days of the month and intervals ---------------------------------------------------------


def monthly(*positions: tuple[str, str]) -> dict[str, Any]:
    return {
        "frequency": "monthly",
        "time": "15:00",
        "timezone": "Europe/Paris",
        "month_positions": [{"ordinal": o, "day": d} for o, d in positions],
    }


def test_the_last_weekday_is_the_last_monday_to_friday_day() -> None:
    # May 2026 ends on a Sunday, January 2026 on a Saturday, March on a Tuesday.
    runs = instants(monthly(("last", "weekday")), utc(2026, 1, 1), 5)
    assert [run[:10] for run in runs] == [
        "2026-01-30",
        "2026-02-27",
        "2026-03-31",
        "2026-04-30",
        "2026-05-29",
    ]


def test_the_first_monday_of_the_month() -> None:
    runs = instants(monthly(("first", "mon")), utc(2026, 1, 1), 3)
    assert [run[:10] for run in runs] == ["2026-01-05", "2026-02-02", "2026-03-02"]


def test_the_first_day_is_the_1st_and_the_last_day_follows_the_month_length() -> None:
    runs = instants(monthly(("first", "day"), ("last", "day")), utc(2026, 1, 15), 4)
    assert [run[:10] for run in runs] == ["2026-01-31", "2026-02-01", "2026-02-28", "2026-03-01"]


def test_the_second_weekday_counts_monday_to_friday_days() -> None:
    # August 2026 starts on a Saturday: its Monday-to-Friday days are the 3rd, the 4th, ...
    runs = instants(monthly(("second", "weekday")), utc(2026, 7, 15), 2)
    assert [run[:10] for run in runs] == ["2026-08-04", "2026-09-02"]


def test_a_date_two_positions_share_runs_once() -> None:
    # 1 June 2026 is both the first day and the first Monday.
    runs = instants(monthly(("first", "day"), ("first", "mon")), utc(2026, 5, 15), 3)
    assert [run[:10] for run in runs] == ["2026-06-01", "2026-07-01", "2026-07-06"]


def test_every_2_weeks_counts_monday_to_sunday_weeks_from_start_date() -> None:
    spec = {
        "frequency": "weekly",
        "interval": 2,
        "weekdays": ["mon", "thu"],
        "time": "07:00",
        "timezone": "America/New_York",
        "start_date": "2026-01-07",  # a Wednesday: its week's Monday has passed
    }
    runs = instants(spec, utc(2026, 1, 1), 5)
    assert [run[:10] for run in runs] == [
        "2026-01-08",  # Thursday of the start week
        "2026-01-19",  # two Monday-to-Sunday weeks later
        "2026-01-22",
        "2026-02-02",
        "2026-02-05",
    ]


def test_far_from_its_start_the_interval_keeps_its_phase() -> None:
    spec = {"frequency": "daily", "interval": 3, "time": "06:00", "start_date": "2026-01-02"}
    run = parse(spec).next_after(utc(2036, 6, 1))
    assert run is not None
    assert (run.at.date() - date(2026, 1, 2)).days % 3 == 0
    assert run.at.date() - date(2036, 6, 1) < timedelta(days=3)


def test_without_start_date_the_interval_counts_from_monday_1970_01_05() -> None:
    weekly = {"frequency": "weekly", "interval": 2, "weekdays": ["mon"], "time": "09:00"}
    # 2026-01-05 is 2922 weeks after 1970-01-05: an even number, so it runs that week.
    assert instants(weekly, utc(2026, 1, 1), 2) == [
        "2026-01-05T09:00:00+00:00",
        "2026-01-19T09:00:00+00:00",
    ]
    every_other_year = {
        "frequency": "annually",
        "interval": 2,
        "month": 7,
        "day": 1,
        "time": "09:00",
    }
    assert instants(every_other_year, utc(2026, 1, 1), 2) == [
        "2026-07-01T09:00:00+00:00",  # 1970 + 2 * 28
        "2028-07-01T09:00:00+00:00",
    ]


def test_the_end_date_is_inclusive() -> None:
    spec = {
        "frequency": "daily",
        "time": "09:00",
        "start_date": "2026-01-01",
        "end_date": "2026-06-30",
    }
    assert instants(spec, utc(2026, 6, 28), 5) == [
        "2026-06-28T09:00:00+00:00",
        "2026-06-29T09:00:00+00:00",
        "2026-06-30T09:00:00+00:00",
    ]


def test_nothing_runs_before_the_start_date() -> None:
    spec = {"frequency": "daily", "time": "09:00", "start_date": "2026-03-01"}
    assert instants(spec, utc(2026, 1, 1), 1) == ["2026-03-01T09:00:00+00:00"]


def test_occurrences_are_strictly_after_the_instant_asked_about() -> None:
    schedule = parse({"frequency": "daily", "time": "09:00", "timezone": "Asia/Kolkata"})
    run = schedule.next_after(utc(2026, 2, 1, 3, 30))  # exactly 09:00 in Kolkata
    assert run is not None and run.at.isoformat() == "2026-02-02T09:00:00+05:30"


def test_a_once_schedule_runs_once() -> None:
    spec = {"frequency": "once", "date": "2026-12-24", "time": "10:00", "timezone": "Europe/Berlin"}
    runs = list(parse(spec).occurrences_after(NOW))
    assert [(run.utc, run.key) for run in runs] == [(utc(2026, 12, 24, 9), "2026-12-24T10:00")]
    assert parse(spec).next_after(utc(2026, 12, 24, 9)) is None


def test_a_naive_instant_is_refused() -> None:
    schedule = parse({"frequency": "daily", "time": "09:00"})
    with pytest.raises(ValueError, match="aware"):
        schedule.next_after(datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        parse_schedule({"frequency": "daily", "time": "09:00"}, "UTC", datetime(2026, 1, 1))  # noqa: DTZ001


def test_a_spec_without_timezone_uses_the_default() -> None:
    parsed = parse_schedule({"frequency": "daily", "time": "09:00"}, "Asia/Kolkata", NOW)
    assert parsed.schedule.timezone == "Asia/Kolkata"
    assert parsed.schedule.to_json()["timezone"] == "Asia/Kolkata"


# --- Validation -------------------------------------------------------------------------------


def problems(spec: object, now: datetime = NOW) -> dict[str, str]:
    with pytest.raises(InvalidSchedule) as raised:
        parse_schedule(spec, "UTC", now)  # type: ignore[arg-type]  # a list on purpose
    return raised.value.by_field


DAILY = {"frequency": "daily", "time": "09:00"}


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        ({"frequency": "annually", "month": 2, "day": 30, "time": "09:00"}, "day",
         "February has no day 30: use a day from 1 to 29"),
        ({"frequency": "annually", "month": 4, "day": 31, "time": "09:00"}, "day",
         "April has no day 31: use a day from 1 to 30"),
        ({"frequency": "annually", "month": 13, "day": 1, "time": "09:00"}, "month",
         "13 is not a month: use a number from 1 (January) to 12 (December)"),
        ({**DAILY, "time": "24:00"}, "time",
         "'24:00' is not a time of day: use HH:MM on a 24-hour clock, from 00:00 to 23:59"),
        ({**DAILY, "time": "9:00"}, "time", "'9:00' is not a time of day: use HH:MM"),
        ({"frequency": "daily"}, "time", "missing: use HH:MM"),
        ({**DAILY, "timezone": "Mars/Olympus_Mons"}, "timezone",
         "'Mars/Olympus_Mons' is not an IANA time zone: use a name such as Europe/Paris"),
        ({**DAILY, "timezone": "localtime"}, "timezone", "is not an IANA time zone"),
        ({**DAILY, "start_date": "2026-02-01", "end_date": "2026-01-31"}, "end_date",
         "2026-01-31 is before start_date 2026-02-01: use a date on or after it"),
        ({**DAILY, "start_date": "2026-02-30"}, "start_date",
         "'2026-02-30' is not a date: use YYYY-MM-DD"),
        ({**DAILY, "frequency": "hourly"}, "frequency",
         "'hourly' is not a frequency: use one of once, daily, weekly, monthly or annually"),
        ({"time": "09:00"}, "frequency", "missing: use one of once, daily"),
        ({**DAILY, "weekday": ["mon"]}, "weekday",
         "unknown field: remove it; did you mean weekdays?"),
        ({**DAILY, "weekdays": ["mon"]}, "weekdays",
         "a daily schedule has no weekdays (only weekly ones do): remove it"),
        ({"frequency": "once", "date": "2026-05-01", "time": "09:00", "interval": 2}, "interval",
         "a one-time schedule has no interval"),
        ({"frequency": "annually", "month": 3, "day": 14, "time": "09:00", "months": [1]}, "months",
         "an annual schedule has no months (only monthly ones do): remove it"),
        ({"frequency": "monthly", "time": "09:00"}, "month_days",
         "missing: a monthly schedule needs month_days (e.g. [1, 15]) or month_positions"),
        ({"frequency": "monthly", "time": "09:00", "month_days": [0, 15]}, "month_days",
         "[0, 15] is not a list of days of the month: use a non-empty list of numbers from 1"),
        ({"frequency": "monthly", "time": "09:00", "month_days": []}, "month_days", "empty: use"),
        ({"frequency": "monthly", "time": "09:00",
          "month_positions": [{"ordinal": "sixth", "day": "mon"}]}, "month_positions",
         '{"ordinal": "sixth", "day": "mon"} is not a month position: use a non-empty list'),
        ({"frequency": "weekly", "time": "09:00", "weekdays": []}, "weekdays",
         'empty: use a non-empty list of mon, tue, wed, thu, fri, sat or sun, e.g. ["mon", "thu"]'),
        ({"frequency": "weekly", "time": "09:00", "weekdays": ["monday"]}, "weekdays",
         '["monday"] is not a list of weekdays'),
        ({**DAILY, "interval": 0}, "interval",
         "0 is not an interval: use a whole number from 1 to 1000 (2 runs every other day)"),
        ({**DAILY, "interval": True}, "interval", "true is not an interval"),
        ({"frequency": "once", "date": "2025-12-24", "time": "10:00"}, "date",
         "2025-12-24 at 10:00 (UTC) has passed: choose a later date"),
        ({"frequency": "once", "date": "2031-06-01", "time": "10:00"}, "date",
         "is more than 5 years away: choose a date before 2031-01-01"),
        ({**DAILY, "start_date": "2031-06-01"}, "start_date",
         "2031-06-01 is more than 5 years away: choose a start date before 2031-01-01"),
        ({**DAILY, "end_date": "2025-12-31"}, "end_date",
         "the schedule never runs from now until 2025-12-31: choose a later end date or remove it"),
        ({"frequency": "annually", "month": 2, "day": 29, "interval": 3, "time": "09:00",
          "start_date": "2029-01-01"}, "interval",
         "the schedule never runs in the next 5 years: choose a shorter interval"),
        ([], "schedule", "must be a JSON object"),
    ],
)  # fmt: skip
def test_each_problem_names_its_field_and_how_to_fix_it(
    spec: object, field: str, message: str
) -> None:
    found = problems(spec)
    assert list(found) == [field]
    assert message in found[field]


def test_every_wrong_field_gets_one_message() -> None:
    spec = {
        "frequency": "weekly",
        "time": "24:00",
        "timezone": "Nowhere",
        "weekdays": [],
        "interval": -1,
        "colour": "red",
        "month": 2,
    }
    with pytest.raises(InvalidSchedule) as raised:
        parse_schedule(spec, "UTC", NOW)
    found = raised.value.by_field
    assert set(found) == {"time", "timezone", "weekdays", "interval", "colour", "month"}
    assert str(raised.value).splitlines() == [f"{f}: {m}" for f, m in found.items()]


def test_a_once_schedule_in_the_past_is_invalid_even_an_hour_ago() -> None:
    spec = {"frequency": "once", "date": "2026-03-01", "time": "09:00", "timezone": "Europe/Paris"}
    assert "has passed" in problems(spec, now=utc(2026, 3, 1, 8, 1))["date"]
    assert parse(spec, now=utc(2026, 3, 1, 7, 59)).on_date == date(2026, 3, 1)


def test_stored_schedules_load_even_when_past() -> None:
    spec = {"frequency": "once", "date": "2020-01-01", "time": "09:00", "timezone": "UTC"}
    assert Schedule.from_json(spec).next_after(NOW) is None
    with pytest.raises(InvalidSchedule) as raised:
        Schedule.from_json({"frequency": "once", "date": "2020-01-01", "time": "09:00"})
    assert raised.value.by_field == {
        "timezone": "missing: use a name such as Europe/Paris or America/New_York"
    }


# --- Warnings ---------------------------------------------------------------------------------


def warnings(**fields: Any) -> tuple[str, ...]:
    """The schedule's warnings in file terms (schedules are read alone: no location)."""
    parsed = parse_schedule({**fields, "time": "09:00"}, "UTC", NOW)
    return tuple(file_text(warning) for warning in parsed.warnings)


def test_a_31st_warns_naming_the_months_it_skips() -> None:
    assert warnings(frequency="monthly", month_days=[31]) == (
        "day 31 does not exist in February, April, June, September and November: "
        "the workflow will not run in those months",
    )


def test_a_29th_warns_about_february_in_non_leap_years() -> None:
    assert warnings(frequency="monthly", month_days=[29]) == (
        "day 29 does not exist in February in non-leap years: "
        "the workflow will not run in that month",
    )


def test_a_30th_warns_about_february() -> None:
    assert warnings(frequency="monthly", month_days=[1, 30]) == (
        "day 30 does not exist in February: the workflow runs on its other days in that month, "
        "not on a nearby day",
    )


def test_a_30th_and_31st_warn_that_only_february_is_skipped_entirely() -> None:
    assert warnings(frequency="monthly", month_days=[30, 31]) == (
        "day 30 does not exist in February: the workflow will not run in that month",
        "day 31 does not exist in February, April, June, September and November: "
        "the workflow runs on its other days in those months, not on a nearby day",
    )


def test_feb_29_every_year_warns_about_leap_years() -> None:
    assert warnings(frequency="annually", month=2, day=29) == (
        "29 February exists only in leap years: the workflow will not run in other years",
    )


def test_days_every_month_has_give_no_warning() -> None:
    assert warnings(frequency="monthly", month_days=[1, 28]) == ()
    assert warnings(frequency="monthly", month_positions=[{"ordinal": "last", "day": "day"}]) == ()


# --- Descriptions and JSON -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "sentence"),
    [
        ({"frequency": "monthly", "month_positions": [{"ordinal": "last", "day": "day"}],
          "time": "15:00", "timezone": "Europe/Paris"},
         "Every month on the last day at 15:00 (Europe/Paris)"),
        ({"frequency": "weekly", "interval": 2, "weekdays": ["thu", "mon"], "time": "07:00",
          "timezone": "America/New_York"},
         "Every 2 weeks on Monday and Thursday at 07:00 (America/New_York)"),
        ({"frequency": "daily", "time": "09:00", "start_date": "2026-01-01",
          "end_date": "2026-06-30"},
         "Every day at 09:00 (UTC) from 2026-01-01 until 2026-06-30"),
        ({"frequency": "once", "date": "2026-12-24", "time": "10:00", "timezone": "Europe/Berlin"},
         "Once on 2026-12-24 at 10:00 (Europe/Berlin)"),
        ({"frequency": "annually", "month": 2, "day": 29, "time": "08:00"},
         "Every year on 29 February at 08:00 (UTC)"),
        ({"frequency": "monthly", "month_days": [22, 1, 2, 3, 11], "time": "08:00"},
         "Every month on the 1st, 2nd, 3rd, 11th and 22nd at 08:00 (UTC)"),
        ({"frequency": "monthly", "interval": 3, "time": "08:00",
          "month_positions": [{"ordinal": "last", "day": "weekday"},
                              {"ordinal": "first", "day": "mon"}]},
         "Every 3 months on the first Monday and the last weekday at 08:00 (UTC)"),
        ({"frequency": "daily", "interval": 2, "time": "00:00", "end_date": "2026-02-01"},
         "Every 2 days at 00:00 (UTC) until 2026-02-01"),
    ],
)  # fmt: skip
def test_describe_says_it_in_one_sentence(spec: dict[str, Any], sentence: str) -> None:
    assert parse(spec).describe() == sentence


def test_to_json_is_canonical_and_parses_back_to_the_same_schedule() -> None:
    spec = {
        "time": "07:00",
        "weekdays": ["thu", "mon", "thu"],
        "frequency": "weekly",
        "interval": 1,
        "start_date": "2026-01-07",
    }
    schedule = parse(spec)
    assert schedule.to_json() == {
        "frequency": "weekly",
        "time": "07:00",
        "timezone": "UTC",
        "weekdays": ["mon", "thu"],
        "start_date": "2026-01-07",
    }
    assert parse(schedule.to_json()) == schedule


# --- Several times a day ---------------------------------------------------------------------


def test_several_times_a_day_are_each_an_occurrence_of_their_own() -> None:
    spec = {"frequency": "daily", "times": ["16:00", "09:00"], "timezone": "Europe/Berlin"}
    runs = list(islice(parse(spec).occurrences_after(utc(2026, 3, 2, 9)), 3))
    assert [(run.at.isoformat(), run.key) for run in runs] == [
        ("2026-03-02T16:00:00+01:00", "2026-03-02T16:00"),
        ("2026-03-03T09:00:00+01:00", "2026-03-03T09:00"),
        ("2026-03-03T16:00:00+01:00", "2026-03-03T16:00"),
    ]


def test_a_time_the_gap_shifts_past_a_later_time_runs_after_it() -> None:
    # 8 March 2026 in New York: 02:30 does not exist and runs at 03:30, after 03:00.
    spec = {"frequency": "daily", "times": ["02:30", "03:00"], "timezone": "America/New_York"}
    runs = list(islice(parse(spec).occurrences_after(utc(2026, 3, 8, 5)), 3))
    assert [(run.at.isoformat(), run.key) for run in runs] == [
        ("2026-03-08T03:00:00-04:00", "2026-03-08T03:00"),
        ("2026-03-08T03:30:00-04:00", "2026-03-08T02:30"),
        ("2026-03-09T02:30:00-04:00", "2026-03-09T02:30"),
    ]


def test_a_time_the_gap_shifts_onto_another_runs_once() -> None:
    spec = {"frequency": "daily", "times": ["02:30", "03:30"], "timezone": "America/New_York"}
    runs = list(islice(parse(spec).occurrences_after(utc(2026, 3, 8, 5)), 2))
    assert [(run.at.isoformat(), run.key) for run in runs] == [
        ("2026-03-08T03:30:00-04:00", "2026-03-08T02:30"),
        ("2026-03-09T02:30:00-04:00", "2026-03-09T02:30"),
    ]


def test_each_time_of_a_fall_back_night_runs_at_its_first_instant() -> None:
    spec = {"frequency": "daily", "times": ["02:15", "02:45"], "timezone": "Europe/Berlin"}
    runs = list(islice(parse(spec).occurrences_after(utc(2026, 10, 24, 12)), 3))
    assert [run.at.isoformat() for run in runs] == [
        "2026-10-25T02:15:00+02:00",
        "2026-10-25T02:45:00+02:00",
        "2026-10-26T02:15:00+01:00",
    ]


def test_one_time_is_written_as_time_and_several_as_sorted_times() -> None:
    one = parse({"frequency": "daily", "times": ["09:00", "09:00"]})
    assert one.to_json() == {"frequency": "daily", "time": "09:00", "timezone": "UTC"}
    several = parse({"frequency": "daily", "times": ["16:00", "09:00"]})
    assert several.to_json() == {
        "frequency": "daily",
        "times": ["09:00", "16:00"],
        "timezone": "UTC",
    }
    assert Schedule.from_json(several.to_json()) == several


def test_a_deferred_occurrence_keeps_its_own_time() -> None:
    schedule = parse({"frequency": "daily", "times": ["09:00", "16:00"]})
    second = list(islice(schedule.occurrences_after(utc(2026, 5, 1)), 2))[1]
    assert schedule.instant_on(date(2026, 5, 4), second.wall_time) == utc(2026, 5, 4, 16)


# --- Chosen months, business days and more ordinals ------------------------------------------


def days_of(spec: dict[str, Any], after: datetime, count: int) -> list[str]:
    return [run[:10] for run in instants(spec, after, count)]


def test_quarterly_runs_only_in_the_chosen_months() -> None:
    spec = {"frequency": "monthly", "month_days": [1], "months": [10, 1, 7, 4], "time": "09:00"}
    assert days_of(spec, utc(2026, 2, 1), 4) == [
        "2026-04-01",
        "2026-07-01",
        "2026-10-01",
        "2027-01-01",
    ]


def test_business_days_skip_the_public_holidays_of_the_schedule_country() -> None:
    # 1 January 2027 is a Friday and New Year's Day: the first business day is Monday the 4th.
    spec = {
        "frequency": "monthly",
        "time": "09:00",
        "month_positions": [{"ordinal": "first", "day": "business_day"}],
    }
    assert days_of(spec, utc(2026, 12, 15), 1) == ["2027-01-01"]
    assert days_of({**spec, "holidays": "US"}, utc(2026, 12, 15), 1) == ["2027-01-04"]


def test_a_subdivision_adds_its_own_holidays() -> None:
    # 2 January 2026 is a bank holiday in Scotland only; the 1st is one everywhere in the UK.
    spec = {
        "frequency": "monthly",
        "time": "09:00",
        "months": [1],
        "holidays": "GB",
        "month_positions": [{"ordinal": "first", "day": "business_day"}],
    }
    assert days_of(spec, utc(2025, 12, 1), 1) == ["2026-01-02"]
    assert days_of({**spec, "subdivision": "SCT"}, utc(2025, 12, 1), 1) == ["2026-01-05"]


def test_the_last_business_day_steps_back_over_a_holiday() -> None:
    # 31 December 2027 is a Friday and the observed New Year's Day 2028 in the US.
    spec = {
        "frequency": "monthly",
        "time": "09:00",
        "holidays": "US",
        "months": [12],
        "month_positions": [{"ordinal": "last", "day": "business_day"}],
    }
    assert days_of(spec, utc(2027, 1, 1), 1) == ["2027-12-30"]


def test_the_fifth_business_day_counts_past_holidays() -> None:
    # May 2026 in France: 1 May (Fri) and 8 May (Fri) are holidays.
    spec = {
        "frequency": "monthly",
        "time": "09:00",
        "holidays": "FR",
        "month_positions": [{"ordinal": "fifth", "day": "business_day"}],
    }
    assert days_of(spec, utc(2026, 4, 30), 1) == ["2026-05-11"]


def test_a_fifth_monday_runs_only_in_months_that_have_one() -> None:
    runs = days_of(monthly(("fifth", "mon")), utc(2026, 1, 1), 4)
    assert runs == ["2026-03-30", "2026-06-29", "2026-08-31", "2026-11-30"]


def test_second_to_last_counts_from_the_end() -> None:
    runs = days_of(
        monthly(("second_to_last", "fri"), ("second_to_last", "day")), utc(2026, 2, 1), 3
    )
    assert runs == ["2026-02-20", "2026-02-27", "2026-03-20"]


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        ({**DAILY, "times": ["10:00"]}, "times",
         "a schedule has time or times, not both: remove one"),
        ({"frequency": "daily", "times": []}, "times",
         'empty: use a non-empty list such as ["09:00", "16:00"]'),
        ({"frequency": "daily", "times": ["09:00", "25:00"]}, "times",
         "'25:00' is not a time of day: use HH:MM on a 24-hour clock"),
        ({"frequency": "daily", "times": [f"{h:02}:30" for h in range(25 - 1)] + ["23:45"]},
         "times", "25 times a day is more than 24: keep at most 24"),
        ({**DAILY, "months": [1]}, "months",
         "a daily schedule has no months (only monthly ones do): remove it"),
        ({**DAILY, "frequency": "monthly", "month_days": [1], "months": [0]}, "months",
         "[0] is not a list of months: use a non-empty list of numbers from 1 (January) to 12"),
        ({**DAILY, "frequency": "monthly", "month_days": [30], "months": [2]}, "month_days",
         "February has no day 30: choose days up to 29, or other months"),
        ({**DAILY, "frequency": "monthly", "month_days": [31, 30], "months": [2]}, "month_days",
         "February has no day 30 or 31: choose days up to 29, or other months"),
        ({**DAILY, "frequency": "monthly", "month_days": [31], "months": [4, 2]}, "month_days",
         "February and April have no day 31: choose days up to 30, or other months"),
        ({**DAILY, "frequency": "monthly", "month_days": [1], "months": [2], "interval": 3},
         "months",
         "every 3 months counted from January 1970 falls in January, April, July and October, "
         "never in February: choose months among those, another interval or another start_date"),
        ({**DAILY, "frequency": "monthly", "months": [2],
          "month_positions": [{"ordinal": "fifth", "day": "mon"}]}, "month_positions",
         "the fifth Monday never comes in February in the next 5 years: choose other days"),
        ({**DAILY, "frequency": "monthly", "month_days": [30], "months": [1, 2], "interval": 2,
          "start_date": "2026-02-01"}, "month_days",
         "every 2 months counted from February 2026 falls in February (not January), and "
         "February has no day 30: choose days up to 29, or other months"),
        ({**DAILY, "frequency": "monthly", "month_days": [30], "months": [2],
          "end_date": "2027-06-30"}, "month_days", "February has no day 30: choose days up to 29"),
        ({**DAILY, "frequency": "monthly", "month_days": [1], "months": [3], "interval": 1000,
          "start_date": "2026-04-01"}, "months",
         "every 1000 months counted from April 2026 falls in April, August and December, never "
         "in March"),
        ({**DAILY, "frequency": "monthly", "holidays": "ZZ",
          "month_positions": [{"ordinal": "last", "day": "business_day"}]}, "holidays",
         "'ZZ' is not a country with a holiday calendar: use a two-letter ISO country code"),
        ({**DAILY, "frequency": "monthly", "holidays": "US", "subdivision": "XX",
          "month_positions": [{"ordinal": "last", "day": "business_day"}]}, "subdivision",
         "'XX' is not a subdivision of US: use one of AK, AL,"),
        ({**DAILY, "frequency": "monthly", "subdivision": "CA",
          "month_positions": [{"ordinal": "last", "day": "business_day"}]}, "subdivision",
         'needs holidays, the country it belongs to, e.g. "holidays": "US"'),
        ({**DAILY, "frequency": "monthly", "holidays": "US", "month_days": [1]}, "holidays",
         "says which days are business days, and no month position counts them"),
    ],
)  # fmt: skip
def test_each_new_field_problem_names_its_field_and_how_to_fix_it(
    spec: object, field: str, message: str
) -> None:
    found = problems(spec)
    assert list(found) == [field]
    assert message in found[field]


def test_a_fifth_monday_in_february_is_accepted_when_one_comes_within_5_years() -> None:
    # February 2044 starts on a Monday in a leap year: it has five Mondays.
    spec = {
        **DAILY,
        "frequency": "monthly",
        "months": [2],
        "month_positions": [{"ordinal": "fifth", "day": "mon"}],
    }
    run = parse(spec, now=utc(2040, 1, 1)).next_after(utc(2040, 1, 1))
    assert run is not None and run.key == "2044-02-29T09:00"


def test_a_fifth_weekday_warns_that_some_months_lack_it() -> None:
    fifth = {"ordinal": "fifth", "day": "fri"}
    assert warnings(frequency="monthly", month_positions=[fifth]) == (
        "only some months have a fifth Friday: the workflow will not run in the others",
    )
    first = {"ordinal": "first", "day": "day"}
    assert warnings(frequency="monthly", month_positions=[first, fifth]) == (
        "only some months have a fifth Friday: the workflow runs on its other days in the "
        "others, not on a nearby day",
    )
    assert warnings(frequency="monthly", month_positions=[{**fifth, "day": "business_day"}]) == ()


def test_month_day_warnings_name_only_the_chosen_months() -> None:
    assert warnings(frequency="monthly", month_days=[31], months=[1, 4, 7, 10]) == (
        "day 31 does not exist in April: the workflow will not run in that month",
    )


@pytest.mark.parametrize(
    ("spec", "sentence"),
    [
        ({"frequency": "daily", "times": ["16:00", "09:00", "12:30"]},
         "Every day at 09:00, 12:30 and 16:00 (UTC)"),
        ({"frequency": "monthly", "month_positions": [{"ordinal": "last", "day": "business_day"}],
          "time": "09:00"},
         "Every month on the last business day at 09:00 (UTC)"),
        ({"frequency": "monthly", "month_days": [1], "months": [10, 1, 4, 7], "time": "09:00"},
         "Every month in January, April, July and October on the 1st at 09:00 (UTC)"),
        ({"frequency": "monthly", "holidays": "US", "subdivision": "CA",
          "times": ["09:00", "16:00"],
          "month_positions": [{"ordinal": "fifth", "day": "business_day"},
                              {"ordinal": "second_to_last", "day": "fri"}]},
         "Every month on the fifth business day and the second to last Friday (not counting "
         "public holidays in US-CA) at 09:00 and 16:00 (UTC)"),
        ({"frequency": "once", "date": "2026-12-24", "times": ["10:00", "15:00"]},
         "Once on 2026-12-24 at 10:00 and 15:00 (UTC)"),
    ],
)  # fmt: skip
def test_describe_says_times_months_and_business_days(spec: dict[str, Any], sentence: str) -> None:
    assert parse(spec).describe() == sentence
