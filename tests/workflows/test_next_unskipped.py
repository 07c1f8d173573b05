"""What next-run displays show once runs are skipped once by hand: the first occurrence from
the workflow's next run on that nobody skipped, whichever occurrences were skipped."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice

from hypothesis import given
from hypothesis import strategies as st

from bot.workflows.run_followups import next_unskipped
from bot.workflows.schedules import Schedule

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
SCHEDULES = [
    {"frequency": "daily", "time": "09:00", "timezone": "Europe/Berlin"},
    {"frequency": "weekly", "weekdays": ["mon", "thu"], "time": "07:30", "timezone": "UTC"},
    {"frequency": "daily", "times": ["09:00", "16:00"], "timezone": "America/New_York"},
]


@given(st.sampled_from(SCHEDULES), st.sets(st.integers(0, 11), max_size=12))
def test_the_next_run_shown_is_the_first_one_not_skipped(
    spec: dict[str, object], skipped_positions: set[int]
) -> None:
    schedule = Schedule.from_json(spec)
    coming = [o.utc for o in islice(schedule.occurrences_after(NOW), 13)]
    skipped = {coming[position] for position in skipped_positions}
    expected = next(instant for instant in coming if instant not in skipped)
    assert next_unskipped(schedule, coming[0], skipped) == expected


def test_nothing_skipped_or_no_next_run_is_shown_as_is() -> None:
    schedule = Schedule.from_json(SCHEDULES[0])
    assert next_unskipped(schedule, None, {NOW}) is None
    assert next_unskipped(schedule, NOW, set()) == NOW
