"""Criteria, actions and settings in plain English, for valid and half-written documents."""

from __future__ import annotations

import pytest

from bot.workflows.criteria import parse_criteria
from bot.workflows.definitions import SendChannelMessage, WorkflowSettings
from bot.workflows.templates import parse_template
from bot.workflows.vocabulary import PropertyType
from bot.workflows.wording import (
    ChannelRef,
    PersonRef,
    Phrase,
    describe_action,
    describe_criteria,
    describe_settings,
)

TYPES = {
    "stage": PropertyType.STRING,
    "amount": PropertyType.NUMBER,
    "close_date": PropertyType.DATE,
    "vip": PropertyType.BOOLEAN,
}


def test_groups_are_sentences_of_filters_joined_by_and() -> None:
    criteria = parse_criteria(
        {
            "any": [
                {
                    "all": [
                        {"property": "stage", "operator": "eq", "value": "contract sent"},
                        {"property": "amount", "operator": "gte", "value": 5000},
                    ]
                },
                {"all": [{"property": "close_date", "operator": "in_next_days", "value": 7}]},
            ]
        },
        TYPES,
    )

    assert describe_criteria(criteria) == [
        "stage is equal to contract sent and amount is at least 5000",
        "close_date is in the next 7 days",
    ]


@pytest.mark.parametrize(
    ("filter_", "words"),
    [
        (
            {"property": "stage", "operator": "in", "value": ["a", "b", "c"]},
            "stage is any of a, b or c",
        ),
        (
            {"property": "amount", "operator": "between", "value": [1, 2.5]},
            "amount is between 1 and 2.5",
        ),
        ({"property": "vip", "operator": "neq", "value": True}, "vip is not equal to true"),
        ({"property": "stage", "operator": "is_unknown"}, "stage is unknown"),
        (
            {"property": "close_date", "operator": "in_last_days", "value": 1},
            "close_date is in the last 1 day",
        ),
        ({"property": "stage"}, "stage (no operator chosen)"),
        ({"operator": "eq"}, "(no property) is equal to (no value)"),
        (
            {"property": "updated_at", "operator": "more_than_days_ago", "value": 14},
            "updated_at is more than 14 days ago",
        ),
        (
            {"property": "close_date", "operator": "more_than_days_from_now", "value": 1},
            "close_date is more than 1 day from now",
        ),
        (
            {"property": "close_date", "operator": "before", "value": "today"},
            "close_date is before today",
        ),
        (
            {"property": "created_at", "operator": "between", "value": ["yesterday", "today"]},
            "created_at is between yesterday and today",
        ),
    ],
)
def test_each_filter_reads_as_written(filter_: dict[str, object], words: str) -> None:
    assert describe_criteria({"any": [{"all": [filter_]}]}) == [words]


def test_no_groups_means_every_record_and_nonsense_reads_as_nothing() -> None:
    assert describe_criteria({}) == []
    assert describe_criteria({"any": "nonsense"}) == []


def test_a_channel_message_names_its_channel_apart_from_the_text() -> None:
    action = SendChannelMessage("C0123ABCD", parse_template("{{ name }} <is> late", ["name"]))

    phrase = describe_action(action)

    assert phrase.parts == (
        "Post to ",
        ChannelRef("C0123ABCD"),
        " one message per record (a digest when more than 20 records match): "
        "“{{ name }} <is> late”",
    )
    assert phrase.channels == ("C0123ABCD",)
    assert str(phrase).startswith("Post to #C0123ABCD one message per record")


@pytest.mark.parametrize(
    ("action", "words"),
    [
        (
            {"type": "send_owner_dm", "text": "Hi"},
            "Send each record's owner a direct message: “Hi”",
        ),
        (
            {"type": "set_property", "property": "seen", "value": "{{ run.date }}"},
            "Set seen to the date of the run",
        ),
        ({"type": "set_property", "property": "stage", "value": "won"}, "Set stage to won"),
        (
            {"type": "create_task", "title": "Call", "due_in_days": 0},
            "Create a task “Call”, due on the day of the run",
        ),
        (
            {"type": "create_task", "title": ""},
            "Create a task (no text yet), with no due date chosen",
        ),
        (
            {"type": "send_channel_message", "text": "x"},
            "Post to (no channel chosen) one message per record (a digest when more than "
            "20 records match): “x”",
        ),
        ({"type": "dance"}, "An action of no known type"),
    ],
)
def test_each_action_reads_as_written(action: dict[str, object], words: str) -> None:
    assert describe_action(action).plain() == words


def test_a_direct_message_names_its_people_apart_and_its_user_groups_by_handle() -> None:
    action = {
        "type": "send_dm",
        "users": ["U0ANN", "U0BOB"],
        "user_groups": ["@sales-leads", "S0123ABCD"],
        "text": "{{ name }}",
        "mode": "digest",
    }
    phrase = describe_action(action)
    assert phrase.parts == (
        "Send ",
        PersonRef("U0ANN"),
        ", ",
        PersonRef("U0BOB"),
        " and the user groups @sales-leads and S0123ABCD",
        " a direct message, one digest message per run: “{{ name }}”",
    )
    assert str(phrase) == (
        "Send @U0ANN, @U0BOB and the user groups @sales-leads and S0123ABCD a direct message, "
        "one digest message per run: “{{ name }}”"
    )
    assert describe_action({"type": "send_dm"}).plain().startswith("Send (no one chosen) a")


def test_settings_say_only_what_differs_from_the_plain_default() -> None:
    assert describe_settings(WorkflowSettings()) == [
        Phrase(("The owner gets a direct message when any action of a run fails",)),
        Phrase(("A run missed while the bot was down still happens up to 60 minutes late",)),
    ]
    phrases = describe_settings(
        {
            "summary_channel": "C0SUM",
            "summary": "when_failed",
            "pause_days": ["12-25"],
            "holidays": "US",
            "on_pause_day": "skip",
            "catch_up_minutes": 0,
            "alert_owner": "all_failed",
        }
    )
    assert [p.plain() for p in phrases] == [
        "Post a summary to #C0SUM only after runs with a failure",
        "The owner gets a direct message only when every action of a run fails",
        "No runs on 12-25 and public holidays in US: a run due then is skipped",
        "A run missed while the bot was down is not made up",
    ]
