from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.workflows.criteria import Criteria
from bot.workflows.definitions import (
    DIGEST_THRESHOLD,
    MAX_ACTIONS,
    MAX_PAUSE_DAYS,
    CreateTask,
    InvalidDefinition,
    MessageMode,
    ParsedDefinition,
    PauseBehaviour,
    PauseDay,
    RunDateValue,
    SendChannelMessage,
    SendDm,
    SendOwnerDm,
    SetProperty,
    SummaryPolicy,
    WorkflowSettings,
    load_definition,
    parse_definition,
    to_document,
)
from bot.workflows.problems import ProblemCode, file_text
from bot.workflows.schedules import Frequency
from bot.workflows.templates import parse_template
from bot.workflows.vocabulary import PropertyType, WorkflowStatus
from bot.workflows.workflow_files import dump_workflows, load_workflows

TYPES = {
    "stage": PropertyType.ENUMERATION,
    "amount": PropertyType.NUMBER,
    "active": PropertyType.BOOLEAN,
    "close_date": PropertyType.DATE,
    "seen_at": PropertyType.DATETIME,
    "notes": PropertyType.STRING,
    "last_reminded": PropertyType.DATE,
}
OBJECT_TYPES = ("contacts", "companies", "deals", "tickets", "tasks")
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def document(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Weekly deal review",
        "object_type": "deals",
        "status": "active",
        "owner": "U0123ABCD",
        "schedule": {
            "frequency": "weekly",
            "weekdays": ["thu"],
            "time": "07:00",
            "timezone": "America/New_York",
        },
        "criteria": {
            "any": [{"all": [{"property": "stage", "operator": "eq", "value": "contract sent"}]}]
        },
        "suppression": {},
        "actions": [
            {
                "type": "send_channel_message",
                "channel": "C0123ABCD",
                "text": "{{ name }} ({{ owner }}) is still in contract",
                "mode": "per_record",
            },
            {"type": "send_owner_dm", "text": "Please update {{ name }}"},
            {"type": "set_property", "property": "last_reminded", "value": "{{ run.date }}"},
            {"type": "create_task", "title": "Call about {{ name }}", "due_in_days": 3},
        ],
        "settings": {
            "summary_channel": "C0123ABCD",
            "summary": "when_enrolled_or_failed",
            "pause_days": ["12-25", "2026-11-26"],
            "holidays": "US",
            "on_pause_day": "defer",
            "catch_up_minutes": 60,
        },
    }
    data.update(changes)
    return data


def parse(data: dict[str, Any], types: dict[str, PropertyType] | None = None) -> ParsedDefinition:
    return parse_definition(data, TYPES if types is None else types, OBJECT_TYPES, "UTC", NOW)


def problems(data: dict[str, Any], types: dict[str, PropertyType] | None = None) -> list[str]:
    with pytest.raises(InvalidDefinition) as caught:
        parse(data, types)
    return caught.value.messages


def with_action(action: dict[str, Any]) -> dict[str, Any]:
    return document(actions=[action])


def with_settings(**settings: Any) -> dict[str, Any]:
    return document(settings=settings)


# --- A valid definition -------------------------------------------------------------------


def test_the_example_parses_to_its_parts() -> None:
    definition = parse(document()).definition
    assert definition.name == "Weekly deal review"
    assert definition.status is WorkflowStatus.ACTIVE
    assert definition.schedule.frequency is Frequency.WEEKLY
    assert definition.criteria.properties_used() == {"stage"}
    assert definition.suppression == Criteria()
    message, dm, set_property, task = definition.actions
    assert isinstance(message, SendChannelMessage) and message.mode is MessageMode.PER_RECORD
    assert isinstance(dm, SendOwnerDm) and dm.text.placeholders == {"name"}
    assert set_property == SetProperty("last_reminded", PropertyType.DATE, RunDateValue.RUN_DATE)
    assert isinstance(task, CreateTask) and task.due_in_days == 3
    assert definition.settings == WorkflowSettings(
        summary_channel="C0123ABCD",
        pause_days=(PauseDay(12, 25), PauseDay(11, 26, 2026)),
        holidays="US",
    )


def test_the_document_form_round_trips_exactly() -> None:
    data = document()
    parsed = parse(data)
    assert to_document(parsed.definition) == data
    assert parse(to_document(parsed.definition)) == parsed


def test_to_document_keys_come_in_canonical_order() -> None:
    scrambled = dict(reversed(list(document().items())))
    assert list(to_document(parse(scrambled).definition)) == list(document())


def test_optional_fields_take_their_defaults() -> None:
    data = document()
    for key in ("status", "suppression", "settings"):
        del data[key]
    data["schedule"].pop("timezone")
    definition = parse(data).definition
    assert definition.status is WorkflowStatus.DRAFT
    assert definition.suppression == Criteria()
    assert definition.schedule.timezone == "UTC"
    settings = definition.settings
    assert settings == WorkflowSettings()
    assert settings.summary is SummaryPolicy.WHEN_ENROLLED_OR_FAILED
    assert settings.on_pause_day is PauseBehaviour.DEFER
    assert settings.catch_up_minutes == 60
    assert settings.summary_channel is None and settings.holidays is None
    assert settings.pause_days == ()


def test_empty_settings_and_null_values_take_the_defaults() -> None:
    settings = {key: None for key in ("summary", "pause_days", "on_pause_day", "holidays")}
    assert parse(document(settings=settings)).definition.settings == WorkflowSettings()
    assert parse(document(settings=None)).definition.settings == WorkflowSettings()


def test_the_name_is_stripped() -> None:
    assert parse(document(name="  Weekly  ")).definition.name == "Weekly"


def test_properties_used_covers_criteria_templates_and_set_property() -> None:
    data = document(
        suppression={"any": [{"all": [{"property": "active", "operator": "is_known"}]}]}
    )
    data["actions"][1]["text"] = "{{ properties.amount }}"
    assert parse(data).definition.properties_used() == {
        "stage",
        "active",
        "amount",
        "last_reminded",
    }


def test_schedule_warnings_are_passed_on_located() -> None:
    schedule = {"frequency": "monthly", "month_days": [31], "time": "09:00"}
    [warning] = parse(document(schedule=schedule)).warnings
    assert warning.location == ("schedule",)
    assert warning.code is ProblemCode.NOT_IN_EVERY_MONTH
    assert file_text(warning).startswith("schedule: day 31 does not exist")


def test_a_stored_once_schedule_that_has_run_still_loads() -> None:
    once = {"frequency": "once", "date": "2020-01-01", "time": "09:00", "timezone": "UTC"}
    data = document(schedule=once)
    assert problems(data) == [
        "schedule.date: 2020-01-01 at 09:00 (UTC) has passed: choose a later date"
    ]
    assert load_definition(data, TYPES, OBJECT_TYPES).schedule.on_date == date(2020, 1, 1)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_definition(document(), TYPES, OBJECT_TYPES, "UTC", datetime(2026, 1, 1))  # noqa: DTZ001


# --- Problems, all collected --------------------------------------------------------------


def test_every_problem_is_listed_with_its_location() -> None:
    data = document(
        name="",
        object_type="deals",
        status="running",
        owner="bob",
        schedule={"frequency": "weekly", "time": "25:00", "weekdays": ["thu"]},
        criteria={"any": [{"all": [{"property": "stag", "operator": "eq", "value": "x"}]}]},
        suppression={"all": []},
        actions=[
            {"type": "send_channel_message", "channel": "#general", "text": "{{ nme }}"},
            {"type": "set_propert"},
        ],
        settings={"summary": "sometimes", "catch_up_minutes": -1},
        extra=1,
    )
    assert [problem.split(":")[0] for problem in problems(data)] == [
        "extra",
        "name",
        "status",
        "owner",
        "schedule.time",
        "criteria",
        "suppression",
        "actions[0].channel",
        "actions[0].text",
        "actions[1].type",
        "settings.summary",
        "settings.catch_up_minutes",
    ]


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(InvalidDefinition) as caught:
        parse_definition(["x"], TYPES, OBJECT_TYPES, "UTC", NOW)  # type: ignore[arg-type]
    assert caught.value.messages == ['workflow: ["x"] is not a mapping']


def test_an_unknown_field_is_refused_with_the_closest_one() -> None:
    assert problems(document(acions=[])) == [
        "acions: unknown field; did you mean actions? fields: name, object_type, status, owner, "
        "schedule, criteria, suppression, actions, settings"
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, "name: missing: give the workflow a name"),
        ("", "name: empty: give the workflow a name"),
        ("   ", "name: '   ' is not a name: give the workflow a name"),
        (5, "name: 5 is not a name: give the workflow a name"),
        ("x" * 201, "name: 201 characters is longer than 200"),
        ("a\x00b", "name: text cannot contain NUL characters"),
    ],
)
def test_name_problems(name: object, expected: str) -> None:
    assert problems(document(name=name)) == [expected]


def test_a_name_of_200_characters_is_accepted() -> None:
    assert parse(document(name="x" * 200)).definition.name == "x" * 200


def test_an_unknown_object_type_is_refused_with_a_hint_and_its_properties_go_unchecked() -> None:
    data = document(object_type="deal")
    data["actions"][1]["text"] = "{{ properties.whatever }}"
    assert problems(data) == [
        "object_type: 'deal' is not an object type; did you mean deals? known object types: "
        "companies, contacts, deals, tasks, tickets"
    ]


def test_a_status_must_be_one_of_three() -> None:
    assert problems(document(status="activ")) == [
        "status: 'activ' is not a choice; did you mean active? use draft, active or paused"
    ]


@pytest.mark.parametrize("owner", ["bob", "u0123abcd", "C0123ABCD", "U1", None])
def test_the_owner_must_be_a_slack_user_id(owner: object) -> None:
    found = problems(document(owner=owner))
    assert len(found) == 1 and found[0].startswith("owner: ")
    assert found[0].endswith("use a user id such as U0123ABCD")


def test_schedule_problems_are_prefixed_with_their_field() -> None:
    # The messages themselves belong to bot.workflows.schedules and are tested there.
    schedule = {"frequency": "hourly", "time": "7am"}
    found = problems(document(schedule=schedule))
    assert [problem.split(":")[0] for problem in found] == ["schedule.frequency", "schedule.time"]
    assert found[0].startswith("schedule.frequency: 'hourly' is not a frequency")


@pytest.mark.parametrize("schedule", [None, "weekly", ["weekly"]])
def test_a_schedule_must_be_a_mapping(schedule: object) -> None:
    found = problems(document(schedule=schedule))
    assert len(found) == 1 and found[0].startswith("schedule: ")


def test_criteria_are_required_and_say_how_to_match_every_record() -> None:
    data = document()
    del data["criteria"]
    assert problems(data)[0].startswith("criteria: missing: write {} to enroll every record")


def test_criteria_problems_are_prefixed() -> None:
    criteria = {"any": [{"all": [{"property": "amount", "operator": "contains", "value": 1}]}]}
    found = problems(document(criteria=criteria))
    assert found[0].startswith(
        "criteria: group 1, filter 1: operator 'contains' does not apply to number property"
    )


def test_suppression_problems_are_prefixed() -> None:
    suppression = {"any": [{"all": [{"property": "nope", "operator": "is_known"}]}]}
    assert problems(document(suppression=suppression))[0].startswith(
        "suppression: group 1, filter 1: unknown property 'nope'"
    )


# --- Actions ------------------------------------------------------------------------------


@pytest.mark.parametrize("actions", [None, "send_owner_dm", {"type": "send_owner_dm"}])
def test_actions_must_be_a_list(actions: object) -> None:
    found = problems(document(actions=actions))
    assert len(found) == 1 and found[0].startswith("actions: ")


def test_an_active_workflow_needs_an_action_but_a_draft_does_not() -> None:
    assert problems(document(actions=[])) == [
        "actions: empty: add an action (only a draft may have none)"
    ]
    assert parse(document(actions=[], status="draft")).definition.actions == ()


def test_the_number_of_actions_is_limited() -> None:
    action = {"type": "send_owner_dm", "text": "hi"}
    assert problems(document(actions=[action] * (MAX_ACTIONS + 1))) == [
        f"actions: {MAX_ACTIONS + 1} actions is more than the {MAX_ACTIONS} allowed"
    ]


def test_an_action_must_be_a_mapping() -> None:
    assert problems(document(actions=["send_owner_dm"])) == [
        "actions[0]: 'send_owner_dm' is not a mapping with a type"
    ]


def test_an_unknown_action_type_is_refused_with_the_closest_one() -> None:
    assert problems(with_action({"type": "send_owner_msg"})) == [
        "actions[0].type: 'send_owner_msg' is not an action type; did you mean send_owner_dm? "
        "use send_channel_message, send_owner_dm, send_dm, set_property or create_task"
    ]


def test_an_action_without_type_is_refused() -> None:
    assert problems(with_action({"text": "hi"}))[0].startswith("actions[0].type: missing; use ")


def test_a_field_the_action_type_lacks_is_refused() -> None:
    assert problems(with_action({"type": "send_owner_dm", "text": "hi", "channel": "C1"})) == [
        "actions[0].channel: unknown field; fields: type, text"
    ]


@pytest.mark.parametrize("channel", ["general", "#general", "U0123ABCD", "c0123", None])
def test_a_channel_must_be_a_channel_id(channel: object) -> None:
    action = {"type": "send_channel_message", "channel": channel, "text": "hi"}
    found = problems(with_action(action))
    assert len(found) == 1 and found[0].startswith("actions[0].channel: ")
    assert "such as C0123ABCD" in found[0]


@pytest.mark.parametrize("channel", ["C0123ABCD", "G0123ABCD", "D0123ABCD"])
def test_public_private_and_direct_channel_ids_are_accepted(channel: str) -> None:
    action = {"type": "send_channel_message", "channel": channel, "text": "hi"}
    assert parse(with_action(action)).definition.actions[0] == SendChannelMessage(
        channel, parse_template("hi", TYPES)
    )


def test_a_template_problem_is_located_at_its_field() -> None:
    action = {
        "type": "send_channel_message",
        "channel": "C0123ABCD",
        "text": "{{ propertes.amount }}",
    }
    assert problems(with_action(action)) == [
        "actions[0].text: unknown placeholder {{ propertes.amount }}; "
        "did you mean properties.amount?"
    ]


def test_a_placeholder_for_a_missing_property_names_it() -> None:
    action = {"type": "create_task", "title": "{{ properties.amout }}", "due_in_days": 1}
    assert problems(with_action(action)) == [
        "actions[0].title: {{ properties.amout }}: the records have no property 'amout'; "
        "did you mean properties.amount?"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "actions[0].text: missing: write the text to send"),
        ("", "actions[0].text: empty: write the text to send"),
        (" ", "actions[0].text: ' ' is not text: write the text to send"),
        (3, "actions[0].text: 3 is not text: write the text to send"),
        ("x" * 3001, "actions[0].text: 3001 characters is longer than 3000"),
        ("a\x00", "actions[0].text: text cannot contain NUL characters"),
    ],
)
def test_text_problems(text: object, expected: str) -> None:
    assert problems(with_action({"type": "send_owner_dm", "text": text})) == [expected]


def test_a_mode_must_be_per_record_or_digest() -> None:
    action = {"type": "send_channel_message", "channel": "C0123ABCD", "text": "x", "mode": "bulk"}
    assert problems(with_action(action)) == [
        "actions[0].mode: 'bulk' is not a choice; use per_record or digest"
    ]


def test_without_a_mode_runs_of_more_than_twenty_records_get_a_digest() -> None:
    action = {"type": "send_channel_message", "channel": "C0123ABCD", "text": "x"}
    message = parse(with_action(action)).definition.actions[0]
    assert isinstance(message, SendChannelMessage) and message.mode is None
    assert message.mode_for(DIGEST_THRESHOLD) is MessageMode.PER_RECORD
    assert message.mode_for(DIGEST_THRESHOLD + 1) is MessageMode.DIGEST
    assert "mode" not in to_document(parse(with_action(action)).definition)["actions"][0]


def test_send_dm_names_people_and_user_groups_each_once_and_round_trips() -> None:
    action = {
        "type": "send_dm",
        "users": ["U0ANN", "W0BOB", "U0ANN"],
        "user_groups": ["@sales-leads", "S0123ABCD"],
        "text": "{{ name }} needs you",
        "mode": "digest",
    }
    [message] = parse(with_action(action)).definition.actions
    assert isinstance(message, SendDm)
    assert message.users == ("U0ANN", "W0BOB")
    assert message.user_groups == ("@sales-leads", "S0123ABCD")
    assert message.mode_for(1) is MessageMode.DIGEST
    written = to_document(parse(with_action(action)).definition)["actions"][0]
    assert written == {**action, "users": ["U0ANN", "W0BOB"]}
    assert to_document(parse(with_action(written)).definition)["actions"][0] == written


def test_send_dm_problems_say_what_each_recipient_must_be() -> None:
    action = {
        "type": "send_dm",
        "users": ["ann@example.com"],
        "user_groups": ["sales team"],
        "text": "x",
    }
    assert problems(with_action(action)) == [
        "actions[0].users[0]: 'ann@example.com' is not a Slack user id: list Slack user ids "
        "such as U0123ABCD (in Slack: a person's profile, ⋮, Copy member ID)",
        "actions[0].user_groups[0]: 'sales team' is not a user group: list user group handles "
        'such as "@sales-leads" (in quotes) or ids such as S0123ABCD',
    ]
    assert problems(with_action({"type": "send_dm", "text": "x", "users": []})) == [
        "actions[0]: no one to send to: list people in users (Slack user ids such as U0123ABCD) "
        'or user groups in user_groups (handles such as "@sales-leads")'
    ]
    assert problems(with_action({"type": "send_dm", "text": "x", "users": "U0ANN"})) == [
        "actions[0].users: 'U0ANN' is not a list: list Slack user ids such as U0123ABCD (in "
        "Slack: a person's profile, ⋮, Copy member ID)"
    ]


def test_a_chosen_mode_holds_whatever_the_number_of_records() -> None:
    message = SendChannelMessage("C1", parse_template("x", ()), MessageMode.PER_RECORD)
    assert message.mode_for(500) is MessageMode.PER_RECORD
    digest = SendChannelMessage("C1", parse_template("x", ()), MessageMode.DIGEST)
    assert digest.mode_for(1) is MessageMode.DIGEST


def set_property(name: object, value: object = "x", **more: Any) -> dict[str, Any]:
    return {"type": "set_property", "property": name, "value": value, **more}


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("amount", 1200, SetProperty("amount", PropertyType.NUMBER, 1200)),
        ("amount", "1200.50", SetProperty("amount", PropertyType.NUMBER, 1200.5)),
        ("active", False, SetProperty("active", PropertyType.BOOLEAN, False)),
        ("close_date", "2026-03-01", SetProperty("close_date", PropertyType.DATE, "2026-03-01")),
        (
            "seen_at",
            "2026-03-01T09:00:00+01:00",
            SetProperty("seen_at", PropertyType.DATETIME, "2026-03-01T08:00:00.000000Z"),
        ),
        ("stage", "won", SetProperty("stage", PropertyType.ENUMERATION, "won")),
        ("notes", "{{run.date}}", SetProperty("notes", PropertyType.STRING, RunDateValue.RUN_DATE)),
    ],
)
def test_set_property_stores_the_value_as_the_propertys_type(
    name: str, value: object, expected: SetProperty
) -> None:
    assert parse(with_action(set_property(name, value))).definition.actions == (expected,)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, SetProperty("score", PropertyType.NUMBER, 3)),
        (True, SetProperty("score", PropertyType.BOOLEAN, True)),
        ("2026-03-01", SetProperty("score", PropertyType.DATE, "2026-03-01")),
        (
            "2026-03-01T09:00Z",
            SetProperty("score", PropertyType.DATETIME, "2026-03-01T09:00:00.000000Z"),
        ),
        ("high", SetProperty("score", PropertyType.STRING, "high")),
        ("{{ run.date }}", SetProperty("score", PropertyType.DATE, RunDateValue.RUN_DATE)),
    ],
)
def test_a_new_property_takes_its_type_from_the_value(value: object, expected: SetProperty) -> None:
    assert parse(with_action(set_property("score", value))).definition.actions == (expected,)


@pytest.mark.parametrize("name", ["Score", "1st", "last-reminded", "", None, 5])
def test_set_property_needs_a_valid_property_name(name: object) -> None:
    found = problems(with_action(set_property(name)))
    assert len(found) == 1 and found[0].startswith("actions[0].property: ")
    assert "lower-case letters, digits and _" in found[0]


def test_set_property_needs_a_value() -> None:
    expected = [
        'actions[0].value: missing: give the value to set, or "{{ run.date }}" for the date '
        "of the run"
    ]
    assert problems(with_action({"type": "set_property", "property": "notes"})) == expected
    assert problems(with_action(set_property("notes", None))) == expected


def test_the_run_date_cannot_go_into_a_number_property() -> None:
    assert problems(with_action(set_property("amount", "{{ run.date }}"))) == [
        "actions[0].value: {{ run.date }} is a date, but 'amount' is a number property: "
        "set a date or string property to it"
    ]


def test_set_property_accepts_no_other_placeholder() -> None:
    assert problems(with_action(set_property("notes", "{{ name }}"))) == [
        "actions[0].value: '{{ name }}': a set_property value can only be {{ run.date }} or a "
        "value written as is"
    ]


@pytest.mark.parametrize(
    ("name", "value", "start"),
    [
        ("amount", "lots", "actions[0].value: 'lots' is not a number: 'amount' is a number"),
        ("close_date", "2026-02-30", "actions[0].value: '2026-02-30' is not a real date"),
        ("active", "maybe", "actions[0].value: 'maybe' is not a boolean"),
        ("score", [1, 2], "actions[0].value: [1, 2] is not a value: use text, a number"),
        ("notes", "a\x00", "actions[0].value: text cannot contain NUL characters"),
    ],
)
def test_a_value_the_property_cannot_hold_is_refused(name: str, value: object, start: str) -> None:
    found = problems(with_action(set_property(name, value)))
    assert len(found) == 1 and found[0].startswith(start)


def test_set_property_value_on_a_run_is_its_date_or_the_value() -> None:
    run_date = date(2026, 3, 5)
    assert SetProperty("x", PropertyType.DATE, RunDateValue.RUN_DATE).value_on(run_date) == (
        "2026-03-05"
    )
    assert SetProperty("x", PropertyType.NUMBER, 7).value_on(run_date) == 7


@pytest.mark.parametrize("days", [-1, True, 1.5, "3", None, 36_601])
def test_a_task_is_due_a_whole_number_of_days_after_the_run(days: object) -> None:
    action = {"type": "create_task", "title": "Call", "due_in_days": days}
    found = problems(with_action(action))
    assert len(found) == 1 and found[0].startswith("actions[0].due_in_days: ")
    assert "use a whole number from 0 (due on the run's day) to 36600" in found[0]


def test_a_task_due_in_zero_days_is_due_on_the_run_date() -> None:
    action = {"type": "create_task", "title": "Call {{ name }}", "due_in_days": 0}
    task = parse(with_action(action)).definition.actions[0]
    assert isinstance(task, CreateTask)
    assert task.due_date(date(2026, 3, 5)) == date(2026, 3, 5)
    assert CreateTask(task.title, 3).due_date(date(2026, 2, 27)) == date(2026, 3, 2)


def test_every_action_problem_is_listed() -> None:
    actions = [
        {"type": "send_channel_message", "text": "{{ x }}"},
        {"type": "create_task", "due_in_days": -1},
    ]
    assert [p.split(":")[0] for p in problems(document(actions=actions))] == [
        "actions[0].channel",
        "actions[0].text",
        "actions[1].title",
        "actions[1].due_in_days",
    ]


# --- Settings -----------------------------------------------------------------------------


def test_settings_must_be_a_mapping() -> None:
    assert problems(document(settings=["US"]))[0].startswith(
        'settings: ["US"] is not a mapping of summary_channel'
    )


def test_an_unknown_setting_is_refused_with_the_closest_one() -> None:
    assert problems(with_settings(holiday="US"))[0].startswith(
        "settings.holiday: unknown field; did you mean holidays? fields: summary_channel"
    )


def test_the_summary_channel_must_be_a_channel_id() -> None:
    assert problems(with_settings(summary_channel="general"))[0].startswith(
        "settings.summary_channel: 'general' is not a channel id"
    )


def test_the_summary_policy_must_be_one_of_three() -> None:
    assert problems(with_settings(summary="when_failing")) == [
        "settings.summary: 'when_failing' is not a choice; did you mean when_failed? use "
        "always, when_enrolled_or_failed or when_failed"
    ]


@pytest.mark.parametrize(
    ("policy", "enrolled", "failed", "wanted"),
    [
        (SummaryPolicy.ALWAYS, 0, 0, True),
        (SummaryPolicy.WHEN_ENROLLED_OR_FAILED, 0, 0, False),
        (SummaryPolicy.WHEN_ENROLLED_OR_FAILED, 3, 0, True),
        (SummaryPolicy.WHEN_ENROLLED_OR_FAILED, 0, 1, True),
        (SummaryPolicy.WHEN_FAILED, 3, 0, False),
        (SummaryPolicy.WHEN_FAILED, 3, 1, True),
    ],
)
def test_summary_policies(policy: SummaryPolicy, enrolled: int, failed: int, wanted: bool) -> None:
    assert policy.wants_summary(enrolled, failed) is wanted


def test_on_pause_day_must_be_defer_or_skip() -> None:
    assert problems(with_settings(on_pause_day="later")) == [
        "settings.on_pause_day: 'later' is not a choice; use defer or skip"
    ]
    assert parse(with_settings(on_pause_day="skip")).definition.settings.on_pause_day is (
        PauseBehaviour.SKIP
    )


@pytest.mark.parametrize("minutes", [-1, 10_081, True, 1.5, "60"])
def test_catch_up_minutes_are_a_whole_number_up_to_a_week(minutes: object) -> None:
    found = problems(with_settings(catch_up_minutes=minutes))
    assert len(found) == 1 and found[0].startswith("settings.catch_up_minutes: ")
    assert found[0].endswith("use a whole number from 0 (run only on time) to 10080 (a week)")


@pytest.mark.parametrize("minutes", [0, 10_080])
def test_catch_up_minutes_bounds_are_accepted(minutes: int) -> None:
    settings = parse(with_settings(catch_up_minutes=minutes)).definition.settings
    assert settings.catch_up_minutes == minutes


def test_pause_days_are_sorted_yearly_first_and_deduplicated() -> None:
    days = ["2026-11-26", "12-25", "01-01", "2025-12-31", "12-25"]
    settings = parse(with_settings(pause_days=days)).definition.settings
    assert [str(day) for day in settings.pause_days] == [
        "01-01",
        "12-25",
        "2025-12-31",
        "2026-11-26",
    ]


@pytest.mark.parametrize("day", ["02-30", "13-01", "2026-02-29", "12/25", "1-5", "", 1225, None])
def test_a_pause_day_must_be_a_real_day(day: object) -> None:
    found = problems(with_settings(pause_days=["12-25", day]))
    assert len(found) == 1 and found[0].startswith("settings.pause_days[1]: ")
    assert found[0].endswith(
        'use "MM-DD" for a day every year (e.g. "12-25") or "YYYY-MM-DD" for one day '
        '(e.g. "2026-11-26"), in quotes'
    )


def test_pause_days_must_be_a_list() -> None:
    assert problems(with_settings(pause_days="12-25"))[0].startswith(
        "settings.pause_days: '12-25' is not a list"
    )


def test_the_number_of_pause_days_is_limited() -> None:
    days = [f"2026-{month:02d}-{day:02d}" for month in range(1, 13) for day in range(1, 10)]
    assert problems(with_settings(pause_days=days)) == [
        f"settings.pause_days: {len(days)} days is more than the {MAX_PAUSE_DAYS} allowed"
    ]


def test_a_yearly_29_february_is_allowed_with_a_warning() -> None:
    parsed = parse(with_settings(pause_days=["02-29"]))
    assert parsed.definition.settings.pause_days == (PauseDay(2, 29),)
    assert [file_text(warning) for warning in parsed.warnings] == [
        "settings.pause_days: 02-29 exists only in leap years: in other years no day is "
        "paused for it"
    ]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("USA", "settings.holidays: 'USA' is not a country code: write US"),
        ("us", "settings.holidays: 'us' is not a country code: write US"),
        ("UK", "settings.holidays: 'UK' is not a country code: write GB"),
        (
            "XX",
            "settings.holidays: 'XX' is not a country code: use a two-letter country code such "
            "as US, GB or DE",
        ),
        (
            False,
            "settings.holidays: false is not a country code: use a two-letter country code such "
            "as US, GB or DE, in quotes",
        ),
    ],
)
def test_holidays_need_a_supported_country_code(code: object, expected: str) -> None:
    assert problems(with_settings(holidays=code)) == [expected]


def test_a_country_code_close_to_a_supported_one_is_suggested() -> None:
    assert "did you mean" in problems(with_settings(holidays="UZZ"))[0]


# --- Pause days ---------------------------------------------------------------------------


def test_a_one_off_pause_day_pauses_that_day_only() -> None:
    settings = WorkflowSettings(pause_days=(PauseDay(11, 26, 2026),))
    assert settings.is_pause_day(date(2026, 11, 26))
    assert not settings.is_pause_day(date(2027, 11, 26))
    assert not settings.is_pause_day(date(2026, 11, 27))


def test_a_yearly_pause_day_pauses_every_year() -> None:
    settings = WorkflowSettings(pause_days=(PauseDay(12, 25),))
    assert all(settings.is_pause_day(date(year, 12, 25)) for year in (2025, 2026, 2099))
    assert not settings.is_pause_day(date(2026, 12, 24))


def test_a_yearly_29_february_pauses_leap_years_only() -> None:
    settings = WorkflowSettings(pause_days=(PauseDay(2, 29),))
    assert settings.is_pause_day(date(2028, 2, 29))
    assert not settings.is_pause_day(date(2027, 2, 28))
    assert not settings.is_pause_day(date(2027, 3, 1))


def test_us_holidays_pause_thanksgiving_2026() -> None:
    settings = WorkflowSettings(holidays="US")
    assert settings.is_pause_day(date(2026, 11, 26))
    assert not settings.is_pause_day(date(2026, 11, 25))
    assert not WorkflowSettings().is_pause_day(date(2026, 11, 26))


def test_holidays_include_observed_days() -> None:
    # 4 July 2026 is a Saturday; the federal holiday is observed on Friday 3 July.
    assert WorkflowSettings(holidays="US").is_pause_day(date(2026, 7, 3))


def test_the_next_unpaused_day_of_an_ordinary_day_is_itself() -> None:
    assert WorkflowSettings(holidays="US").next_unpaused_day(date(2026, 3, 5)) == date(2026, 3, 5)


def test_the_next_unpaused_day_skips_a_run_of_pause_days_and_holidays() -> None:
    settings = parse(with_settings(pause_days=["12-24", "12-26", "2026-12-27"], holidays="US"))
    found = settings.definition.settings.next_unpaused_day(date(2026, 12, 24))
    assert found == date(2026, 12, 28)  # 25 December is the US holiday


def test_the_next_unpaused_day_crosses_the_year() -> None:
    settings = WorkflowSettings(pause_days=(PauseDay(12, 31), PauseDay(1, 1)))
    assert settings.next_unpaused_day(date(2026, 12, 31)) == date(2027, 1, 2)


def test_the_search_for_an_unpaused_day_is_bounded() -> None:
    leap_year = [date(2028, 1, 1) + timedelta(days=n) for n in range(366)]
    every_day = tuple(PauseDay(day.month, day.day) for day in leap_year)
    with pytest.raises(ValueError, match="is a pause day"):
        WorkflowSettings(pause_days=every_day).next_unpaused_day(date(2026, 1, 1))


# --- Round trips over generated definitions -----------------------------------------------

_text = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00{}"), min_size=1, max_size=40
)
# Text that YAML 1.1 would read as something else when unquoted.
_tricky = st.sampled_from(
    [
        "yes",
        "NO",
        "on",
        "10:30",
        "2026-01-01",
        "null",
        "~",
        "0123",
        "1_000",
        "0x1F",
        ".inf",
        "- a",
        "# c",
        "a: b",
        "'q'",
        '"',
        "@x",
        "*y",
    ]
)
_names = (_text | _tricky).map(str.strip).filter(bool)
_user_ids = st.from_regex(r"[UW][0-9][A-Z0-9]{1,9}", fullmatch=True)
_channels = st.from_regex(r"[CGD][A-Z0-9]{2,10}", fullmatch=True)
_placeholders = st.sampled_from(
    ["{{ name }}", "{{owner}}", "{{ id }}", "{{ run.date }}", "{{ workflow.name }}"]
    + [f"{{{{ properties.{name} }}}}" for name in TYPES]
)
_templates = (
    st.lists(st.one_of(_text, _placeholders), min_size=1, max_size=5).map("".join).filter(str.strip)
)
_schedules = st.one_of(
    st.builds(
        lambda days, hour: {"frequency": "weekly", "weekdays": days, "time": f"{hour:02d}:30"},
        st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri"]), min_size=1, unique=True),
        st.integers(0, 23),
    ),
    st.builds(
        lambda interval, zone: {
            "frequency": "daily",
            "time": "10:30",
            "timezone": zone,
            "interval": interval,
        },
        st.integers(2, 5),
        st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
    ),
)
_values = {
    "stage": _text | _tricky,
    "notes": _text | _tricky,
    "amount": st.integers(-(2**40), 2**40)
    | st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False),
    "active": st.booleans(),
    "close_date": st.dates().map(date.isoformat),
}
_criteria = st.one_of(
    st.just({}),
    st.sampled_from(sorted(_values)).flatmap(
        lambda name: _values[name].map(
            lambda value: {"any": [{"all": [{"property": name, "operator": "eq", "value": value}]}]}
        )
    ),
)
_actions = st.one_of(
    st.builds(
        lambda channel, text, mode: {
            "type": "send_channel_message",
            "channel": channel,
            "text": text,
            **({"mode": mode} if mode else {}),
        },
        _channels,
        _templates,
        st.sampled_from([None, "per_record", "digest"]),
    ),
    st.builds(lambda text: {"type": "send_owner_dm", "text": text}, _templates),
    st.sampled_from(sorted(_values)).flatmap(
        lambda name: _values[name].map(
            lambda value: {"type": "set_property", "property": name, "value": value}
        )
    ),
    st.builds(
        lambda title, days: {"type": "create_task", "title": title, "due_in_days": days},
        _templates,
        st.integers(0, 365),
    ),
)
_pause_days = st.dates(date(2000, 1, 1), date(2100, 12, 31)).flatmap(
    lambda day: st.sampled_from([day.isoformat(), day.isoformat()[5:]])
)
_settings = st.builds(
    lambda channel, summary, days, country, pause, minutes: {
        **({"summary_channel": channel} if channel else {}),
        "summary": summary,
        "pause_days": days,
        **({"holidays": country} if country else {}),
        "on_pause_day": pause,
        "catch_up_minutes": minutes,
    },
    st.one_of(st.none(), _channels),
    st.sampled_from(list(SummaryPolicy)).map(str),
    st.lists(_pause_days, max_size=5),
    st.sampled_from([None, "US", "DE", "NO", "FR"]),
    st.sampled_from(list(PauseBehaviour)).map(str),
    st.integers(0, 10_080),
)
_documents = st.builds(
    lambda name, status, owner, schedule, criteria, suppression, actions, settings: {
        "name": name,
        "object_type": "deals",
        "status": status,
        "owner": owner,
        "schedule": schedule,
        "criteria": criteria,
        "suppression": suppression,
        "actions": actions,
        "settings": settings,
    },
    _names,
    st.sampled_from(list(WorkflowStatus)).map(str),
    _user_ids,
    _schedules,
    _criteria,
    _criteria,
    st.lists(_actions, min_size=1, max_size=4),
    _settings,
)


@given(_documents)
def test_any_valid_definition_round_trips_through_its_document(data: dict[str, Any]) -> None:
    parsed = parse(data)
    document_form = to_document(parsed.definition)
    assert parse(document_form) == parsed
    assert to_document(parse(document_form).definition) == document_form


@given(_documents)
def test_any_valid_definition_round_trips_through_yaml(data: dict[str, Any]) -> None:
    document_form = to_document(parse(data).definition)
    text = dump_workflows([document_form])
    assert load_workflows(text) == [document_form]
    assert parse(load_workflows(text)[0]).definition == parse(data).definition
    assert dump_workflows(load_workflows(text)) == text


def test_parsing_does_not_change_the_document() -> None:
    data = document()
    before = copy.deepcopy(data)
    parse(data)
    assert data == before


# --- Built-in fields and relative dates ------------------------------------------------------


def test_a_workflow_file_filters_on_built_in_fields_and_relative_dates() -> None:
    criteria = {
        "any": [
            {
                "all": [
                    {"property": "updated_at", "operator": "more_than_days_ago", "value": 14},
                    {"property": "close_date", "operator": "before", "value": "today"},
                    {"property": "owner", "operator": "in", "value": ["U0ANN", "bob@example.com"]},
                ]
            },
            {"all": [{"property": "owner", "operator": "is_unknown"}]},
        ]
    }
    definition = parse(document(criteria=criteria)).definition
    assert definition.criteria.to_json() == criteria


def test_set_property_cannot_set_a_built_in_field() -> None:
    action = {"type": "set_property", "property": "owner", "value": "U0ANN"}
    assert problems(with_action(action)) == [
        "actions[0].property: 'owner' is a built-in field of every record (id, name, owner, "
        "created_at, updated_at), not a property: choose another name (set_property sets "
        "properties)"
    ]
