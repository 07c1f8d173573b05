"""The Block Kit builders keep Slack's limits: words too long for their place are cut with an
ellipsis that shows the cut, and what cutting would change the meaning of (a value, an option
missing from a select, a block missing from a modal) is refused. What they build validates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.views.blocks import (
    SECTION_CHARS,
    BlockKitLimit,
    actions_block,
    button,
    checkboxes,
    confirmation,
    context,
    divider,
    external_select,
    header,
    home_tab,
    id_value,
    input_block,
    modal,
    multi_static_select,
    number_input,
    option,
    option_group,
    plain_text_input,
    radio_buttons,
    section,
    static_select,
    timepicker,
)
from tests.block_kit import assert_valid_blocks, assert_valid_view

# How Block Kit names an element or a text object.
BLOCK_KIT_TYPE = re.compile(r'"type": "\w+"')


def _options(count: int) -> list[dict[str, Any]]:
    return [option(f"Option {n}", str(n)) for n in range(count)]


def _form(*blocks: dict[str, Any]) -> dict[str, Any]:
    return modal("form", "A form", blocks, submit="Save")


def test_a_label_too_long_is_cut_with_an_ellipsis_and_still_valid() -> None:
    block = input_block("L" * 2500, timepicker("at"), block_id="b", hint="H" * 2500)

    assert block["label"]["text"] == "L" * 1999 + "…"
    assert block["hint"]["text"] == "H" * 1999 + "…"
    assert_valid_view(_form(block))


def test_a_placeholder_header_and_button_text_are_cut_to_their_limits() -> None:
    select = external_select("pick", "P" * 200)
    title = header("T" * 200)
    long = button("B" * 100, "press", "1")

    assert len(select["placeholder"]["text"]) == 150
    assert len(title["text"]["text"]) == 150
    assert long["text"]["text"].endswith("…") and len(long["text"]["text"]) == 75
    assert_valid_view(_form(title, input_block("Pick", select), actions_block(long)))


def test_a_button_value_too_long_is_refused_not_cut() -> None:
    # A cut value would hand back another workflow's name, or JSON that no longer parses.
    with pytest.raises(BlockKitLimit, match="2,000"):
        button("Go", "go", "v" * 2001)


def test_an_option_text_is_cut_but_a_value_too_long_is_refused() -> None:
    shown = option("O" * 80, "fits", description="D" * 80)

    assert shown["text"]["text"] == "O" * 74 + "…"
    assert shown["description"]["text"] == "D" * 74 + "…"
    with pytest.raises(BlockKitLimit, match="150"):
        option("Too long a value", "v" * 151)


def test_a_select_takes_100_options_and_refuses_a_101st() -> None:
    select = static_select("pick", placeholder="Choose", options=_options(100))
    assert_valid_view(_form(input_block("Pick", select)))

    with pytest.raises(BlockKitLimit, match="1 to 100 options, not 101"):
        static_select("pick", options=_options(101))
    with pytest.raises(BlockKitLimit, match="not 0"):
        static_select("pick", options=[])


def test_more_than_100_options_fit_in_groups_of_100() -> None:
    everything = _options(150)
    groups = [option_group("First", everything[:100]), option_group("Rest", everything[100:])]

    select = multi_static_select(
        "pick", option_groups=groups, initial_options=[everything[120]], max_selected_items=3
    )

    assert select["initial_options"] == [everything[120]]
    assert_valid_view(_form(input_block("Pick", select)))
    with pytest.raises(BlockKitLimit):
        option_group("Too many", everything[:101])


def test_an_initial_option_that_is_not_offered_is_refused() -> None:
    offered = _options(3)

    assert static_select("pick", options=offered, initial_option=offered[1])["initial_option"]
    with pytest.raises(BlockKitLimit, match="does not offer"):
        static_select("pick", options=offered, initial_option=option("Gone", "gone"))
    with pytest.raises(BlockKitLimit, match="does not offer"):
        checkboxes("tick", offered, initial_options=[option("Gone", "gone")])
    with pytest.raises(BlockKitLimit, match="does not offer"):
        radio_buttons("one", offered, initial_option=option("Gone", "gone"))


def test_checkboxes_and_radio_buttons_hold_ten_choices() -> None:
    ticked = checkboxes("tick", _options(10), initial_options=_options(2))
    chosen = radio_buttons("one", _options(10), initial_option=_options(1)[0])
    assert_valid_view(_form(input_block("Tick", ticked), input_block("One", chosen)))

    with pytest.raises(BlockKitLimit, match="not 11"):
        checkboxes("tick", _options(11))
    with pytest.raises(BlockKitLimit, match="not 11"):
        radio_buttons("one", _options(11))


def test_an_actions_block_holds_25_elements_and_a_context_10() -> None:
    assert_valid_blocks([actions_block(*(button(str(n), f"b{n}", str(n)) for n in range(25)))])
    assert_valid_blocks([context(*(str(n) for n in range(10)))])

    with pytest.raises(BlockKitLimit, match="not 26"):
        actions_block(*(button(str(n), f"b{n}", str(n)) for n in range(26)))
    with pytest.raises(BlockKitLimit, match="not 11"):
        context(*(str(n) for n in range(11)))


def test_a_text_input_holds_at_most_3000_characters_and_keeps_what_was_typed() -> None:
    widest = plain_text_input("text", max_length=5000, multiline=True)
    typed = plain_text_input("name", initial_value="Deal review", max_length=200)
    # A draft whose name broke the limit shows all of it, for the user to shorten.
    too_long = plain_text_input("name", initial_value="x" * 250, max_length=200)

    assert widest["max_length"] == 3000
    assert (typed["initial_value"], typed["max_length"]) == ("Deal review", 200)
    assert (too_long["initial_value"], too_long["max_length"]) == ("x" * 250, 250)
    assert_valid_view(
        _form(
            input_block("Text", widest),
            input_block("Name", typed),
            input_block("Too long", too_long),
        )
    )
    with pytest.raises(BlockKitLimit, match="3,000 characters"):
        plain_text_input("name", initial_value="x" * 3001)


def test_a_number_input_says_its_bounds_as_text() -> None:
    days = number_input("days", min_value=1, max_value=90, initial_value="7")

    assert (days["min_value"], days["max_value"], days["is_decimal_allowed"]) == ("1", "90", False)
    assert_valid_view(_form(input_block("Days", days)))


def test_a_modal_cuts_its_titles_and_refuses_a_101st_block_or_too_much_metadata() -> None:
    view = modal(
        "form",
        "A title longer than Slack shows",
        [section("hello")],
        submit="Submit this form now, please",
        close="Close this form without saving",
        private_metadata="m" * 3000,
    )

    assert [len(view[key]["text"]) for key in ("title", "submit", "close")] == [24, 24, 24]
    assert view["title"]["text"].endswith("…")
    assert_valid_view(view)
    with pytest.raises(BlockKitLimit, match="not 101"):
        modal("form", "Too long", [divider()] * 101)
    with pytest.raises(BlockKitLimit, match="3,000"):
        modal("form", "Metadata", [divider()], private_metadata="m" * 3001)
    with pytest.raises(BlockKitLimit, match="not 101"):
        home_tab([divider()] * 101)


def test_a_confirm_dialog_cuts_each_of_its_texts() -> None:
    asked = confirmation("T" * 120, "X" * 400, "C" * 40, "D" * 40)

    assert [len(asked[key]["text"]) for key in ("title", "text", "confirm", "deny")] == [
        100,
        300,
        30,
        30,
    ]
    assert_valid_blocks([actions_block(button("Run", "run", "1", confirm=asked))])


@given(st.integers(min_value=0, max_value=10**18 - 1))
def test_an_id_the_bot_wrote_reads_back_as_itself(row_id: int) -> None:
    assert id_value(str(row_id)) == row_id


@pytest.mark.parametrize("text", ["", "007", "00", "-1", "+1", " 1", "1.0", "١٢", "1" * 19])
def test_a_value_the_bot_never_writes_is_no_id(text: str) -> None:
    # "007" and "7" would otherwise name one row with two values.
    assert id_value(text) is None


def test_no_block_kit_is_written_by_hand_outside_the_builders() -> None:
    # A dict with a Block Kit "type" made anywhere else escapes the limits checked here.
    root = Path(__file__).resolve().parents[3] / "bot"
    builders = root / "slack" / "views" / "blocks.py"
    by_hand = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        if path != builders
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if BLOCK_KIT_TYPE.search(line)
    ]
    assert by_hand == []


@pytest.mark.parametrize("before", range(5))
def test_a_section_too_long_is_cut_before_an_escaped_character_not_inside_it(before: int) -> None:
    text = "x" * (SECTION_CHARS - 2 - before) + "&amp;" * 3
    shown = section(text)["text"]["text"]
    assert len(shown) <= SECTION_CHARS and shown.endswith("…")
    assert shown[:-1].lstrip("x").replace("&amp;", "") == ""  # whole entities only
