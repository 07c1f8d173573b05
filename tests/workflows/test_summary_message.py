"""The run summary's message: one section of escaped mrkdwn, cut to fit it without breaking
what the escaping wrote."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.workflows.notifier import SECTION_CHARS
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
