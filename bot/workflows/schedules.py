"""Workflow schedules: the schedule JSON parsed and validated into a ``Schedule``, which says in
English what it means and computes its next occurrences, with DST gaps and folds resolved."""

from __future__ import annotations

import difflib
import heapq
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Literal, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule

from bot.workflows.readable import shown_value

# Where the interval is counted from when a schedule has no start_date: a fixed, documented
# date rather than "whenever the schedule was parsed", so the same JSON always means the same
# runs. 1970-01-05 is a Monday, so "every 2 weeks" counts Monday-to-Sunday weeks from it; months
# count from January 1970 and years from 1970. Give a start_date to choose the phase.
INTERVAL_ANCHOR = date(1970, 1, 5)
MAX_INTERVAL = 1000
HORIZON_YEARS = 5

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
    LAST = "last"


class PositionDay(StrEnum):
    """What a month position counts: days, Monday-to-Friday days, or one day of the week."""

    DAY = "day"
    WEEKDAY = "weekday"
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

_BASE_FIELDS = ("frequency", "time", "timezone")
_REPEAT_FIELDS = ("interval", "start_date", "end_date")
_OWN_FIELDS = {
    Frequency.ONCE: ("date",),
    Frequency.DAILY: (),
    Frequency.WEEKLY: ("weekdays",),
    Frequency.MONTHLY: ("month_days", "month_positions"),
    Frequency.ANNUALLY: ("month", "day"),
}
KNOWN_FIELDS = (
    *_BASE_FIELDS,
    *(field for fields in _OWN_FIELDS.values() for field in fields),
    *_REPEAT_FIELDS,
)


class InvalidSchedule(ValueError):
    """A schedule that cannot be used; ``problems`` maps each wrong field to how to fix it."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("\n".join(self.messages))

    @property
    def messages(self) -> list[str]:
        return [f"{field}: {message}" for field, message in self.problems.items()]


@dataclass(frozen=True)
class MonthPosition:
    ordinal: Ordinal
    day: PositionDay

    def describe(self) -> str:
        if self.day in (PositionDay.DAY, PositionDay.WEEKDAY):
            return f"the {self.ordinal} {self.day}"
        return f"the {self.ordinal} {DAY_NAMES[WEEKDAYS.index(Weekday(self.day))]}"

    def to_json(self) -> dict[str, str]:
        return {"ordinal": self.ordinal.value, "day": self.day.value}

    def _sort_key(self) -> tuple[int, int]:
        return list(Ordinal).index(self.ordinal), list(PositionDay).index(self.day)


@dataclass(frozen=True)
class Occurrence:
    """One run: ``at`` is the instant in the schedule's zone, ``utc`` the same instant in UTC,
    and ``key`` the intended local wall time ("YYYY-MM-DDTHH:MM", before any DST-gap shift),
    unique per schedule, so the engine can use it to run each occurrence once."""

    at: datetime
    utc: datetime
    key: str


@dataclass(frozen=True)
class Schedule:
    """A valid schedule. Build it with ``parse_schedule`` or ``Schedule.from_json``: the
    constructor trusts its arguments. Fields a frequency does not use keep their defaults."""

    frequency: Frequency
    wall_time: time
    timezone: str
    interval: int = 1
    start_date: date | None = None
    end_date: date | None = None
    weekdays: tuple[Weekday, ...] = ()
    month_days: tuple[int, ...] = ()
    month_positions: tuple[MonthPosition, ...] = ()
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

    def instant_on(self, day: date) -> datetime:
        """The UTC instant of the schedule's wall time on ``day``, with the same DST rules as
        occurrences (a gap shifts forward, a repeated time is its first instant)."""
        return self._wall(day).astimezone(UTC)

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
        for wall in self._wall_times(first_day, last_day):
            # fold=0 (what rrule gives) is the first instant of a repeated wall time, and in a
            # gap it uses the offset from before the gap: both are what we want (PEP 495).
            instant = wall.astimezone(UTC)
            # Runs once: a date two month positions share, and a wall time a gap shifts onto
            # the next occurrence (a zone skipping a whole day, as Samoa did in 2011).
            if instant <= previous:
                continue
            previous = instant
            key = f"{wall.date().isoformat()}T{wall:%H:%M}"
            yield Occurrence(at=instant.astimezone(zone), utc=instant, key=key)

    def _wall_times(self, first_day: date, last_day: date | None) -> Iterator[datetime]:
        """The intended local wall times on or after ``first_day``, as aware fold=0 datetimes
        in the schedule's zone; some may not exist (DST gap) or exist twice (fold)."""
        until = None if last_day is None else self._wall(last_day)
        if self.frequency is Frequency.ONCE:
            assert self.on_date is not None
            if first_day <= self.on_date and (last_day is None or self.on_date <= last_day):
                yield self._wall(self.on_date)
            return
        start = self._period_start(max(first_day, self.anchor))
        for wall in self._rule(self._wall(start), until):
            # The first period may begin before start_date (e.g. the Monday of its week).
            if self.start_date is None or wall.date() >= self.start_date:
                yield wall

    def _wall(self, day: date) -> datetime:
        return datetime.combine(day, self.wall_time, tzinfo=self.zone)

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

    def _rule(self, start: datetime, until: datetime | None) -> Iterable[datetime]:
        # dtstart is aware, so rrule never falls back to its naive "now"; hour and minute
        # come from dtstart; weeks run Monday to Sunday (wkst) for weekly intervals.
        frequency = _RRULE_FREQUENCIES[self.frequency]
        common: dict[str, Any] = {
            "dtstart": start,
            "until": until,
            "interval": self.interval * _MONTHS_PER_PERIOD.get(self.frequency, 1),
            "wkst": rrule.MO,
        }
        if self.frequency is Frequency.WEEKLY:
            days = [rrule.weekdays[WEEKDAYS.index(day)] for day in self.weekdays]
            return rrule.rrule(frequency, byweekday=days, **common)
        if self.frequency is Frequency.ANNUALLY:
            return rrule.rrule(frequency, bymonthday=self.day, **common)
        if self.month_days:
            # bymonthday skips months without the day rather than clamping: what we want.
            return rrule.rrule(frequency, bymonthday=self.month_days, **common)
        if self.month_positions:
            rules = [_position_rule(position, common) for position in self.month_positions]
            # Faster than an rruleset; a date two rules share is dropped by _occurrences.
            return rules[0] if len(rules) == 1 else heapq.merge(*rules)
        return rrule.rrule(frequency, **common)

    def describe(self) -> str:
        """One English sentence, e.g. "Every 2 weeks on Monday at 07:00 (Europe/Paris)"."""
        when = f"at {self.wall_time:%H:%M} ({self.timezone})"
        if self.frequency is Frequency.ONCE:
            assert self.on_date is not None
            return f"Once on {self.on_date.isoformat()} {when}"
        unit = _UNITS[self.frequency]
        every = f"Every {unit}" if self.interval == 1 else f"Every {self.interval} {unit}s"
        sentence = " ".join(part for part in (every, self._days_phrase(), when) if part)
        if self.start_date is not None:
            sentence += f" from {self.start_date.isoformat()}"
        if self.end_date is not None:
            sentence += f" until {self.end_date.isoformat()}"
        return sentence

    def _days_phrase(self) -> str:
        if self.frequency is Frequency.WEEKLY:
            return "on " + _and(DAY_NAMES[WEEKDAYS.index(day)] for day in self.weekdays)
        if self.frequency is Frequency.ANNUALLY:
            assert self.month is not None
            return f"on {self.day} {MONTH_NAMES[self.month - 1]}"
        if self.month_days:
            return "on the " + _and(_ordinal_number(day) for day in self.month_days)
        if self.month_positions:
            return "on " + _and(position.describe() for position in self.month_positions)
        return ""

    def to_json(self) -> dict[str, Any]:
        """The canonical JSON form; ``Schedule.from_json`` and ``parse_schedule`` read it back."""
        data: dict[str, Any] = {
            "frequency": self.frequency.value,
            "time": f"{self.wall_time:%H:%M}",
            "timezone": self.timezone,
        }
        if self.on_date is not None:
            data["date"] = self.on_date.isoformat()
        if self.weekdays:
            data["weekdays"] = [day.value for day in self.weekdays]
        if self.month_days:
            data["month_days"] = list(self.month_days)
        if self.month_positions:
            data["month_positions"] = [position.to_json() for position in self.month_positions]
        if self.month is not None:
            data["month"], data["day"] = self.month, self.day
        if self.interval != 1:
            data["interval"] = self.interval
        if self.start_date is not None:
            data["start_date"] = self.start_date.isoformat()
        if self.end_date is not None:
            data["end_date"] = self.end_date.isoformat()
        return data


def _position_rule(position: MonthPosition, common: dict[str, Any]) -> rrule.rrule:
    n = _ORDINAL_INDEX[position.ordinal]
    if position.day is PositionDay.DAY:
        return rrule.rrule(rrule.MONTHLY, bymonthday=n, **common)
    if position.day is PositionDay.WEEKDAY:
        # The nth (or last) of the month's Monday-to-Friday days.
        return rrule.rrule(rrule.MONTHLY, byweekday=_WORKDAYS, bysetpos=n, **common)
    weekday = rrule.weekdays[WEEKDAYS.index(Weekday(position.day))]
    return rrule.rrule(rrule.MONTHLY, byweekday=weekday(n), **common)


def _and(items: Iterable[str]) -> str:
    words = list(items)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _ordinal_number(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class ParsedSchedule:
    schedule: Schedule
    warnings: tuple[str, ...] = ()


def parse_schedule(
    data: Mapping[str, object], default_timezone: str, now: datetime
) -> ParsedSchedule:
    """Validates a schedule's JSON, raising ``InvalidSchedule`` with one message per wrong
    field; a schedule with no occurrence in the 5 years after ``now`` is wrong too.
    ``default_timezone`` is used when the JSON has no ``timezone``."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    schedule = _read_schedule(data, default_timezone)
    _require_an_occurrence(schedule, now)
    return ParsedSchedule(schedule, _warnings(schedule))


def _read_schedule(data: Mapping[str, object], default_timezone: str | None) -> Schedule:
    if not isinstance(data, Mapping):
        raise InvalidSchedule(
            {"schedule": 'must be a JSON object, e.g. {"frequency": "daily", "time": "09:00"}'}
        )
    reader = _Reader(data)
    schedule = reader.schedule(default_timezone)
    if reader.problems or schedule is None:
        raise InvalidSchedule(reader.problems)
    return schedule


class _Reader:
    """Reads the fields of one schedule's JSON, noting the first problem of each field."""

    def __init__(self, data: Mapping[str, object]) -> None:
        self.data = data
        self.problems: dict[str, str] = {}

    def problem(self, field: str, message: str) -> None:
        self.problems.setdefault(field, message)

    def schedule(self, default_timezone: str | None) -> Schedule | None:
        """The schedule, or None when a field is wrong; every field is read either way, so
        that all problems are reported at once."""
        frequency = self.read_frequency()
        self.check_fields(frequency)
        wall_time = self.read_time()
        timezone = self.read_timezone(default_timezone)
        if frequency is None:
            return None
        fields = self.read_days(frequency)
        if frequency is not Frequency.ONCE:
            fields.update(self.read_repetition(frequency))
        if self.problems or wall_time is None or timezone is None:
            return None
        return Schedule(frequency, wall_time, timezone, **fields)

    def read_days(self, frequency: Frequency) -> dict[str, Any]:
        """The fields that say on which days a schedule of this frequency runs."""
        if frequency is Frequency.ONCE:
            return {"on_date": self.read_date("date", required=True)}
        if frequency is Frequency.WEEKLY:
            return {"weekdays": self.read_weekdays()}
        if frequency is Frequency.MONTHLY:
            return self.read_month_days_or_positions()
        if frequency is Frequency.ANNUALLY:
            month, day = self.read_month_and_day()
            return {"month": month, "day": day}
        return {}

    def read_repetition(self, frequency: Frequency) -> dict[str, Any]:
        interval = self.read_interval(frequency)
        start_date, end_date = self.read_date("start_date"), self.read_date("end_date")
        if start_date and end_date and end_date < start_date:
            self.problem(
                "end_date",
                f"{end_date} is before start_date {start_date}: use a date on or after it",
            )
        return {"interval": interval, "start_date": start_date, "end_date": end_date}

    def check_fields(self, frequency: Frequency | None) -> None:
        for field in self.data:
            if field not in KNOWN_FIELDS:
                close = difflib.get_close_matches(str(field), KNOWN_FIELDS, n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                self.problem(
                    str(field),
                    f"unknown field: remove it{hint} (fields: {', '.join(KNOWN_FIELDS)})",
                )
            elif frequency is not None and field not in _fields_of(frequency):
                users = [f for f in Frequency if field in _fields_of(f)]
                self.problem(
                    field,
                    f"a {frequency} schedule has no {field} (only {_or(users)} ones do): remove it",
                )

    def read_frequency(self) -> Frequency | None:
        value = self.data.get("frequency")
        if isinstance(value, str) and value in list(Frequency):
            return Frequency(value)
        shown = _wrong(value, "a frequency")
        self.problem("frequency", f"{shown}: use one of {_or(list(Frequency))}")
        return None

    def read_time(self) -> time | None:
        value = self.data.get("time")
        if isinstance(value, str) and (match := _TIME.fullmatch(value)):
            return time(int(match[1]), int(match[2]))
        shown = _wrong(value, "a time of day")
        self.problem(
            "time",
            f"{shown}: use HH:MM on a 24-hour clock, from 00:00 to 23:59 (e.g. 09:30; "
            "midnight is 00:00)",
        )
        return None

    def read_timezone(self, default: str | None) -> str | None:
        value = self.data.get("timezone", default)
        if isinstance(value, str) and _is_zone(value):
            return value
        shown = _wrong(value, "an IANA time zone")
        self.problem("timezone", f"{shown}: use a name such as Europe/Paris or America/New_York")
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
        shown = _wrong(value, "a date")
        self.problem(field, f"{shown}: use YYYY-MM-DD, e.g. 2026-12-24")
        return None

    def read_interval(self, frequency: Frequency) -> int:
        value = self.data.get("interval")
        if value is None:
            return 1
        if _is_int(value) and 1 <= value <= MAX_INTERVAL:
            return value
        unit = _UNITS[frequency]
        self.problem(
            "interval",
            f"{_wrong(value, 'an interval')}: use a whole number from 1 to {MAX_INTERVAL} "
            f"(2 runs every other {unit}), or leave it out for every {unit}",
        )
        return 1

    def read_weekdays(self) -> tuple[Weekday, ...]:
        value = self.data.get("weekdays")
        if _non_empty_list(value) and all(day in WEEKDAYS for day in value):
            return tuple(day for day in WEEKDAYS if day in value)
        shown = _wrong(value, "a list of weekdays")
        self.problem(
            "weekdays",
            f'{shown}: use a non-empty list of {_or(WEEKDAYS)}, e.g. ["mon", "thu"]',
        )
        return ()

    def read_month_days_or_positions(self) -> dict[str, Any]:
        days, positions = self.data.get("month_days"), self.data.get("month_positions")
        if days is None and positions is None:
            self.problem(
                "month_days",
                "missing: a monthly schedule needs month_days (e.g. [1, 15]) or "
                'month_positions (e.g. [{"ordinal": "last", "day": "day"}])',
            )
            return {}
        if days is not None and positions is not None:
            self.problem(
                "month_positions",
                "a monthly schedule has month_days or month_positions, not both: remove one",
            )
            return {}
        if days is not None:
            return {"month_days": self.read_month_days(days)}
        return {"month_positions": self.read_month_positions(positions)}

    def read_month_days(self, value: object) -> tuple[int, ...]:
        if _non_empty_list(value):
            days = [day for day in value if _is_int(day) and 1 <= day <= 31]
            if len(days) == len(value):
                return tuple(sorted(set(days)))
        self.problem(
            "month_days",
            f"{_wrong(value, 'a list of days of the month')}: use a non-empty list of "
            "numbers from 1 to 31, e.g. [1, 15] (for the last day, use month_positions)",
        )
        return ()

    def read_month_positions(self, value: object) -> tuple[MonthPosition, ...]:
        if _non_empty_list(value):
            try:
                positions = {_month_position(item) for item in value}
                return tuple(sorted(positions, key=MonthPosition._sort_key))
            except ValueError as error:
                self.problem("month_positions", f"{error}: {_POSITIONS_HELP}")
                return ()
        self.problem("month_positions", f"{_wrong(value, 'a list')}: {_POSITIONS_HELP}")
        return ()

    def read_month_and_day(self) -> tuple[int | None, int | None]:
        month, day = self.data.get("month"), self.data.get("day")
        if not (_is_int(month) and 1 <= month <= 12):
            shown = _wrong(month, "a month")
            self.problem("month", f"{shown}: use a number from 1 (January) to 12 (December)")
            return None, None
        longest = _LONGEST_MONTHS[month - 1]
        if not (_is_int(day) and 1 <= day <= longest):
            self.problem("day", f"{_day_problem(day, month)}: use a day from 1 to {longest}")
            return None, None
        return month, day


def _day_problem(day: object, month: int) -> str:
    if day is None:
        return "missing"
    if _is_int(day) and 1 <= day <= 31:
        return f"{MONTH_NAMES[month - 1]} has no day {day}"
    return f"{_shown(day)} is not a day of the month"


_POSITIONS_HELP = (
    'use a non-empty list of {"ordinal": ..., "day": ...} with ordinal first, second, third, '
    "fourth or last and day one of day, weekday (Monday to Friday) or mon..sun, "
    'e.g. [{"ordinal": "first", "day": "mon"}]'
)


def _month_position(item: object) -> MonthPosition:
    if not isinstance(item, Mapping) or set(item) != {"ordinal", "day"}:
        raise ValueError(f"{_shown(item)} is not a month position")
    try:
        return MonthPosition(Ordinal(item["ordinal"]), PositionDay(item["day"]))
    except ValueError:
        raise ValueError(f"{_shown(item)} is not a month position") from None


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


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _non_empty_list(value: object) -> TypeGuard[list[object]]:
    return isinstance(value, list) and len(value) > 0


def _wrong(value: object, expected: str) -> str:
    """What is wrong with a field's value, e.g. "'hourly' is not a frequency"."""
    if value is None:
        return "missing"
    if value == [] or value == "":
        return "empty"
    return f"{_shown(value)} is not {expected}"


def _shown(value: object) -> str:
    return shown_value(value)  # as in the file ("[thu]" reads ["thu"]), never a repr


def _or(items: Iterable[str]) -> str:
    words = [str(item) for item in items]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _require_an_occurrence(schedule: Schedule, now: datetime) -> None:
    """Rejects a schedule that would not run in the next 5 years, blaming the likely field."""
    today = now.astimezone(schedule.zone).date()
    horizon = _add_years(today, HORIZON_YEARS)
    last_day = min(horizon, schedule.end_date or horizon)
    if next(schedule._occurrences(now, last_day), None) is None:
        raise InvalidSchedule(dict([_never_runs(schedule, now, horizon)]))


def _never_runs(schedule: Schedule, now: datetime, horizon: date) -> tuple[str, str]:
    """The field to blame for a schedule without occurrences, and how to fix it."""
    if schedule.frequency is Frequency.ONCE:
        assert schedule.on_date is not None
        when = f"{schedule.on_date} at {schedule.wall_time:%H:%M} ({schedule.timezone})"
        if schedule._wall(schedule.on_date).astimezone(UTC) <= now:
            return "date", f"{when} has passed: choose a later date"
        return (
            "date",
            f"{when} is more than {HORIZON_YEARS} years away: choose a date before {horizon}",
        )
    if schedule.start_date is not None and schedule.start_date > horizon:
        return "start_date", (
            f"{schedule.start_date} is more than {HORIZON_YEARS} years away: "
            f"choose a start date before {horizon}"
        )
    if schedule.end_date is not None:
        return "end_date", (
            f"the schedule never runs from now until {schedule.end_date}: "
            "choose a later end date or remove it"
        )
    field = "interval" if schedule.interval > 1 else "schedule"
    return field, (
        f"the schedule never runs in the next {HORIZON_YEARS} years: "
        "choose a shorter interval, another start_date or other days"
    )


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def _warnings(schedule: Schedule) -> tuple[str, ...]:
    if schedule.frequency is Frequency.ANNUALLY and (schedule.month, schedule.day) == (2, 29):
        return ("29 February exists only in leap years: the workflow will not run in other years",)
    return tuple(_month_day_warnings(schedule.month_days))


# A (month, leap year?) pair: day 29 is missing from February in non-leap years only.
_MonthKind = tuple[int, bool]


def _month_day_warnings(month_days: tuple[int, ...]) -> Iterator[str]:
    """One warning per day that some months lack, naming those months, and saying whether
    the workflow then does not run in them at all or only on its other days."""
    never = set.intersection(*(_months_without(day) for day in month_days)) if month_days else set()
    for day in month_days:
        missing = _months_without(day)
        if not missing:
            continue
        months = _month_kinds_text(missing)
        those = "that month" if _single_month(missing) else "those months"
        if missing <= never:
            consequence = f"the workflow will not run in {those}"
        else:
            consequence = f"the workflow runs on its other days in {those}, not on a nearby day"
        yield f"day {day} does not exist in {months}: {consequence}"


def _months_without(day: int) -> set[_MonthKind]:
    return {
        (month, leap)
        for month in range(1, 13)
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
    return _and(names)
