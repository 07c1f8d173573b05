"""The App Home tab without Slack: valid Block Kit within the 100-block limit however many
workflows there are, the buttons each workflow gets, its last run, and user data escaped."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.slack.ids import SLASH_COMMAND, HomeAction
from bot.slack.views.home import (
    MAX_SHOWN,
    build_home,
    clicked_workflow,
    refusal_view,
    run_notice,
    status_notice,
)
from bot.workflows.overview import RunLine, WorkflowLine
from bot.workflows.vocabulary import WorkflowStatus
from tests.block_kit import assert_valid_view

NEW_YORK = ZoneInfo("America/New_York")
NEXT = datetime(2026, 12, 1, 9, 0, tzinfo=NEW_YORK)
LAST = RunLine(
    id=7,
    scheduled_at=datetime(2026, 11, 30, 9, 0, tzinfo=NEW_YORK),
    source="schedule",
    status="failed",
    triggered_by=None,
    enrolled=2,
    ok=0,
    failed=2,
    skipped=0,
    reason=None,
)


def _line(name: str = "Deal review", status: str = "active", **fields: Any) -> WorkflowLine:
    values: dict[str, Any] = {
        "name": name,
        "status": status,
        "object_type": "deals",
        "owner": "U0OWNER",
        "schedule": "Every day at 09:00",
        "next_run": NEXT if status == "active" else None,
        "revision": 1,
        "last_run": None,
        **fields,
    }
    return WorkflowLine(**values)


def _buttons(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def test_each_workflow_shows_its_status_schedule_next_and_last_run() -> None:
    view = build_home([_line(last_run=LAST)], everyone=False)
    assert_valid_view(view)
    text = json.dumps(view, ensure_ascii=False)
    assert '"text": "Workflows"' in text
    assert "*Deal review* · :large_green_circle: active · deals" in text
    assert "Every day at 09:00" in text
    assert "Next run: Tue 01 Dec 2026 09:00 EST" in text
    assert "Last run: *Mon 30 Nov 2026 09:00 EST* · scheduled · :x: failed" in text
    assert "2 enrolled · 0 ok, 2 failed" in text
    assert "owner" not in text  # a user's own workflows: no need to say whose


def test_a_workflow_never_run_says_so() -> None:
    text = json.dumps(build_home([_line()], everyone=False), ensure_ascii=False)
    assert "Last run: none yet" in text


def test_an_admin_sees_every_owner() -> None:
    view = build_home([_line(), _line("Oscar's", owner="U0OTHER")], everyone=True)
    assert_valid_view(view)
    text = json.dumps(view, ensure_ascii=False)
    assert "All workflows" in text
    assert "owner <@U0OWNER>" in text and "owner <@U0OTHER>" in text


@pytest.mark.parametrize(
    ("status", "toggle"),
    [("active", HomeAction.PAUSE), ("paused", HomeAction.ACTIVATE), ("draft", HomeAction.ACTIVATE)],
)
def test_each_workflow_has_run_toggle_edit_history_and_transfer_buttons(
    status: str, toggle: HomeAction
) -> None:
    view = build_home([_line(status=status)], everyone=False)
    assert_valid_view(view)
    buttons = _buttons(view)
    assert [b["action_id"] for b in buttons] == [
        HomeAction.RUN,
        toggle,
        HomeAction.EDIT,
        HomeAction.HISTORY,
        HomeAction.WHY,
        HomeAction.TRANSFER,
    ]
    assert {b["value"] for b in buttons} == {"Deal review"}
    assert all(clicked_workflow(b) == "Deal review" for b in buttons)


def test_run_now_asks_before_posting() -> None:
    run = _buttons(build_home([_line()], everyone=False))[0]
    assert run["confirm"]["confirm"]["text"] == "Run now"
    assert "Deal review" in run["confirm"]["text"]["text"]


def test_no_workflows_says_how_to_make_one() -> None:
    view = build_home([], everyone=False)
    assert_valid_view(view)
    assert "No workflows yet." in json.dumps(view, ensure_ascii=False)
    assert f"{SLASH_COMMAND} create" in json.dumps(view, ensure_ascii=False)


@pytest.mark.parametrize("count", [MAX_SHOWN, MAX_SHOWN + 1, 500])
def test_many_workflows_stay_within_100_blocks_and_say_how_many_more(count: int) -> None:
    lines = [_line(f"Workflow {n:03d}", last_run=LAST, owner="U0X") for n in range(count)]
    view = build_home(lines, everyone=True, notice="Done.")
    assert_valid_view(view)  # at most 100 blocks
    text = json.dumps(view, ensure_ascii=False)
    assert f"Workflow {MAX_SHOWN - 1:03d}" in text
    assert f"Workflow {MAX_SHOWN:03d}" not in text
    if count > MAX_SHOWN:
        assert f"and {count - MAX_SHOWN} more: `{SLASH_COMMAND} list` shows them all." in text
    else:
        assert "more:" not in text


def test_names_and_schedules_are_escaped() -> None:
    name = "<!channel> & <@U0OTHER>"
    view = build_home([_line(name, schedule="<b> & co")], everyone=False)
    assert_valid_view(view)
    section = view["blocks"][2]["text"]["text"]
    assert "&lt;!channel&gt; &amp; &lt;@U0OTHER&gt;" in section
    assert "&lt;b&gt; &amp; co" in section
    assert "<!channel>" not in section
    assert _buttons(view)[0]["value"] == name  # the value is data, not markup


def test_a_notice_says_what_the_click_did() -> None:
    view = build_home([_line()], everyone=False, notice=run_notice("<Deal> review"))
    assert_valid_view(view)
    assert "Running *&lt;Deal&gt; review* now" in json.dumps(view, ensure_ascii=False)
    assert "is paused" in status_notice("Deal review", WorkflowStatus.PAUSED)
    assert "is active" in status_notice("Deal review", WorkflowStatus.ACTIVE)


def test_a_refusal_is_a_modal_that_only_closes() -> None:
    view = refusal_view(":no_entry: Only the owner of *Deal review* can change it.")
    assert_valid_view(view)
    assert "submit" not in view and view["close"]["text"] == "Close"


def test_the_last_run_keeps_its_own_zone() -> None:
    utc_run = RunLine(
        id=1,
        scheduled_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        source="manual",
        status="succeeded",
        triggered_by="U0OWNER",
        enrolled=1,
        ok=1,
        failed=0,
        skipped=0,
        reason=None,
    )
    text = json.dumps(build_home([_line(last_run=utc_run)], everyone=False), ensure_ascii=False)
    assert "*Tue 01 Dec 2026 09:00 UTC* · manual, by <@U0OWNER>" in text
