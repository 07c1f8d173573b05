"""The why and forecast views: valid Block Kit within Slack's limits at the largest criteria,
user data escaped, and the command text split into a workflow and a record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.views.explanations import (
    explanation_blocks,
    explanation_view,
    forecast_blocks,
    parse_pick,
    parse_why_view,
    record_picker,
    split_why_text,
    why_view,
)
from bot.workflows.criteria import MAX_FILTERS, MAX_GROUPS
from bot.workflows.explanations import (
    Explanation,
    FilterCheck,
    GroupCheck,
    PastRun,
    RecordChoice,
    RunThen,
    ValueChange,
    ValuesThen,
)
from bot.workflows.forecast import Forecast, ForecastRun, PlannedRun
from bot.workflows.templates import escape_mrkdwn
from tests.block_kit import assert_valid_blocks, assert_valid_view

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NASTY = "<!channel> & <@U0BOSS> *bold* `code`" + "x" * 300


def _explanation(groups: int, filters: int, **fields: object) -> Explanation:
    check = FilterCheck(NASTY[:20], f"{NASTY} is equal to {NASTY}", NASTY, NASTY, False)
    group = GroupCheck(tuple([check] * filters))
    defaults: dict[str, object] = {
        "workflow_name": NASTY,
        "record_name": NASTY,
        "external_id": "<D1>",
        "at": AT,
        "given": False,
        "has_next_run": True,
        "pauses": (f"{NASTY} is a pause day",),
        "removed": False,
        "snoozed_until": None,
        "snoozed_by": None,
        "criteria": tuple([group] * groups),
        "suppression": tuple([group] * groups),
        "enrolled": False,
        "past_runs": tuple(
            PastRun(n, AT - timedelta(days=n), "schedule", n % 2 == 0) for n in range(10)
        ),
    }
    return Explanation(**{**defaults, **fields})  # type: ignore[arg-type]


def test_the_largest_criteria_fit_a_message_and_a_modal() -> None:
    explanation = _explanation(MAX_GROUPS, MAX_FILTERS // MAX_GROUPS)
    blocks = explanation_blocks(explanation)
    assert_valid_blocks(blocks)
    assert_valid_view(explanation_view(explanation))
    shown = str(blocks)
    assert "<!channel>" not in shown and "<@U0BOSS>" not in shown
    assert "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in shown


def test_the_past_runs_say_which_enrolled_the_record() -> None:
    text = str(explanation_blocks(_explanation(1, 1)))
    assert "enrolled in runs #0 (Tue 01 Dec), #2 (Sun 29 Nov)" in text
    assert "not in runs #1 (Mon 30 Nov), #3 (Sat 28 Nov)" in text


def test_a_past_run_says_with_the_values_then_why_it_left_the_record_out_escaped() -> None:
    failed = FilterCheck(NASTY[:20], f"{NASTY} is equal to x", None, NASTY, False)
    changed = ValueChange("amount", 7000.0, 3000.0)
    runs = (
        PastRun(2, AT, "schedule", True, RunThen(ValuesThen.KNOWN, True, changed=(changed,))),
        PastRun(
            1,
            AT - timedelta(days=1),
            "schedule",
            False,
            RunThen(ValuesThen.KNOWN, failed=(failed,)),
        ),
        PastRun(0, AT - timedelta(days=2), "schedule", False, RunThen(ValuesThen.NOT_STORED)),
    )
    blocks = explanation_blocks(_explanation(1, 1, past_runs=runs))
    assert_valid_blocks(blocks)
    text = str(blocks)
    assert "• #2 (Tue 01 Dec), enrolled: since then `amount` went from `7000` to `3000`" in text
    assert (
        "• #1 (Mon 30 Nov), left out: `&lt;!channel&gt; &amp; &lt;@U0BOS` was "
        "`&lt;!channel&gt; &amp; &lt;@U0BOSS&gt; *bold* \u02b9code\u02b9xxx"
    ) in text
    assert "then (&lt;!channel&gt; &amp; &lt;@U0BOSS&gt; *bold* `code`" in text
    assert "<!channel>" not in text
    assert "• #0 (Sun 29 Nov), left out: it was not yet in the records" in text


@given(st.text(alphabet="`*_~<>&ab ", min_size=1, max_size=30))
def test_a_value_with_backticks_stays_inside_its_code_span(hostile: str) -> None:
    # A backtick in a value would close the span and let the rest be read as mrkdwn.
    failed = FilterCheck("plan", "plan is equal to x", None, hostile, False)
    runs = (PastRun(1, AT, "schedule", False, RunThen(ValuesThen.KNOWN, failed=(failed,))),)
    text = str(explanation_blocks(_explanation(1, 1, past_runs=runs)))
    line = next(part for part in text.split("\\n") if part.startswith("• #1 "))
    spans = line.split("`")
    assert len(spans) == 5, line  # exactly two spans: `plan` and the value
    assert spans[3] == escape_mrkdwn(hostile).replace("`", "\u02b9")


@pytest.mark.parametrize(("count", "heading"), [(1, "*Latest 1 run:*"), (10, "*Latest 10 runs:*")])
def test_the_past_runs_heading_counts_them_in_words(count: int, heading: str) -> None:
    runs = tuple(PastRun(n, AT - timedelta(days=n), "schedule", True) for n in range(count))
    text = str(explanation_blocks(_explanation(1, 1, past_runs=runs)))
    assert heading in text


def test_a_snoozed_record_says_until_when() -> None:
    explanation = _explanation(1, 1, criteria=(), snoozed_until=AT, snoozed_by="U0OWNER")
    text = str(explanation_blocks(explanation))
    assert (
        "every record matches its criteria, but it is snoozed in this workflow until "
        "2026-12-01 09:00 UTC"
    ) in text
    assert ":zzz: Snoozed by <@U0OWNER> until Tue 01 Dec 2026 09:00 UTC" in text
    assert_valid_blocks(explanation_blocks(explanation))


def test_a_removed_record_says_it_is_never_enrolled() -> None:
    text = str(explanation_blocks(_explanation(1, 1, removed=True)))
    assert "the record was removed, and removed records are never enrolled" in text


def test_the_picker_offers_at_most_25_buttons_with_long_names_cut() -> None:
    choices = [RecordChoice(n, f"D{n}", NASTY) for n in range(30)]
    blocks = record_picker(NASTY, 7, choices)
    assert_valid_blocks(blocks)
    buttons = blocks[1]["elements"]
    assert len(buttons) == 25
    assert parse_pick(buttons[3]["value"]) == (7, 3)
    assert "30+ records match" in blocks[0]["text"]["text"]


@pytest.mark.parametrize("value", [None, "", "x", "{}", '{"w": "a", "r": 1}', "[1, 2]"])
def test_a_forged_pick_is_no_pick(value: object) -> None:
    assert parse_pick(value) is None


def test_the_home_modal_is_valid_and_reads_back_its_workflow_and_record() -> None:
    view = why_view(12, NASTY)
    assert_valid_view(view)
    assert parse_why_view(view) == (12, None)
    chosen = {"why_record": {"why_record": {"selected_option": {"value": "34"}}}}
    assert parse_why_view({**view, "state": {"values": chosen}}) == (12, 34)


def test_the_forecast_of_a_paused_workflow_says_its_runs_wait() -> None:
    runs = (
        ForecastRun(PlannedRun(AT), 1),
        ForecastRun(PlannedRun(AT + timedelta(days=1), True, "2026-12-02 is a pause day"), None),
        ForecastRun(PlannedRun(AT + timedelta(days=2)), 1_234),
    )
    blocks = forecast_blocks(Forecast(NASTY, "paused", "UTC", runs))
    assert_valid_blocks(blocks)
    text = str(blocks)
    assert "• Tue 01 Dec 2026 09:00 UTC: *1* record" in text
    assert "• Wed 02 Dec 2026 09:00 UTC: skipped (2026-12-02 is a pause day)" in text
    assert "• Thu 03 Dec 2026 09:00 UTC: *1,234* records" in text
    assert "these runs happen only once it is activated" in text


NAMES = ["Deal review", "Deal review weekly", "R&D <pipeline>"]


@pytest.mark.parametrize(
    ("text", "workflow", "record"),
    [
        ("Deal review D-1", "Deal review", "D-1"),
        ("deal REVIEW weekly Acme Corp", "deal REVIEW weekly", "Acme Corp"),
        ('"Deal review" Acme Corp', "Deal review", "Acme Corp"),
        ("\u201cNew one\u201d D-2", "New one", "D-2"),
        ("R&D <pipeline> D-3", "R&D <pipeline>", "D-3"),
    ],
)
def test_the_workflow_and_the_record_are_told_apart(text: str, workflow: str, record: str) -> None:
    split = split_why_text(text, NAMES)
    assert split is not None and (split.workflow, split.record) == (workflow, record)


@pytest.mark.parametrize("text", ["", "Deal review", '"Deal review"', "Unknown D-1", '"Deal D-1'])
def test_text_without_a_known_workflow_and_a_record_is_not_split(text: str) -> None:
    assert split_why_text(text, NAMES) is None


@given(record=st.text(min_size=1).filter(lambda t: t.strip() == t and t.split() == [t]))
def test_any_one_word_record_after_a_known_name_is_read_back(record: str) -> None:
    split = split_why_text(f"Deal review {record}", NAMES)
    assert split is not None and split.record == record


def test_an_instant_with_no_run_says_why_instead_of_a_verdict() -> None:
    explanation = _explanation(1, 1, given=True, no_run_because=f"{NASTY} is a pause day")
    blocks = explanation_blocks(explanation)
    assert_valid_blocks(blocks)
    verdict = str(blocks[0])
    assert "has no run at" in verdict and "would not be enrolled by" not in verdict
    assert "<!channel>" not in verdict


def test_an_instant_deferred_by_a_pause_day_says_from_when() -> None:
    explanation = _explanation(1, 1, given=True, deferred_from=AT - timedelta(days=1))
    verdict = str(explanation_blocks(explanation)[0])
    assert "where a pause day defers its run of" in verdict
