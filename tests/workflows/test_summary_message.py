"""The run summary's message and a run's line: how the run ended (finished with failed actions
is not succeeded), one section of escaped mrkdwn, cut to fit it without breaking
what the escaping wrote."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.workflows.notifier import SECTION_CHARS
from bot.workflows.overview import RunLine
from bot.workflows.summary import RunSummary, failure_alert_message, summary_message

# Whatever follows the last "&" of a message: an entity's end, or nothing of one.
_BROKEN_ENTITY = re.compile(r"&(?![a-z]+;)[^;]*$")


def _summary(reason: str) -> RunSummary:
    return RunSummary(
        run_id=1,
        workflow_name="Umbrella watch",
        scheduled_at=datetime(2026, 12, 10, 7, tzinfo=ZoneInfo("America/New_York")),
        enrolled=5,
        ok=0,
        failed=5,
        skipped=0,
        deferred_reason=None,
        seconds=0.1,
        missed=(),
        failures=tuple((f"Deal {n}", 1, reason) for n in range(5)),
        waited_for=None,
        unknown=0,
        unknowns=(),
    )


def test_a_message_cut_to_one_section_never_ends_inside_an_escaped_character() -> None:
    for shift in range(5):  # the cut falls on each character of "&amp;" in turn
        reason = "x" * shift + "R&D " * 400

        for text in (summary_message(_summary(reason)), failure_alert_message(_summary(reason))):
            assert len(text) <= SECTION_CHARS
            assert len(text) > SECTION_CHARS - len("&amp;")
            assert _BROKEN_ENTITY.search(text) is None, text[-20:]


def test_a_summary_says_a_run_finished_with_failed_actions_or_that_all_failed() -> None:
    all_failed = _summary("the bot is not in the channel")
    some_failed = replace(all_failed, ok=3)
    all_ok = replace(all_failed, ok=5, failed=0, failures=())

    heads = [summary_message(s).splitlines()[0] for s in (some_failed, all_failed, all_ok)]

    assert heads == [
        ":warning: *Umbrella watch* ran for 2026-12-10 07:00 (EST): finished with failed actions",
        ":warning: *Umbrella watch* ran for 2026-12-10 07:00 (EST): all its actions failed",
        "*Umbrella watch* ran for 2026-12-10 07:00 (EST)",
    ]


def test_a_run_line_for_the_command_line_says_it_finished_with_failed_actions() -> None:
    zone = ZoneInfo("UTC")
    run = RunLine(
        1, datetime(2026, 12, 10, 7, tzinfo=zone), "schedule", "succeeded", None, 8, 3, 5, 0, None
    )

    assert run.describe() == (
        "2026-12-10T07:00:00+00:00 schedule finished with failed actions, 8 enrolled, 3 ok, "
        "5 failed"
    )
    assert "schedule succeeded, 8 enrolled, 8 ok" in replace(run, ok=8, failed=0).describe()
