"""The workflow setting alert_owner: when the owner gets a direct message about a run's
failed actions (any_failure, all_failed or never; any_failure when a document has none)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.workflows.definitions import (
    AlertOwner,
    InvalidDefinition,
    load_definition,
    parse_definition,
    to_document,
)
from bot.workflows.vocabulary import PropertyType
from bot.workflows.wording import describe_settings

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
TYPES = {"stage": PropertyType.STRING}


def document(**settings: Any) -> dict[str, Any]:
    return {
        "name": "Deal review",
        "object_type": "deals",
        "status": "active",
        "owner": "U0123ABCD",
        "schedule": {"frequency": "daily", "time": "09:00", "timezone": "UTC"},
        "criteria": {},
        "actions": [{"type": "send_channel_message", "channel": "C0123ABCD", "text": "hi"}],
        "settings": settings,
    }


def parse(data: dict[str, Any]) -> Any:
    return parse_definition(data, TYPES, ("deals",), "UTC", NOW).definition


def test_a_definition_saved_before_the_setting_existed_alerts_on_any_failure() -> None:
    stored = document(summary="always")  # as stored before alert_owner existed
    assert load_definition(stored, TYPES, ("deals",)).settings.alert_owner is AlertOwner.ANY_FAILURE
    assert "alert_owner" not in to_document(parse(stored))["settings"]


@pytest.mark.parametrize("chosen", list(AlertOwner))
def test_each_choice_is_read_and_written_back(chosen: AlertOwner) -> None:
    definition = parse(document(alert_owner=chosen.value))
    assert definition.settings.alert_owner is chosen
    assert parse(to_document(definition)) == definition


def test_another_value_is_refused_with_the_choices() -> None:
    with pytest.raises(InvalidDefinition) as refused:
        parse(document(alert_owner="sometimes"))
    [problem] = refused.value.messages
    assert problem.startswith("settings.alert_owner: ")
    assert "any_failure, all_failed or never" in problem


@given(ok=st.integers(0, 50), failed=st.integers(0, 50), unknown=st.integers(0, 50))
def test_only_runs_with_a_problem_alert_and_all_failed_only_when_nothing_went_well(
    ok: int, failed: int, unknown: int
) -> None:
    all_failed = failed > 0 and ok == 0 and unknown == 0
    problems = failed + unknown
    assert AlertOwner.ANY_FAILURE.wants_alert(problems, all_failed) is (problems > 0)
    assert AlertOwner.ALL_FAILED.wants_alert(problems, all_failed) is all_failed
    assert AlertOwner.NEVER.wants_alert(problems, all_failed) is False


def test_show_and_the_review_say_how_the_owner_hears_of_failures() -> None:
    said = {
        choice: [p.plain() for p in describe_settings(parse(document(alert_owner=choice)).settings)]
        for choice in ("any_failure", "all_failed", "never")
    }
    assert "The owner gets a direct message when any action of a run fails" in said["any_failure"]
    assert (
        "The owner gets a direct message only when every action of a run fails"
        in said["all_failed"]
    )
    assert "The owner is never told about failed actions" in said["never"]
