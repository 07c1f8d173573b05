"""Built-in fields (id, name, owner, created_at, updated_at): in criteria like properties,
listed first, each compared its own way; owner aliases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.workflows.criteria import (
    Criteria,
    Filter,
    Group,
    InvalidCriteria,
    Operator,
    matches,
    operators_for,
    parse_criteria,
)
from bot.workflows.fields import (
    BUILT_IN_FIELDS,
    built_in_name_problem,
    criteria_fields,
    property_choices,
    record_values,
)
from bot.workflows.vocabulary import PropertyType

TYPES = {"stage": PropertyType.ENUMERATION, "close_date": PropertyType.DATE}
NOW = datetime(2026, 12, 6, 8, 0, tzinfo=ZoneInfo("Europe/Paris"))
CREATED = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def one(prop: str, operator: str, value: object = None) -> dict[str, Any]:
    the_filter: dict[str, Any] = {"property": prop, "operator": operator}
    if value is not None:
        the_filter["value"] = value
    return {"any": [{"all": [the_filter]}]}


def values(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "external_id": "D-1",
        "name": "Acme Straße",
        "owner": "Ann@Example.com",
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    properties = changes.pop("properties", {"stage": "won"})
    return record_values(properties, **{**fields, **changes})


def holds(data: dict[str, Any], **changes: Any) -> bool:
    return matches(parse_criteria(data, TYPES), values(**changes), TYPES, NOW)


def test_the_built_in_fields_are_id_name_owner_created_at_updated_at_in_that_order() -> None:
    assert list(BUILT_IN_FIELDS.items()) == [
        ("id", PropertyType.STRING),
        ("name", PropertyType.STRING),
        ("owner", PropertyType.STRING),
        ("created_at", PropertyType.DATETIME),
        ("updated_at", PropertyType.DATETIME),
    ]


def test_pickers_list_built_in_fields_first_then_properties_by_name() -> None:
    properties = {"zeta": PropertyType.DATETIME, "amount": PropertyType.NUMBER}
    assert [name for name, _ in property_choices(properties)] == [
        "id",
        "name",
        "owner",
        "created_at",
        "updated_at",
        "amount",
        "zeta",
    ]
    assert property_choices(properties, PropertyType.DATETIME) == [
        ("created_at", PropertyType.DATETIME),
        ("updated_at", PropertyType.DATETIME),
        ("zeta", PropertyType.DATETIME),
    ]


def test_a_property_declared_with_a_built_in_name_is_the_built_in_field() -> None:
    # Possible only for data imported before the names were reserved.
    fields = criteria_fields({"updated_at": PropertyType.DATE, "stage": PropertyType.STRING})
    assert fields["updated_at"] is PropertyType.DATETIME
    assert list(fields) == ["id", "name", "owner", "created_at", "updated_at", "stage"]
    assert values(properties={"updated_at": "2020-01-01"})["updated_at"] == (
        "2026-11-01T09:30:00.000000Z"
    )


def test_a_new_property_cannot_take_a_built_in_name() -> None:
    assert "built-in field" in (built_in_name_problem("owner") or "")
    assert built_in_name_problem("owner_email") is None


def test_built_in_fields_need_no_declaration_in_criteria() -> None:
    criteria = parse_criteria(one("owner", "is_unknown"), {})
    assert criteria == Criteria((Group((Filter("owner", Operator.IS_UNKNOWN),)),))


def test_an_owner_is_compared_as_a_person_not_searched_as_text() -> None:
    assert operators_for("owner", PropertyType.STRING) == (
        Operator.EQ,
        Operator.NEQ,
        Operator.IN,
        Operator.NOT_IN,
        Operator.IS_KNOWN,
        Operator.IS_UNKNOWN,
    )
    with pytest.raises(InvalidCriteria) as caught:
        parse_criteria(one("owner", "contains", "ann"), TYPES)
    assert caught.value.messages == [
        "group 1, filter 1: operator 'contains' does not apply to built-in field 'owner'; "
        "use eq, neq, in or not_in"
    ]


def test_is_unknown_on_owner_finds_unassigned_records() -> None:
    assert holds(one("owner", "is_unknown"), owner=None)
    assert not holds(one("owner", "is_unknown"))


def test_owners_compare_ignoring_the_case_of_ascii_letters_only() -> None:
    assert holds(one("owner", "eq", "ann@example.COM"))
    assert holds(one("owner", "in", ["u0123", "ANN@EXAMPLE.COM"]))
    assert not holds(one("owner", "eq", "ann@example.com"), owner="Änn@example.com")
    assert holds(one("owner", "neq", "ann@example.com"), owner=None)


def test_names_compare_with_full_case_folding_like_text_properties() -> None:
    assert holds(one("name", "eq", "ACME STRASSE"))
    assert holds(one("name", "contains", "straße"))
    assert holds(one("name", "starts_with", "acme"))


def test_ids_compare_exactly_as_the_store_tells_records_apart() -> None:
    assert holds(one("id", "eq", "D-1"))
    assert not holds(one("id", "eq", "d-1"))
    assert holds(one("id", "starts_with", "D-"))


def test_created_and_updated_dates_compare_like_datetime_properties() -> None:
    assert holds(one("created_at", "before", "today"))
    assert holds(one("updated_at", "more_than_days_ago", 14))
    assert not holds(one("updated_at", "more_than_days_ago", 40))
    assert holds(one("created_at", "after", "2026-11-01T09:29:59Z"))
    assert holds(one("created_at", "between", ["2026-11-01", "2026-11-01"]))


# --- Owner aliases -------------------------------------------------------------------------

ALIASES = {"ann@example.com": frozenset({"U0ANN"}), "U0ANN": frozenset({"ann@example.com"})}


def test_an_owner_email_also_stands_for_the_slack_user_it_resolves_to() -> None:
    criteria = parse_criteria(one("owner", "eq", "Ann@Example.com"), TYPES)
    aliased = criteria.with_owner_aliases(ALIASES)
    assert aliased.groups[0].filters == (
        Filter("owner", Operator.IN, ("Ann@Example.com", "U0ANN")),
    )
    assert matches(aliased, values(owner="U0ANN"), TYPES, NOW)
    assert not matches(criteria, values(owner="U0ANN"), TYPES, NOW)


def test_neq_and_not_in_exclude_every_alias_too() -> None:
    criteria = parse_criteria(one("owner", "not_in", ["U0ANN", "U0BOB"]), TYPES)
    [the_filter] = criteria.with_owner_aliases(ALIASES).groups[0].filters
    assert the_filter == Filter("owner", Operator.NOT_IN, ("U0ANN", "ann@example.com", "U0BOB"))
    [neq] = (
        parse_criteria(one("owner", "neq", "U0ANN"), TYPES)
        .with_owner_aliases(ALIASES)
        .groups[0]
        .filters
    )
    assert neq.operator is Operator.NOT_IN


def test_criteria_without_aliased_owners_come_back_equal() -> None:
    criteria = parse_criteria(
        {
            "any": [
                {"all": [{"property": "owner", "operator": "eq", "value": "U0CAROL"}]},
                {"all": [{"property": "owner", "operator": "is_unknown"}]},
                {"all": [{"property": "stage", "operator": "eq", "value": "ann@example.com"}]},
            ]
        },
        TYPES,
    )
    assert criteria.with_owner_aliases(ALIASES) == criteria
    assert criteria.with_owner_aliases({}) is criteria
