from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.workflows.criteria import (
    MAX_FILTERS,
    MAX_GROUPS,
    Criteria,
    Filter,
    Group,
    InvalidCriteria,
    Operator,
    matches,
    parse_criteria,
)
from bot.workflows.vocabulary import PropertyType
from storage.properties import StoredValue, to_stored

TYPES = {
    "stage": PropertyType.ENUMERATION,
    "city": PropertyType.STRING,
    "amount": PropertyType.NUMBER,
    "active": PropertyType.BOOLEAN,
    "close_date": PropertyType.DATE,
    "seen_at": PropertyType.DATETIME,
}
BERLIN = ZoneInfo("Europe/Berlin")
# The day Berlin moves its clocks forward: that calendar day is 23 hours long.
NOW = datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN)
NO_VALUE = object()


def filter_(prop: str, operator: str, value: object = NO_VALUE) -> dict[str, Any]:
    data: dict[str, Any] = {"property": prop, "operator": operator}
    if value is not NO_VALUE:
        data["value"] = value
    return data


def one_group(*filters: dict[str, Any]) -> dict[str, Any]:
    return {"any": [{"all": list(filters)}]}


def record(**raw: object) -> dict[str, StoredValue]:
    return {name: to_stored(value, TYPES[name]) for name, value in raw.items()}


def holds(the_filter: dict[str, Any], now: datetime = NOW, **raw: object) -> bool:
    criteria = parse_criteria(one_group(the_filter), TYPES)
    return matches(criteria, record(**raw), TYPES, now)


def problems_of(data: object, types: dict[str, PropertyType] = TYPES) -> list[str]:
    with pytest.raises(InvalidCriteria) as caught:
        parse_criteria(data, types)
    return caught.value.messages


# --- Parsing -----------------------------------------------------------------------------


def test_the_issue_example_parses_to_one_group_of_two_filters() -> None:
    data = one_group(filter_("stage", "eq", "contract_sent"), filter_("amount", "gte", 5000))
    assert parse_criteria(data, TYPES) == Criteria(
        (
            Group(
                (
                    Filter("stage", Operator.EQ, "contract_sent"),
                    Filter("amount", Operator.GTE, 5000),
                )
            ),
        )
    )


@pytest.mark.parametrize("data", [{}, {"any": []}])
def test_empty_criteria_match_every_record(data: dict[str, Any]) -> None:
    criteria = parse_criteria(data, TYPES)
    assert criteria == Criteria(())
    assert matches(criteria, {}, TYPES, NOW)
    assert matches(criteria, record(amount=1, city="x"), TYPES, NOW)


def test_criteria_survive_a_round_trip_through_json() -> None:
    data = {
        "any": [
            {
                "all": [
                    filter_("city", "in", ["Berlin", "Paris"]),
                    filter_("amount", "between", [1, 2.5]),
                    filter_("close_date", "in_last_days", 7),
                ]
            },
            {"all": [filter_("seen_at", "after", "2026-03-01T10:00:00+01:00")]},
            {"all": [filter_("active", "is_unknown")]},
        ]
    }
    criteria = parse_criteria(data, TYPES)
    assert parse_criteria(criteria.to_json(), TYPES) == criteria
    # Datetimes come back in their stored UTC form, the other values as written.
    assert criteria.to_json()["any"][1]["all"][0]["value"] == "2026-03-01T09:00:00.000000Z"
    assert criteria.to_json()["any"][0] == data["any"][0]
    assert Criteria(()).to_json() == {}


def test_properties_used_lists_each_filtered_property_once() -> None:
    data = {
        "any": [
            {"all": [filter_("city", "eq", "x"), filter_("amount", "gt", 1)]},
            {"all": [filter_("city", "is_known")]},
        ]
    }
    assert parse_criteria(data, TYPES).properties_used() == {"city", "amount"}


# --- Validation --------------------------------------------------------------------------


def test_an_operator_that_does_not_apply_names_the_place_and_the_alternatives() -> None:
    data = one_group(filter_("stage", "eq", "won"), filter_("active", "gte", 1))
    assert problems_of(data) == [
        "group 1, filter 2: operator 'gte' does not apply to boolean property 'active'; "
        "use eq or neq"
    ]


def test_every_problem_is_reported_not_only_the_first() -> None:
    data = {
        "any": [
            {"all": [filter_("amount", "gt", "many"), filter_("citty", "eq", "x")]},
            {"all": [filter_("close_date", "between", ["2026-01-01"])]},
        ]
    }
    problems = problems_of(data)
    assert len(problems) == 3
    assert problems[0].startswith('group 1, filter 1: "many" is text, but number property')
    assert problems[1].startswith("group 1, filter 2: unknown property 'citty'; did you mean")
    assert problems[2].startswith('group 2, filter 1: ["2026-01-01"] is not two bounds')


def test_an_unknown_property_suggests_the_closest_known_name() -> None:
    [problem] = problems_of(one_group(filter_("ammount", "gt", 1)))
    assert "did you mean 'amount'?" in problem
    assert (
        "known fields and properties: id, name, owner, created_at, updated_at, "
        "active, amount, city, close_date, seen_at, stage"
    ) in problem


def test_an_unknown_property_on_a_type_without_properties_says_to_import_first() -> None:
    [problem] = problems_of(one_group(filter_("amount", "gt", 1)), types={})
    assert "no properties yet: import records first" in problem


def test_an_unknown_operator_lists_the_operators_of_the_property_type() -> None:
    [problem] = problems_of(one_group(filter_("active", "equals", True)))
    assert problem == (
        'group 1, filter 1: "operator" "equals" is not an operator; '
        "use eq, neq, is_known or is_unknown"
    )


def test_gt_on_text_is_refused_with_the_operators_text_has() -> None:
    [problem] = problems_of(one_group(filter_("city", "gt", "M")))
    assert "operator 'gt' does not apply to string property 'city'" in problem
    assert problem.endswith("use eq, neq, in, not_in, contains, not_contains or starts_with")


@pytest.mark.parametrize(
    ("prop", "value", "expected"),
    [
        ("amount", "5000", "number without quotes"),
        ("amount", True, "number without quotes"),
        ("active", "true", "true or false without quotes"),
        ("close_date", 20260101, 'a date in quotes, such as "2026-03-01"'),
        ("close_date", "2026-02-30", "not a real date"),
        ("seen_at", "2026-03-01T09:00:00", "has no UTC offset"),
        ("city", 12, "text in quotes"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_with_what_the_property_needs(
    prop: str, value: object, expected: str
) -> None:
    [problem] = problems_of(one_group(filter_(prop, "eq", value)))
    assert problem.startswith("group 1, filter 1: ")
    assert expected in problem


def test_each_wrong_item_of_a_list_is_its_own_problem() -> None:
    problems = problems_of(one_group(filter_("amount", "in", [1, "two", None])))
    assert [p.split(": ")[1] for p in problems] == ["item 2 of the list", "item 3 of the list"]


@pytest.mark.parametrize("value", [[], "Berlin", None])
def test_in_needs_a_non_empty_list(value: object) -> None:
    [problem] = problems_of(one_group(filter_("city", "in", value)))
    assert "'in' needs a non-empty list" in problem


@pytest.mark.parametrize("value", [[1], [1, 2, 3], 1, "1..2"])
def test_between_needs_exactly_two_bounds(value: object) -> None:
    [problem] = problems_of(one_group(filter_("amount", "between", value)))
    assert "'between' needs a list of two bounds [low, high]" in problem


def test_reversed_between_bounds_are_refused_with_the_fixed_order() -> None:
    [problem] = problems_of(
        one_group(filter_("close_date", "between", ["2026-02-01", "2026-01-01"]))
    )
    assert problem.endswith('write ["2026-01-01", "2026-02-01"]')


@pytest.mark.parametrize("value", [-1, 1.5, "7", True, 36_601])
def test_relative_day_operators_need_a_whole_number_of_days(value: object) -> None:
    [problem] = problems_of(one_group(filter_("close_date", "in_last_days", value)))
    assert "whole number of days from 0 to 36600" in problem


def test_presence_operators_take_no_value() -> None:
    [problem] = problems_of(one_group(filter_("city", "is_known", "x")))
    assert problem == "group 1, filter 1: 'is_known' takes no value; remove \"value\""


def test_a_value_operator_without_a_value_says_what_to_write() -> None:
    [problem] = problems_of(one_group(filter_("amount", "gte")))
    assert problem == (
        "group 1, filter 1: 'gte' needs a \"value\": a number without quotes, such as 5000"
    )


def test_an_empty_substring_is_refused() -> None:
    [problem] = problems_of(one_group(filter_("city", "contains", "")))
    assert "'contains' needs at least one character" in problem


def test_text_that_no_database_can_store_is_refused() -> None:
    [problem] = problems_of(one_group(filter_("city", "eq", "a\x00b")))
    assert "NUL" in problem


def test_an_empty_group_is_refused() -> None:
    data = {"any": [{"all": [filter_("city", "is_known")]}, {"all": []}]}
    assert problems_of(data) == ["group 2: has no filters; add a filter or remove the group"]


def test_more_than_25_groups_are_refused() -> None:
    data = {"any": [{"all": [filter_("city", "is_known")]}] * (MAX_GROUPS + 1)}
    assert problems_of(data) == [
        "26 groups is more than the 25 allowed; merge groups with in / not_in or split the workflow"
    ]


def test_more_than_250_filters_in_all_are_refused() -> None:
    group = {"all": [filter_("city", "is_known")] * 11}
    data = {"any": [group] * 23}  # 253 filters in 23 groups
    [problem] = problems_of(data)
    assert problem.startswith(f"253 filters in all is more than the {MAX_FILTERS} allowed")


def test_exactly_25_groups_and_250_filters_are_allowed() -> None:
    data = {"any": [{"all": [filter_("city", "is_known")] * 10}] * 25}
    assert len(parse_criteria(data, TYPES).groups) == 25


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], "criteria must be a JSON object, not a list"),
        ("stage = won", "criteria must be a JSON object, not text"),
        ({"any": {}}, '"any" must be a list of groups, not an object'),
        ({"all": []}, 'a top-level "all" needs wrapping in a group'),
        ({"any": [], "where": 1}, 'unknown top-level key "where"'),
        ({"any": [[]]}, 'group 1: must be an object with an "all" list of filters'),
        ({"any": [{"all": ["stage"]}]}, "group 1, filter 1: must be an object with"),
        (
            {"any": [{"all": [{"operator": "is_known"}]}]},
            'group 1, filter 1: "property" is missing',
        ),
        (
            {"any": [{"all": [filter_("city", "is_known") | {"negate": True}]}]},
            'group 1, filter 1: unknown key "negate"',
        ),
    ],
)
def test_a_malformed_shape_is_refused_with_the_expected_shape(data: object, expected: str) -> None:
    problems = problems_of(data)
    assert any(p.startswith(expected) for p in problems), problems


# --- Evaluation --------------------------------------------------------------------------


def test_text_equality_ignores_case() -> None:
    assert holds(filter_("stage", "eq", "Contract_Sent"), stage="CONTRACT_SENT")


@pytest.mark.parametrize(
    ("stored", "wanted"),
    [("STRASSE", "straße"), ("ΣΊΣΥΦΟΣ", "σίσυφος"), ("ﬁle", "FILE"), ("K", "\u212a")],
)
def test_text_equality_uses_full_unicode_case_folding(stored: str, wanted: str) -> None:
    assert holds(filter_("city", "eq", wanted), city=stored)


def test_substring_operators_ignore_case_too() -> None:
    assert holds(filter_("city", "contains", "STRASSE"), city="Hauptstraße 1")
    assert holds(filter_("city", "starts_with", "haupt"), city="HAUPTSTRASSE")
    assert not holds(filter_("city", "not_contains", "ss"), city="Große")
    assert not holds(filter_("city", "starts_with", "straße"), city="Hauptstraße")


@pytest.mark.parametrize(
    ("the_filter", "passes"),
    [
        (filter_("city", "eq", "x"), False),
        (filter_("city", "neq", "x"), True),
        (filter_("city", "in", ["x"]), False),
        (filter_("city", "not_in", ["x"]), True),
        (filter_("city", "contains", "x"), False),
        (filter_("city", "not_contains", "x"), True),
        (filter_("city", "starts_with", "x"), False),
        (filter_("city", "is_known"), False),
        (filter_("city", "is_unknown"), True),
        (filter_("amount", "gt", 0), False),
        (filter_("amount", "lte", 0), False),
        (filter_("amount", "between", [-1, 1]), False),
        (filter_("active", "eq", False), False),
        (filter_("active", "neq", True), True),
        (filter_("close_date", "before", "2100-01-01"), False),
        (filter_("close_date", "after", "1900-01-01"), False),
        (filter_("close_date", "in_last_days", 36_600), False),
        (filter_("seen_at", "in_next_days", 36_600), False),
    ],
)
def test_a_record_without_the_property_passes_only_negative_operators(
    the_filter: dict[str, Any], passes: bool
) -> None:
    assert holds(the_filter) is passes


def test_a_record_without_the_property_passes_neq() -> None:
    assert holds(filter_("stage", "neq", "won"), city="Paris")


def test_neq_and_not_in_fail_a_record_that_has_the_value() -> None:
    assert not holds(filter_("stage", "neq", "won"), stage="Won")
    assert not holds(filter_("stage", "not_in", ["lost", "won"]), stage="WON")
    assert holds(filter_("stage", "not_in", ["lost", "won"]), stage="open")


def test_number_comparisons_are_numeric_and_between_is_inclusive() -> None:
    assert holds(filter_("amount", "eq", 5000.0), amount=5000)
    assert holds(filter_("amount", "gte", 5000), amount=5000)
    assert not holds(filter_("amount", "gt", 5000), amount=5000)
    assert holds(filter_("amount", "lt", 10), amount=9.5)
    assert holds(filter_("amount", "lte", -1), amount=-1)
    assert holds(filter_("amount", "between", [1, 2]), amount=1)
    assert holds(filter_("amount", "between", [1, 2]), amount=2)
    assert not holds(filter_("amount", "between", [1, 2]), amount=2.000001)
    assert holds(filter_("amount", "in", [1, 2.5]), amount=2.5)


def test_booleans_compare_with_eq_and_neq() -> None:
    assert holds(filter_("active", "eq", True), active=True)
    assert not holds(filter_("active", "eq", True), active=False)
    assert holds(filter_("active", "neq", True), active=False)


def test_before_and_after_are_strict() -> None:
    assert holds(filter_("close_date", "before", "2026-03-02"), close_date="2026-03-01")
    assert not holds(filter_("close_date", "before", "2026-03-01"), close_date="2026-03-01")
    assert holds(filter_("close_date", "after", "2026-02-28"), close_date="2026-03-01")
    assert not holds(filter_("close_date", "after", "2026-03-01"), close_date="2026-03-01")


def test_datetimes_compare_as_instants_whatever_the_offset_written() -> None:
    stored = "2026-03-01T09:00:00Z"
    assert holds(filter_("seen_at", "eq", "2026-03-01T10:00:00+01:00"), seen_at=stored)
    assert holds(filter_("seen_at", "after", "2026-03-01T09:59:59+01:00"), seen_at=stored)
    assert holds(
        filter_("seen_at", "between", ["2026-03-01T04:00:00-05:00", "2026-03-01T09:00:00Z"]),
        seen_at=stored,
    )


@pytest.mark.parametrize(
    ("close_date", "passes"),
    [("2026-03-21", False), ("2026-03-22", True), ("2026-03-29", True), ("2026-03-30", False)],
)
def test_in_last_days_on_a_date_runs_from_n_days_ago_through_today(
    close_date: str, passes: bool
) -> None:
    assert holds(filter_("close_date", "in_last_days", 7), close_date=close_date) is passes


@pytest.mark.parametrize(
    ("close_date", "passes"),
    [("2026-03-28", False), ("2026-03-29", True), ("2026-04-05", True), ("2026-04-06", False)],
)
def test_in_next_days_on_a_date_runs_from_today_through_n_days_ahead(
    close_date: str, passes: bool
) -> None:
    assert holds(filter_("close_date", "in_next_days", 7), close_date=close_date) is passes


def test_today_is_the_calendar_day_of_the_zone_now_is_given_in() -> None:
    # 00:30 in Berlin is still the previous day in UTC.
    just_after_midnight = datetime(2026, 3, 29, 0, 30, tzinfo=BERLIN)
    the_filter = filter_("close_date", "in_last_days", 0)
    assert holds(the_filter, now=just_after_midnight, close_date="2026-03-29")
    assert not holds(the_filter, now=just_after_midnight, close_date="2026-03-28")
    utc_now = just_after_midnight.astimezone(UTC)
    assert holds(the_filter, now=utc_now, close_date="2026-03-28")


@pytest.mark.parametrize(
    ("seen_at", "passes"),
    [
        # One day before 12:00 CEST is 12:00 CET the day before: 11:00 UTC, 23 hours ago.
        ("2026-03-28T10:59:59.999999Z", False),
        ("2026-03-28T11:00:00Z", True),
        ("2026-03-29T10:00:00Z", True),  # now itself
        ("2026-03-29T10:00:00.000001Z", False),
    ],
)
def test_in_last_days_on_a_datetime_counts_wall_clock_days_in_the_zone(
    seen_at: str, passes: bool
) -> None:
    assert holds(filter_("seen_at", "in_last_days", 1), seen_at=seen_at) is passes


def test_in_next_days_on_a_datetime_runs_from_now_forward() -> None:
    the_filter = filter_("seen_at", "in_next_days", 2)
    assert holds(the_filter, seen_at="2026-03-31T10:00:00Z")
    assert not holds(the_filter, seen_at="2026-03-31T10:00:00.000001Z")
    assert not holds(the_filter, seen_at="2026-03-29T09:59:59Z")


def test_evaluating_at_a_naive_instant_is_refused() -> None:
    criteria = parse_criteria(one_group(filter_("close_date", "in_last_days", 1)), TYPES)
    with pytest.raises(ValueError, match="naive"):
        matches(criteria, {}, TYPES, datetime(2026, 3, 29, 12, 0))  # noqa: DTZ001


def test_resolving_at_now_turns_only_relative_operators_into_bounds() -> None:
    criteria = parse_criteria(
        one_group(filter_("close_date", "in_last_days", 2), filter_("amount", "gt", 1)), TYPES
    )
    [group] = criteria.at(NOW, TYPES).groups
    assert group.filters == (
        Filter("close_date", Operator.BETWEEN, ("2026-03-27", "2026-03-29")),
        Filter("amount", Operator.GT, 1),
    )


def test_groups_are_ored_and_filters_inside_a_group_are_anded() -> None:
    criteria = parse_criteria(
        {
            "any": [
                {"all": [filter_("stage", "eq", "won"), filter_("amount", "gte", 100)]},
                {"all": [filter_("active", "eq", True)]},
            ]
        },
        TYPES,
    )
    assert matches(criteria, record(stage="won", amount=100), TYPES, NOW)
    assert not matches(criteria, record(stage="won", amount=99), TYPES, NOW)
    assert matches(criteria, record(stage="lost", amount=1, active=True), TYPES, NOW)
    assert not matches(criteria, record(active=False), TYPES, NOW)
