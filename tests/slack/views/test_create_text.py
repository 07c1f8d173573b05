"""/workflow create TEXT: a schedule, a name, or a name with a note saying why it is one."""

from __future__ import annotations

import pytest

from bot.slack.views.commands import CreateText, parse_command_text, read_create_text


def read(text: str) -> CreateText:
    return read_create_text(parse_command_text(f"create {text}"))


def test_text_that_reads_as_a_schedule_is_the_schedule_in_the_creators_zone() -> None:
    assert read("every other Tuesday at 9am") == CreateText(
        schedule={"frequency": "weekly", "weekdays": ["tue"], "interval": 2, "time": "09:00"}
    )


def test_a_zone_in_the_text_stays_with_the_schedule() -> None:
    created = read("weekdays at 8am Tokyo time")
    assert created.schedule is not None and created.schedule["timezone"] == "Asia/Tokyo"


@pytest.mark.parametrize("text", ['"every Monday"', "\u201cDaily\u201d", "'the 1st and 15th'"])
def test_text_in_quotes_is_a_name_even_when_it_reads_as_a_schedule(text: str) -> None:
    assert read(text) == CreateText(name=text[1:-1])


@pytest.mark.parametrize("text", ["Q4 renewals", "Renewals every Monday", "Everyday deals"])
def test_other_text_is_a_name_without_a_note(text: str) -> None:
    assert read(text) == CreateText(name=text)


def test_a_name_starting_with_a_schedule_word_says_why_it_is_a_name() -> None:
    created = read("Daily standup nudges")
    assert created.name == "Daily standup nudges" and created.schedule is None
    assert created.note is not None and "“standup nudges” is not understood" in created.note


def test_text_that_starts_like_a_schedule_but_is_not_one_is_a_name_with_a_note() -> None:
    created = read("every <blursday> & more")
    assert created.name == "every <blursday> & more" and created.schedule is None
    assert created.note is not None
    assert created.note.startswith(
        "“every &lt;blursday&gt; &amp; more” is not a schedule, so it is the workflow's name: "
        "“&lt;blursday&gt;” is not understood."
    )
    assert created.note.endswith("A name in quotes is never read as a schedule.")


def test_nothing_after_create_presets_nothing() -> None:
    assert read("") == CreateText()
