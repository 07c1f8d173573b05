"""Run history and run details without Slack: valid Block Kit within a message's 50 and a
modal's 100 blocks, a Details button for each run that has something to show, "and N more"
when a list is cut, failures with their reasons, and user data escaped."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.ids import HistoryAction, View
from bot.slack.views.history import (
    IN_MESSAGE,
    IN_MODAL,
    details_actions,
    history_blocks,
    history_message,
    history_view,
    parse_run_id,
    run_details_view,
    run_mrkdwn,
)
from bot.workflows.overview import (
    RecordLine,
    ResultLine,
    RunDetails,
    RunLine,
    WorkflowHistory,
)
from bot.workflows.wording import ChannelRef, Phrase
from tests.block_kit import assert_valid_blocks, assert_valid_view

ZONE = ZoneInfo("America/New_York")
AT = datetime(2026, 12, 1, 9, 0, tzinfo=ZONE)
NOT_IN_CHANNEL = "the bot is not a member of the channel: invite the bot with /invite @workflow-bot"


def _run(run_id: int = 1, status: str = "succeeded", **fields: Any) -> RunLine:
    values: dict[str, Any] = {
        "id": run_id,
        "scheduled_at": AT - timedelta(days=run_id),
        "source": "schedule",
        "status": status,
        "triggered_by": None,
        "enrolled": 2 if status in ("succeeded", "failed") else None,
        "ok": 2,
        "failed": 1,
        "skipped": 0,
        "reason": None,
        **fields,
    }
    return RunLine(**values)


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b["accessory"] for b in blocks if "accessory" in b]


def _details(count: int = 2, **fields: Any) -> RunDetails:
    """A failed run of ``count`` records whose second action failed for each."""
    names = tuple(RecordLine(f"Deal {n}", f"D{n}") for n in range(count))
    values: dict[str, Any] = {
        "workflow_name": "Deal review",
        "run": _run(status="failed"),
        "actions": (
            Phrase(("Post to ", ChannelRef("C0DEALS"), " one message per record: “{{ name }}”")),
            Phrase(("Post to ", ChannelRef("C0BLOCKED"), " one message per record")),
        ),
        "enrolled": count,
        "records": names,
        "outcomes": {"ok": count, "failed": count} if count else {},
        "results": tuple(ResultLine(name, 2, "failed", NOT_IN_CHANNEL) for name in names),
        **fields,
    }
    return RunDetails(**values)


# -- a run's line --------------------------------------------------------------------------


def test_a_scheduled_run_says_when_how_it_ended_and_what_it_did() -> None:
    line = run_mrkdwn(_run(failed=0, skipped=1))
    assert line == (
        "*Mon 30 Nov 2026 09:00 EST* · scheduled · :white_check_mark: succeeded · "
        "2 enrolled · 2 ok, 0 failed, 1 skipped"
    )


def test_a_run_that_finished_with_failed_actions_is_not_said_to_have_succeeded() -> None:
    line = run_mrkdwn(_run(ok=3, failed=5))
    assert line == (
        "*Mon 30 Nov 2026 09:00 EST* · scheduled · :warning: finished with failed actions · "
        "2 enrolled · 3 ok, 5 failed"
    )
    assert "succeeded" not in line
    assert ":x: failed" in run_mrkdwn(_run(status="failed", ok=0, failed=2))


def test_a_run_with_messages_of_unknown_outcome_counts_them() -> None:
    line = run_mrkdwn(_run(failed=0, unknown=2))
    assert line.endswith("2 enrolled · 2 ok, 0 failed, 2 unknown")
    assert "unknown" not in run_mrkdwn(_run())


def test_run_details_show_unknown_outcomes_with_their_reason() -> None:
    reason = "Slack answered with a server error (HTTP 500) after the message was sent, and"
    names = (RecordLine("Deal 0", "D0"), RecordLine("Deal 1", "D1"))
    details = _details(
        outcomes={"ok": 2, "unknown": 2},
        results=tuple(ResultLine(name, 1, "unknown", reason) for name in names),
    )

    view = run_details_view(details)

    assert_valid_view(view)
    text = json.dumps(view, ensure_ascii=False)
    assert "actions: 2 ok, 0 failed, 0 skipped, 2 unknown" in text
    assert f":grey_question: may not have been posted: {reason}" in text


def test_a_manual_run_says_who_asked() -> None:
    assert "manual, by <@U0OWNER>" in run_mrkdwn(_run(source="manual", triggered_by="U0OWNER"))
    assert "manual, by cli" in run_mrkdwn(_run(source="manual", triggered_by="cli"))


def test_a_missed_run_says_why_and_counts_nothing() -> None:
    line = run_mrkdwn(_run(status="missed", reason="the bot was not running <then>"))
    assert ":warning: missed" in line
    assert "enrolled" not in line
    assert "the bot was not running &lt;then&gt;" in line


# -- history -------------------------------------------------------------------------------


def test_history_has_a_details_button_for_each_run_that_did_something() -> None:
    runs = (_run(1), _run(2, "missed"), _run(3, "failed"), _run(4, "cancelled"))
    blocks = history_message(WorkflowHistory("Deal review", runs, more=False))
    assert_valid_blocks(blocks)
    buttons = _buttons(blocks)
    assert [b["value"] for b in buttons] == ["1", "3"]
    assert {b["action_id"] for b in buttons} == {HistoryAction.DETAILS}
    assert [parse_run_id(b) for b in buttons] == [1, 3]
    text = json.dumps(blocks, ensure_ascii=False)
    assert ":warning: missed" in text and ":no_entry_sign: cancelled" in text
    assert "Older runs" not in text


@pytest.mark.parametrize("count", [IN_MODAL, IN_MODAL + 5])
def test_history_stays_within_a_message_and_a_modal(count: int) -> None:
    runs = tuple(_run(n) for n in range(1, count + 1))
    history = WorkflowHistory("Deal review", runs, more=True)
    blocks = history_message(history)
    assert_valid_blocks(blocks)
    assert len(_buttons(blocks)) == IN_MESSAGE
    view = history_view(history)
    assert_valid_view(view)
    assert view["callback_id"] == View.HISTORY
    assert len(_buttons(view["blocks"])) == IN_MODAL
    assert "Older runs are not shown." in json.dumps(view, ensure_ascii=False)


def test_a_workflow_without_runs_says_so() -> None:
    view = history_view(WorkflowHistory("Deal review", (), more=False))
    assert_valid_view(view)
    assert "No runs yet." in json.dumps(view, ensure_ascii=False)
    assert history_blocks([]) == [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "No runs yet."}]}
    ]


def test_history_escapes_the_workflow_name() -> None:
    blocks = history_message(WorkflowHistory("<!here> & co", (_run(),), more=False))
    assert "*History of &lt;!here&gt; &amp; co*" in json.dumps(blocks, ensure_ascii=False)
    assert "<!here>" not in json.dumps(blocks, ensure_ascii=False)


@pytest.mark.parametrize("value", ["", "abc", "-1", "1.5", "9" * 40, None])
def test_a_details_value_that_is_not_a_run_id_is_none(value: str | None) -> None:
    assert parse_run_id({"value": value}) is None


def test_a_summary_details_button_is_a_valid_actions_block() -> None:
    block = details_actions(42)
    assert_valid_blocks([block])
    assert block["elements"][0]["action_id"] == HistoryAction.DETAILS
    assert parse_run_id(block["elements"][0]) == 42


# -- one run -------------------------------------------------------------------------------


def test_details_show_the_records_and_each_result_with_its_reason() -> None:
    view = run_details_view(_details())
    assert_valid_view(view)
    assert view["callback_id"] == View.RUN_DETAILS
    text = json.dumps(view, ensure_ascii=False)
    assert "*Deal review*" in text
    assert "2 enrolled · actions: 2 ok, 2 failed, 0 skipped" in text
    assert "1. Post to <#C0DEALS>" in text and "2. Post to <#C0BLOCKED>" in text
    assert "• *Deal 0* (`D0`)" in text and "• *Deal 1* (`D1`)" in text
    assert f"action 2: :x: failed: {NOT_IN_CHANNEL}" in text
    assert "more records" not in text
    assert "and 2 more results" in text  # the two ok results, after the failures


def test_a_run_that_enrolled_nothing_says_so() -> None:
    details = _details(0, run=_run(status="missed"))
    view = run_details_view(details)
    assert_valid_view(view)
    assert "No records were enrolled in this run." in json.dumps(view, ensure_ascii=False)
    assert "Action results" not in json.dumps(view, ensure_ascii=False)


def test_details_say_how_many_more_records_and_results_there_are() -> None:
    details = _details(50, enrolled=12_000, outcomes={"failed": 30_000})
    view = run_details_view(details)
    assert_valid_view(view)
    text = json.dumps(view, ensure_ascii=False)
    assert "and 11,950 more records" in text
    assert "and 29,950 more results" in text


@given(
    name=st.text(min_size=1, max_size=2_000),
    reason=st.text(max_size=5_000),
    records=st.integers(0, 50),
)
def test_details_stay_within_a_modal_whatever_the_data(
    name: str, reason: str, records: int
) -> None:
    names = tuple(RecordLine(name, name[:255]) for _ in range(records))
    results = tuple(ResultLine(record, 1, "failed", reason) for record in names)
    details = _details(
        workflow_name=name,
        enrolled=records * 3,
        records=names,
        results=results,
        outcomes={"failed": records * 2},
    )
    view = run_details_view(details)
    assert_valid_view(view)


def test_details_escape_records_and_reasons() -> None:
    record = RecordLine("<!channel> & co", "<D1>")
    details = _details(
        enrolled=1,
        records=(record,),
        results=(ResultLine(record, 1, "failed", "<@U0X> said no"),),
        outcomes={"failed": 1},
    )
    text = json.dumps(run_details_view(details))
    assert "&lt;!channel&gt; &amp; co" in text and "`&lt;D1&gt;`" in text
    assert "&lt;@U0X&gt; said no" in text
    assert "<!channel>" not in text and "<@U0X>" not in text
