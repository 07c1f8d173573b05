from __future__ import annotations

import json

import pytest

from bot.workflows.bounded_json import MAX_JSON_CHARS, MAX_JSON_DEPTH, InvalidJSON, load_json

TOO_DEEP = (
    f"is nested more than {MAX_JSON_DEPTH} levels deep (arrays and objects inside each other): "
    "check the brackets"
)


def nested(depth: int) -> str:
    return '{"a": ' * (depth - 1) + "[]" + "}" * (depth - 1)


def test_json_nested_up_to_the_limit_is_read() -> None:
    assert load_json(nested(MAX_JSON_DEPTH)) == json.loads(nested(MAX_JSON_DEPTH))


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 50_000])
def test_json_nested_past_the_limit_is_refused_with_one_sentence(depth: int) -> None:
    # One level too many decodes and is refused after; 50,000 stop the decoder itself.
    with pytest.raises(InvalidJSON) as caught:
        load_json(nested(depth))
    assert str(caught.value) == TOO_DEEP


def test_a_long_flat_list_is_not_deep() -> None:
    assert load_json("[" + ", ".join(["[1]"] * 10_000) + "]")[-1] == [1]


def test_text_longer_than_the_limit_is_refused_before_decoding() -> None:
    with pytest.raises(InvalidJSON, match=f"more than the {MAX_JSON_CHARS:,} allowed"):
        load_json("[" + " " * MAX_JSON_CHARS + "]")


def test_an_integer_of_thousands_of_digits_is_refused_not_a_traceback() -> None:
    with pytest.raises(InvalidJSON, match="has a number of 5,000 digits"):
        load_json("1" * 5_000)


def test_text_that_is_not_json_raises_the_decoders_error_with_its_position() -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        load_json('{"any": [}')
    assert (caught.value.lineno, caught.value.colno) == (1, 10)
