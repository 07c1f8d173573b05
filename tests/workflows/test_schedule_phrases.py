"""Schedules typed in plain English: a table of phrasings with the spec each one means, the
specs accepted by the schedule check, what is not understood, and describe() read back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.workflows.schedule_phrases import EXAMPLES, PhraseNotUnderstood, parse_phrase
from bot.workflows.schedules import DAY_NAMES, InvalidSchedule, parse_schedule

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
ZONE = "America/Chicago"  # the default zone when the text names none
WORKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def _spec(frequency: str, time: str, more: dict[str, Any]) -> dict[str, Any]:
    # Several times a day are "times" in place of "time".
    when = {} if "times" in more else {"time": time}
    return {"frequency": frequency, **when, "timezone": ZONE, **more}


def weekly(days: list[str], time: str = "09:00", **more: Any) -> dict[str, Any]:
    return _spec("weekly", time, {"weekdays": days, **more})


def monthly(time: str = "09:00", **more: Any) -> dict[str, Any]:
    return _spec("monthly", time, more)


def daily(time: str = "09:00", **more: Any) -> dict[str, Any]:
    return _spec("daily", time, more)


def annually(month: int, day: int, time: str = "09:00", **more: Any) -> dict[str, Any]:
    return _spec("annually", time, {"month": month, "day": day, **more})


def once(on: str, time: str) -> dict[str, Any]:
    return _spec("once", time, {"date": on})


def positions(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"ordinal": ordinal, "day": day} for ordinal, day in pairs]


PHRASES: list[tuple[str, dict[str, Any]]] = [
    # Every day, every weekday
    ("daily", daily()),
    ("every day at 9", daily()),
    ("Every day at 5:45pm", daily("17:45")),
    ("each day at noon", daily("12:00")),
    ("daily at midnight", daily("00:00")),
    ("every other day at 7am", daily("07:00", interval=2)),
    ("every 3 days at 06:30", daily("06:30", interval=3)),
    ("every weekday", weekly(WORKDAYS)),
    ("every weekday at 9am", weekly(WORKDAYS)),
    ("weekdays at 8:30", weekly(WORKDAYS, "08:30")),
    ("on weekdays at 09:00", weekly(WORKDAYS)),
    ("every business day at 10am", weekly(WORKDAYS, "10:00")),
    ("Monday to Friday at 9", weekly(WORKDAYS)),
    ("mon-fri at 8:15am", weekly(WORKDAYS, "08:15")),
    ("weekends at 10am", weekly(["sat", "sun"], "10:00")),
    ("every weekday at 9am and 4pm", weekly(WORKDAYS, times=["09:00", "16:00"])),
    # Days of the week
    ("every Monday", weekly(["mon"])),
    ("every Monday and Thursday", weekly(["mon", "thu"])),
    ("every Monday and Thursday at 9am", weekly(["mon", "thu"])),
    ("mondays and thursdays at 2pm", weekly(["mon", "thu"], "14:00")),
    ("every mon, wed and fri at 7", weekly(["mon", "wed", "fri"], "07:00")),
    ("on Tuesdays at 9.30am", weekly(["tue"], "09:30")),
    ("every thurs at 17:00", weekly(["thu"], "17:00")),
    ("weekly on Friday at 4pm", weekly(["fri"], "16:00")),
    ("every Friday at 12pm", weekly(["fri"], "12:00")),
    ("every Sunday at 12am", weekly(["sun"], "00:00")),
    ("Friday to Monday at 6pm", weekly(["mon", "fri", "sat", "sun"], "18:00")),
    # Every other week
    ("every other Tuesday at 9am", weekly(["tue"], interval=2)),
    ("every other week on Tuesday", weekly(["tue"], interval=2)),
    (
        "every other week on Monday and Wednesday at 10am",
        weekly(["mon", "wed"], "10:00", interval=2),
    ),
    ("biweekly on Friday", weekly(["fri"], interval=2)),
    ("fortnightly on Thursday at 3pm", weekly(["thu"], "15:00", interval=2)),
    ("every 2 weeks on Monday", weekly(["mon"], interval=2)),
    ("every three weeks on Wednesday at 11am", weekly(["wed"], "11:00", interval=3)),
    (
        "every other Tuesday at 9am starting 2027-01-05",
        weekly(["tue"], interval=2, start_date="2027-01-05"),
    ),
    # Days of the month
    ("the 1st and 15th", monthly(month_days=[1, 15])),
    ("the first of every month", monthly(month_days=[1])),
    ("on the first of the month", monthly(month_days=[1])),
    ("every month on the first", monthly(month_days=[1])),
    ("last day of month", monthly(month_positions=positions(("last", "day")))),
    ("end of month", monthly(month_positions=positions(("last", "day")))),
    ("end of every month at 6pm", monthly("18:00", month_positions=positions(("last", "day")))),
    ("twice a month on the 1st and 15th", monthly(month_days=[1, 15])),
    ("semi-monthly", monthly(month_days=[1, 15])),  # the 1st and 15th unless days are named
    ("twice a month on the 5th and 20th", monthly(month_days=[5, 20])),
    ("bi-weekly on friday", weekly(["fri"], interval=2)),
    ("every weekday at 8.30", weekly(WORKDAYS, "08:30")),
    ("daily at 14.00", daily("14:00")),
    ("every day at 0900", daily("09:00")),
    ("every mon/wed/fri", weekly(["mon", "wed", "fri"])),
    ("on the 1st and 15th at 9am", monthly(month_days=[1, 15])),
    ("the 1st and 15th of every month", monthly(month_days=[1, 15])),
    ("monthly on the 15th", monthly(month_days=[15])),
    ("every month on the 3rd at 10:00", monthly("10:00", month_days=[3])),
    ("on the 28th of each month at 6pm", monthly("18:00", month_days=[28])),
    ("the 2nd, 12th and 22nd", monthly(month_days=[2, 12, 22])),
    ("every other month on the 10th", monthly(month_days=[10], interval=2)),
    ("every 6 months on the 1st", monthly(month_days=[1], interval=6)),
    # The last day, positions
    ("the last day", monthly(month_positions=positions(("last", "day")))),
    ("the last day of the month", monthly(month_positions=positions(("last", "day")))),
    (
        "on the last day of every month at 5pm",
        monthly("17:00", month_positions=positions(("last", "day"))),
    ),
    ("month end at 18:00", monthly("18:00", month_positions=positions(("last", "day")))),
    (
        "the 1st and the last day of the month",
        # Read as "the first day and the last day": the same dates as the 1st.
        monthly(month_positions=positions(("first", "day"), ("last", "day"))),
    ),
    # Days of the month and positions together: the dates of each
    (
        "the 15th and the last day",
        monthly(month_days=[15], month_positions=positions(("last", "day"))),
    ),
    (
        "on the 1st, 15th and last business day at 4pm",
        monthly("16:00", month_days=[1, 15], month_positions=positions(("last", "business_day"))),
    ),
    (
        "every quarter on the 10th and the last weekday",
        monthly(
            month_days=[10], month_positions=positions(("last", "weekday")), months=[1, 4, 7, 10]
        ),
    ),
    ("the first Monday of each month", monthly(month_positions=positions(("first", "mon")))),
    # A day of the month said in numbers beside a weekday's position: a date, and the position
    (
        "the 1st and the first Monday",
        monthly(month_days=[1], month_positions=positions(("first", "mon"))),
    ),
    (
        "the 2nd and the second Tuesday",
        monthly(month_days=[2], month_positions=positions(("second", "tue"))),
    ),
    (
        "the 3rd and the third Wednesday",
        monthly(month_days=[3], month_positions=positions(("third", "wed"))),
    ),
    (
        "the 1st and first Monday of the month",
        monthly(month_days=[1], month_positions=positions(("first", "mon"))),
    ),
    (
        "the 1st and the last Friday",
        monthly(month_days=[1], month_positions=positions(("last", "fri"))),
    ),
    (
        "on the 1st and on the first Monday",
        monthly(month_days=[1], month_positions=positions(("first", "mon"))),
    ),
    (
        "the 1st and 3rd and the last Friday at 4pm",
        monthly("16:00", month_days=[1, 3], month_positions=positions(("last", "fri"))),
    ),
    (
        "the 2nd and the last business day",
        monthly(month_days=[2], month_positions=positions(("last", "business_day"))),
    ),
    # ... while numbers or words alone before the day are its positions
    (
        "the 1st and 3rd Monday",
        monthly(month_positions=positions(("first", "mon"), ("third", "mon"))),
    ),
    (
        "the first and the last Friday",
        monthly(month_positions=positions(("first", "fri"), ("last", "fri"))),
    ),
    (
        "first monday of the month at noon",
        monthly("12:00", month_positions=positions(("first", "mon"))),
    ),
    (
        "the last Friday of the month at 4pm",
        monthly("16:00", month_positions=positions(("last", "fri"))),
    ),
    (
        "every first and third Wednesday",
        monthly(month_positions=positions(("first", "wed"), ("third", "wed"))),
    ),
    ("the second Tuesday of every month", monthly(month_positions=positions(("second", "tue")))),
    ("the 4th Thursday of the month", monthly(month_positions=positions(("fourth", "thu")))),
    ("the fifth Friday", monthly(month_positions=positions(("fifth", "fri")))),
    ("the last weekday of the month", monthly(month_positions=positions(("last", "weekday")))),
    # Business days
    ("the last business day", monthly(month_positions=positions(("last", "business_day")))),
    (
        "last business day of the month at 4pm",
        monthly("16:00", month_positions=positions(("last", "business_day"))),
    ),
    (
        "the first business day of the month",
        monthly(month_positions=positions(("first", "business_day"))),
    ),
    (
        "the second to last working day",
        monthly(month_positions=positions(("second_to_last", "business_day"))),
    ),
    (
        "the last business day excluding US holidays",
        monthly(month_positions=positions(("last", "business_day")), holidays="US"),
    ),
    (
        "the first business day of the month without UK bank holidays",
        monthly(month_positions=positions(("first", "business_day")), holidays="GB"),
    ),
    (
        "the 3rd business day excluding US-CA holidays",
        monthly(
            month_positions=positions(("third", "business_day")), holidays="US", subdivision="CA"
        ),
    ),
    # Quarters and months
    ("every quarter on the 1st", monthly(month_days=[1], months=[1, 4, 7, 10])),
    ("quarterly on the 15th at 10am", monthly("10:00", month_days=[15], months=[1, 4, 7, 10])),
    (
        "the last day of each quarter",
        monthly(month_positions=positions(("last", "day")), months=[3, 6, 9, 12]),
    ),
    (
        "the last business day of the quarter",
        monthly(month_positions=positions(("last", "business_day")), months=[3, 6, 9, 12]),
    ),
    ("the 1st of January and July", monthly(month_days=[1], months=[1, 7])),
    (
        "every January, April, July and October on the 5th",
        monthly(month_days=[5], months=[1, 4, 7, 10]),
    ),
    (
        "the last Friday of November",
        monthly(month_positions=positions(("last", "fri")), months=[11]),
    ),
    # Once a year, once
    ("every year on March 14", annually(3, 14, "09:00")),
    ("annually on 14 March at 10am", annually(3, 14, "10:00")),
    ("yearly on the 1st of December", annually(12, 1, "09:00")),
    ("every March 14th at noon", annually(3, 14, "12:00")),
    ("every 2 years on Sept 30", annually(9, 30, interval=2)),
    ("every year on March 14 and September 14", monthly(month_days=[14], months=[3, 9])),
    ("once on 2027-03-14 at 10am", once("2027-03-14", "10:00")),
    ("on March 14 2027 at 3pm", once("2027-03-14", "15:00")),
    # Times
    ("every Monday at 9:30pm", weekly(["mon"], "21:30")),
    ("every Monday at 9 a.m.", weekly(["mon"], "09:00")),
    ("every Monday at 9 pm", weekly(["mon"], "21:00")),
    ("every Monday at 17h", weekly(["mon"], "17:00")),
    ("every Monday at 9h30", weekly(["mon"], "09:30")),
    ("every Monday at midday", weekly(["mon"], "12:00")),
    ("every day at 9am, 1pm and 5pm", daily(times=["09:00", "13:00", "17:00"])),
    ("every day at 9 and 16", daily(times=["09:00", "16:00"])),
    ("at 8am every Monday", weekly(["mon"], "08:00")),
    # Zones
    ("every Monday at 9am in Paris time", weekly(["mon"], timezone="Europe/Paris")),
    ("every Monday at 9am Paris time", weekly(["mon"], timezone="Europe/Paris")),
    ("every Monday at 9am in Paris", weekly(["mon"], timezone="Europe/Paris")),
    ("every Monday at 9am Europe/Berlin", weekly(["mon"], timezone="Europe/Berlin")),
    (
        "every Monday at 9am (America/Argentina/Buenos_Aires)",
        weekly(["mon"], timezone="America/Argentina/Buenos_Aires"),
    ),
    ("daily at 5pm New York time", daily("17:00", timezone="America/New_York")),
    ("daily at 5pm in los angeles", daily("17:00", timezone="America/Los_Angeles")),
    ("daily at 5pm PT", daily("17:00", timezone="America/Los_Angeles")),
    ("daily at 5pm Eastern time", daily("17:00", timezone="America/New_York")),
    ("daily at 5pm UTC", daily("17:00", timezone="UTC")),
    ("daily at 5pm local time", daily("17:00")),
    ("weekdays at 9am Tokyo time", weekly(WORKDAYS, timezone="Asia/Tokyo")),
    ("every Monday at 9am in São Paulo", weekly(["mon"], timezone="America/Sao_Paulo")),
    ("EVERY MONDAY AT 9AM", weekly(["mon"])),
    # Start and end
    (
        "every Monday from 2027-01-04 until 2027-06-28",
        weekly(["mon"], start_date="2027-01-04", end_date="2027-06-28"),
    ),
]


def spec_of(text: str) -> dict[str, Any]:
    return parse_phrase(text, ZONE)


@pytest.mark.parametrize(("text", "expected"), PHRASES, ids=[text for text, _ in PHRASES])
def test_a_phrasing_means_its_spec(text: str, expected: dict[str, Any]) -> None:
    assert spec_of(text) == expected


def test_the_table_holds_at_least_60_phrasings() -> None:
    assert len({text.lower() for text, _ in PHRASES}) >= 60


@pytest.mark.parametrize("text", [text for text, _ in PHRASES])
def test_every_spec_read_is_a_valid_schedule(text: str) -> None:
    parsed = parse_schedule(spec_of(text), ZONE, NOW)
    # to_json is the canonical form: the phrase's spec is already written that way.
    assert parsed.schedule.to_json() == spec_of(text)


def test_without_a_default_zone_the_spec_has_none() -> None:
    assert parse_phrase("every Monday", None) == {
        "frequency": "weekly",
        "weekdays": ["mon"],
        "time": "09:00",
    }
    assert parse_phrase("every Monday in Paris time", None)["timezone"] == "Europe/Paris"


# --- Not understood -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("every blursday at 9", "“blursday”"),
        ("every Monday at 9am sharp", "“sharp”"),
        ("every day except weekends", "“except”"),
        ("every Monday at 9am in Gotham time", "“Gotham time”"),
    ],
)
def test_a_part_not_understood_is_named_as_typed(text: str, part: str) -> None:
    with pytest.raises(PhraseNotUnderstood) as caught:
        spec_of(text)
    assert caught.value.reason == f"{part} is not understood"
    assert caught.value.part == part[1:-1]
    assert all(f"“{example}”" in caught.value.message for example in EXAMPLES)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "not how often"),
        ("at 9am", "a time of day but not how often"),
        ("monthly", "on which day"),
        ("weekly at 9", "on which day"),
        ("every year", "on which date"),
        (
            "every friday morning",
            "“morning” is not a time the bot can run at: say the hour, e.g. at 9am",
        ),
        ("every afternoon", "say the hour, e.g. at 9am"),
        ("every morning", "say the hour, e.g. at 9am"),
        ("every hour", "more often than workflows run"),
        ("every 15 minutes", "more often than workflows run"),
        ("every Monday at 9am and Thursday at 4pm", "second set of times"),
        ("every Monday at 25:00", "not a time of day"),
        ("every Monday at 13pm", "not a time of day"),
        ("the 32nd", "not a day of the month"),
        ("every Monday on the 1st", "which Monday of the month"),
        ("every day in December", "leave out the month"),
        ("every 2 weeks on the 1st", "counts weeks"),
        ("every weekday excluding US holidays", "business days of the month"),
        (
            "every weekday at 9am excluding US holidays",
            "set the workflow's holidays setting (pause days) to US",
        ),
        ("every 3 months", "on which day"),
        ("every other month", "on which day"),
        ("every 2 months at 9am", "on which day"),
        ("every 2 weeks at 9am", "on which day"),
        ("every 2 years", "on which date"),
        ("every Monday in Paris time in Tokyo time", "second time zone"),
        ("once at 9am", "needs a date"),
        ("every Monday on 2027-03-14", "repeating days"),
        ("every quarter in March on the 1st", "every quarter and names months"),
        ("once on 2027-02-30", "not a date"),
        ("twice a month on the 5th", "the text names 1 day of the month: name two"),
        ("semi-monthly on the 1st, 10th and 20th", "names 3 days of the month"),
    ],
)
def test_what_cannot_be_a_schedule_says_why(text: str, says: str) -> None:
    with pytest.raises(PhraseNotUnderstood) as caught:
        spec_of(text)
    assert says in caught.value.message


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_examples_given_are_understood(example: str) -> None:
    parse_schedule(spec_of(example), ZONE, NOW)


# --- describe() read back -------------------------------------------------------------------

_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_ORDINALS = ["first", "second", "third", "fourth", "fifth", "second_to_last", "last"]
_POSITION_DAYS = ["day", "weekday", "business_day", *_DAYS]
_times = st.lists(
    st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]:02d}:{t[1]:02d}"),
    min_size=1,
    max_size=3,
)
_zones = st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"])
_interval = st.one_of(st.just(1), st.integers(2, 12))


def _subset(items: list[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(st.sampled_from(items), min_size=1, max_size=4, unique=True)


@st.composite
def _specs(draw: st.DrawFn) -> dict[str, Any]:
    frequency = draw(st.sampled_from(["daily", "weekly", "monthly", "annually", "once"]))
    times = draw(_times)
    spec: dict[str, Any] = {"frequency": frequency, "timezone": draw(_zones)}
    spec |= {"time": times[0]} if len(times) == 1 else {"times": times}
    if frequency == "once":
        return spec | {
            "date": draw(st.dates(NOW.date(), NOW.date().replace(year=2030))).isoformat()
        }
    if draw(_interval) != 1:
        spec["interval"] = draw(_interval)
    if frequency == "weekly":
        spec["weekdays"] = draw(_subset(_DAYS))
    elif frequency == "monthly":
        # Days of the month, positions, or both.
        which = draw(st.sampled_from(["days", "positions", "both"]))
        if which != "positions":
            spec["month_days"] = draw(_subset(list(range(1, 29))))
        if which != "days":
            spec["month_positions"] = [
                {"ordinal": o, "day": d}
                for o, d in draw(_subset([(o, d) for o in _ORDINALS for d in _POSITION_DAYS]))
            ]
        if draw(st.booleans()):
            spec["months"] = draw(_subset(list(range(1, 13))))
    elif frequency == "annually":
        spec |= {"month": draw(st.integers(1, 12)), "day": draw(st.integers(1, 28))}
    if draw(st.booleans()):
        spec["start_date"] = draw(st.dates(NOW.date(), NOW.date().replace(year=2028))).isoformat()
    return spec


@settings(max_examples=300, deadline=None)
@given(_specs())
def test_the_sentence_a_schedule_describes_itself_with_reads_back_as_it(
    spec: dict[str, Any],
) -> None:
    try:
        schedule = parse_schedule(spec, "UTC", NOW).schedule
    except InvalidSchedule:
        return  # e.g. a fifth Monday in months that never have one: not a schedule
    assert parse_phrase(schedule.describe(), None) == schedule.to_json()


_VOCABULARY = (
    "every other each the and of on at in a per once from until starting weekly daily monthly "
    "quarterly yearly annually biweekly fortnightly weekdays weekends day days week weeks month "
    "months year quarter weekday business working last first second third fourth fifth 1st 2nd "
    "15th 31st 32nd 0th to penultimate end excluding monday Tuesday thurs fri sat sun mon-fri "
    "january march Sept may december 9 9am 9:30pm 17:00 17h 25:00 13pm noon midnight 0 2 3 1000 "
    "Paris New York time PT UTC Europe/Paris Mars/Base US US-CA FR holidays bank 2027-03-14 "
    "2027-02-30 2027 blursday hourly minutes , & ( )"
)
_WORDS = _VOCABULARY.split()


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=10))
def test_any_text_is_a_spec_or_says_what_is_not_understood(words: list[str]) -> None:
    text = " ".join(words)
    try:
        spec = parse_phrase(text, ZONE)
    except PhraseNotUnderstood as error:
        assert error.reason and error.message.endswith(f"“{error.examples[1]}”.")
        for example in error.examples:
            parse_phrase(example, ZONE)  # the phrasings offered are understood
        return
    try:
        parse_schedule(spec, ZONE, NOW)
    except InvalidSchedule as error:
        assert error.problems  # refused with a reason, like a spec written by hand


# --- Days of the month and positions in one list ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "doubt", "as_dates", "as_days"),
    [
        (
            "the 1st and last Friday",
            "“1st” can mean the 1st of the month or the first Friday",
            monthly(month_days=[1], month_positions=positions(("last", "fri"))),
            monthly(month_positions=positions(("first", "fri"), ("last", "fri"))),
        ),
        (
            "every month on the 1st and the 3rd Monday",
            "“1st” can mean the 1st of the month or the first Monday",
            monthly(month_days=[1], month_positions=positions(("third", "mon"))),
            monthly(month_positions=positions(("first", "mon"), ("third", "mon"))),
        ),
        (
            "The 1st, 3rd and last Friday",
            "“1st” and “3rd” can mean days of the month or Fridays",
            monthly(month_days=[1, 3], month_positions=positions(("last", "fri"))),
            monthly(month_positions=positions(("first", "fri"), ("third", "fri"), ("last", "fri"))),
        ),
        (
            "the 2nd and last business day",
            "“2nd” can mean the 2nd of the month or the second business day",
            monthly(month_days=[2], month_positions=positions(("last", "business_day"))),
            monthly(
                month_positions=positions(("second", "business_day"), ("last", "business_day"))
            ),
        ),
        (
            "the 1st and the 2nd and last Monday",
            "“1st” and “2nd” can mean days of the month or Mondays",
            monthly(month_days=[1, 2], month_positions=positions(("last", "mon"))),
            monthly(
                month_positions=positions(("first", "mon"), ("second", "mon"), ("last", "mon"))
            ),
        ),
    ],
)
def test_a_number_that_reads_as_a_date_or_a_position_is_refused_with_both_phrasings(
    text: str, doubt: str, as_dates: dict[str, Any], as_days: dict[str, Any]
) -> None:
    with pytest.raises(PhraseNotUnderstood) as caught:
        spec_of(text)
    dates_phrase, days_phrase = caught.value.examples
    shown = text.removeprefix("every month ")
    assert (
        caught.value.message == f"In “{shown}”, {doubt}: say “{dates_phrase}” or “{days_phrase}”."
    )
    assert (spec_of(dates_phrase), spec_of(days_phrase)) == (as_dates, as_days)


_NUMBERED = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_IN_DIGITS = {"first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th"}
_IN_WORDS = {"second_to_last": ["second to last", "2nd to last", "penultimate"]}
_DAY_WORDS = {"business_day": "business day", **dict(zip(_DAYS, DAY_NAMES, strict=True))}


def _said(ordinal: str) -> st.SearchStrategy[str]:
    return st.sampled_from(_IN_WORDS.get(ordinal, [ordinal.replace("_", " ")]))


def _numbered(day: int) -> str:
    return f"{day}{'th' if 10 <= day <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"


@st.composite
def _dates_and_positions_typed(
    draw: st.DrawFn,
) -> tuple[str, set[int], set[tuple[str, str]]]:
    """A phrase of days of the month (in numbers, as people type them: the 1st) and positions
    (the first Monday, the 2nd and 4th Tuesday, the last day), in any order and grouping."""
    # Days up to the 5th are drawn often: they are the ones that read as positions too.
    dates = draw(st.lists(st.integers(1, 5) | st.integers(1, 31), max_size=3, unique=True))
    pairs = [(o, d) for o in _ORDINALS for d in _POSITION_DAYS]
    typed = draw(st.lists(st.sampled_from(pairs), max_size=3, unique=True))
    if not dates and not typed:
        typed = [("first", "mon")]
    parts: list[str] = []
    # Days of the month: one list ("the 1st and 15th"), or each on its own ("the 1st").
    if dates and draw(st.booleans()):
        parts.append("the " + " and ".join(_numbered(day) for day in dates))
    else:
        parts += [f"the {_numbered(day)}" for day in dates]
    # Positions: those of one day in one list ("the 2nd and 4th Tuesday"), or one by one.
    for day in dict.fromkeys(d for _, d in typed):
        ordinals = [o for o, d in typed if d == day]
        digits = draw(st.booleans())  # one list says its ordinals all in numbers or all in words
        words = [_IN_DIGITS[o] if digits and o in _IN_DIGITS else draw(_said(o)) for o in ordinals]
        name = _DAY_WORDS.get(day, day)
        if draw(st.booleans()):
            parts.append(f"the {' and '.join(words)} {name}")
        else:
            parts += [f"the {word} {name}" for word in words]
    order = draw(st.permutations(parts))
    joints = [draw(st.sampled_from([" and ", ", ", " and on ", " & "])) for _ in order[1:]]
    text = order[0] + "".join(joint + part for joint, part in zip(joints, order[1:], strict=True))
    return text, set(dates), set(typed)


def _run_days(
    dates: Iterable[int], pairs: Iterable[tuple[str, str]]
) -> tuple[set[int], set[tuple[str, str]]]:
    """Dates and positions with "the nth day" as the date n: the same days of the month."""
    nth_days = {(o, d) for o, d in pairs if d == "day" and o in _NUMBERED}
    return set(dates) | {_NUMBERED[o] for o, _ in nth_days}, set(pairs) - nth_days


@settings(max_examples=400, deadline=None)
@given(_dates_and_positions_typed())
def test_every_day_of_the_month_and_position_typed_is_in_the_spec_or_the_text_is_refused(
    typed: tuple[str, set[int], set[tuple[str, str]]],
) -> None:
    text, dates, pairs = typed
    try:
        spec = spec_of(text)
    except PhraseNotUnderstood as error:
        for example in error.examples:
            parse_phrase(example, ZONE)  # refused, with phrasings that are understood
        return
    read = [(p["ordinal"], p["day"]) for p in spec.get("month_positions", [])]
    assert _run_days(spec.get("month_days", []), read) == _run_days(dates, pairs)
