"""Schedules typed in plain English ("every other Tuesday at 9am", "the last business day of
the month at 4pm in Paris time") read into the schedule JSON of ``bot.workflows.schedules``,
or a ``PhraseNotUnderstood`` that names the part it could not read.

A small hand-written grammar: the text is read left to right, and at each position the first
rule whose regular expression matches there records what it means (days, times, a zone...);
what no rule matches is the part not understood. The facts are then combined into one spec.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from zoneinfo import available_timezones

import holidays as holiday_calendars

from bot.workflows.definitions import supported_countries
from bot.workflows.draft_document import MonthPositionDocument, ScheduleDocument
from bot.workflows.readable import listed
from bot.workflows.schedules import DAY_NAMES, MONTH_NAMES, WEEKDAYS

# Two phrasings that always work, shown with every "not understood".
EXAMPLES = (
    "every Monday and Thursday at 9am",
    "the last business day of the month at 4pm in Paris time",
)
DEFAULT_TIME = "09:00"  # a phrase without a time of day: the wizard's default too

_DAYS = tuple(day.value for day in WEEKDAYS)
_WORKDAYS = _DAYS[:5]
# The order of schedules.Ordinal and PositionDay, which Schedule.to_json sorts positions in.
_ORDINAL_ORDER = ("first", "second", "third", "fourth", "fifth", "second_to_last", "last")
_POSITION_DAY_ORDER = ("day", "weekday", "business_day", *_DAYS)
# The ordinals that are also days of the month: "the 1st" is a date or the first of a day.
_ORDINAL_NUMBERS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_DIGIT_ORDINALS = frozenset({"1st", "2nd", "3rd", "4th", "5th"})
_QUARTER_STARTS = [1, 4, 7, 10]
_QUARTER_ENDS = [3, 6, 9, 12]
_NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_UNITS = {"day": "daily", "week": "weekly", "month": "monthly", "year": "annually"}
# A zone named as people say it, for zones no city names (US time zone names and letters).
_ZONE_WORDS = {
    "utc": "UTC",
    "gmt": "UTC",
    "eastern": "America/New_York",
    "et": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "central": "America/Chicago",
    "ct": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "mountain": "America/Denver",
    "mt": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pacific": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
}
# The regions whose zones are named after a city; the others (US/, Etc/, legacy names such
# as Cuba or Navajo) are only understood by their full name.
_CITY_REGIONS = frozenset(
    {"Africa", "America", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}
)


class PhraseNotUnderstood(ValueError):
    """Text that is not a schedule: ``reason`` says which part and why, ``examples`` are two
    phrasings that work."""

    def __init__(
        self, reason: str, part: str | None = None, readings: tuple[str, str] | None = None
    ) -> None:
        self.reason = reason
        self.part = part
        # Text that can be read two ways gives one phrasing for each reading, in the order
        # the reason names them; other text the two phrasings that always work.
        self.readings = readings
        self.examples = readings or EXAMPLES
        super().__init__(self.message)

    @property
    def message(self) -> str:
        first, second = self.examples
        if self.readings is not None:
            return f"{self.reason}: say “{first}” or “{second}”."
        return f"{self.reason}. Schedules read like “{first}” or “{second}”."


def parse_phrase(text: str, default_timezone: str | None) -> ScheduleDocument:
    """The schedule JSON the English ``text`` means; its ``timezone`` is the zone the text
    names, else ``default_timezone`` (left out when that is None). Raises
    ``PhraseNotUnderstood``. The spec is not validated here: ``parse_schedule`` does that."""
    reading = _Reading(typed=text)
    lowered = _normalized(text)
    position = 0
    while (position := _skip_spaces(lowered, position)) < len(lowered):
        position = _read_one(reading, text, lowered, position)
    return _spec(reading, default_timezone)


# --- Reading the text -----------------------------------------------------------------------


@dataclass
class _Reading:
    """What the rules found so far, before it is combined into a spec."""

    typed: str  # the text as typed, at the positions of the text the rules read
    frequencies: set[str] = field(default_factory=set)  # daily, weekly, monthly, annually
    quarterly: bool = False
    interval: int | None = None
    interval_unit: str | None = None  # the frequency an "every N <unit>s" names
    weekdays: list[str] = field(default_factory=list)
    month_days: list[int] = field(default_factory=list)
    positions: list[tuple[str, str]] = field(default_factory=list)
    months: list[int] = field(default_factory=list)
    dates: list[tuple[int, int]] = field(default_factory=list)  # (month, day) of a year
    times: list[str] = field(default_factory=list)
    zone: str | None = None
    once: bool = False
    on_date: date | None = None
    start_date: date | None = None
    end_date: date | None = None
    holidays: str | None = None
    subdivision: str | None = None
    twice_monthly: bool = False  # semi-monthly: the 1st and 15th unless days are named
    after_time: bool = False  # the word before was a time: "and 4" is a time too
    times_closed: bool = False  # other days came after the times: no more times


def _normalized(text: str) -> str:
    """Lower case with punctuation as spaces, as long as ``text`` (a part not understood is
    shown as typed, cut from the same positions)."""
    # Letter by letter, so that positions stay: "São Paulo" reads as "sao paulo".
    lowered = "".join(_folded_letter(letter) for letter in text)
    lowered = re.sub(r"\b([ap])\.m\.", r"\1m  ", lowered)
    lowered = re.sub(r"[\u2019']s\b", "  ", lowered)  # "Monday's", "month's"
    # "mon/wed/fri": a slash between day names separates them (a zone keeps its slash).
    lowered = re.sub(
        rf"\b({_alternatives(_day_words())})/(?=(?:{_alternatives(_day_words())})\b)",
        r"\1 ",
        lowered,
    )
    return re.sub(r"[,;()!?“”\"]|\.(?=\s|$)", " ", lowered)


def _folded_letter(letter: str) -> str:
    folded = _folded(letter)
    return folded if len(folded) == 1 else letter


def _skip_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _read_one(reading: _Reading, original: str, text: str, position: int) -> int:
    """Applies the first rule matching at ``position``; returns where the next word starts."""
    for pattern, apply in _rules():
        match = pattern.match(text, position)
        if match is None:
            continue
        was_time = reading.after_time
        reading.after_time = False
        if apply(reading, match, was_time) is not False:
            _check_one_set_of_times(reading, apply, match)
            return match.end()
        reading.after_time = was_time
    part = _unknown_part(original, text, position)
    raise PhraseNotUnderstood(f"“{part}” is not understood", part)


def _check_one_set_of_times(reading: _Reading, applied: _Apply, match: re.Match[str]) -> None:
    """Refuses times said in two places ("at 9am on Mondays and 4pm on Thursdays"): every
    run day has the same times, and reading them as one list would hide that."""
    if applied in (_time, _bare_hour):
        if reading.times_closed:
            shown = match[0].strip()
            raise PhraseNotUnderstood(
                f"“{shown}” is a second set of times: every day of a schedule has the same "
                "times, so name them together (at 9am and 4pm)",
                shown,
            )
    elif reading.times and applied not in (_nothing, _iana_zone, _city_zone, _zone_word):
        reading.times_closed = True


def _unknown_part(original: str, text: str, position: int) -> str:
    """The words from ``position`` up to the next word a rule understands."""
    end = position
    while end < len(text):
        word = re.compile(r"\S+").match(text, end)
        assert word is not None
        end = _skip_spaces(text, word.end())
        if end < len(text) and any(p.match(text, end) for p, _ in _rules()):
            break
    return original[position:end].strip()


# A rule: (reading, match, whether a time came just before) -> False when it does not apply
# after all (the next rule is then tried), else None.
_Apply = Callable[[_Reading, re.Match[str], bool], bool | None]


def _word(pattern: str) -> re.Pattern[str]:
    # Ends at a word's end, so "mon" never reads the start of "month".
    return re.compile(rf"(?:{pattern})(?![\w/:])")


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


@cache
def _rules() -> tuple[tuple[re.Pattern[str], _Apply], ...]:
    """The grammar, most specific rule first."""
    day = _alternatives(_day_words())
    month = _alternatives(_month_words())
    ordinal = _alternatives(_ordinal_words())
    position_day = _alternatives(_position_day_words())
    iso = r"\d{4}-\d{2}-\d{2}"
    country = r"([a-z]{2})(?:-([a-z0-9]{1,6}))?"  # FR, US-CA: a country and subdivision
    times = (
        r"(?:at\s+)?(?:(noon|midday|midnight)"
        r"|(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)"
        r"|(\d{1,2})(?:[:.](?=\d{2})|h)(\d{2})?)"  # 17:00, 8.30, 9h30
    )
    rules: list[tuple[str, _Apply]] = [
        (rf"(?:starting|beginning|from|as of)(?:\s+on)?\s+({iso})", _start_date),
        (rf"(?:until|till|through|ending|up to)(?:\s+on)?\s+({iso})", _end_date),
        (rf"(?:once\s+)?(?:on\s+)?({iso})", _once_on_iso),
        (r"once", _once),
        (
            rf"(?:on\s+)?(?:the\s+)?(?:({month})\s+(\d{{1,2}})(?:st|nd|rd|th)?"
            rf"|(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({month}))(?:\s+(\d{{4}}))?",
            _month_date,
        ),
        (r"at\s+([01]\d|2[0-3])([0-5]\d)", _four_digits),  # "at 0900"
        (times, _time),
        (r"(?:at\s+)?(\d{1,2})", _bare_hour),
        (r"(?:hourly|every\s+(?:\d+\s+)?(?:hours?|minutes?))", _too_often),
        (r"every\s+other\s+(day|week|month|year)", _every_other_unit),
        (r"every\s+other", _every_other),
        (r"(?:bi-?weekly|fortnightly|every\s+fortnight)", _fortnightly),
        (r"(?:semi-?monthly|twice\s+(?:a|per|every|each)\s+month)", _twice_monthly),
        (
            rf"every\s+(\d+|{_alternatives(_NUMBER_WORDS)})\s+(day|week|month|year)s?",
            _every_n_units,
        ),
        (r"(?:daily|everyday|(?:every|each)\s+(?:single\s+)?day|a\s+day|per\s+day)", _daily),
        (r"(?:weekly|(?:every|each|a|per)\s+week)", _weekly),
        (
            r"(?:quarterly|(?:every|each|a|per)\s+quarter|of\s+(?:the|each|every)\s+quarter)",
            _quarterly,
        ),
        (
            r"(?:monthly|(?:every|each|a|per)\s+month|(?:of|in)\s+(?:(?:the|each|every)\s+)?month"
            r"|month[\s-]end|(?:at\s+)?(?:the\s+)?end\s+of\s+(?:(?:the|each|every)\s+)?month)",
            _monthly,
        ),
        (
            r"(?:yearly|annually|(?:every|each|a|per)\s+year|of\s+(?:the|each|every)\s+year)",
            _annually,
        ),
        (
            rf"(?:on\s+)?(?:the\s+)?((?:{ordinal})(?:\s*(?:and|or|&|,)?\s*(?:the\s+)?(?:{ordinal}))*)"
            rf"\s+({position_day})",
            _positions,
        ),
        (r"(?:every\s+|on\s+)?(?:the\s+)?last\s+day", _last_day),
        (rf"({day})\s*(?:to|through|thru|-|\u2013)\s*({day})", _day_range),
        (r"(?:every\s+|on\s+)?(?:weekdays?|business\s+days?|work(?:ing)?\s*days?)", _workdays),
        (r"(?:every\s+|on\s+)?weekends?", _weekends),
        (rf"({day})", _weekday),
        (rf"({month})", _month),
        (r"(?:on\s+)?(?:the\s+)?(?:1st|first)\s+and\s+(?:the\s+)?last", _first_and_last),
        # "the first of the month": no weekday follows (the rule of positions took those).
        (r"(?:on\s+)?the\s+(first)", _first_day),
        (r"(?:in\s+the\s+|every\s+|each\s+)?(morning|afternoon|evening|night)s?", _part_of_day),
        (r"(?:on\s+)?(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)", _month_day),
        (r"(?:on\s+)?(?:the|day)\s+(\d{1,2})", _month_day),
        (
            r"(?:excluding|skipping|except(?:\s+on)?|without|with|observing|on|using)?\s*"
            rf"(?:the\s+)?{country}\s+(?:public\s+|bank\s+)?holidays",
            _holidays,
        ),
        (
            r"(?:not\s+counting|excluding|skipping|except(?:\s+on)?|without)?\s*"
            rf"(?:the\s+)?(?:public\s+|bank\s+)?holidays\s+(?:in|of)\s+{country}",
            _holidays,
        ),
        (r"local\s+time", _nothing),
        (r"(?:in\s+)?([a-z]+(?:/[a-z0-9_+-]+)+)(?:\s+time)?", _iana_zone),
        (rf"(?:in\s+)?({_alternatives(_city_zones())})(?:\s+time)?", _city_zone),
        (rf"(?:in\s+)?({_alternatives(_ZONE_WORDS)})(?:\s+time)?", _zone_word),
        (r"(?:and|&|on|at|the|of|every|each|in|runs?|please)", _nothing),
    ]
    return tuple((_word(pattern), apply) for pattern, apply in rules)


@cache
def _day_words() -> dict[str, str]:
    words: dict[str, str] = {}
    extra = {"tue": ("tues", "tu"), "wed": ("weds",), "thu": ("thur", "thurs", "th")}
    extra |= {"mon": ("mons",), "fri": ("fris",), "sat": ("sats",), "sun": ("suns",)}
    for code, name in zip(_DAYS, ("monday", "tuesday", "wednesday", "thursday", "friday",
                                  "saturday", "sunday"), strict=True):  # fmt: skip
        for word in (name, name + "s", code, *extra.get(code, ())):
            words[word] = code
    return words


@cache
def _month_words() -> dict[str, int]:
    words: dict[str, int] = {}
    for number, name in enumerate(MONTH_NAMES, start=1):
        words[name.lower()] = number
        if name.lower() != "may":
            words[name.lower()[:3]] = number
    words["sept"] = 9
    return words


@cache
def _ordinal_words() -> dict[str, str]:
    words = {
        "first": "first",
        "1st": "first",
        "second": "second",
        "2nd": "second",
        "third": "third",
        "3rd": "third",
        "fourth": "fourth",
        "4th": "fourth",
        "fifth": "fifth",
        "5th": "fifth",
        "last": "last",
        "penultimate": "second_to_last",
    }
    for second in ("second", "2nd"):
        for joint in (" to ", "-to-", " "):
            words[f"{second}{joint}last"] = "second_to_last"
    words["next to last"] = words["next-to-last"] = "second_to_last"
    return words


@cache
def _position_day_words() -> dict[str, str]:
    words = {"day": "day", "weekday": "weekday", "week day": "weekday"}
    for business in ("business day", "working day", "workday", "work day"):
        words[business] = "business_day"
    words |= {word: code for word, code in _day_words().items() if len(word) > 3}
    return words | {word + "s": code for word, code in words.items() if not word.endswith("s")}


@cache
def _city_zones() -> dict[str, str]:
    """Zones by their city, as typed: "new york" -> America/New_York. A city two zones share
    (none today) goes to the shortest name."""
    cities: dict[str, str] = {}
    for zone in sorted(available_timezones(), key=lambda z: (z.count("/"), z)):
        region, _, rest = zone.partition("/")
        if region not in _CITY_REGIONS or not rest:
            continue
        city = _folded(rest.rsplit("/", 1)[-1].replace("_", " "))
        cities.setdefault(city, zone)
    return cities


@cache
def _iana_zones() -> dict[str, str]:
    return {zone.lower(): zone for zone in available_timezones() if zone != "localtime"}


@cache
def _subdivisions() -> dict[str, list[str]]:
    return holiday_calendars.list_supported_countries(include_aliases=False)


def _folded(text: str) -> str:
    """Lower case without accents: "São Paulo" is typed "sao paulo" too."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --- What each rule records -----------------------------------------------------------------


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PhraseNotUnderstood(f"“{text}” is not a date: use YYYY-MM-DD", text) from None


def _start_date(reading: _Reading, match: re.Match[str], _: bool) -> None:
    reading.start_date = _iso_date(match[1])


def _end_date(reading: _Reading, match: re.Match[str], _: bool) -> None:
    reading.end_date = _iso_date(match[1])


def _once_on_iso(reading: _Reading, match: re.Match[str], _: bool) -> None:
    reading.on_date = _iso_date(match[1])


def _once(reading: _Reading, match: re.Match[str], _: bool) -> None:
    reading.once = True


def _month_date(reading: _Reading, match: re.Match[str], _: bool) -> bool | None:
    name = match[1] or match[4]
    day = int(match[2] or match[3])
    if not 1 <= day <= 31:
        return False  # "May 2026" and the like: not a day of the month
    month = _month_words()[name]
    if match[5]:
        try:
            reading.on_date = date(int(match[5]), month, day)
        except ValueError:
            raise PhraseNotUnderstood(
                f"“{match[0].strip()}” is not a date", match[0].strip()
            ) from None
    else:
        reading.dates.append((month, day))
    return None


def _time(reading: _Reading, match: re.Match[str], _: bool) -> None:
    word, hour, minute, meridiem, hour24, minute24 = match.groups()
    if word is not None:
        reading.times.append("00:00" if word == "midnight" else "12:00")
    elif meridiem is not None:
        _add_time(reading, match, int(hour), int(minute or 0), meridiem)
    else:
        _add_time(reading, match, int(hour24), int(minute24 or 0), None)
    reading.after_time = True


def _add_time(
    reading: _Reading, match: re.Match[str], hour: int, minute: int, meridiem: str | None
) -> None:
    limit = 12 if meridiem else 23
    if not (0 <= hour <= limit and 0 <= minute <= 59) or (meridiem and hour == 0):
        shown = match[0].strip()
        raise PhraseNotUnderstood(
            f"“{shown}” is not a time of day: use e.g. 9am, 9:30pm or 17:00", shown
        )
    if meridiem is not None:
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    reading.times.append(f"{hour:02d}:{minute:02d}")


def _bare_hour(reading: _Reading, match: re.Match[str], after_time: bool) -> bool | None:
    # "at 9", or the 4 of "at 9 and 4": an hour of the 24-hour clock.
    if not (match[0].startswith("at") or after_time):
        return False
    _add_time(reading, match, int(match[1]), 0, None)
    reading.after_time = True
    return None


def _four_digits(reading: _Reading, match: re.Match[str], _: bool) -> None:
    _add_time(reading, match, int(match[1]), int(match[2]), None)
    reading.after_time = True


def _too_often(reading: _Reading, match: re.Match[str], _: bool) -> None:
    raise PhraseNotUnderstood(
        f"“{match[0]}” is more often than workflows run: they run at times of day, "
        "up to a few a day (e.g. at 9am and 4pm)",
        match[0],
    )


def _every_other_unit(reading: _Reading, match: re.Match[str], _: bool) -> None:
    _set_interval(reading, 2, _UNITS[match[1]], match[0])


def _every_other(reading: _Reading, match: re.Match[str], _: bool) -> None:
    # "every other Tuesday": the unit comes from the days that follow.
    _set_interval(reading, 2, None, match[0])


def _fortnightly(reading: _Reading, match: re.Match[str], _: bool) -> None:
    _set_interval(reading, 2, "weekly", match[0])


def _twice_monthly(reading: _Reading, match: re.Match[str], _: bool) -> None:
    # Semi-monthly: the 1st and 15th (the US payroll convention) unless days are named.
    reading.frequencies.add("monthly")
    reading.twice_monthly = True


def _every_n_units(reading: _Reading, match: re.Match[str], _: bool) -> None:
    count = int(match[1]) if match[1].isdigit() else _NUMBER_WORDS[match[1]]
    if count < 1:
        raise PhraseNotUnderstood(f"“{match[0]}” never comes: use a number from 1", match[0])
    _set_interval(reading, count, _UNITS[match[2]], match[0])


def _set_interval(reading: _Reading, count: int, unit: str | None, said: str) -> None:
    if reading.interval is not None and (reading.interval, reading.interval_unit) != (count, unit):
        raise PhraseNotUnderstood(f"“{said}” says how often a second time", said)
    reading.interval, reading.interval_unit = count, unit


def _daily(reading: _Reading, match: re.Match[str], _: bool) -> None:
    reading.frequencies.add("daily")


def _weekly(reading: _Reading, match: re.Match[str], _: bool) -> None:
    reading.frequencies.add("weekly")


def _monthly(reading: _Reading, match: re.Match[str], _: bool) -> None:
    reading.frequencies.add("monthly")
    if "end" in match[0]:
        _add_position(reading, "last", "day")


def _quarterly(reading: _Reading, match: re.Match[str], _: bool) -> None:
    reading.quarterly = True


def _annually(reading: _Reading, match: re.Match[str], _: bool) -> None:
    reading.frequencies.add("annually")


def _positions(reading: _Reading, match: re.Match[str], _: bool) -> None:
    day = _position_day_words()[match[2]]
    shown = reading.typed[match.start() : match.end()].strip()
    dates, ordinals = _dates_and_positions(_ordinals_said(match[1]), day, shown)
    for number in dates:
        _add_month_day(reading, number)
    for ordinal in ordinals:
        _add_position(reading, ordinal, day)


@dataclass(frozen=True)
class _Said:
    """One ordinal of a list before a day ("the 1st and the last Friday"): as typed, what it
    means, and whether a "the" of its own comes before it."""

    word: str
    ordinal: str
    own_the: bool

    @property
    def in_digits(self) -> bool:
        # "1st" can be a day of the month; "2nd to last" and the words cannot.
        return self.word in _DIGIT_ORDINALS


def _ordinals_said(text: str) -> list[_Said]:
    ordinals = _ordinal_words()
    said = re.finditer(rf"(?:(?:and|or|&|,)\s*)?(the\s+)?({_alternatives(ordinals)})", text)
    return [_Said(found[2], ordinals[found[2]], found[1] is not None) for found in said]


def _dates_and_positions(said: list[_Said], day: str, shown: str) -> tuple[list[int], list[str]]:
    """Which ordinals of a list before a day are days of the month and which are positions of
    the day: "the 1st and 3rd Monday" is two Mondays, "the 1st and the last Friday" the 1st
    and a Friday. Raises ``PhraseNotUnderstood`` when both readings are likely."""
    dates, kept = _said_again(said)
    ordinals = [item.ordinal for item in kept]
    # The last ordinal is always the day's ("the first and 3rd Monday"); the nth day of the
    # month is the day n, so with "day" both readings run on the same dates.
    if day == "day" or not any(item.in_digits for item in kept[:-1]):
        return dates, ordinals
    if all(item.in_digits for item in kept):
        if any(item.own_the for item in kept[1:]):  # "the 2nd and the 4th Tuesday"
            raise _two_readings(shown, dates, kept, day)
        return dates, ordinals
    # Numbers beside words: each "the" starts a phrase of its own, and a phrase of numbers
    # before the day's own phrase is dates ("the 1st and 3rd and the last Friday").
    phrases: list[list[_Said]] = []
    for item in kept:
        if item.own_the or not phrases:
            phrases.append([])
        phrases[-1].append(item)
    standing, ordinals = [], []
    for phrase in phrases[:-1]:
        if all(item.in_digits for item in phrase):
            standing += [_ORDINAL_NUMBERS[item.ordinal] for item in phrase]
        elif any(item.in_digits for item in phrase):
            raise _two_readings(shown, dates, kept, day)  # "the 1st and last and the ..."
        else:
            ordinals += [item.ordinal for item in phrase]
    if any(item.in_digits for item in phrases[-1][:-1]):
        raise _two_readings(shown, dates, kept, day)  # "the 1st and last Friday"
    return dates + standing, ordinals + [item.ordinal for item in phrases[-1]]


def _said_again(said: list[_Said]) -> tuple[list[int], list[_Said]]:
    """The ordinals said again later as a position, as dates ("the 1st and the first Monday":
    the first Monday is said anyway, so the 1st is a date), and the others."""
    dates: list[int] = []
    others: list[_Said] = []
    for index, item in enumerate(said):
        later = {other.ordinal for other in said[index + 1 :]}
        if item.ordinal in _ORDINAL_NUMBERS and item.ordinal in later:
            dates.append(_ORDINAL_NUMBERS[item.ordinal])
        else:
            others.append(item)
    return dates, others


def _two_readings(shown: str, dates: list[int], said: list[_Said], day: str) -> PhraseNotUnderstood:
    """The refusal of a list of ordinals that reads as dates or as days: it names the
    numbers in doubt and gives a phrasing for each reading."""
    doubtful = [item for item in said[:-1] if item.in_digits]
    rest = [item for item in said if not any(item is other for other in doubtful)]
    name = _position_day_name(day)
    if len(doubtful) == 1:
        word = doubtful[0].word
        ordinal = _ordinal_name(doubtful[0].ordinal)
        meaning = f"“{word}” can mean the {word} of the month or the {ordinal} {name}"
    else:
        words = listed((f"“{item.word}”" for item in doubtful), "and")
        meaning = f"{words} can mean days of the month or {name}s"
    as_dates = _phrasing(dates + [_ORDINAL_NUMBERS[item.ordinal] for item in doubtful], rest, name)
    as_days = _phrasing(dates, said, name)
    return PhraseNotUnderstood(f"In “{shown}”, {meaning}", shown, (as_dates, as_days))


def _phrasing(dates: list[int], said: list[_Said], name: str) -> str:
    """Days of the month and positions of a day said so that they read one way only."""
    positions = "the " + listed((_ordinal_name(item.ordinal) for item in said), "and") + f" {name}"
    if not dates:
        return positions
    return f"on the {listed(map(_numbered, sorted(set(dates))), 'and')} and on {positions}"


def _ordinal_name(ordinal: str) -> str:
    return ordinal.replace("_", " ")


def _numbered(day: int) -> str:
    suffix = "th" if 10 <= day <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _position_day_name(day: str) -> str:
    return DAY_NAMES[_DAYS.index(day)] if day in _DAYS else day.replace("_", " ")


def _add_position(reading: _Reading, ordinal: str, day: str) -> None:
    if (ordinal, day) not in reading.positions:
        reading.positions.append((ordinal, day))


def _last_day(reading: _Reading, match: re.Match[str], _: bool) -> None:
    _add_position(reading, "last", "day")


def _first_and_last(reading: _Reading, match: re.Match[str], _: bool) -> None:
    # "the 1st and last": days of the month, said without the word day.
    _add_position(reading, "first", "day")
    _add_position(reading, "last", "day")


def _day_range(reading: _Reading, match: re.Match[str], _: bool) -> None:
    words = _day_words()
    first, last = _DAYS.index(words[match[1]]), _DAYS.index(words[match[2]])
    span = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
    _add_weekdays(reading, [_DAYS[index] for index in span])


def _workdays(reading: _Reading, match: re.Match[str], _: bool) -> None:
    _add_weekdays(reading, _WORKDAYS)


def _weekends(reading: _Reading, match: re.Match[str], _: bool) -> None:
    _add_weekdays(reading, ("sat", "sun"))


def _weekday(reading: _Reading, match: re.Match[str], _: bool) -> None:
    _add_weekdays(reading, [_day_words()[match[1]]])


def _add_weekdays(reading: _Reading, days: Iterable[str]) -> None:
    reading.weekdays += [day for day in days if day not in reading.weekdays]


def _month(reading: _Reading, match: re.Match[str], _: bool) -> None:
    number = _month_words()[match[1]]
    if number not in reading.months:
        reading.months.append(number)


def _first_day(reading: _Reading, match: re.Match[str], _: bool) -> None:
    _add_month_day(reading, 1)


def _part_of_day(reading: _Reading, match: re.Match[str], _: bool) -> None:
    # Mornings start at different times for different people: ask for the hour.
    shown = match[0].strip()
    raise PhraseNotUnderstood(
        f"“{shown}” is not a time the bot can run at: say the hour, e.g. at 9am", shown
    )


def _month_day(reading: _Reading, match: re.Match[str], _: bool) -> None:
    day = int(match[1])
    if not 1 <= day <= 31:
        shown = match[0].strip()
        raise PhraseNotUnderstood(
            f"“{shown}” is not a day of the month: use the 1st to the 31st, or the last day", shown
        )
    _add_month_day(reading, day)


def _add_month_day(reading: _Reading, day: int) -> None:
    if day not in reading.month_days:
        reading.month_days.append(day)


def _holidays(reading: _Reading, match: re.Match[str], _: bool) -> bool | None:
    country = "GB" if match[1] == "uk" else match[1].upper()
    if country not in supported_countries():
        return False
    reading.holidays = country
    reading.subdivision = None
    if match[2]:
        known = {code.lower(): code for code in _subdivisions().get(country, ())}
        # An unknown one is kept as typed: the schedule's check names the known ones.
        reading.subdivision = known.get(match[2], match[2].upper())
    return None


def _nothing(reading: _Reading, match: re.Match[str], after_time: bool) -> None:
    # "9am and 4": "and" keeps the list of times going.
    reading.after_time = after_time and match[0] in ("and", "&")


def _iana_zone(reading: _Reading, match: re.Match[str], _: bool) -> bool | None:
    zone = _iana_zones().get(match[1])
    if zone is None:
        return False
    _set_zone(reading, zone, match[0])
    return None


def _city_zone(reading: _Reading, match: re.Match[str], _: bool) -> None:
    _set_zone(reading, _city_zones()[_folded(match[1])], match[0])


def _zone_word(reading: _Reading, match: re.Match[str], _: bool) -> None:
    _set_zone(reading, _ZONE_WORDS[match[1]], match[0])


def _set_zone(reading: _Reading, zone: str, said: str) -> None:
    if reading.zone is not None and reading.zone != zone:
        raise PhraseNotUnderstood(
            f"“{said.strip()}” is a second time zone ({reading.zone} was named first): name one",
            said,
        )
    reading.zone = zone


# --- Combining what was read into a spec ----------------------------------------------------


def _spec(reading: _Reading, default_timezone: str | None) -> ScheduleDocument:
    if reading.on_date is not None or reading.once:
        spec = _once_spec(reading)
    elif reading.dates or "annually" in (*reading.frequencies, reading.interval_unit):
        spec = _annual_spec(reading)
    elif (
        reading.month_days
        or reading.positions
        or reading.quarterly
        or "monthly" in (*reading.frequencies, reading.interval_unit)  # "every 3 months"
    ):
        spec = _monthly_spec(reading)
    elif reading.weekdays or "weekly" in (*reading.frequencies, reading.interval_unit):
        spec = _weekly_spec(reading)
    elif "daily" in reading.frequencies or reading.interval_unit == "daily":
        spec = _daily_spec(reading)
    else:
        said = "a time of day but not" if reading.times else "not"
        raise PhraseNotUnderstood(f"The text says {said} how often to run")
    _check_holidays(reading, spec)
    spec |= _time_fields(reading.times)
    zone = reading.zone or default_timezone
    if zone is not None:
        spec["timezone"] = zone
    if reading.holidays is not None:
        spec["holidays"] = reading.holidays
        if reading.subdivision is not None:
            spec["subdivision"] = reading.subdivision
    if spec["frequency"] != "once":
        if reading.start_date is not None:
            spec["start_date"] = reading.start_date.isoformat()
        if reading.end_date is not None:
            spec["end_date"] = reading.end_date.isoformat()
    return spec


def _check_holidays(reading: _Reading, spec: ScheduleDocument) -> None:
    counted = any(day == "business_day" for _, day in reading.positions)
    if reading.holidays is not None and not (spec["frequency"] == "monthly" and counted):
        raise PhraseNotUnderstood(
            f"Public holidays in {reading.holidays} change only which days are business days "
            f"of the month (e.g. the last business day excluding {reading.holidays} holidays); "
            f"to pause runs on {reading.holidays} holidays, leave them out here and set the "
            f"workflow's holidays setting (pause days) to {reading.holidays}"
        )


def _time_fields(times: list[str]) -> ScheduleDocument:
    ordered = sorted(set(times)) or [DEFAULT_TIME]
    if len(ordered) == 1:
        return {"time": ordered[0]}
    return {"times": ordered}


def _once_spec(reading: _Reading) -> ScheduleDocument:
    if reading.on_date is None:
        raise PhraseNotUnderstood("“once” needs a date: once on 2027-03-14, or on March 14 2027")
    repeats = reading.weekdays or reading.month_days or reading.positions or reading.interval
    if repeats or reading.frequencies or reading.dates or reading.quarterly:
        raise PhraseNotUnderstood(
            f"The text names the date {reading.on_date.isoformat()} and repeating days: a "
            "schedule runs once on a date, or repeats"
        )
    return {"frequency": "once", "date": reading.on_date.isoformat()}


def _annual_spec(reading: _Reading) -> ScheduleDocument:
    _refuse_weekdays(reading, "a date of the year")
    dates = list(reading.dates)
    if len({day for _, day in dates}) == 1 and not (reading.month_days or reading.positions):
        # "the 1st of January and July": the day goes with each month named.
        dates += [(month, dates[0][1]) for month in reading.months]
        reading.months = []
    if not dates and len(reading.months) == 1 and len(reading.month_days) == 1:
        dates = [(reading.months[0], reading.month_days[0])]  # "every year in March on the 14th"
    elif not dates and reading.months and (reading.month_days or reading.positions):
        # "the last Friday of November every year": monthly, in the months named.
        reading.frequencies.discard("annually")
        return _monthly_spec(reading)
    elif reading.months or reading.month_days or reading.positions:
        raise PhraseNotUnderstood("The text names a date of the year and other days: name one")
    if not dates:
        raise PhraseNotUnderstood("Every year, but on which date? Say e.g. every year on March 14")
    if len(dates) == 1:
        month, day = dates[0]
        return _with_interval({"frequency": "annually", "month": month, "day": day}, reading)
    days = {day for _, day in dates}
    if len(days) > 1:
        raise PhraseNotUnderstood(
            "Several dates of the year on different days of the month cannot be one "
            "schedule: make one workflow per date"
        )
    months = sorted({month for month, _ in dates})
    spec: ScheduleDocument = {"frequency": "monthly", "month_days": sorted(days), "months": months}
    return _with_interval(spec, reading)


def _monthly_spec(reading: _Reading) -> ScheduleDocument:
    _refuse_weekdays(reading, "days of the month")
    spec: ScheduleDocument = {"frequency": "monthly"}
    named = len(reading.month_days) + len(reading.positions)
    if reading.twice_monthly and named not in (0, 2):
        raise PhraseNotUnderstood(
            f"Twice a month, but the text names {named} day{'s' if named > 1 else ''} of the "
            "month: name two, e.g. on the 1st and 15th"
        )
    if reading.month_days or reading.positions:
        # Both ("the 15th and the last day"): a schedule runs on the dates of each.
        if reading.month_days:
            spec["month_days"] = sorted(reading.month_days)
        if reading.positions:
            spec["month_positions"] = _positions_json(reading)
    elif reading.twice_monthly:
        spec["month_days"] = [1, 15]
    else:
        raise PhraseNotUnderstood(
            "Every month, but on which day? Say e.g. on the 1st and 15th, or the last day"
        )
    if reading.quarterly and reading.months:
        raise PhraseNotUnderstood("The text says every quarter and names months: say one")
    if reading.quarterly:
        ends = reading.positions and all("last" in ordinal for ordinal, _ in reading.positions)
        spec["months"] = _QUARTER_ENDS if ends and not reading.month_days else _QUARTER_STARTS
    elif reading.months and len(reading.months) < 12:
        spec["months"] = sorted(reading.months)
    return _with_interval(spec, reading)


def _positions_json(reading: _Reading) -> list[MonthPositionDocument]:
    ordered = sorted(
        reading.positions,
        key=lambda p: (_ORDINAL_ORDER.index(p[0]), _POSITION_DAY_ORDER.index(p[1])),
    )
    return [{"ordinal": ordinal, "day": day} for ordinal, day in ordered]


def _weekly_spec(reading: _Reading) -> ScheduleDocument:
    if reading.months:
        raise PhraseNotUnderstood(
            "A schedule on days of the week runs in every month: leave out the month, or say "
            "which one of them, e.g. the first Monday of each month"
        )
    if not reading.weekdays:
        raise PhraseNotUnderstood("Every week, but on which day? Say e.g. every Monday")
    weekdays = [day for day in _DAYS if day in reading.weekdays]
    return _with_interval({"frequency": "weekly", "weekdays": weekdays}, reading)


def _daily_spec(reading: _Reading) -> ScheduleDocument:
    if reading.months:
        raise PhraseNotUnderstood(
            "A daily schedule runs in every month: leave out the month, or name days of the "
            "month, e.g. the 1st and 15th of January"
        )
    return _with_interval({"frequency": "daily"}, reading)


def _refuse_weekdays(reading: _Reading, what: str) -> None:
    if reading.weekdays:
        day = DAY_NAMES[_DAYS.index(reading.weekdays[0])]
        raise PhraseNotUnderstood(
            f"The text names {what} and days of the week: say which {day} of the month "
            f"(e.g. the first {day} of the month), or leave out {what}"
        )


def _with_interval(spec: ScheduleDocument, reading: _Reading) -> ScheduleDocument:
    """The spec with the interval the text counts, checked against its frequency."""
    if reading.interval is None:
        return spec
    if reading.quarterly:
        raise PhraseNotUnderstood("Every quarter runs every 3 months: leave out the interval")
    frequency, unit = spec["frequency"], reading.interval_unit
    if unit not in (None, frequency):
        raise PhraseNotUnderstood(_unit_clash(unit, frequency))
    return spec if reading.interval == 1 else {**spec, "interval": reading.interval}


def _unit_clash(unit: str, frequency: str) -> str:
    names = {"daily": "days", "weekly": "weeks", "monthly": "months", "annually": "years"}
    return (
        f"The text counts {names[unit]} but names days that repeat in {names[frequency]}: "
        f"e.g. every 2 {names[frequency]} on ..."
    )
