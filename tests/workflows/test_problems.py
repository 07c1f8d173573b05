"""bot.workflows.problems: locations as paths, worded in file terms from the path alone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.workflows.problems import (
    Problem,
    ProblemCode,
    counted_location,
    counted_text,
    file_text,
    location_text,
    wrong,
)


def test_locations_read_as_paths_in_files() -> None:
    assert location_text(("actions", 0, "text")) == "actions[0].text"
    assert location_text(("settings", "pause_days", 1)) == "settings.pause_days[1]"
    assert location_text(("schedule", "end_date")) == "schedule.end_date"
    assert location_text(()) == ""


def test_criteria_locations_name_group_and_filter_from_one_not_the_part() -> None:
    assert location_text(("criteria", 0, 1, "value")) == "criteria: group 1, filter 2"
    assert location_text(("suppression", 2, "key")) == "suppression: group 3"
    assert location_text(("criteria",)) == "criteria"
    # Criteria read alone start at the group.
    assert location_text((0, 1, "operator")) == "group 1, filter 2"


def test_action_locations_are_counted_from_one() -> None:
    assert counted_location(("actions", 0, "text")) == "action 1, text"
    assert counted_location(("actions", 2, "users", 0)) == "action 3, users, item 1"
    assert counted_location(("settings", "pause_days", 1)) == "settings.pause_days, item 2"
    assert counted_location(("schedule", "time")) == "schedule.time"
    problem = Problem(("actions", 0, "channel"), ProblemCode.MISSING, "missing", ": choose one")
    assert counted_text(problem) == "action 1, channel: missing: choose one"


def test_a_problem_seen_from_an_outer_document_keeps_its_wording() -> None:
    inner = Problem(("end_date",), ProblemCode.BEFORE_START, "2027-01-01 is before x", ": fix")
    outer = inner.under("schedule")
    assert outer.location == ("schedule", "end_date")
    assert file_text(outer) == "schedule.end_date: 2027-01-01 is before x: fix"
    assert outer.field == "end_date"


@given(st.one_of(st.none(), st.just(""), st.just([]), st.integers(), st.text(min_size=1)))
def test_wrong_says_missing_empty_or_what_the_value_is_not(value: object) -> None:
    problem = wrong(("time",), value, "a time of day", ProblemCode.NOT_A_TIME, ": use HH:MM")
    if value is None:
        assert (problem.code, problem.file_head) == (ProblemCode.MISSING, "missing")
    elif value in ("", []):
        assert (problem.code, problem.file_head) == (ProblemCode.EMPTY, "empty")
    else:
        assert problem.code is ProblemCode.NOT_A_TIME
        assert problem.file_head.endswith(" is not a time of day")
    assert file_text(problem).startswith("time: ")
    assert file_text(problem).endswith(": use HH:MM")
