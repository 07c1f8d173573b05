"""bot.workflows.readable: counts, instants, values and mrkdwn as people read them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.workflows.readable import (
    instant_text,
    mrkdwn_as_typed,
    plural,
    shown_value,
)
from bot.workflows.templates import escape_mrkdwn
from bot.workflows.vocabulary import RunStatus

# Within the calendar in every zone (year 9999 at UTC+13:45 would be year 10000); hypothesis
# takes its bounds naive and gives the instants their zone.
EARLIEST = datetime(1900, 1, 1)  # noqa: DTZ001
LATEST = datetime(2200, 1, 1)  # noqa: DTZ001
NOUNS = ["workflow", "row", "record", "entry", "match", "day", "block", "owner", "box"]


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(NOUNS))
def test_a_count_never_disagrees_with_its_noun(count: int, noun: str) -> None:
    text = plural(count, noun)

    number, _, word = text.partition(" ")
    assert int(number.replace(",", "")) == count
    assert (word == noun) is (count == 1)
    assert not re.fullmatch(r"1 \w+s", text) or noun.endswith("s")


def test_plurals_follow_english_spelling() -> None:
    assert [plural(2, noun) for noun in ("entry", "match", "day", "box", "row")] == [
        "2 entries",
        "2 matches",
        "2 days",
        "2 boxes",
        "2 rows",
    ]
    assert plural(3, "person", "people") == "3 people"
    assert plural(1_200, "row") == "1,200 rows"


def test_an_instant_reads_in_the_given_zone_with_its_offset() -> None:
    noon_utc = datetime(2026, 12, 10, 12, 0, 30, 123456, tzinfo=UTC)

    assert instant_text(noon_utc, "America/New_York") == "2026-12-10T07:00:30-05:00"
    assert instant_text(noon_utc, ZoneInfo("Europe/Paris")) == "2026-12-10T13:00:30+01:00"
    assert instant_text(None, "UTC") == "none"


@given(
    st.datetimes(EARLIEST, LATEST, timezones=st.just(UTC)),
    st.sampled_from(["UTC", "Asia/Kolkata", "Pacific/Chatham"]),
)
def test_an_instant_read_back_is_the_same_moment(naive: datetime, zone: str) -> None:
    instant = naive.replace(microsecond=0)

    assert datetime.fromisoformat(instant_text(instant, zone)) == instant


def test_values_read_as_written_in_a_file_never_as_python_reprs() -> None:
    assert shown_value(["thursday"]) == '["thursday"]'
    assert shown_value([(1, RunStatus.SUCCEEDED)]) == '[[1, "succeeded"]]'
    assert shown_value("hourly") == "'hourly'"
    assert shown_value(None) == "null"
    assert shown_value(True) == "true"
    assert shown_value("x" * 100).endswith("...")
    assert len(shown_value(list(range(100)))) == 60


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text() | st.sampled_from(list(RunStatus)),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.tuples(inner, inner)
            | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=8,
    )
)
def test_a_value_that_is_not_text_is_shown_as_json(value: object) -> None:
    shown = shown_value(value, limit=10_000)

    assert "<RunStatus." not in shown
    if not isinstance(value, str):
        json.loads(shown)  # never a Python repr such as ['a'], (1, 2) or None


def test_mrkdwn_reads_as_typed() -> None:
    text = (
        "<@U0ANN> and <!subteam^S0LEADS|@leads>, <!here>: "
        "<#C0123> <#C0456|sales> <https://a.example/x?a=1&amp;b=2|A &amp; B> &amp;lt;"
    )

    assert mrkdwn_as_typed(text) == (
        "@U0ANN and @leads, @here: #C0123 #sales A & B (https://a.example/x?a=1&b=2) &lt;"
    )


@given(st.text())
def test_escaped_text_reads_back_as_typed(typed: str) -> None:
    assert mrkdwn_as_typed(escape_mrkdwn(typed)) == typed
