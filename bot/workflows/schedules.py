"""Workflow schedules: the schedule JSON parsed and validated into a ``Schedule``, which says in
English what it means and computes its next occurrences, with DST gaps and folds resolved."""

from __future__ import annotations

import calendar
import difflib
import heapq
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from typing import Any, Literal, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars
from dateutil import rrule

from bot.workflows.problems import (
    InvalidDocument,
    Problem,
    ProblemCode,
    file_message,
    is_whole_number,
    wrong,
)
from bot.workflows.readable import listed, shown_value

# Where the interval is counted from when a schedule has no start_date: a fixed, documented
# date rather than "whenever the schedule was parsed", so the same JSON always means the same
# runs. 1970-01-05 is a Monday, so "every 2 weeks" counts Monday-to-Sunday weeks from it; months
# count from January 1970 and years from 1970. Give a start_date to choose the phase.
INTERVAL_ANCHOR = date(1970, 1, 5)
MAX_INTERVAL = 1000
HORIZON_YEARS = 5
MAX_TIMES = 24  # runs a day: hourly at most, which is what a business reminder can use

_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Files in the zoneinfo directory that ZoneInfo loads but that name no IANA zone: "localtime"
# is whatever the machine is set to.
_NOT_ZONES = frozenset({"localtime", "posixrules"})


class Frequency(StrEnum):
    ONCE = "once"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    ANNUALLY = "annually"


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class Ordinal(StrEnum):
    FIRST = "first"
    SECOND = "second"
    THIRD = "third"
    FOURTH = "fourth"
    FIFTH = "fifth"
    SECOND_TO_LAST = "second_to_last"
    LAST = "last"


class PositionDay(StrEnum):
    """What a month position counts: days, Monday-to-Friday days, business days (Monday to
    Friday minus the schedule's public holidays), or one day of the week."""

    DAY = "day"
    WEEKDAY = "weekday"
    BUSINESS_DAY = "business_day"
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


WEEKDAYS = tuple(Weekday)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_LONGEST_MONTHS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_ORDINAL_INDEX = {
    Ordinal.FIRST: 1,
    Ordinal.SECOND: 2,
    Ordinal.THIRD: 3,
    Ordinal.FOURTH: 4,
    Ordinal.FIFTH: 5,
    Ordinal.SECOND_TO_LAST: -2,
    Ordinal.LAST: -1,
}
_WORKDAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR)
_UNITS = {
    Frequency.DAILY: "day",
    Frequency.WEEKLY: "week",
    Frequency.MONTHLY: "month",
    Frequency.ANNUALLY: "year",
}
_RRULE_FREQUENCIES: dict[Frequency, Literal[0, 1, 2, 3, 4, 5, 6]] = {
    Frequency.DAILY: rrule.DAILY,
    Frequency.WEEKLY: rrule.WEEKLY,
    Frequency.MONTHLY: rrule.MONTHLY,
    # Every n years runs as every 12n months from the right month: rrule's yearly rules scan
    # all 366 days of each year, which makes them three times slower.
    Frequency.ANNUALLY: rrule.MONTHLY,
}
_MONTHS_PER_PERIOD = {Frequency.ANNUALLY: 12}

_BASE_FIELDS = ("frequency", "time", "times", "timezone")
_REPEAT_FIELDS = ("interval", "start_date", "end_date")
_OWN_FIELDS = {
    Frequency.ONCE: ("date",),
    Frequency.DAILY: (),
    Frequency.WEEKLY: ("weekdays",),
    Frequency.MONTHLY: ("month_days", "month_positions", "months", "holidays", "subdivision"),
    Frequency.ANNUALLY: ("month", "day"),
}
KNOWN_FIELDS = (
    *_BASE_FIELDS,
    *(field for fields in _OWN_FIELDS.values() for field in fields),
    *_REPEAT_FIELDS,
)


class InvalidSchedule(InvalidDocument):
    """A schedule that cannot be used: one Problem per wrong field, located by the field
    (a problem of the whole schedule has an empty location)."""

    @property
    def by_field(self) -> dict[str, str]:
        """Each wrong field's problem in file terms ("schedule" for the whole schedule)."""
        return {str(p.field or "schedule"): file_message(p) for p in self.problems}

    @property
    def messages(self) -> list[str]:
        return [f"{field}: {message}" for field, message in self.by_field.items()]


@dataclass(frozen=True)
class MonthPosition:
    ordinal: Ordinal
    day: PositionDay

    def describe(self) -> str:
        ordinal = self.ordinal.value.replace("_", " ")
        if self.day in (PositionDay.DAY, PositionDay.WEEKDAY, PositionDay.BUSINESS_DAY):
            return f"the {ordinal} {self.day.value.replace('_', ' ')}"
        return f"the {ordinal} {DAY_NAMES[WEEKDAYS.index(Weekday(self.day))]}"

    def to_json(self) -> dict[str, str]:
        return {"ordinal": self.ordinal.value, "day": self.day.value}

    def _sort_key(self) -> tuple[int, int]:
        return list(Ordinal).index(self.ordinal), list(PositionDay).index(self.day)


@dataclass(frozen=True)
class Occurrence:
    """One run: ``at`` is the instant in the schedule's zone, ``utc`` the same instant in UTC,
    and ``key`` the intended local wall time ("YYYY-MM-DDTHH:MM", before any DST-gap shift),
    unique per schedule, so the engine can use it to run each occurrence once (each time of a
    several-times-a-day schedule is an occurrence of its own)."""

    at: datetime
    utc: datetime
    key: str

    @property
    def wall_time(self) -> time:
        """The intended time of day, e.g. to run a deferred occurrence at its own time."""
        return time.fromisoformat(self.key[11:])


@dataclass(frozen=True)
class Schedule:
    """A valid schedule. Build it with ``parse_schedule`` or ``Schedule.from_json``: the
    constructor trusts its arguments. Fields a frequency does not use keep their defaults."""

    frequency: Frequency
    wall_times: tuple[time, ...]  # sorted, without repeats
    timezone: str
    interval: int = 1
    start_date: date | None = None
    end_date: date | None = None
    weekdays: tuple[Weekday, ...] = ()
    month_days: tuple[int, ...] = ()
    month_positions: tuple[MonthPosition, ...] = ()
    months: tuple[int, ...] = ()  # monthly only: the months it runs in, () for all
    holidays: str | None = None  # a country code: its public holidays are not business days
    subdivision: str | None = None  # a subdivision of that country, e.g. CA in the US
    month: int | None = None
    day: int | None = None
    on_date: date | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Schedule:
        """A stored schedule (``to_json``'s output) read back: its fields are checked but, unlike
        ``parse_schedule``, not whether it still runs, so past schedules load too."""
        return _read_schedule(data, default_timezone=None)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances by name

    @property
    def anchor(self) -> date:
        """The date the interval is counted from."""
        return self.start_date or INTERVAL_ANCHOR

    def next_after(self, after: datetime) -> Occurrence | None:
        return next(self.occurrences_after(after), None)

    def has_ended(self, now: datetime) -> bool:
        """Whether its last possible run has passed: a once schedule after its date's last
        time, or a schedule whose end_date's last time is before ``now``."""
        last_day = self.on_date if self.frequency is Frequency.ONCE else self.end_date
        return last_day is not None and self.instant_on(last_day, self.wall_times[-1]) <= now

    def instant_on(self, day: date, wall_time: time | None = None) -> datetime:
        """The UTC instant of ``wall_time`` (by default the first of the schedule's times) on
        ``day``, with the same DST rules as occurrences (a gap shifts forward, a repeated
        time is its first instant)."""
        at = self.wall_times[0] if wall_time is None else wall_time
        return self._wall(day, at).astimezone(UTC)

    def occurrences_after(self, after: datetime) -> Iterator[Occurrence]:
        """Occurrences strictly after the aware instant ``after``, in order, computed lazily."""
        return self._occurrences(after, self.end_date)

    def _occurrences(self, after: datetime, last_day: date | None) -> Iterator[Occurrence]:
        if after.tzinfo is None or after.utcoffset() is None:
            raise ValueError("after must be a timezone-aware datetime")
        zone = self.zone
        # One day early: a wall time in a DST gap just before midnight is shifted past it.
        first_day = after.astimezone(zone).date() - timedelta(days=1)
        previous = after
        clock = {wall_time: f"{wall_time:%H:%M}" for wall_time in self.wall_times}
        for day in self._days(first_day, last_day):
            for instant, wall_time in self._instants_on(day, zone):
                # Runs once: a wall time a gap shifts onto another time of the day, or onto
                # the next day's (a zone skipping a whole day, as Samoa did in 2011).
                if instant <= previous:
                    continue
                previous = instant
                key = f"{day.isoformat()}T{clock[wall_time]}"
                yield Occurrence(at=instant.astimezone(zone), utc=instant, key=key)

    def _instants_on(self, day: date, zone: ZoneInfo) -> list[tuple[datetime, time]]:
        """The day's UTC instants, each with its wall time, in the order they happen: a time
        in a spring-forward gap is shifted past the gap, so it can come after a later time
        (02:30 runs at 03:30, after 03:00); on a tie the earlier wall time is kept."""
        # fold=0 is the first instant of a repeated wall time, and in a gap it uses the
        # offset from before the gap: both are what we want (PEP 495).
        instants = [
            (datetime.combine(day, t, tzinfo=zone).astimezone(UTC), t) for t in self.wall_times
        ]
        return instants if len(instants) == 1 else sorted(instants)

    def _days(self, first_day: date, last_day: date | None) -> Iterator[date]:
        """The local calendar days it runs on, from ``first_day`` to ``last_day``, in order."""
        if self.frequency is Frequency.ONCE:
            assert self.on_date is not None
            if first_day <= self.on_date and (last_day is None or self.on_date <= last_day):
                yield self.on_date
            return
        start = self._period_start(max(first_day, self.anchor))
        previous = None
        for day in self._rule(start, last_day):
            # The first period may begin before start_date (e.g. the Monday of its week),
            # and two month positions may name the same day.
            if (self.start_date is None or day >= self.start_date) and day != previous:
                previous = day
                yield day

    def _wall(self, day: date, wall_time: time) -> datetime:
        return datetime.combine(day, wall_time, tzinfo=self.zone)

    def _period_start(self, day: date) -> date:
        """The first day of the interval period that holds ``day`` (on or after the anchor).

        rrule counts the interval from its dtstart, so starting it here, near the instant
        asked about, keeps the anchor's phase without iterating years of periods.
        """
        anchor, n = self.anchor, self.interval
        if self.frequency is Frequency.DAILY:
            return anchor + timedelta(days=(day - anchor).days // n * n)
        if self.frequency is Frequency.WEEKLY:
            monday = anchor - timedelta(days=anchor.weekday())
            return monday + timedelta(weeks=(day - monday).days // 7 // n * n)
        if self.frequency is Frequency.MONTHLY:
            months = (day.year - anchor.year) * 12 + day.month - anchor.month
            index = anchor.year * 12 + anchor.month - 1 + months // n * n
            return date(index // 12, index % 12 + 1, 1)
        # Annual runs start from the first of their month (see _rule).
        assert self.month is not None
        return date(anchor.year + (day.year - anchor.year) // n * n, self.month, 1)

    def reachable_months(self) -> frozenset[int]:
        """The months a monthly schedule's interval lands on, counted from its anchor (every
        month for an interval of 1; January, April, July and October for 3 without start)."""
        first = self.anchor.month - 1
        return frozenset((first + k * self.interval) % 12 + 1 for k in range(12))

    def _misses_its_months(self) -> bool:
        """Whether a monthly schedule never runs in its months: its interval never lands on
        them, or none of the months it lands on has any of its days."""
        if not self.months:
            return False
        landed = self.reachable_months() & set(self.months)
        if not landed:
            return True
        longest = max(_LONGEST_MONTHS[month - 1] for month in landed)
        return not self.month_positions and bool(self.month_days) and min(self.month_days) > longest

    def _month_days_that_come(self) -> tuple[int, ...]:
        """The month days that some month the schedule lands on has (up to 29 for a
        February-only schedule): rrule would look for one no month has until the year 9999."""
        landed = self.reachable_months() & set(self.months or range(1, 13))
        longest = max((_LONGEST_MONTHS[month - 1] for month in landed), default=0)
        return tuple(day for day in self.month_days if day <= longest)

    def _rule(self, start: date, last_day: date | None) -> Iterator[date]:
        # Days only: the times of day are added by _occurrences. dtstart is aware, so rrule
        # never falls back to its naive "now"; weeks run Monday to Sunday (wkst) for weekly
        # intervals.
        frequency = _RRULE_FREQUENCIES[self.frequency]
        common: dict[str, Any] = {
            "dtstart": datetime.combine(start, time(), tzinfo=UTC),
            "until": None if last_day is None else datetime.combine(last_day, time(), tzinfo=UTC),
            "interval": self.interval * _MONTHS_PER_PERIOD.get(self.frequency, 1),
            "wkst": rrule.MO,
        }
        if self.frequency is Frequency.WEEKLY:
            days = [rrule.weekdays[WEEKDAYS.index(day)] for day in self.weekdays]
            return _dates(rrule.rrule(frequency, byweekday=days, **common))
        if self.frequency is Frequency.ANNUALLY:
            return _dates(rrule.rrule(frequency, bymonthday=self.day, **common))
        if self.frequency is Frequency.MONTHLY:
            if self._misses_its_months():
                return iter(())  # rrule would look for a run until the year 9999
            common["bymonth"] = self.months or None
        if self.month_days and not self.month_positions:
            # bymonthday skips months without the day rather than clamping: what we want.
            return _dates(rrule.rrule(frequency, bymonthday=self.month_days, **common))
        if self.month_positions:
            rules = [self._position_days(position, common) for position in self.month_positions]
            if month_days := self._month_days_that_come():  # both: the union of their dates
                rules.append(_dates(rrule.rrule(frequency, bymonthday=month_days, **common)))
            # Faster than an rruleset; a date two rules share is dropped by _days.
            return rules[0] if len(rules) == 1 else heapq.merge(*rules)
        return _dates(rrule.rrule(frequency, **common))

    def _position_days(self, position: MonthPosition, common: dict[str, Any]) -> Iterator[date]:
        n = _ORDINAL_INDEX[position.ordinal]
        if position.day is PositionDay.DAY:
            return _dates(rrule.rrule(rrule.MONTHLY, bymonthday=n, **common))
        if position.day is PositionDay.WEEKDAY:
            # The nth (or last) of the month's Monday-to-Friday days.
            return _dates(rrule.rrule(rrule.MONTHLY, byweekday=_WORKDAYS, bysetpos=n, **common))
        if position.day is PositionDay.BUSINESS_DAY:
            return self._business_days(n, common["dtstart"].date(), common["until"])
        weekday = rrule.weekdays[WEEKDAYS.index(Weekday(position.day))]
        return _dates(rrule.rrule(rrule.MONTHLY, byweekday=weekday(n), **common))

    def _business_days(self, n: int, start: date, until: datetime | None) -> Iterator[date]:
        """The nth business day (from the end when n < 0) of each month of the interval from
        ``start``, skipping months with fewer business days. rrule cannot skip holidays."""
        index = start.year * 12 + start.month - 1
        while index // 12 <= MAXYEAR:
            year, month = divmod(index, 12)
            if until is not None and date(year, month + 1, 1) > until.date():
                return
            if not self.months or month + 1 in self.months:
                days = business_days(year, month + 1, self.holidays, self.subdivision)
                if -len(days) <= n <= len(days):
                    day = days[n - 1 if n > 0 else n]
                    if day >= start and (until is None or day <= until.date()):
                        yield day
            index += self.interval

    def describe(self) -> str:
        """One English sentence, e.g. "Every 2 weeks on Monday at 07:00 (Europe/Paris)"."""
        times = listed((f"{wall_time:%H:%M}" for wall_time in self.wall_times), "and")
        when = f"at {times} ({self.timezone})"
        if self.frequency is Frequency.ONCE:
            assert self.on_date is not None
            return f"Once on {self.on_date.isoformat()} {when}"
        unit = _UNITS[self.frequency]
        every = f"Every {unit}" if self.interval == 1 else f"Every {self.interval} {unit}s"
        months = (
            "in " + listed((MONTH_NAMES[m - 1] for m in self.months), "and") if self.months else ""
        )
        parts = (every, months, self._days_phrase(), when)
        sentence = " ".join(part for part in parts if part)
        if self.start_date is not None:
            sentence += f" from {self.start_date.isoformat()}"
        if self.end_date is not None:
            sentence += f" until {self.end_date.isoformat()}"
        return sentence

    def _days_phrase(self) -> str:
        if self.frequency is Frequency.WEEKLY:
            return "on " + listed((DAY_NAMES[WEEKDAYS.index(day)] for day in self.weekdays), "and")
        if self.frequency is Frequency.ANNUALLY:
            assert self.month is not None
            return f"on {self.day} {MONTH_NAMES[self.month - 1]}"
        if self.month_days and not self.month_positions:
            return "on the " + listed((_ordinal_number(day) for day in self.month_days), "and")
        if self.month_positions:
            phrase = "on " + listed(
                (position.describe() for position in self.month_positions), "and"
            )
            if self.month_days:
                # Both: "on the 15th and the last day". "The 1st and the last Friday" would
                # read as the first Friday: days up to the 5th keep an "on" of their own.
                days = "on the " + listed((_ordinal_number(day) for day in self.month_days), "and")
                phrase = f"{days} and {phrase if min(self.month_days) <= 5 else phrase[3:]}"
            if self.holidays is not None:
                calendar = "-".join(filter(None, (self.holidays, self.subdivision)))
                phrase += f" (not counting public holidays in {calendar})"
            return phrase
        return ""

    def to_json(self) -> dict[str, Any]:
        """The canonical JSON form; ``Schedule.from_json`` and ``parse_schedule`` read it back.
        One time of day is written as ``time`` (as schedules stored before ``times`` were)."""
        data: dict[str, Any] = {"frequency": self.frequency.value}
        times = [f"{wall_time:%H:%M}" for wall_time in self.wall_times]
        if len(times) == 1:
            data["time"] = times[0]
        else:
            data["times"] = times
        data["timezone"] = self.timezone
        if self.on_date is not None:
            data["date"] = self.on_date.isoformat()
        if self.weekdays:
            data["weekdays"] = [day.value for day in self.weekdays]
        if self.month_days:
            data["month_days"] = list(self.month_days)
        if self.month_positions:
            data["month_positions"] = [position.to_json() for position in self.month_positions]
        if self.months:
            data["months"] = list(self.months)
        if self.holidays is not None:
            data["holidays"] = self.holidays
        if self.subdivision is not None:
            data["subdivision"] = self.subdivision
        if self.month is not None:
            data["month"], data["day"] = self.month, self.day
        if self.interval != 1:
            data["interval"] = self.interval
        if self.start_date is not None:
            data["start_date"] = self.start_date.isoformat()
        if self.end_date is not None:
            data["end_date"] = self.end_date.isoformat()
        return data


def _dates(moments: Iterable[datetime]) -> Iterator[date]:
    return (moment.date() for moment in moments)


@cache
def business_days(
    year: int, month: int, country: str | None, subdivision: str | None = None
) -> tuple[date, ...]:
    """The month's Monday-to-Friday days, minus the public holidays (observed days included)
    of ``country`` (and its ``subdivision``) when given."""
    first = date(year, month, 1)
    days = (first + timedelta(days=n) for n in range(calendar.monthrange(year, month)[1]))
    closed = _public_holidays(country, subdivision, year) if country else frozenset()
    return tuple(day for day in days if day.weekday() < 5 and day not in closed)


@cache
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    # Building a calendar for a year takes milliseconds; every month of it asks again.
    return frozenset(holiday_calendars.country_holidays(country, subdiv=subdivision, years=year))


@cache
def holiday_subdivisions() -> Mapping[str, tuple[str, ...]]:
    """Each country code the holidays package has a calendar for, with its subdivisions."""
    supported = holiday_calendars.list_supported_countries(include_aliases=False)
    return {country: tuple(subdivisions) for country, subdivisions in supported.items()}


@cache
def holiday_subdivision_names(country: str) -> Mapping[str, str]:
    """The subdivisions of a country's holiday calendar by code, each with its name where the
    holidays package gives one (CA: California), else its code."""
    calendar = holiday_calendars.country_holidays(country)
    names: dict[str, str] = {}
    for name, code in getattr(calendar, "subdivisions_aliases", {}).items():
        names.setdefault(code, name)
    return {code: names.get(code, code) for code in holiday_subdivisions()[country]}


def _ordinal_number(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class ParsedSchedule:
    schedule: Schedule
    warnings: tuple[Problem, ...] = ()  # codes of WARNING_CODES, located in the schedule


def parse_schedule(
    data: Mapping[str, object], default_timezone: str, now: datetime, ended_ok: bool = False
) -> ParsedSchedule:
    """Validates a schedule's JSON, raising ``InvalidSchedule`` with one message per wrong
    field; a schedule with no occurrence in the 5 years after ``now`` is wrong too, except,
    with ``ended_ok``, one whose last run has passed (``has_ended``: a workflow file written
    after a ``once`` workflow ran). ``default_timezone`` is used when the JSON has no
    ``timezone``."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    schedule = _read_schedule(data, default_timezone)
    if not (ended_ok and schedule.has_ended(now)):
        _require_an_occurrence(schedule, now)
    return ParsedSchedule(schedule, _warnings(schedule))


def _read_schedule(data: Mapping[str, object], default_timezone: str | None) -> Schedule:
    if not isinstance(data, Mapping):
        tail = ', e.g. {"frequency": "daily", "time": "09:00"}'
        raise InvalidSchedule([Problem((), C.NOT_A_MAPPING, "must be a JSON object", tail)])
    reader = _Reader(data)
    schedule = reader.schedule(default_timezone)
    if reader.problems or schedule is None:
        raise InvalidSchedule(reader.problems.values())
    return schedule


C = ProblemCode


class _Reader:
    """Reads the fields of one schedule's JSON, noting the first problem of each field."""

    def __init__(self, data: Mapping[str, object]) -> None:
        self.data = data
        self.problems: dict[str, Problem] = {}

    def problem(
        self, field: str, code: ProblemCode, head: str, tail: str = "", **params: object
    ) -> None:
        self.problems.setdefault(field, Problem((field,), code, head, tail, params))

    def wrong(
        self,
        field: str,
        value: object,
        expected: str,
        code: ProblemCode,
        tail: str,
        **params: object,
    ) -> None:
        """A field whose value is not what ``expected`` names (see problems.wrong)."""
        self.problems.setdefault(field, wrong((field,), value, expected, code, tail, **params))

    def schedule(self, default_timezone: str | None) -> Schedule | None:
        """The schedule, or None when a field is wrong; every field is read either way, so
        that all problems are reported at once."""
        frequency = self.read_frequency()
        self.check_fields(frequency)
        wall_times = self.read_times()
        timezone = self.read_timezone(default_timezone)
        if frequency is None:
            return None
        fields = self.read_days(frequency)
        if frequency is not Frequency.ONCE:
            fields.update(self.read_repetition(frequency))
        if self.problems or not wall_times or timezone is None:
            return None
        return Schedule(frequency, wall_times, timezone, **fields)

    def read_days(self, frequency: Frequency) -> dict[str, Any]:
        """The fields that say on which days a schedule of this frequency runs."""
        if frequency is Frequency.ONCE:
            return {"on_date": self.read_date("date", required=True)}
        if frequency is Frequency.WEEKLY:
            return {"weekdays": self.read_weekdays()}
        if frequency is Frequency.MONTHLY:
            fields = self.read_month_days_or_positions()
            fields["months"] = self.read_months()
            fields.update(self.read_holidays(fields.get("month_positions", ())))
            return fields
        if frequency is Frequency.ANNUALLY:
            month, day = self.read_month_and_day()
            return {"month": month, "day": day}
        return {}

    def read_repetition(self, frequency: Frequency) -> dict[str, Any]:
        interval = self.read_interval(frequency)
        start_date, end_date = self.read_date("start_date"), self.read_date("end_date")
        if start_date and end_date and end_date < start_date:
            head = f"{end_date} is before start_date {start_date}"
            tail = ": use a date on or after it"
            self.problem("end_date", C.BEFORE_START, head, tail, start=start_date, end=end_date)
        return {"interval": interval, "start_date": start_date, "end_date": end_date}

    def check_fields(self, frequency: Frequency | None) -> None:
        for field in self.data:
            if field not in KNOWN_FIELDS:
                close = difflib.get_close_matches(str(field), KNOWN_FIELDS, n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                tail = f": remove it{hint} (fields: {', '.join(KNOWN_FIELDS)})"
                self.problem(str(field), C.UNKNOWN_FIELD, "unknown field", tail, key=field)
            elif frequency is not None and field not in _fields_of(frequency):
                users = [_ADJECTIVES[f] for f in Frequency if field in _fields_of(f)]
                head = f"{_a_schedule(frequency)} has no {field} (only {listed(users)} ones do)"
                self.problem(field, C.NOT_FOR_FREQUENCY, head, ": remove it", key=field)

    def read_frequency(self) -> Frequency | None:
        value = self.data.get("frequency")
        if isinstance(value, str) and value in list(Frequency):
            return Frequency(value)
        tail = f": use one of {listed(list(Frequency))}"
        self.wrong("frequency", value, "a frequency", C.UNKNOWN_OPTION, tail)
        return None

    def read_times(self) -> tuple[time, ...]:
        """``time`` (one run a day) or ``times`` (several), sorted and without repeats."""
        if "times" not in self.data:
            wall_time = _time_of_day(self.data.get("time"))
            if wall_time is None:
                value = self.data.get("time")
                self.wrong("time", value, "a time of day", C.NOT_A_TIME, f": {_TIME_HELP}")
                return ()
            return (wall_time,)
        if "time" in self.data:
            head = "a schedule has time or times, not both"
            self.problem("times", C.BOTH_GIVEN, head, ": remove one", other="time")
            return ()
        value = self.data["times"]
        if not _non_empty_list(value):
            tail = ': use a non-empty list such as ["09:00", "16:00"]'
            self.wrong("times", value, "a list of times of day", C.NOT_A_LIST, tail)
            return ()
        wall_times = [_time_of_day(item) for item in value]
        if None in wall_times:
            refused = value[wall_times.index(None)]
            self.wrong("times", refused, "a time of day", C.NOT_A_TIME, f": {_TIME_HELP}")
            return ()
        unique = sorted({t for t in wall_times if t is not None})
        if len(unique) > MAX_TIMES:
            head = f"{len(unique)} times a day is more than {MAX_TIMES}"
            tail = f": keep at most {MAX_TIMES}"
            self.problem("times", C.TOO_MANY, head, tail, count=len(unique), limit=MAX_TIMES)
            return ()
        return tuple(unique)

    def read_timezone(self, default: str | None) -> str | None:
        value = self.data.get("timezone", default)
        if isinstance(value, str) and _is_zone(value):
            return value
        tail = ": use a name such as Europe/Paris or America/New_York"
        self.wrong("timezone", value, "an IANA time zone", C.UNKNOWN_OPTION, tail)
        return None

    def read_date(self, field: str, required: bool = False) -> date | None:
        value = self.data.get(field)
        if value is None and not required:
            return None
        if isinstance(value, str) and _DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.wrong(field, value, "a date", C.NOT_A_DATE, ": use YYYY-MM-DD, e.g. 2026-12-24")
        return None

    def read_interval(self, frequency: Frequency) -> int:
        value = self.data.get("interval")
        if value is None:
            return 1
        if is_whole_number(value) and 1 <= value <= MAX_INTERVAL:
            return value
        unit = _UNITS[frequency]
        tail = (
            f": use a whole number from 1 to {MAX_INTERVAL} (2 runs every other {unit}), "
            f"or leave it out for every {unit}"
        )
        code = C.OUT_OF_RANGE if is_whole_number(value) else C.NOT_A_NUMBER
        self.wrong("interval", value, "an interval", code, tail, low=1, high=MAX_INTERVAL)
        return 1

    def read_weekdays(self) -> tuple[Weekday, ...]:
        value = self.data.get("weekdays")
        if _non_empty_list(value) and all(day in WEEKDAYS for day in value):
            return tuple(day for day in WEEKDAYS if day in value)
        tail = f': use a non-empty list of {listed(WEEKDAYS)}, e.g. ["mon", "thu"]'
        self.wrong("weekdays", value, "a list of weekdays", C.UNKNOWN_OPTION, tail)
        return ()

    def read_month_days_or_positions(self) -> dict[str, Any]:
        days, positions = self.data.get("month_days"), self.data.get("month_positions")
        if days is None and positions is None:
            tail = (
                ": a monthly schedule needs month_days (e.g. [1, 15]) or "
                'month_positions (e.g. [{"ordinal": "last", "day": "day"}])'
            )
            self.problem("month_days", C.MISSING, "missing", tail)
            return {}
        # Both: the schedule runs on the dates of each (the 15th and the last day).
        fields: dict[str, Any] = {}
        if days is not None:
            fields["month_days"] = self.read_month_days(days)
        if positions is not None:
            fields["month_positions"] = self.read_month_positions(positions)
        return fields

    def read_month_days(self, value: object) -> tuple[int, ...]:
        if _non_empty_list(value):
            days = [day for day in value if is_whole_number(day) and 1 <= day <= 31]
            if len(days) == len(value):
                return tuple(sorted(set(days)))
        tail = (
            ": use a non-empty list of numbers from 1 to 31, e.g. [1, 15] "
            "(for the last day, use month_positions)"
        )
        self.wrong("month_days", value, "a list of days of the month", C.OUT_OF_RANGE, tail)
        return ()

    def read_month_positions(self, value: object) -> tuple[MonthPosition, ...]:
        if _non_empty_list(value):
            try:
                positions = {_month_position(item) for item in value}
                return tuple(sorted(positions, key=MonthPosition._sort_key))
            except ValueError as error:
                tail = f": {_POSITIONS_HELP}"
                self.problem("month_positions", C.NOT_VALID, str(error), tail)
                return ()
        self.wrong("month_positions", value, "a list", C.NOT_A_LIST, f": {_POSITIONS_HELP}")
        return ()

    def read_months(self) -> tuple[int, ...]:
        value = self.data.get("months")
        if value is None:
            return ()
        if _non_empty_list(value) and all(is_whole_number(m) and 1 <= m <= 12 for m in value):
            return tuple(sorted({m for m in value if is_whole_number(m)}))
        tail = (
            ": use a non-empty list of numbers from 1 (January) to 12 (December), e.g. "
            "[1, 4, 7, 10] for the first month of each quarter, or leave it out for every month"
        )
        self.wrong("months", value, "a list of months", C.OUT_OF_RANGE, tail)
        return ()

    def read_holidays(self, positions: tuple[MonthPosition, ...]) -> dict[str, str | None]:
        """The country (and subdivision) whose public holidays are not business days."""
        country, subdivision = self.data.get("holidays"), self.data.get("subdivision")
        if country is None:
            if subdivision is not None:
                head = "needs holidays, the country it belongs to"
                tail = ', e.g. "holidays": "US"'
                self.problem("subdivision", C.NEEDS_OTHER, head, tail, other="holidays")
            return {}
        calendars = holiday_subdivisions()
        if not (isinstance(country, str) and country in calendars):
            tail = ": use a two-letter ISO country code in capitals, e.g. US, GB or DE"
            expected = "a country with a holiday calendar"
            self.wrong("holidays", country, expected, C.UNKNOWN_OPTION, tail)
            return {}
        counted = any(p.day is PositionDay.BUSINESS_DAY for p in positions)
        if not counted and "month_positions" not in self.problems:
            head = "says which days are business days, and no month position counts them"
            tail = (
                ': use {"day": "business_day"} or remove holidays (to pause runs on public '
                "holidays, use the workflow's settings holidays)"
            )
            self.problem("holidays", C.NOT_COUNTED, head, tail)
        if subdivision is None:
            return {"holidays": country}
        known = calendars[country]
        if not (isinstance(subdivision, str) and subdivision in known):
            tail = f": use one of {listed(known)}" if known else ": remove it"
            expected = f"a subdivision of {country}"
            self.wrong("subdivision", subdivision, expected, C.UNKNOWN_OPTION, tail)
            return {}
        return {"holidays": country, "subdivision": subdivision}

    def read_month_and_day(self) -> tuple[int | None, int | None]:
        month, day = self.data.get("month"), self.data.get("day")
        if not (is_whole_number(month) and 1 <= month <= 12):
            tail = ": use a number from 1 (January) to 12 (December)"
            self.wrong("month", month, "a month", C.OUT_OF_RANGE, tail, low=1, high=12)
            return None, None
        longest = _LONGEST_MONTHS[month - 1]
        if not (is_whole_number(day) and 1 <= day <= longest):
            code = C.MISSING if day is None else C.OUT_OF_RANGE
            tail = f": use a day from 1 to {longest}"
            params = {"low": 1, "high": longest, "month": MONTH_NAMES[month - 1], "value": day}
            self.problem("day", code, _day_problem(day, month), tail, **params)
            return None, None
        return month, day


_TIME_HELP = "use HH:MM on a 24-hour clock, from 00:00 to 23:59 (e.g. 09:30; midnight is 00:00)"


def _time_of_day(value: object) -> time | None:
    if isinstance(value, str) and (match := _TIME.fullmatch(value)):
        return time(int(match[1]), int(match[2]))
    return None


def _day_problem(day: object, month: int) -> str:
    if day is None:
        return "missing"
    if is_whole_number(day) and 1 <= day <= 31:
        return f"{MONTH_NAMES[month - 1]} has no day {day}"
    return f"{shown_value(day)} is not a day of the month"


_POSITIONS_HELP = (
    'use a non-empty list of {"ordinal": ..., "day": ...} with ordinal first, second, third, '
    "fourth, fifth, second_to_last or last and day one of day, weekday (Monday to Friday), "
    "business_day (Monday to Friday except the public holidays of holidays) or mon..sun, "
    'e.g. [{"ordinal": "first", "day": "mon"}]'
)


def _month_position(item: object) -> MonthPosition:
    if not isinstance(item, Mapping) or set(item) != {"ordinal", "day"}:
        raise ValueError(f"{shown_value(item)} is not a month position")
    try:
        return MonthPosition(Ordinal(item["ordinal"]), PositionDay(item["day"]))
    except ValueError:
        raise ValueError(f"{shown_value(item)} is not a month position") from None


def _fields_of(frequency: Frequency) -> tuple[str, ...]:
    repeat = () if frequency is Frequency.ONCE else _REPEAT_FIELDS
    return (*_BASE_FIELDS, *_OWN_FIELDS[frequency], *repeat)


def _is_zone(name: str) -> bool:
    if name in _NOT_ZONES:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _non_empty_list(value: object) -> TypeGuard[list[object]]:
    return isinstance(value, list) and len(value) > 0


# Frequencies as the adjectives English puts before "schedule" ("annually" is an adverb).
_ADJECTIVES = {
    Frequency.ONCE: "one-time",
    Frequency.DAILY: "daily",
    Frequency.WEEKLY: "weekly",
    Frequency.MONTHLY: "monthly",
    Frequency.ANNUALLY: "annual",
}


def _a_schedule(frequency: Frequency) -> str:
    """ "a daily schedule", "an annual schedule" (the article goes by sound: "a one-time")."""
    article = "an" if frequency is Frequency.ANNUALLY else "a"
    return f"{article} {_ADJECTIVES[frequency]} schedule"


def _require_an_occurrence(schedule: Schedule, now: datetime) -> None:
    """Rejects a schedule that would not run in the next 5 years, blaming the likely field."""
    today = now.astimezone(schedule.zone).date()
    horizon = _add_years(today, HORIZON_YEARS)
    last_day = min(horizon, schedule.end_date or horizon)
    if next(schedule._occurrences(now, last_day), None) is None:
        raise InvalidSchedule([_never_runs(schedule, now, horizon)])


def _never_runs(schedule: Schedule, now: datetime, horizon: date) -> Problem:
    """The problem of a schedule without occurrences, blaming the likely field."""
    field, code, head, tail = _never_runs_why(schedule, now, horizon)
    params: dict[str, object] = {"limit": horizon}
    if field == "month_days":
        landed = schedule.reachable_months() & set(schedule.months)
        params["longest"] = max(_LONGEST_MONTHS[m - 1] for m in landed)
    return Problem(() if field == "schedule" else (field,), code, head, tail, params)


def _never_runs_why(
    schedule: Schedule, now: datetime, horizon: date
) -> tuple[str, ProblemCode, str, str]:
    """The field to blame, the code, and the file wording's head and tail."""
    if schedule.frequency is Frequency.ONCE:
        assert schedule.on_date is not None
        times = listed((f"{wall_time:%H:%M}" for wall_time in schedule.wall_times), "and")
        when = f"{schedule.on_date} at {times} ({schedule.timezone})"
        if schedule.instant_on(schedule.on_date, schedule.wall_times[-1]) <= now:
            return "date", C.HAS_PASSED, f"{when} has passed", ": choose a later date"
        head = f"{when} is more than {HORIZON_YEARS} years away"
        return "date", C.TOO_FAR, head, f": choose a date before {horizon}"
    if schedule.start_date is not None and schedule.start_date > horizon:
        head = f"{schedule.start_date} is more than {HORIZON_YEARS} years away"
        return "start_date", C.TOO_FAR, head, f": choose a start date before {horizon}"
    if schedule._misses_its_months():
        return _never_in_months(schedule)
    if schedule.end_date is not None:
        head = f"the schedule never runs from now until {schedule.end_date}"
        return "end_date", C.NEVER_RUNS, head, ": choose a later end date or remove it"
    if schedule.months and schedule.month_positions:
        days = [f"the {_ordinal_number(day)}" for day in schedule.month_days]
        positions = listed([*days, *(p.describe() for p in schedule.month_positions)], "and")
        chosen = listed((MONTH_NAMES[m - 1] for m in schedule.months), "and")
        interval = ", a shorter interval" if schedule.interval > 1 else ""
        head = f"{positions} never comes in {chosen} in the next {HORIZON_YEARS} years"
        return (
            "month_positions",
            C.NEVER_RUNS,
            head,
            f": choose other days{interval} or other months",
        )
    field = "interval" if schedule.interval > 1 else "schedule"
    head = f"the schedule never runs in the next {HORIZON_YEARS} years"
    tail = ": choose a shorter interval, another start_date or other days"
    return field, C.NEVER_RUNS, head, tail


def _never_in_months(schedule: Schedule) -> tuple[str, ProblemCode, str, str]:
    """Why a monthly schedule limited to some months can never run in them."""
    chosen = listed((MONTH_NAMES[m - 1] for m in schedule.months), "and")
    reachable = schedule.reachable_months()
    landed = sorted(reachable & set(schedule.months))
    anchor = f"{MONTH_NAMES[schedule.anchor.month - 1]} {schedule.anchor.year}"
    every = f"every {schedule.interval} months counted from {anchor}"
    if not landed:
        names = listed((MONTH_NAMES[m - 1] for m in sorted(reachable)), "and")
        head = f"{every} falls in {names}, never in {chosen}"
        tail = ": choose months among those, another interval or another start_date"
        return "months", C.NEVER_RUNS, head, tail
    names = listed((MONTH_NAMES[m - 1] for m in landed), "and")
    have = "has" if len(landed) == 1 else "have"
    days = listed(str(day) for day in schedule.month_days)
    longest = max(_LONGEST_MONTHS[m - 1] for m in landed)
    head = f"{names} {have} no day {days}"
    missed = [MONTH_NAMES[m - 1] for m in schedule.months if m not in landed]
    if missed:
        head = f"{every} falls in {names} (not {listed(missed)}), and {head}"
    return "month_days", C.NEVER_RUNS, head, f": choose days up to {longest}, or other months"


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def _warnings(schedule: Schedule) -> tuple[Problem, ...]:
    if schedule.frequency is Frequency.ANNUALLY and (schedule.month, schedule.day) == (2, 29):
        head = "29 February exists only in leap years: the workflow will not run in other years"
        return (Problem((), C.LEAP_DAY_ONLY, head, params={"what": "schedule"}),)
    months = frozenset(schedule.months or range(1, 13))
    return (
        *_month_day_warnings(schedule.month_days, months, bool(schedule.month_positions)),
        *_fifth_warnings(schedule.month_positions, bool(schedule.month_days)),
    )


def _fifth_warnings(positions: tuple[MonthPosition, ...], other_days: bool) -> Iterator[Problem]:
    """A fifth Monday (or Tuesday...) comes in some months only, like the 31st."""
    for position in positions:
        if position.ordinal is Ordinal.FIFTH and position.day in _DAYS_OF_THE_WEEK:
            never = len(positions) == 1 and not other_days
            consequence = (
                "the workflow will not run in the others"
                if never
                else "the workflow runs on its other days in the others, not on a nearby day"
            )
            name = position.describe().removeprefix("the fifth ")
            head = f"only some months have a fifth {name}: {consequence}"
            params = {"day": name, "never": never}
            yield Problem((), C.FIFTH_IN_SOME_MONTHS, head, params=params)


_DAYS_OF_THE_WEEK = frozenset(PositionDay) - {
    PositionDay.DAY,
    PositionDay.WEEKDAY,
    PositionDay.BUSINESS_DAY,
}


# A (month, leap year?) pair: day 29 is missing from February in non-leap years only.
_MonthKind = tuple[int, bool]


def _month_day_warnings(
    month_days: tuple[int, ...], months: frozenset[int], other_days: bool
) -> Iterator[Problem]:
    """One warning per day that some of the schedule's months lack, naming those months, and
    saying whether the workflow then does not run in them at all or only on its other days
    (``other_days``: month positions it also runs on)."""
    lacking = [_months_without(day, months) for day in month_days]
    never = set.intersection(*lacking) if month_days and not other_days else set()
    for day, missing in zip(month_days, lacking, strict=True):
        if not missing:
            continue
        names = _month_kinds_text(missing)
        those = "that month" if _single_month(missing) else "those months"
        if missing <= never:
            consequence = f"the workflow will not run in {those}"
        else:
            consequence = f"the workflow runs on its other days in {those}, not on a nearby day"
        head = f"day {day} does not exist in {names}: {consequence}"
        params = {"day": day, "months": names, "those": those, "never": missing <= never}
        yield Problem((), C.NOT_IN_EVERY_MONTH, head, params=params)


def _months_without(day: int, months: frozenset[int]) -> set[_MonthKind]:
    return {
        (month, leap)
        for month in months
        for leap in (False, True)
        if day > _month_length(month, leap)
    }


def _month_length(month: int, leap: bool) -> int:
    if month == 2:
        return 29 if leap else 28
    return _LONGEST_MONTHS[month - 1]


def _single_month(kinds: set[_MonthKind]) -> bool:
    return len({month for month, _ in kinds}) == 1


def _month_kinds_text(kinds: set[_MonthKind]) -> str:
    names = []
    for month in sorted({month for month, _ in kinds}):
        every_year = (month, True) in kinds and (month, False) in kinds
        suffix = "" if every_year else " in non-leap years"
        names.append(MONTH_NAMES[month - 1] + suffix)
    return listed(names, "and")
