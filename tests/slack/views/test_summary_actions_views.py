"""The views of a run summary's buttons, without Slack: valid Block Kit for every variant,
the buttons a summary ends with, and the parsers of the Undo skip value and of the Snooze a
record dialog (whatever a forged value holds)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.ids import HistoryAction, SnoozeAction, SnoozeBlock, SummaryAction, View
from bot.slack.views.summary_actions import (
    parse_snooze,
    parse_undo,
    rerun_started_text,
    skip_message,
    snooze_errors,
    snooze_view,
    snoozed_view,
    summary_actions,
)
from bot.workflows.run_followups import (
    RetryRequested,
    RunAbout,
    SkippedRun,
    SnoozeChoice,
    Snoozed,
)
from tests.block_kit import assert_valid_blocks, assert_valid_view

ABOUT = RunAbout(12, 3, "Weekly <review> & co", datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
SKIPPED = SkippedRun(3, "Weekly review", "2026-12-14T09:00", ABOUT.scheduled_at, "U0OWNER", False)


def _choices(count: int) -> list[SnoozeChoice]:
    return [SnoozeChoice(n, f"D-{n}", f"Deal <{n}> " + "x" * (n % 90)) for n in range(1, count + 1)]


def test_a_summary_offers_rerun_only_when_something_failed() -> None:
    for failed, expected in (
        (0, [HistoryAction.DETAILS, SummaryAction.SKIP_NEXT, SummaryAction.SNOOZE]),
        (
            3,
            [
                HistoryAction.DETAILS,
                SummaryAction.RERUN_FAILED,
                SummaryAction.SKIP_NEXT,
                SummaryAction.SNOOZE,
            ],
        ),
    ):
        block = summary_actions(12, failed)
        assert_valid_blocks([block])
        assert [e["action_id"] for e in block["elements"]] == expected
        assert {e["value"] for e in block["elements"]} == {"12"}


def test_the_snooze_dialog_lists_few_records_and_searches_many_in_valid_block_kit() -> None:
    listed = snooze_view(ABOUT, _choices(100), searched=False)
    searched = snooze_view(ABOUT, [], searched=True)
    for view in (listed, searched):
        assert_valid_view(view)
        assert view["callback_id"] == View.SNOOZE and view["private_metadata"] == "12"
    [picker] = [b["element"] for b in listed["blocks"] if b.get("block_id") == SnoozeBlock.RECORD]
    assert picker["type"] == "static_select" and len(picker["options"]) == 100
    [search] = [b["element"] for b in searched["blocks"] if b.get("block_id") == SnoozeBlock.RECORD]
    assert search["type"] == "external_select"
    assert "Weekly &lt;review&gt; &amp; co" in listed["blocks"][0]["text"]["text"]


def test_replies_escape_names_and_are_valid_block_kit() -> None:
    text, blocks = skip_message(SKIPPED)
    assert_valid_blocks(blocks)
    assert "Mon 07 Dec 2026 09:00 (UTC)" in text
    done = snoozed_view(Snoozed("Weekly <review>", "Acme & sons", date(2026, 12, 14)))
    assert_valid_view(done)
    shown = done["blocks"][0]["text"]["text"]
    assert "*Acme &amp; sons* is snoozed in *Weekly &lt;review&gt;* until Mon 14 Dec 2026" in shown
    assert "<review>" not in rerun_started_text(RetryRequested(13, 12, "Weekly <review>", 1))


def test_undo_skip_value_round_trips() -> None:
    _text, blocks = skip_message(SKIPPED)
    [undo] = blocks[1]["elements"]
    assert undo["action_id"] == SummaryAction.UNDO_SKIP
    assert parse_undo(undo) == (3, "2026-12-14T09:00")


@given(st.one_of(st.none(), st.text(max_size=80)))
def test_any_undo_value_parses_to_a_skip_or_none(value: str | None) -> None:
    parsed = parse_undo({"value": value})
    if parsed is not None:
        workflow_id, key = parsed
        assert value is not None and value == f"{workflow_id}:{key}"
        assert workflow_id >= 0 and key


@given(
    st.one_of(st.none(), st.text(max_size=30)),
    st.one_of(st.none(), st.text(max_size=30)),
    st.one_of(st.none(), st.text(max_size=30)),
)
def test_any_snooze_submission_parses_and_says_what_is_missing(
    metadata: str | None, record: str | None, days: str | None
) -> None:
    view = {
        "private_metadata": metadata,
        "state": {
            "values": {
                SnoozeBlock.RECORD: {
                    SnoozeAction.RECORD: {
                        "type": "static_select",
                        "selected_option": None if record is None else {"value": record},
                    }
                },
                SnoozeBlock.DAYS: {SnoozeAction.DAYS: {"type": "number_input", "value": days}},
            }
        },
    }
    draft = parse_snooze(view)
    errors = snooze_errors(draft)
    assert (SnoozeBlock.RECORD in errors) == (draft.record_id is None)
    assert (SnoozeBlock.DAYS in errors) == (not draft.days)
    if draft.record_id is not None:
        assert record is not None and int(record) == draft.record_id


def test_a_skip_made_from_the_command_line_is_not_shown_as_a_mention() -> None:
    text, _blocks = skip_message(replace(SKIPPED, skipped_by="cli", already=True))
    assert "was already skipped by cli." in text
    assert "<@cli>" not in text
