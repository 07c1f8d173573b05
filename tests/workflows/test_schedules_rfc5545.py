"""RFC 5545's recurrence examples (section 3.8.5.3) that the new schedule fields can express:
several times a day, chosen months, the second to last Monday and weekday. Each expected run
is copied from the RFC's own listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from bot.workflows.schedules import Schedule

NEW_YORK = "America/New_York"


def runs(spec: dict[str, Any], dtstart: str, count: int) -> list[str]:
    """The first ``count`` runs from the RFC's DTSTART (local time in New York), written as
    the RFC lists them: local date and time."""
    start = datetime.fromisoformat(dtstart).replace(tzinfo=Schedule.from_json(spec).zone)
    after = start.astimezone(UTC) - timedelta(minutes=1)
    occurrences = islice(Schedule.from_json(spec).occurrences_after(after), count)
    return [f"{o.at:%Y-%m-%d %H:%M %Z}" for o in occurrences]


def test_monthly_on_the_second_to_last_monday_for_6_months() -> None:
    # DTSTART;TZID=America/New_York:19970922T090000 RRULE:FREQ=MONTHLY;COUNT=6;BYDAY=-2MO
    spec = {
        "frequency": "monthly",
        "month_positions": [{"ordinal": "second_to_last", "day": "mon"}],
        "time": "09:00",
        "timezone": NEW_YORK,
        "start_date": "1997-09-22",
    }
    assert runs(spec, "1997-09-22T09:00", 6) == [
        "1997-09-22 09:00 EDT",
        "1997-10-20 09:00 EDT",
        "1997-11-17 09:00 EST",
        "1997-12-22 09:00 EST",
        "1998-01-19 09:00 EST",
        "1998-02-16 09:00 EST",
    ]


def test_yearly_in_june_and_july_for_10_occurrences() -> None:
    # DTSTART;TZID=America/New_York:19970610T090000 RRULE:FREQ=YEARLY;COUNT=10;BYMONTH=6,7
    spec = {
        "frequency": "monthly",
        "months": [6, 7],
        "month_days": [10],
        "time": "09:00",
        "timezone": NEW_YORK,
        "start_date": "1997-06-10",
    }
    assert runs(spec, "1997-06-10T09:00", 10) == [
        f"{year}-{month:02}-10 09:00 EDT" for year in range(1997, 2002) for month in (6, 7)
    ]


def test_the_second_to_last_weekday_of_the_month() -> None:
    # DTSTART;TZID=America/New_York:19970929T090000
    # RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2
    spec = {
        "frequency": "monthly",
        "month_positions": [{"ordinal": "second_to_last", "day": "weekday"}],
        "time": "09:00",
        "timezone": NEW_YORK,
        "start_date": "1997-09-29",
    }
    assert runs(spec, "1997-09-29T09:00", 7) == [
        "1997-09-29 09:00 EDT",
        "1997-10-30 09:00 EST",
        "1997-11-27 09:00 EST",
        "1997-12-30 09:00 EST",
        "1998-01-29 09:00 EST",
        "1998-02-26 09:00 EST",
        "1998-03-30 09:00 EST",
    ]


def test_every_20_minutes_from_9_am_to_4_40_pm_every_day() -> None:
    # DTSTART;TZID=America/New_York:19970902T090000
    # RRULE:FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40
    times = [f"{hour:02}:{minute:02}" for hour in range(9, 17) for minute in (0, 20, 40)]
    spec = {"frequency": "daily", "times": times, "timezone": NEW_YORK}
    day = [f"{t} EDT" for t in times]
    assert runs(spec, "1997-09-02T09:00", 48) == [
        *(f"1997-09-02 {t}" for t in day),
        *(f"1997-09-03 {t}" for t in day),
    ]
