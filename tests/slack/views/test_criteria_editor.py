"""The wizard's criteria editor: what it renders, how Slack's state reads back, where the
domain's problems land and what its buttons do."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.slack.ids import WizardAction
from bot.slack.views.criteria_editor import (
    LISTED_CHOICES,
    MAX_FILTERS,
    MAX_GROUPS,
    STATIC_PROPERTIES,
    button_field,
    choice_options,
    criteria_blocks,
    criteria_errors,
    edit_criteria,
    property_options,
    read_criteria,
)
from bot.workflows.criteria import (
    DAYS_OPERATORS,
    LIST_OPERATORS,
    PRESENCE_OPERATORS,
    VALUE_OPERATORS,
    InvalidCriteria,
    Operator,
    parse_criteria,
)
from bot.workflows.definitions import InvalidDefinition, parse_definition
from bot.workflows.problems import Problem, ProblemCode, file_text
from bot.workflows.vocabulary import PropertyType
from bot.workflows.wording import OPERATOR_WORDS
from storage.properties import stored_datetime
from tests.block_kit import assert_valid_blocks, assert_valid_view
from tests.slack.views.state import choose, enter, state_from_blocks

PROPERTIES = {
    "stage": PropertyType.STRING,
    "pipeline": PropertyType.ENUMERATION,
    "amount": PropertyType.NUMBER,
    "probability": PropertyType.NUMBER,
    "won": PropertyType.BOOLEAN,
    "close_date": PropertyType.DATE,
    "updated_at": PropertyType.DATETIME,
}
FIELDS = ("criteria", "suppression")
BUDGET = 45  # blocks of one editor, so that the wizard's step views stay within 100


def assert_valid(blocks: Sequence[Mapping[str, Any]]) -> None:
    """Valid Block Kit by the public schema and slack_sdk's models, alone and in a modal."""
    assert_valid_blocks(blocks)
    assert_valid_view(
        {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Wizard"},
            "submit": {"type": "plain_text", "text": "Next"},
            "blocks": list(blocks),
        }
    )


def assert_well_formed(blocks: Sequence[Mapping[str, Any]]) -> None:
    """slack_sdk's checks only: the schema takes half a second a view, too slow for every
    example of every test; test_the_editor_renders_valid_block_kit runs it on each shape."""
    json.dumps(blocks)
    for parsed in Block.parse_all(list(blocks)):
        parsed.validate_json()
    assert len(blocks) <= BUDGET


def rendered(
    criteria: Mapping[str, Any], field: str = "criteria", layout: int = 1, properties=PROPERTIES
) -> list[dict[str, Any]]:
    blocks = criteria_blocks(field, criteria, properties, layout)
    assert_well_formed(blocks)
    return blocks


def read_untouched(
    criteria: Mapping[str, Any], field: str = "criteria", layout: int = 1, properties=PROPERTIES
) -> dict[str, Any]:
    blocks = rendered(criteria, field, layout, properties)
    return read_criteria(field, state_from_blocks(blocks), criteria, properties, layout)


def one_group(*filters: dict[str, Any]) -> dict[str, Any]:
    return {"any": [{"all": list(filters)}]}


def block(blocks: Sequence[Mapping[str, Any]], block_id: str) -> Mapping[str, Any]:
    return next(b for b in blocks if b.get("block_id") == block_id)


def input_ids(blocks: Sequence[Mapping[str, Any]]) -> set[str]:
    return {b["block_id"] for b in blocks if b["type"] == "input"}


def buttons(blocks: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    found = []
    for b in blocks:
        elements = b.get("elements", []) if b["type"] == "actions" else [b.get("accessory")]
        found += [e for e in elements if e and e["type"] == "button"]
    return found


def texts(blocks: Sequence[Mapping[str, Any]]) -> str:
    parts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    parts += [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    return "\n".join(parts)


def operator_values(blocks: Sequence[Mapping[str, Any]], block_id: str) -> set[str]:
    select = block(blocks, block_id)["elements"][0]
    return {option["value"] for option in select["options"]}


# --- Generated valid criteria ---------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda text: text.strip() != ""
)
_LIST_ITEM = _TEXT.map(str.strip).filter(lambda text: text != "" and "," not in text)
_NUMBER = st.integers(-(10**9), 10**9) | st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
_DATE = st.dates(date(1990, 1, 1), date(2100, 12, 31)).map(date.isoformat)
_DATETIME = st.integers(0, 4_000_000_000).map(
    lambda seconds: stored_datetime(datetime.fromtimestamp(seconds, UTC))
)
_SINGLE = {
    PropertyType.STRING: _TEXT,
    PropertyType.ENUMERATION: _TEXT,
    PropertyType.NUMBER: _NUMBER,
    PropertyType.BOOLEAN: st.booleans(),
    PropertyType.DATE: _DATE,
    PropertyType.DATETIME: _DATETIME,
}
_ITEM = {**_SINGLE, PropertyType.STRING: _LIST_ITEM, PropertyType.ENUMERATION: _LIST_ITEM}


@st.composite
def valid_filters(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(PROPERTIES)))
    property_type = PROPERTIES[name]
    operators = VALUE_OPERATORS[property_type] | PRESENCE_OPERATORS
    operator = draw(st.sampled_from(sorted(operators)))
    filter_: dict[str, Any] = {"property": name, "operator": operator.value}
    if operator in PRESENCE_OPERATORS:
        return filter_
    if operator in DAYS_OPERATORS:
        filter_["value"] = draw(st.integers(0, 36_600))
    elif operator in LIST_OPERATORS:
        filter_["value"] = draw(st.lists(_ITEM[property_type], min_size=1, max_size=4))
    elif operator is Operator.BETWEEN:
        filter_["value"] = sorted(draw(st.lists(_SINGLE[property_type], min_size=2, max_size=2)))
    else:
        filter_["value"] = draw(_SINGLE[property_type])
    return filter_


@st.composite
def valid_criteria(draw: st.DrawFn) -> dict[str, Any]:
    group_count = draw(st.integers(0, MAX_GROUPS))
    sizes = [draw(st.integers(1, 3)) for _ in range(group_count)]
    while sum(sizes) > MAX_FILTERS:
        sizes.pop()
    if not sizes:
        return {}
    return {"any": [{"all": [draw(valid_filters()) for _ in range(n)]} for n in sizes]}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_criteria(), st.sampled_from(FIELDS), st.integers(0, 10_000))
def test_generated_criteria_read_back_as_they_were_rendered(
    criteria: dict[str, Any], field: str, layout: int
) -> None:
    parse_criteria(criteria, PROPERTIES)  # the generator makes valid criteria
    assert read_untouched(criteria, field, layout) == criteria


# --- Rendering ----------------------------------------------------------------------------


def test_empty_criteria_say_every_record_is_enrolled_and_offer_a_filter() -> None:
    blocks = rendered({})
    assert len(blocks) == 1
    assert "every record of this type is enrolled" in texts(blocks)
    [add] = buttons(blocks)
    assert add["action_id"] == WizardAction.ADD_FILTER
    assert edit_criteria({}, add["action_id"], add["value"]) == one_group({})


def test_empty_suppression_says_no_record_is_left_out() -> None:
    blocks = rendered({}, field="suppression")
    assert "no record is left out" in texts(blocks)
    assert button_field(buttons(blocks)[0]["value"]) == "suppression"


def test_groups_read_as_and_inside_or_between() -> None:
    criteria = {
        "any": [
            {"all": [{"property": "stage", "operator": "eq", "value": "won"}]},
            {"all": [{"property": "amount", "operator": "is_known"}]},
        ]
    }
    blocks = rendered(criteria)
    shown = texts(blocks)
    assert "*Group 1* · all of these" in shown
    assert "*Group 2* · all of these" in shown
    assert "*or*" in shown
    assert [b["text"] for b in buttons(blocks)] == [
        {"type": "plain_text", "text": t}
        for t in ("+ Filter", "Remove", "+ Filter", "Remove", "+ Group (or)")
    ]


def test_every_button_names_its_editor() -> None:
    criteria = one_group({"property": "stage", "operator": "is_known"})
    for field in FIELDS:
        for button in buttons(rendered(criteria, field)):
            assert button_field(button["value"]) == field


@pytest.mark.parametrize("property_type", list(PropertyType))
def test_operator_choices_fit_the_property_type(property_type: PropertyType) -> None:
    name = next(n for n, t in PROPERTIES.items() if t is property_type)
    blocks = rendered(one_group({"property": name}), layout=4)
    offered = operator_values(blocks, f"criteria.g0.f0.operator-{property_type}@4")
    assert offered == {o.value for o in VALUE_OPERATORS[property_type] | PRESENCE_OPERATORS}


def test_a_string_property_cannot_be_greater_than_anything() -> None:
    blocks = rendered(one_group({"property": "stage"}))
    offered = operator_values(blocks, "criteria.g0.f0.operator-string@1")
    assert "gt" not in offered
    assert {"contains", "in", "is_known"} <= offered


def test_operators_are_shown_in_words() -> None:
    blocks = rendered(one_group({"property": "close_date", "operator": "in_last_days"}))
    select = block(blocks, "criteria.g0.f0.operator-date@1")["elements"][0]
    assert select["initial_option"]["text"]["text"] == "is in the last N days"
    words = {option["text"]["text"] for option in select["options"]}
    assert {"is equal to", "is before", "is between", "is known"} <= words
    assert set(OPERATOR_WORDS) == set(Operator)


def test_property_and_operator_changes_make_slack_send_a_refresh() -> None:
    blocks = rendered(one_group({"property": "amount", "operator": "gt", "value": 5}))
    property_block = block(blocks, "criteria.g0.f0.property@1")
    assert property_block["type"] == "input"
    assert property_block["dispatch_action"] is True
    assert property_block["element"]["action_id"] == WizardAction.REFRESH
    operator_block = block(blocks, "criteria.g0.f0.operator-number@1")
    assert operator_block["type"] == "actions"  # selects in an actions block always dispatch
    assert operator_block["elements"][0]["action_id"] == WizardAction.REFRESH


def test_properties_are_listed_built_in_fields_first_then_by_name_with_their_type() -> None:
    blocks = rendered(one_group({}))
    options = block(blocks, "criteria.g0.f0.property@1")["element"]["options"]
    own = sorted(n for n in PROPERTIES if n != "updated_at")  # updated_at is built in
    built_in = ["id", "name", "owner", "created_at", "updated_at"]
    assert [o["value"] for o in options] == [*built_in, *own]
    assert options[0]["text"]["text"] == "id (string)"
    assert options[5]["text"]["text"] == "amount (number)"


def test_a_long_property_name_is_shortened_in_its_option_only() -> None:
    name = "a" * 63
    properties = {name: PropertyType.ENUMERATION}
    criteria = one_group({"property": name, "operator": "is_known"})
    blocks = rendered(criteria, properties=properties)
    option = block(blocks, "criteria.g0.f0.property@1")["element"]["initial_option"]
    assert len(option["text"]["text"]) <= 75
    assert option["text"]["text"].endswith("… (enumeration)")
    assert read_untouched(criteria, properties=properties) == criteria


def test_many_properties_are_searched_rather_than_listed() -> None:
    properties = {f"p{i:03}": list(PropertyType)[i % 6] for i in range(STATIC_PROPERTIES + 1)}
    criteria = one_group({"property": "p007", "operator": "is_known"})
    blocks = rendered(criteria, properties=properties)
    picker = block(blocks, "criteria.g0.f0.property@1")["element"]
    assert picker["type"] == "external_select"
    assert picker["action_id"] == WizardAction.PICK_PROPERTY
    assert picker["min_query_length"] == 0  # the list shows before anything is typed
    assert picker["initial_option"] == {
        "text": {"type": "plain_text", "text": "p007 (number)"},
        "value": "p007",
    }
    assert read_untouched(criteria, properties=properties) == criteria


def test_the_search_offers_built_in_fields_first_then_names_starting_then_containing() -> None:
    properties = {
        "name": PropertyType.STRING,
        "owner": PropertyType.STRING,
        "deal_amount": PropertyType.NUMBER,
        "amount_paid": PropertyType.NUMBER,
        "Amount": PropertyType.NUMBER,
        "stage": PropertyType.STRING,
    }
    everything = [o["value"] for o in property_options(properties, "")]
    built_in = ["id", "name", "owner", "created_at", "updated_at"]
    assert everything == [*built_in, "Amount", "amount_paid", "deal_amount", "stage"]
    found = [o["value"] for o in property_options(properties, " AMOUNT")]
    assert found == ["Amount", "amount_paid", "deal_amount"]
    assert [o["value"] for o in property_options(properties, "_AT")] == [
        "created_at",
        "updated_at",
    ]
    assert property_options(properties, "zzz") == []


def test_the_search_offers_at_most_a_hundred_options() -> None:
    properties = {f"p{i:04}": PropertyType.STRING for i in range(1000)}
    offered = property_options(properties, "p")
    assert len(offered) == 100
    assert offered[0]["value"] == "p0000"


def test_the_editor_for_a_type_of_a_thousand_properties_stays_small() -> None:
    """Every row of 1,000 properties once carried a static select of them all (84 KB a
    row; the 4th row broke Slack's 250 KB view limit). Criteria of 25 groups from a file."""
    properties = {f"property_{i:04}": list(PropertyType)[i % 6] for i in range(1000)}
    groups = [
        {"all": [{"property": f"property_{g:04}", "operator": "is_known"}]} for g in range(25)
    ]
    blocks = rendered({"any": groups}, properties=properties)
    size = len(json.dumps(blocks))
    assert size < 25_000, f"{size} bytes"
    assert_valid(blocks)


def test_without_properties_the_built_in_fields_are_offered() -> None:
    blocks = rendered(one_group({}), properties={})
    element = block(blocks, "criteria.g0.f0.property@1")["element"]
    assert [o["value"] for o in element["options"]] == [
        "id",
        "name",
        "owner",
        "created_at",
        "updated_at",
    ]
    values = state_from_blocks(blocks)
    choose(blocks, values, "criteria.g0.f0.property@1", "owner")
    read = read_criteria("criteria", values, one_group({}), {}, 1)
    assert read == one_group({"property": "owner"})


def test_a_property_the_records_do_not_have_is_shown_as_such() -> None:
    criteria = one_group({"property": "stage", "operator": "eq", "value": "won"})
    blocks = rendered(criteria, properties={})
    option = block(blocks, "criteria.g0.f0.property@1")["element"]["initial_option"]
    assert option["text"]["text"] == "stage (not a property of these records)"
    assert read_untouched(criteria, properties={}) == criteria


# --- Values -------------------------------------------------------------------------------


def value_element(criteria: Mapping[str, Any]) -> Mapping[str, Any]:
    return block(rendered(criteria), "criteria.g0.f0.value@1")["element"]


def test_presence_operators_have_no_value_input() -> None:
    for operator in ("is_known", "is_unknown"):
        blocks = rendered(one_group({"property": "stage", "operator": operator}))
        assert "criteria.g0.f0.value@1" not in {b.get("block_id") for b in blocks}


def test_each_operator_gets_a_value_input_of_its_shape() -> None:
    def element(property_: str, operator: str) -> Mapping[str, Any]:
        return value_element(one_group({"property": property_, "operator": operator}))

    assert element("close_date", "eq")["type"] == "datepicker"
    assert element("close_date", "before")["type"] == "plain_text_input"  # "today" is typed
    assert element("close_date", "more_than_days_ago")["type"] == "number_input"
    assert element("won", "eq")["type"] == "static_select"
    days = element("close_date", "in_next_days")
    assert days["type"] == "number_input"
    assert days["is_decimal_allowed"] is False
    assert days["min_value"] == "0"
    assert element("stage", "in")["multiline"] is True
    assert element("amount", "between")["type"] == "plain_text_input"
    between = block(
        rendered(one_group({"property": "amount", "operator": "between"})), "criteria.g0.f0.value@1"
    )
    assert "separated by a comma" in between["hint"]["text"]


def test_a_value_that_does_not_fit_its_input_is_shown_as_text() -> None:
    for criteria in (
        one_group({"property": "close_date", "operator": "eq", "value": "next week"}),
        one_group({"property": "close_date", "operator": "eq", "value": "2026-02-30"}),
        one_group({"property": "won", "operator": "eq", "value": "maybe"}),
        one_group({"property": "close_date", "operator": "in_last_days", "value": -3}),
        one_group({"property": "close_date", "operator": "in_last_days", "value": "soon"}),
    ):
        assert value_element(criteria)["type"] == "plain_text_input"
        assert read_untouched(criteria) == criteria


def read_entered(criteria: Mapping[str, Any], entered: Any) -> dict[str, Any]:
    blocks = rendered(criteria)
    values = state_from_blocks(blocks)
    enter(values, "criteria.g0.f0.value@1", entered)
    return read_criteria("criteria", values, criteria, PROPERTIES, 1)


def value_read(property_: str, operator: str, entered: Any) -> Any:
    criteria = one_group({"property": property_, "operator": operator})
    return read_entered(criteria, entered)["any"][0]["all"][0].get("value", "<none>")


def test_typed_values_are_converted_when_they_parse_and_kept_as_text_when_not() -> None:
    assert value_read("amount", "eq", "5000") == 5000
    assert value_read("amount", "gt", " 12.5 ") == 12.5
    assert value_read("amount", "eq", "5k") == "5k"
    assert value_read("stage", "eq", " won ") == " won "
    assert value_read("updated_at", "after", "2026-03-01T09:00:00Z") == "2026-03-01T09:00:00Z"
    assert value_read("close_date", "in_last_days", "7") == 7
    assert value_read("close_date", "in_last_days", "a week") == "a week"


def test_before_and_after_take_a_day_word_or_a_date_as_typed() -> None:
    criteria = one_group({"property": "close_date", "operator": "before"})
    value = block(rendered(criteria), "criteria.g0.f0.value@1")
    assert value["label"]["text"] == "Day"
    assert value["hint"]["text"] == (
        "Today, yesterday or tomorrow (the day the workflow runs), or a date such as 2026-03-01."
    )
    assert value_read("close_date", "before", "today") == "today"
    assert value_read("updated_at", "after", "2026-03-01") == "2026-03-01"
    assert value_read("close_date", "between", "yesterday, tomorrow") == ["yesterday", "tomorrow"]
    kept = one_group({"property": "close_date", "operator": "before", "value": "tomorrow"})
    assert read_untouched(kept) == kept


def test_the_owner_is_picked_among_the_people_of_the_workspace() -> None:
    one = value_element(one_group({"property": "owner", "operator": "eq", "value": "U0ANN"}))
    assert one == {
        "type": "users_select",
        "action_id": "wizard_input_user",
        "initial_user": "U0ANN",
    }
    many = value_element(one_group({"property": "owner", "operator": "in"}))
    assert many["type"] == "multi_users_select"
    assert value_read("owner", "in", ["U0ANN", "U0BOB"]) == ["U0ANN", "U0BOB"]
    assert value_read("owner", "eq", "U0ANN") == "U0ANN"
    assert value_read("owner", "in", []) == "<none>"


def test_an_owner_written_as_an_email_stays_a_text_box() -> None:
    criteria = one_group({"property": "owner", "operator": "in", "value": ["ann@example.com"]})
    assert value_element(criteria)["type"] == "plain_text_input"
    assert read_untouched(criteria) == criteria


def test_lists_are_split_on_lines_or_else_on_commas() -> None:
    assert value_read("amount", "in", "1, 2,x") == [1, 2, "x"]
    assert value_read("stage", "not_in", "won, lost\nopen\n\n") == ["won, lost", "open"]
    assert value_read("stage", "in", "won") == ["won"]


def test_between_reads_a_low_and_a_high_bound() -> None:
    assert value_read("amount", "between", "1000, 5000") == [1000, 5000]
    assert value_read("close_date", "between", "2026-01-01,2026-03-31") == [
        "2026-01-01",
        "2026-03-31",
    ]
    assert value_read("amount", "between", "1000") == [1000]  # the domain says what is missing


def test_an_empty_value_is_left_out_for_the_domain_to_report() -> None:
    for property_, operator in (("stage", "eq"), ("amount", "in"), ("close_date", "eq")):
        assert value_read(property_, operator, None) == "<none>"
    assert value_read("stage", "contains", "   ") == "<none>"


def test_a_boolean_is_chosen_from_yes_and_no() -> None:
    criteria = one_group({"property": "won", "operator": "eq", "value": False})
    blocks = rendered(criteria)
    values = state_from_blocks(blocks)
    assert read_criteria("criteria", values, criteria, PROPERTIES, 1) == criteria
    choose(blocks, values, "criteria.g0.f0.value@1", "true")
    read = read_criteria("criteria", values, criteria, PROPERTIES, 1)
    assert read == one_group({"property": "won", "operator": "eq", "value": True})


def test_a_date_picked_reads_as_an_iso_date() -> None:
    assert value_read("close_date", "before", "2026-05-01") == "2026-05-01"


# --- Changing the property or the operator ------------------------------------------------


def changed(criteria: Mapping[str, Any], block_id: str, option: str) -> dict[str, Any]:
    blocks = rendered(criteria)
    values = state_from_blocks(blocks)
    choose(blocks, values, block_id, option)
    read = read_criteria("criteria", values, criteria, PROPERTIES, 1)
    rendered(read)
    return read


def test_changing_the_property_resets_an_operator_that_no_longer_fits() -> None:
    criteria = one_group({"property": "stage", "operator": "contains", "value": "won"})
    read = changed(criteria, "criteria.g0.f0.property@1", "amount")
    assert read == one_group({"property": "amount"})


def test_changing_the_property_keeps_a_condition_that_still_fits() -> None:
    criteria = one_group({"property": "stage", "operator": "eq", "value": "won"})
    read = changed(criteria, "criteria.g0.f0.property@1", "pipeline")
    assert read == one_group({"property": "pipeline", "operator": "eq", "value": "won"})
    read = changed(criteria, "criteria.g0.f0.property@1", "amount")
    assert read == one_group({"property": "amount", "operator": "eq"})  # "won" is no amount


def test_changing_the_operator_keeps_a_value_of_the_same_shape_only() -> None:
    criteria = one_group({"property": "amount", "operator": "gt", "value": 5})
    block_id = "criteria.g0.f0.operator-number@1"
    assert changed(criteria, block_id, "lte") == one_group(
        {"property": "amount", "operator": "lte", "value": 5}
    )
    assert changed(criteria, block_id, "between") == one_group(
        {"property": "amount", "operator": "between"}
    )
    assert changed(criteria, block_id, "is_known") == one_group(
        {"property": "amount", "operator": "is_known"}
    )


def test_a_new_filter_asks_for_a_property_then_a_condition_then_a_value() -> None:
    criteria = one_group({})
    blocks = rendered(criteria)
    assert [b["type"] for b in blocks[2:4]] == ["input", "actions"]
    assert [e["type"] for e in blocks[3]["elements"]] == ["button"]  # only Remove
    criteria = changed(criteria, "criteria.g0.f0.property@1", "close_date")
    assert criteria == one_group({"property": "close_date"})
    criteria = changed(criteria, "criteria.g0.f0.operator-date@1", "in_next_days")
    blocks = rendered(criteria)
    values = state_from_blocks(blocks)
    enter(values, "criteria.g0.f0.value@1", "30")
    assert read_criteria("criteria", values, criteria, PROPERTIES, 1) == one_group(
        {"property": "close_date", "operator": "in_next_days", "value": 30}
    )


def test_the_layout_keeps_one_layouts_state_out_of_another() -> None:
    criteria = one_group({"property": "stage", "operator": "eq", "value": "won"})
    blocks = rendered(criteria, layout=7)
    assert all(b["block_id"].endswith("@7") for b in blocks if "block_id" in b)
    values = state_from_blocks(blocks)
    enter(values, "criteria.g0.f0.value@7", "lost")
    assert read_criteria("criteria", values, criteria, PROPERTIES, 8) == criteria


# --- Invalid and partial documents --------------------------------------------------------

INVALID_FILTERS = [
    {},
    {"property": "stag", "operator": "eq", "value": "x"},
    {"property": "stage", "operator": "gt", "value": "x"},
    {"property": "stage", "operator": "sounds_like", "value": "x"},
    {"property": "stage", "operator": 3},
    {"operator": "eq"},
    {"property": "amount", "operator": "eq", "value": "5000"},
    {"property": "amount", "operator": "in", "value": 5},
    {"property": "amount", "operator": "between", "value": [9, 1, 5]},
    {"property": "won", "operator": "eq", "value": 1},
    {"property": "x" * 200, "operator": "eq", "value": "y" * 5000},
    {"property": "stage", "operator": "eq", "value": {"a": 1}},
    {"property": "stage", "operator": "is_known", "value": "x"},
    {"property": "stage", "operator": "eq", "value": "x", "extra": 1},
    {"property": "<!channel>", "operator": "<b>", "value": "<!here>"},
]


@pytest.mark.parametrize("filter_", INVALID_FILTERS)
def test_invalid_filters_render_and_read_back_without_raising(filter_: dict[str, Any]) -> None:
    criteria = {"any": [{"all": [filter_]}, {"all": []}, {"nothing": 1}, "junk"]}
    read = read_untouched(criteria)
    assert read["any"][1:] == [{"all": []}, {"all": []}, {"all": []}]
    assert set(read["any"][0]["all"][0]) <= set(filter_)


@pytest.mark.parametrize(
    "filter_",
    [
        {"property": "stag", "operator": "eq", "value": "x"},
        {"property": "stage", "operator": "gt", "value": "x"},
        {"property": "stage", "operator": "sounds_like"},
        {"property": "amount", "operator": "in", "value": [1, "many"]},
        {"property": "close_date", "operator": "in_last_days", "value": "a week"},
    ],
)
def test_an_invalid_filter_reads_back_as_it_was_for_the_domain_to_report(
    filter_: dict[str, Any],
) -> None:
    assert read_untouched(one_group(filter_)) == one_group(filter_)


@pytest.mark.parametrize("criteria", [{"all": []}, {"any": "x"}, {"any": []}, {"any": None}])
def test_criteria_in_no_known_shape_show_as_empty(criteria: dict[str, Any]) -> None:
    assert read_untouched(criteria) == {}


def test_no_user_text_reaches_mrkdwn() -> None:
    criteria = one_group({"property": "<!channel>", "operator": "<b>", "value": "<!here>"})
    assert "<!" not in texts(rendered(criteria))


# --- The caps -----------------------------------------------------------------------------


def full(groups: int, per_group: int) -> dict[str, Any]:
    filter_ = {"property": "amount", "operator": "between", "value": [1, 2]}
    return {"any": [{"all": [dict(filter_) for _ in range(per_group)]} for _ in range(groups)]}


def test_the_editor_at_the_caps_stays_within_its_block_budget() -> None:
    # 1 heading + 5 group headers + 4 "or" + 10 filters of 3 blocks + 1 closing line
    assert len(rendered(full(MAX_GROUPS, MAX_FILTERS // MAX_GROUPS))) == 41
    for field in FIELDS:
        for groups, per_group in ((MAX_GROUPS, MAX_FILTERS // MAX_GROUPS), (1, MAX_FILTERS)):
            criteria = full(groups, per_group)
            rendered(criteria, field)  # checks the budget and validity
            assert read_untouched(criteria, field) == criteria


def test_at_the_filter_cap_no_add_button_is_shown_and_a_line_says_why() -> None:
    criteria = full(MAX_GROUPS, MAX_FILTERS // MAX_GROUPS)
    blocks = rendered(criteria)
    actions = {b["action_id"] for b in buttons(blocks)}
    assert actions == {WizardAction.REMOVE_FILTER}
    assert f"This form holds {MAX_FILTERS} filters" in texts(blocks)
    for action_id, value in (
        (WizardAction.ADD_FILTER, {"field": "criteria", "group": 0}),
        (WizardAction.ADD_GROUP, {"field": "criteria"}),
    ):
        assert edit_criteria(criteria, action_id, json.dumps(value)) == criteria


def test_at_the_group_cap_filters_can_still_be_added_to_a_group() -> None:
    criteria = full(MAX_GROUPS, 1)
    blocks = rendered(criteria)
    actions = [b["action_id"] for b in buttons(blocks)]
    assert WizardAction.ADD_GROUP not in actions
    assert actions.count(WizardAction.ADD_FILTER) == MAX_GROUPS
    assert f"This form holds {MAX_GROUPS} groups" in texts(blocks)
    assert edit_criteria(criteria, WizardAction.ADD_GROUP, '{"field": "criteria"}') == criteria


def test_filters_beyond_the_caps_are_not_shown_and_kept_as_they_are() -> None:
    criteria = full(10, 3)
    criteria["any"][9]["all"][2] = {"property": "nope"}
    blocks = rendered(criteria)  # within the budget
    assert "20 more filters are not shown" in texts(blocks)
    values = state_from_blocks(blocks)
    enter(values, "criteria.g0.f0.value@1", "5, 6")
    read = read_criteria("criteria", values, criteria, PROPERTIES, 1)
    assert read["any"][0]["all"][0]["value"] == [5, 6]
    assert read["any"][1:] == criteria["any"][1:]


# --- Buttons ------------------------------------------------------------------------------


def press(criteria: Mapping[str, Any], action_id: str, **value: Any) -> dict[str, Any]:
    return edit_criteria(criteria, action_id, json.dumps({"field": "criteria", **value}))


STAGE = {"property": "stage", "operator": "eq", "value": "won"}
AMOUNT = {"property": "amount", "operator": "gt", "value": 5}


def test_add_filter_adds_an_empty_filter_to_its_group() -> None:
    criteria = {"any": [{"all": [STAGE]}, {"all": [AMOUNT]}]}
    assert press(criteria, WizardAction.ADD_FILTER, group=1) == {
        "any": [{"all": [STAGE]}, {"all": [AMOUNT, {}]}]
    }


def test_add_group_adds_a_group_with_an_empty_filter() -> None:
    assert press(one_group(STAGE), WizardAction.ADD_GROUP) == {
        "any": [{"all": [STAGE]}, {"all": [{}]}]
    }


def test_remove_filter_removes_that_filter() -> None:
    criteria = one_group(STAGE, AMOUNT)
    assert press(criteria, WizardAction.REMOVE_FILTER, group=0, filter=0) == one_group(AMOUNT)


def test_removing_the_last_filter_of_a_group_removes_the_group() -> None:
    criteria = {"any": [{"all": [STAGE]}, {"all": [AMOUNT]}]}
    assert press(criteria, WizardAction.REMOVE_FILTER, group=0, filter=0) == one_group(AMOUNT)
    assert press(one_group(STAGE), WizardAction.REMOVE_FILTER, group=0, filter=0) == {}


def test_the_rendered_buttons_do_what_they_say() -> None:
    criteria = {"any": [{"all": [STAGE, AMOUNT]}, {"all": [AMOUNT]}]}
    presses = [(b["action_id"], b["value"]) for b in buttons(rendered(criteria))]
    results = [edit_criteria(criteria, action_id, value) for action_id, value in presses]
    assert results == [
        {"any": [{"all": [STAGE, AMOUNT, {}]}, {"all": [AMOUNT]}]},
        {"any": [{"all": [AMOUNT]}, {"all": [AMOUNT]}]},
        {"any": [{"all": [STAGE]}, {"all": [AMOUNT]}]},
        {"any": [{"all": [STAGE, AMOUNT]}, {"all": [AMOUNT, {}]}]},
        one_group(STAGE, AMOUNT),
        {"any": [{"all": [STAGE, AMOUNT]}, {"all": [AMOUNT]}, {"all": [{}]}]},
    ]
    for result in results:
        rendered(result)


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        (WizardAction.REMOVE_FILTER, '{"group": 5, "filter": 0}'),
        (WizardAction.REMOVE_FILTER, '{"group": 0, "filter": true}'),
        (WizardAction.REMOVE_FILTER, "not json"),
        (WizardAction.ADD_FILTER, '{"group": -1}'),
        (WizardAction.ADD_FILTER, "[1]"),
        (WizardAction.BACK, "{}"),
    ],
)
def test_a_press_that_makes_no_sense_changes_nothing(action_id: str, value: str) -> None:
    criteria = one_group(STAGE)
    assert edit_criteria(criteria, action_id, value) == criteria


def test_editing_leaves_the_draft_untouched() -> None:
    criteria = one_group(dict(STAGE))
    press(criteria, WizardAction.ADD_FILTER, group=0)
    press(criteria, WizardAction.REMOVE_FILTER, group=0, filter=0)
    assert criteria == one_group(STAGE)


# --- Errors -------------------------------------------------------------------------------


def definition_problems(criteria: object, suppression: object = None) -> tuple[Problem, ...]:
    document: dict[str, Any] = {
        "name": "Review",
        "object_type": "deals",
        "owner": "U0123ABCD",
        "schedule": {"frequency": "daily", "time": "09:00"},
        "criteria": criteria,
        "actions": [],
    }
    if suppression is not None:
        document["suppression"] = suppression
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidDefinition) as raised:
        parse_definition(document, PROPERTIES, ["deals"], "UTC", now)
    return raised.value.problems


def criteria_problems(criteria: object) -> list[Problem]:
    """The problems of criteria read alone, located as the definition's criteria."""
    with pytest.raises(InvalidCriteria) as raised:
        parse_criteria(criteria, PROPERTIES)
    return [problem.under("criteria") for problem in raised.value.problems]


def placed(field: str, problems: Sequence[Problem], criteria: Mapping[str, Any]) -> dict[str, str]:
    errors = criteria_errors(field, problems, criteria, 2)
    assert set(errors) <= input_ids(criteria_blocks(field, criteria, PROPERTIES, 2))
    return errors


def test_a_bad_value_shows_beside_its_value() -> None:
    criteria = {
        "any": [
            {"all": [STAGE]},
            {"all": [STAGE, {"property": "amount", "operator": "gt", "value": "5000"}]},
        ]
    }
    problems = definition_problems(criteria)
    assert file_text(problems[0]).startswith("criteria: group 2, filter 2: ")
    assert placed("criteria", problems, criteria) == {
        "criteria.g1.f1.value@2": "The value for amount needs to be a number, e.g. 4000."
    }


def test_property_and_operator_problems_show_beside_the_property() -> None:
    criteria = one_group(
        {"property": "stag", "operator": "eq", "value": "x"},
        {"property": "stage", "operator": "gt", "value": "x"},
        {"operator": "eq", "value": "x"},
    )
    errors = placed("criteria", definition_problems(criteria), criteria)
    assert set(errors) == {f"criteria.g0.f{f}.property@2" for f in range(3)}
    assert errors["criteria.g0.f0.property@2"] == (
        "The records have no property stag: choose another."
    )
    assert errors["criteria.g0.f1.property@2"] == (
        "“is greater than” does not apply to stage: choose another condition."
    )
    assert errors["criteria.g0.f2.property@2"] == "Choose a property."


def test_a_filter_without_value_input_shows_its_value_problem_beside_the_property() -> None:
    criteria = one_group({"property": "stage", "operator": "is_known", "value": "x"})
    errors = placed("criteria", criteria_problems(criteria), criteria)
    assert errors == {
        "criteria.g0.f0.property@2": "“is known” takes no value: choose another condition."
    }


def test_several_problems_of_one_filter_are_joined_each_sentence_once() -> None:
    criteria = one_group({"property": "amount", "operator": "in", "value": ["x", "y", 3]})
    criteria["any"][0]["all"].append({"property": "stage", "operator": "starts_with"})
    criteria["any"][0]["all"][1]["value"] = ""
    errors = placed("criteria", criteria_problems(criteria), criteria)
    assert (
        errors["criteria.g0.f0.value@2"] == "The value for amount needs to be a number, e.g. 4000."
    )
    assert errors["criteria.g0.f1.value@2"] == (
        "“starts with” needs at least one character: use “is known” to test presence."
    )


def test_a_group_problem_shows_on_the_first_input_naming_its_group() -> None:
    criteria = {"any": [{"all": [STAGE]}, {"all": []}]}
    problems = definition_problems({}, suppression=criteria)
    assert [file_text(p) for p in problems] == [
        "suppression: group 2: has no filters; add a filter or remove the group"
    ]
    assert placed("suppression", problems, criteria) == {
        "suppression.g0.f0.property@2": "Group 2: Add a filter to this group or remove the group."
    }


def test_a_problem_of_a_filter_not_shown_lands_on_the_first_input() -> None:
    criteria = full(MAX_GROUPS + 1, 2)
    criteria["any"][-1]["all"][0] = {"property": "nope", "operator": "is_known"}
    errors = placed("criteria", criteria_problems(criteria), criteria)
    assert list(errors) == ["criteria.g0.f0.property@2"]
    assert errors["criteria.g0.f0.property@2"] == (
        "Group 6, filter 1: The records have no property nope: choose another."
    )


def test_without_any_input_no_error_can_be_placed() -> None:
    something = Problem(("criteria",), ProblemCode.NOT_A_MAPPING, "something")
    assert criteria_errors("criteria", [something], {}, 2) == {}


_MESSY_FILTER = st.fixed_dictionaries(
    {},
    optional={
        "property": st.sampled_from([*PROPERTIES, "nope", ""]) | st.integers(),
        "operator": st.sampled_from([*Operator, "nope"]),
        "value": st.none() | st.integers(-5, 5) | st.text(max_size=5) | st.lists(st.integers()),
    },
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_MESSY_FILTER, max_size=4), min_size=1, max_size=8))
def test_every_problem_lands_on_an_input_of_the_editor(groups: list[list[dict[str, Any]]]) -> None:
    criteria = {"any": [{"all": filters} for filters in groups]}
    blocks = rendered(criteria)
    try:
        parse_criteria(criteria, PROPERTIES)
    except InvalidCriteria as error:
        problems = [problem.under("criteria") for problem in error.problems]
    else:
        return
    errors = criteria_errors("criteria", problems, criteria, 1)
    assert set(errors) <= input_ids(blocks)
    if input_ids(blocks):
        assert errors and all(errors.values())


# --- Valid Block Kit, shape by shape ----------------------------------------------------

_SAMPLE_VALUES = {
    PropertyType.STRING: ("won", ["won", "lost"]),
    PropertyType.ENUMERATION: ("won", ["won", "lost"]),
    PropertyType.NUMBER: (5000, [1, 2.5]),
    PropertyType.BOOLEAN: (True, [True]),
    PropertyType.DATE: ("2026-03-01", ["2026-03-01", "2026-04-01"]),
    PropertyType.DATETIME: ("2026-03-01T09:00:00Z", ["2026-03-01T09:00:00Z"] * 2),
}


def every_operator_of(property_type: PropertyType) -> list[dict[str, Any]]:
    name = next(n for n, t in PROPERTIES.items() if t is property_type)
    single, many = _SAMPLE_VALUES[property_type]
    filters = []
    for operator in sorted(VALUE_OPERATORS[property_type] | PRESENCE_OPERATORS):
        filter_: dict[str, Any] = {"property": name, "operator": operator.value}
        if operator in DAYS_OPERATORS:
            filter_["value"] = 7
        elif operator in LIST_OPERATORS or operator is Operator.BETWEEN:
            filter_["value"] = many
        elif operator not in PRESENCE_OPERATORS:
            filter_["value"] = single
        filters.append(filter_)
    return filters


def in_groups(filters: list[dict[str, Any]], per_group: int) -> dict[str, Any]:
    chunks = [filters[i : i + per_group] for i in range(0, len(filters), per_group)]
    return {"any": [{"all": chunk} for chunk in chunks]}


SHAPES: list[tuple[str, dict[str, Any], Mapping[str, PropertyType]]] = [
    ("criteria", {}, PROPERTIES),
    ("suppression", {}, PROPERTIES),
    *(
        ("criteria", in_groups(every_operator_of(t)[:MAX_FILTERS], 4), PROPERTIES)
        for t in PropertyType
    ),
    ("criteria", in_groups(every_operator_of(PropertyType.DATE)[MAX_FILTERS:], 1), PROPERTIES),
    ("suppression", in_groups(every_operator_of(PropertyType.NUMBER), 2), PROPERTIES),
    ("criteria", {"any": [{"all": [{}]}, {"all": []}, {"nothing": 1}, "junk"]}, PROPERTIES),
    ("criteria", {"any": [{"all": []}]}, PROPERTIES),
    ("criteria", {"any": [{"all": [{}]}]}, {}),
    (
        "criteria",
        {"any": [{"all": [{"property": "p449", "operator": "eq", "value": "x"}]}]},
        {f"p{i:03}": list(PropertyType)[i % 6] for i in range(450)},
    ),
]


@pytest.mark.parametrize(("field", "criteria", "properties"), SHAPES)
def test_the_editor_renders_valid_block_kit(
    field: str, criteria: dict[str, Any], properties: Mapping[str, PropertyType]
) -> None:
    blocks = criteria_blocks(field, criteria, properties, 12)
    assert_valid(blocks)
    assert len(blocks) <= BUDGET


@pytest.mark.parametrize("filters", [INVALID_FILTERS[:MAX_FILTERS], INVALID_FILTERS[MAX_FILTERS:]])
def test_invalid_and_partial_filters_render_valid_block_kit(filters: list[dict[str, Any]]) -> None:
    blocks = criteria_blocks("criteria", in_groups(filters, 3), PROPERTIES, 1)
    assert_valid(blocks)
    assert len(blocks) <= BUDGET


@pytest.mark.parametrize("field", FIELDS)
def test_the_editor_at_its_caps_renders_valid_block_kit(field: str) -> None:
    for criteria in (
        full(MAX_GROUPS, MAX_FILTERS // MAX_GROUPS),
        full(1, MAX_FILTERS),
        full(10, 3),
    ):
        blocks = criteria_blocks(field, criteria, PROPERTIES, 1)
        assert_valid(blocks)
        assert len(blocks) <= BUDGET


PIPELINES = {"pipeline": ["sales", "renewals", "partners"]}


def test_an_enumeration_offers_its_options() -> None:
    criteria = one_group({"property": "pipeline", "operator": "eq"})
    blocks = criteria_blocks("criteria", criteria, PROPERTIES, 1, PIPELINES)
    assert_well_formed(blocks)
    element = block(blocks, "criteria.g0.f0.value@1")["element"]
    assert element["type"] == "static_select"
    assert [o["value"] for o in element["options"]] == ["sales", "renewals", "partners"]
    values = state_from_blocks(blocks)
    choose(blocks, values, "criteria.g0.f0.value@1", "renewals")
    read = read_criteria("criteria", values, criteria, PROPERTIES, 1)
    assert read == one_group({"property": "pipeline", "operator": "eq", "value": "renewals"})


def test_is_any_of_an_enumeration_picks_several_options() -> None:
    criteria = one_group({"property": "pipeline", "operator": "in", "value": ["sales"]})
    blocks = criteria_blocks("criteria", criteria, PROPERTIES, 1, PIPELINES)
    element = block(blocks, "criteria.g0.f0.value@1")["element"]
    assert element["type"] == "multi_static_select"
    assert [o["value"] for o in element["initial_options"]] == ["sales"]
    values = state_from_blocks(blocks)
    assert read_criteria("criteria", values, criteria, PROPERTIES, 1) == criteria


def test_a_value_outside_the_options_stays_text_for_the_domain_to_report() -> None:
    criteria = one_group({"property": "pipeline", "operator": "eq", "value": "sale"})
    blocks = criteria_blocks("criteria", criteria, PROPERTIES, 1, PIPELINES)
    assert block(blocks, "criteria.g0.f0.value@1")["element"]["type"] == "plain_text_input"
    values = state_from_blocks(blocks)
    assert read_criteria("criteria", values, criteria, PROPERTIES, 1) == criteria


def test_many_options_are_searched() -> None:
    many = {"pipeline": [f"pipeline {i:03}" for i in range(LISTED_CHOICES + 1)]}
    criteria = one_group({"property": "pipeline", "operator": "in", "value": ["pipeline 007"]})
    blocks = criteria_blocks("criteria", criteria, PROPERTIES, 1, many)
    element = block(blocks, "criteria.g0.f0.value@1")["element"]
    assert element["type"] == "multi_external_select"
    assert element["action_id"] == WizardAction.SEARCH_CHOICES
    assert [o["value"] for o in element["initial_options"]] == ["pipeline 007"]
    values = state_from_blocks(blocks)
    assert read_criteria("criteria", values, criteria, PROPERTIES, 1) == criteria


def test_the_options_search_offers_the_rows_property_options_matching_the_text() -> None:
    options = {"pipeline": ["Sales", "Renewals", "Wholesale", "Partners"]}
    document = {"criteria": two_rows()}
    offered = choice_options(document, "criteria.g0.f1.value@4", options, "sale")
    assert [o["value"] for o in offered] == ["Sales", "Wholesale"]
    assert choice_options(document, "criteria.g0.f0.value@4", options, "") == []  # stage
    assert choice_options(document, "criteria.g3.f0.value@4", options, "") == []
    assert choice_options(document, "not.a.block", options, "") == []


def two_rows() -> dict[str, Any]:
    return one_group(
        {"property": "stage", "operator": "eq"}, {"property": "pipeline", "operator": "eq"}
    )


def test_an_any_of_list_too_long_for_a_text_box_is_shown_and_kept_whole() -> None:
    """An "is any of" list from a workflow file whose lines are more than a text box holds:
    not cut mid-word (and saved cut), but shown as kept, and left as it is when read."""
    stages = [f"stage number {n:04}" for n in range(200)]  # 200 x 17 + 199 = 3,599 characters
    criteria = one_group({"property": "stage", "operator": "in", "value": stages})

    blocks = rendered(criteria)
    value = block(blocks, "criteria.g0.f0.value@1")
    problem = Problem(("criteria", 0, 0, "value"), ProblemCode.TOO_MANY, "many", "", {})
    errors = criteria_errors("criteria", [problem], criteria, 1)

    assert value["type"] == "section"
    assert "*Values*: longer than this form can show" in value["text"]["text"]
    assert "edit it in the workflow's file" in value["text"]["text"]
    assert read_untouched(criteria) == criteria
    assert set(errors) == {"criteria.g0.f0.property@1"} <= input_ids(blocks)
