"""The wizard's modal, without Slack: every step for create and edit, valid Block Kit within
Slack's limits, the input read back into the draft, and problems placed on their inputs."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.ids import View, WizardAction, WizardBlock
from bot.slack.views.wizard import (
    build_wizard_view,
    draft_id_of,
    finished_view,
    input_version_of,
    is_review,
    loading_view,
    message_view,
    page_step_of,
    problem_lines,
    read_step,
    saving_view,
    step_errors,
)
from bot.workflows.drafts import (
    Finished,
    Matching,
    ObjectTypeChoice,
    Review,
    WizardPage,
    WizardStep,
    schedule_preview,
)
from bot.workflows.overview import RecordLine
from bot.workflows.problems import Location, Problem, ProblemCode
from bot.workflows.schedules import WEEKDAYS, Ordinal, PositionDay, Schedule
from bot.workflows.vocabulary import PropertyType, WorkflowStatus
from bot.workflows.wording import ChannelRef, Phrase
from tests.block_kit import assert_valid_view
from tests.slack.views.state import State, choose, enter, state_from_blocks

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
DRAFT_ID = "0123456789abcdef0123456789abcdef"
PROPERTIES = {
    "stage": PropertyType.STRING,
    "amount": PropertyType.NUMBER,
    "close_date": PropertyType.DATE,
}
TYPES = (ObjectTypeChoice("companies", 0), ObjectTypeChoice("deals", 1234))
FULL: dict[str, Any] = {
    "name": "Weekly deal review",
    "object_type": "deals",
    "status": "active",
    "owner": "U0OWNER",
    "schedule": {
        "frequency": "weekly",
        "weekdays": ["mon", "thu"],
        "time": "07:00",
        "timezone": "America/New_York",
    },
    "criteria": {
        "any": [
            {
                "all": [
                    {"property": "stage", "operator": "eq", "value": "contract"},
                    {"property": "amount", "operator": "gte", "value": 5000},
                ]
            }
        ]
    },
    "suppression": {"any": [{"all": [{"property": "amount", "operator": "lt", "value": 10}]}]},
    "actions": [
        {"type": "send_channel_message", "channel": "C0123ABCD", "text": "{{ name }} is late"},
        {"type": "send_owner_dm", "text": "Please update {{ name }}"},
    ],
    "settings": {
        "summary_channel": "C0SUMMARY",
        "summary": "always",
        "pause_days": ["12-25", "2026-11-26"],
        "holidays": "US",
        "on_pause_day": "skip",
        "catch_up_minutes": 30,
    },
}
NEW: dict[str, Any] = {
    "owner": "U0OWNER",
    "schedule": {
        "frequency": "weekly",
        "weekdays": ["mon"],
        "time": "09:00",
        "timezone": "Europe/Paris",
    },
    "criteria": {},
    "actions": [],
    "settings": {},
}
REVIEW = Review(
    name="Deals <!channel> & co",
    object_type="deals",
    schedule="Every week on Monday at 09:00 (Europe/Paris)",
    next_runs=(datetime(2026, 11, 2, 9, tzinfo=UTC),),
    matching=12,
    records=(RecordLine("Acme <renewal>", "D-1"),),
    criteria=("stage is equal to <won>",),
    actions=(Phrase(("Post to ", ChannelRef("C0123ABCD"), " one message per record: “<b>”")),),
    settings=(Phrase(("Post a summary to ", ChannelRef("C0SUM"), " after every run")),),
    warnings=(
        Problem(
            ("schedule",),
            ProblemCode.NOT_IN_EVERY_MONTH,
            "day 31 does not exist in <April>: the workflow will not run in that month",
            params={"day": 31, "months": "<April>", "those": "that month", "never": True},
        ),
    ),
)


def page(
    step: int,
    document: Mapping[str, Any] = FULL,
    editing: WorkflowStatus | None = None,
    **extra: Any,
) -> WizardPage:
    fields: dict[str, Any] = {
        "draft_id": DRAFT_ID,
        "step": step,
        "layout": 3,
        "document": document,
        "editing": editing,
        "object_types": TYPES if step == 1 else (),
        "properties": PROPERTIES,
        "schedule": schedule_preview(document, "UTC", NOW) if step == 2 else None,
        "matching": Matching(7) if step == 3 else None,
        "review": REVIEW if step == 6 else None,
    }
    return WizardPage(**{**fields, **extra})


def view_of(wizard_page: WizardPage) -> dict[str, Any]:
    view = build_wizard_view(wizard_page)
    assert_valid_view(view)
    assert len(view["blocks"]) <= 100
    assert draft_id_of(view) == DRAFT_ID and page_step_of(view) == wizard_page.step
    assert view["callback_id"] == View.WIZARD
    return view


def texts(view: Mapping[str, Any]) -> str:
    """Every text of the view's blocks, to look for words in."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, Mapping):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(view["blocks"])
    return "\n".join(found)


def block(view: Mapping[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def input_ids(view: Mapping[str, Any]) -> set[str]:
    return {b["block_id"] for b in view["blocks"] if b["type"] == "input"}


# --- Every step renders ---------------------------------------------------------------------


@pytest.mark.parametrize("step", range(1, 7))
@pytest.mark.parametrize("editing", [None, WorkflowStatus.ACTIVE, WorkflowStatus.PAUSED])
def test_every_step_renders_as_a_valid_modal(step: int, editing: WorkflowStatus | None) -> None:
    for document in (FULL, NEW, {}):
        view = view_of(page(step, document, editing))
        assert view["title"]["text"] == ("New workflow" if editing is None else "Edit workflow")
        assert block(view, WizardBlock.STEP)["elements"][0]["text"].startswith(f"Step {step} of 6")


@pytest.mark.parametrize(
    "document",
    [
        {
            "name": 42,
            "object_type": ["deals"],
            "schedule": "weekly",
            "criteria": "all",
            "actions": {"type": "x"},
            "settings": [],
            "suppression": 5,
        },
        {
            "schedule": {
                "frequency": "hourly",
                "time": "25:99",
                "timezone": "Mars/Base",
                "weekdays": "mon",
                "interval": "two",
                "start_date": "soon",
            }
        },
        {"schedule": {"frequency": "monthly", "month_positions": [{"ordinal": "fifth"}, 3]}},
        {"schedule": {"frequency": "annually", "month": 13, "day": "x"}},
        {"schedule": {"frequency": "once", "date": "2026-02-30"}},
        {
            "settings": {
                "summary_channel": 5,
                "pause_days": "12-25",
                "catch_up_minutes": -1,
                "holidays": "Narnia",
                "on_pause_day": "maybe",
            }
        },
        {
            "name": "x" * 300,
            "object_type": "x" * 200,
            "settings": {"holidays": "x" * 200},
            "schedule": {"frequency": "daily", "timezone": "x" * 200},
        },
    ],
)
@pytest.mark.parametrize("step", range(1, 7))
def test_a_partial_or_invalid_draft_still_renders(document: dict[str, Any], step: int) -> None:
    view_of(page(step, document))


def test_the_buttons_say_what_saving_does() -> None:
    labels = {
        editing: (view_of(page(6, FULL, editing)), view_of(page(2, FULL, editing)))
        for editing in (None, WorkflowStatus.ACTIVE, WorkflowStatus.PAUSED, WorkflowStatus.DRAFT)
    }

    def buttons(view: Mapping[str, Any]) -> list[str]:
        return [e["text"]["text"] for e in block(view, WizardBlock.NAVIGATION)["elements"]]

    assert labels[None][0]["submit"]["text"] == "Activate"
    assert buttons(labels[None][0]) == ["Back", "Save as draft"]
    assert labels[WorkflowStatus.ACTIVE][0]["submit"]["text"] == "Save"
    assert buttons(labels[WorkflowStatus.ACTIVE][0]) == ["Back", "Save and pause"]
    assert labels[WorkflowStatus.PAUSED][0]["submit"]["text"] == "Save and activate"
    assert buttons(labels[WorkflowStatus.PAUSED][0]) == ["Back", "Save, keep paused"]
    assert labels[WorkflowStatus.DRAFT][0]["submit"]["text"] == "Save and activate"
    for view, _ in labels.values():
        assert is_review(view)
    for _, view in labels.values():
        assert view["submit"]["text"] == "Next"
        assert buttons(view) == ["Back"]
        assert not is_review(view)


def test_a_page_shown_for_an_out_of_date_one_says_which_button_to_click() -> None:
    review = build_wizard_view(page(6, FULL, WorkflowStatus.ACTIVE), outdated=WizardStep.SETTINGS)
    assert_valid_view(review)

    said = block(review, WizardBlock.OUTDATED)["text"]["text"]
    assert said.startswith("⚠️ The page you clicked Next on (Step 5 of 6 · Settings) was out")
    assert said.endswith(
        "The dialog is at Step 6 of 6 · Review, shown here: check it, then click Save."
    )
    assert WizardBlock.OUTDATED not in {b.get("block_id") for b in view_of(page(6))["blocks"]}


def test_the_first_step_has_no_back_button_and_lists_types_with_their_records() -> None:
    view = view_of(page(1, NEW))

    assert not any(b.get("block_id") == WizardBlock.NAVIGATION for b in view["blocks"])
    options = block(view, WizardBlock.OBJECT_TYPE)["element"]["options"]
    assert [o["text"]["text"] for o in options] == [
        "companies (0 records)",
        "deals (1,234 records)",
    ]
    assert "initial_option" not in block(view, WizardBlock.OBJECT_TYPE)["element"]


def test_the_schedule_step_shows_the_sentence_and_next_runs_in_the_zone() -> None:
    view = view_of(page(2, FULL))

    preview = block(view, WizardBlock.SCHEDULE_PREVIEW)["text"]["text"]
    assert "*Every week on Monday and Thursday at 07:00 (America/New_York)*" in preview
    assert "Mon 02 Nov 2026 07:00 EST" in preview
    assert preview.count("• ") == 5
    assert all(b.get("dispatch_action") for b in view["blocks"] if b["type"] == "input"), (
        "every schedule input refreshes the preview"
    )


def test_the_schedule_step_warns_about_days_some_months_lack() -> None:
    document = {
        **FULL,
        "schedule": {
            "frequency": "monthly",
            "month_days": [31],
            "time": "09:00",
            "timezone": "UTC",
        },
    }

    assert (
        "Day 31 does not exist in February, April, June, September and November: the "
        "workflow does not run in those months." in texts(view_of(page(2, document)))
    )


def test_an_unusual_time_zone_is_offered_with_the_common_ones() -> None:
    document = {**FULL, "schedule": {**FULL["schedule"], "timezone": "America/Boise"}}

    element = block(view_of(page(2, document)), WizardBlock.TIMEZONE)["element"]

    assert element["initial_option"]["value"] == "America/Boise"
    assert all(len(group["options"]) <= 100 for group in element["option_groups"])


def test_step_three_shows_how_many_records_match_now() -> None:
    view = view_of(page(3, FULL))

    assert (
        block(view, WizardBlock.MATCHING)["elements"][0]["text"] == "*7* records match right now."
    )


def test_the_review_escapes_user_data_and_mentions_channels() -> None:
    text = texts(view_of(page(6, FULL)))

    assert "Deals &lt;!channel&gt; &amp; co" in text
    assert "<!channel>" not in text
    assert "Acme &lt;renewal&gt; (D-1) and 11 more" in text
    assert "stage is equal to &lt;won&gt;" in text
    assert "1. Post to <#C0123ABCD> one message per record: “&lt;b&gt;”" in text
    assert "Post a summary to <#C0SUM> after every run" in text
    assert (
        "Day 31 does not exist in &lt;April&gt;: the workflow does not run in that month." in text
    )


def test_a_review_with_problems_says_which_step_to_go_back_to() -> None:
    review = Review(
        "",
        "deals",
        problems=(at(("name",), C.MISSING), at(("actions",), C.NO_ACTIONS)),
    )

    text = texts(view_of(page(6, FULL, review=review)))

    assert "Step 1, Name: Give the workflow a name." in text
    assert "Step 4, Actions: Add at least one action" in text


def test_problems_no_input_can_show_go_above_the_step() -> None:
    lines = (*problem_lines([at(("actions",), C.NO_ACTIONS)]), "A workflow named x exists.")

    view = view_of(page(6, FULL, problems=lines))

    assert "Actions: Add at least one action" in block(view, WizardBlock.PROBLEMS)["text"]["text"]
    assert "A workflow named x exists." in block(view, WizardBlock.PROBLEMS)["text"]["text"]


def test_the_other_modals_are_valid() -> None:
    assert_valid_view(loading_view())
    assert loading_view(editing=True)["callback_id"] == View.LOADING
    assert "submit" not in loading_view()
    assert_valid_view(message_view("Only the owner of *x* can change it.", editing=True))
    next_run = datetime(2026, 11, 2, 9, tzinfo=UTC)
    leap = Problem(("schedule",), ProblemCode.LEAP_DAY_ONLY, "29 February", params={})
    writes = "Writes to HubSpot: action 1 (Set a property: <x>) changes HubSpot."
    done = Finished("A <b>", WorkflowStatus.ACTIVE, next_run, (leap,), True, 1, writes)
    active = finished_view(done)
    drafted = finished_view(Finished("A", WorkflowStatus.DRAFT, None, (), False, 2))
    for view in (active, drafted):
        assert_valid_view(view)
    assert "*A &lt;b&gt;* is active. Next run: Mon 02 Nov 2026 09:00 UTC." in texts(active)
    assert "⚠️ 29 February comes only in leap years: the workflow does not run in other " in (
        texts(active)
    )
    assert "⚠️ Writes to HubSpot: action 1 (Set a property: &lt;x&gt;) changes" in texts(active)
    assert "⚠️" not in texts(drafted)
    assert "`/workflow activate A`" in texts(drafted)


def test_saving_keeps_the_draft_id_and_offers_nothing_to_press_twice() -> None:
    view = saving_view(DRAFT_ID, editing=True)

    assert_valid_view(view)
    assert view["private_metadata"] == DRAFT_ID and view["callback_id"] == View.WIZARD
    assert draft_id_of(view) == DRAFT_ID and page_step_of(view) is None
    assert "submit" not in view and not is_review(view)
    assert "Saving…" in texts(view) and view["title"]["text"] == "Edit workflow"


# --- Reading the input back -----------------------------------------------------------------


@pytest.mark.parametrize("step", range(1, 7))
def test_an_untouched_step_reads_back_as_it_was(step: int) -> None:
    view = view_of(page(step, FULL))

    read = read_step(step, state_from_blocks(view["blocks"]), FULL, PROPERTIES, 3)

    assert read == FULL


def test_what_the_user_enters_on_step_one_is_read() -> None:
    view = view_of(page(1, NEW))
    values = state_from_blocks(view["blocks"])
    enter(values, WizardBlock.NAME, "Won deals")
    choose(view["blocks"], values, WizardBlock.OBJECT_TYPE, "deals")

    read = read_step(1, values, NEW, {}, 0)

    assert (read["name"], read["object_type"]) == ("Won deals", "deals")
    assert read_step(1, state_from_blocks(view["blocks"]), NEW, {}, 0)["name"] == ""


def changed_frequency(document: Mapping[str, Any], frequency: str) -> dict[str, Any]:
    view = view_of(page(2, document))
    values = state_from_blocks(view["blocks"])
    choose(view["blocks"], values, WizardBlock.FREQUENCY, frequency)
    schedule: dict[str, Any] = read_step(2, values, document, {}, 0)["schedule"]
    return schedule


def test_changing_the_frequency_keeps_time_and_zone_and_starts_the_new_days_empty() -> None:
    base = {"time": "07:00", "timezone": "America/New_York"}

    assert changed_frequency(FULL, "monthly") == {"frequency": "monthly", "month_days": [], **base}
    assert changed_frequency(FULL, "annually") == {
        "frequency": "annually",
        "month": 1,
        "day": 1,
        **base,
    }
    assert changed_frequency(FULL, "once") == {"frequency": "once", **base}
    assert changed_frequency(FULL, "daily") == {"frequency": "daily", **base}
    monthly = {**FULL, "schedule": changed_frequency(FULL, "monthly")}
    assert changed_frequency(monthly, "weekly") == {"frequency": "weekly", "weekdays": [], **base}


def test_days_a_new_frequency_set_aside_come_back_with_the_old_one() -> None:
    view = view_of(page(2, FULL))
    values = state_from_blocks(view["blocks"])
    choose(view["blocks"], values, WizardBlock.FREQUENCY, "monthly")
    monthly = read_step(2, values, FULL, {}, 0)
    assert monthly["set_aside"] == {"schedule": {"weekdays": FULL["schedule"]["weekdays"]}}
    view = view_of(page(2, monthly))
    values = state_from_blocks(view["blocks"])
    choose(view["blocks"], values, WizardBlock.FREQUENCY, "weekly")

    weekly = read_step(2, values, monthly, {}, 0)

    assert weekly["schedule"] == FULL["schedule"]


def test_switching_monthly_to_flexible_days_starts_with_none_chosen() -> None:
    document = {
        **FULL,
        "schedule": {
            "frequency": "monthly",
            "month_days": [1, 15],
            "time": "09:00",
            "timezone": "UTC",
        },
    }
    view = view_of(page(2, document))
    values = state_from_blocks(view["blocks"])
    choose(view["blocks"], values, WizardBlock.MONTHLY_MODE, "positions")

    read = read_step(2, values, document, {}, 0)
    schedule = read["schedule"]

    assert schedule["month_positions"] == []
    assert "month_days" not in schedule
    assert read["set_aside"] == {"schedule": {"month_days": [1, 15]}}
    flexible = view_of(page(2, read))
    assert WizardBlock.MONTH_POSITIONS in input_ids(flexible)
    assert WizardBlock.MONTH_DAYS not in input_ids(flexible)
    positions = next(
        b for b in flexible["blocks"] if b.get("block_id") == WizardBlock.MONTH_POSITIONS
    )
    assert "initial_options" not in positions["element"]


def test_what_is_left_empty_or_typed_wrong_is_kept_for_the_check_to_report() -> None:
    view = view_of(page(2, FULL))
    values = state_from_blocks(view["blocks"])
    enter(values, WizardBlock.WEEKDAYS, [])
    enter(values, WizardBlock.TIME, None)
    enter(values, WizardBlock.INTERVAL, "1.5")

    schedule = read_step(2, values, FULL, {}, 0)["schedule"]

    assert schedule == {
        "frequency": "weekly",
        "weekdays": [],
        "timezone": "America/New_York",
        "interval": "1.5",
    }


def test_settings_read_back_from_the_form() -> None:
    view = view_of(page(5, NEW))
    values = state_from_blocks(view["blocks"])
    enter(values, WizardBlock.SUMMARY_CHANNEL, "C0SUM")
    enter(values, WizardBlock.PAUSE_DAYS, " 12-25,2026-11-26 ;  01-01 ")
    choose(view["blocks"], values, WizardBlock.HOLIDAYS, "GB")
    choose(view["blocks"], values, WizardBlock.ON_PAUSE_DAY, "skip")
    enter(values, WizardBlock.CATCH_UP, "15")

    settings = read_step(5, values, NEW, PROPERTIES, 3)["settings"]

    assert settings == {
        "summary_channel": "C0SUM",
        "summary": "when_enrolled_or_failed",
        "pause_days": ["12-25", "2026-11-26", "01-01"],
        "holidays": "GB",
        "on_pause_day": "skip",
        "catch_up_minutes": 15,
    }


def _typed_and_drawn_again(step: int, document: dict[str, Any], block_id: str, typed: str) -> Any:
    """The document read from ``typed`` in the input ``block_id`` of the step's page, and
    read again from the page drawn from it (as a refresh of the step does)."""
    values = state_from_blocks(view_of(page(step, document))["blocks"])
    enter(values, block_id, typed)
    read = read_step(step, values, document, PROPERTIES, 3)
    drawn = view_of(page(step, read))
    shown = next(b for b in drawn["blocks"] if b.get("block_id") == block_id)
    assert len(shown["element"]["initial_value"]) <= 3000
    return read, read_step(step, state_from_blocks(drawn["blocks"]), read, PROPERTIES, 3)


def test_a_pasted_list_of_pause_days_as_long_as_the_input_takes_is_drawn_again_whole() -> None:
    typed = "12-25," * 500  # 3,000 characters: ", " between the days would make 3,498

    read, again = _typed_and_drawn_again(5, NEW, WizardBlock.PAUSE_DAYS, typed)

    assert read["settings"]["pause_days"] == ["12-25"] * 500
    assert again["settings"] == read["settings"]
    too_many = at(("settings", "pause_days"), C.TOO_MANY, count=500, limit=100)
    assert "500" in step_errors(5, [too_many], read, 3)[WizardBlock.PAUSE_DAYS]


def test_a_pasted_list_of_times_as_long_as_the_input_takes_is_drawn_again_whole() -> None:
    typed = "12:00;" * 500

    read, again = _typed_and_drawn_again(2, FULL, WizardBlock.MORE_TIMES, typed)

    assert read["schedule"]["times"] == ["07:00", "12:00"]  # repeated times are one
    assert again["schedule"] == read["schedule"]
    many = " ".join(f"{h:02}:{m:02}" for h in range(24) for m in range(0, 60, 1))[:3000]
    read, again = _typed_and_drawn_again(2, FULL, WizardBlock.MORE_TIMES, many)
    assert len(read["schedule"]["times"]) == 500 and again["schedule"] == read["schedule"]


def test_pause_days_from_a_file_too_long_for_the_input_are_shown_and_kept_as_they_are() -> None:
    days = [f"2026-{m:02}-{d:02}" for m in range(1, 13) for d in range(1, 29)]  # 3,695 chars
    document = {**NEW, "settings": {"pause_days": days}}

    view = view_of(page(5, document))
    read = read_step(5, state_from_blocks(view["blocks"]), document, PROPERTIES, 3)

    shown = next(b for b in view["blocks"] if b.get("block_id") == WizardBlock.PAUSE_DAYS)
    assert shown["type"] == "section"
    assert "*Pause days*: longer than this form can show" in shown["text"]["text"]
    assert "edit it in the workflow's file" in shown["text"]["text"]
    assert read["settings"]["pause_days"] == days


def test_a_type_fed_by_a_source_asks_what_a_run_does_when_the_source_fails() -> None:
    view = view_of(page(5, FULL, source="crm"))
    settings_block = next(
        b for b in view["blocks"] if b.get("block_id") == "wizard_on_stale_source"
    )
    assert settings_block["label"]["text"] == "When the source crm cannot be synced before a run"
    assert [o["text"]["text"] for o in settings_block["element"]["options"]] == [
        "Run with the records as last synced, and say so in the summary",
        "Wait and try the source again (up to 12 minutes)",
    ]
    values = state_from_blocks(view["blocks"])
    assert read_step(5, values, FULL, PROPERTIES, 3)["settings"]["on_stale_source"] == "run"
    choose(view["blocks"], values, WizardBlock.ON_STALE_SOURCE, "postpone")
    assert read_step(5, values, FULL, PROPERTIES, 3)["settings"]["on_stale_source"] == "postpone"


def test_a_type_fed_by_files_is_not_asked_about_a_source() -> None:
    view = view_of(page(5, FULL))
    assert "wizard_on_stale_source" not in {b.get("block_id") for b in view["blocks"]}
    values = state_from_blocks(view["blocks"])
    kept = {**FULL, "settings": {**FULL["settings"], "on_stale_source": "postpone"}}
    assert read_step(5, values, kept, PROPERTIES, 3)["settings"]["on_stale_source"] == "postpone"


def test_no_summary_and_no_holidays_clear_those_settings() -> None:
    view = view_of(page(5, FULL))
    values = state_from_blocks(view["blocks"])
    choose(view["blocks"], values, WizardBlock.SUMMARY, "none")
    choose(view["blocks"], values, WizardBlock.HOLIDAYS, "none")

    settings = read_step(5, values, FULL, PROPERTIES, 3)["settings"]

    assert "summary_channel" not in settings and "summary" not in settings
    assert "holidays" not in settings


def test_reading_never_raises_on_a_state_of_another_shape() -> None:
    # The keys each step reads; a step leaves every other key of the document as it was.
    read_by_step: dict[int, set[str]] = {
        1: {"name", "object_type"},
        2: {"schedule"},
        3: {"criteria"},
        4: {"actions"},
        5: {"settings", "suppression"},
        6: set(),
    }
    document = copy.deepcopy(FULL)
    for step, keys in read_by_step.items():
        for state in ({}, {"wizard_name": "x"}, {"wizard_time": {"a": {"selected_time": 5}}}):
            read = read_step(step, state, document, PROPERTIES, 3)  # type: ignore[arg-type]
            assert isinstance(read, dict)
            untouched = {k: v for k, v in FULL.items() if k not in keys}
            assert {k: read.get(k) for k in untouched} == untouched, (step, state)
    assert document == FULL  # the document given is not changed


_ZONES = (
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "America/Boise",
    "Pacific/Chatham",
)
_DATES = st.dates(date(2020, 1, 1), date(2035, 12, 31))


@st.composite
def schedules(draw: st.DrawFn) -> dict[str, Any]:
    frequency = draw(st.sampled_from(["daily", "weekly", "monthly", "annually", "once"]))
    times = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
    data: dict[str, Any] = {
        "frequency": frequency,
        "times": draw(st.lists(times, min_size=1, max_size=4)),
        "timezone": draw(st.sampled_from(_ZONES)),
    }
    if frequency == "weekly":
        data["weekdays"] = draw(
            st.lists(st.sampled_from([d.value for d in WEEKDAYS]), min_size=1, unique=True)
        )
    elif frequency == "monthly":
        if draw(st.booleans()):
            data["month_days"] = draw(st.lists(st.integers(1, 31), min_size=1, unique=True))
        else:
            positions = st.builds(
                lambda o, d: {"ordinal": o.value, "day": d.value},
                st.sampled_from(Ordinal),
                st.sampled_from(PositionDay),
            )
            data["month_positions"] = draw(st.lists(positions, min_size=1, max_size=4))
            if any(p["day"] == "business_day" for p in data["month_positions"]):
                calendar = draw(st.sampled_from([(), ("US",), ("US", "CA"), ("IT", "BA")]))
                data.update(zip(("holidays", "subdivision"), calendar, strict=False))
        if draw(st.booleans()):
            data["months"] = draw(st.lists(st.integers(1, 12), min_size=1, max_size=12))
    elif frequency == "annually":
        data["month"] = draw(st.integers(1, 12))
        data["day"] = draw(st.integers(1, 28))
    elif frequency == "once":
        data["date"] = draw(_DATES).isoformat()
    if frequency != "once":
        if draw(st.booleans()):
            data["interval"] = draw(st.integers(1, 1000))
        start = draw(st.none() | _DATES)
        if start is not None:
            data["start_date"] = start.isoformat()
        if draw(st.booleans()):
            end = (start or date(2020, 1, 1)) + timedelta(days=draw(st.integers(0, 3000)))
            data["end_date"] = end.isoformat()
    return data


@given(schedules())
def test_every_valid_schedule_renders_and_reads_back_equal(raw: dict[str, Any]) -> None:
    canonical = Schedule.from_json(raw).to_json()
    document = {**NEW, "schedule": canonical}

    view = view_of(page(2, document))
    read = read_step(2, state_from_blocks(view["blocks"]), document, {}, 0)

    assert read["schedule"] == canonical


# --- Problems on their inputs ---------------------------------------------------------------


def test_each_schedule_problem_goes_on_its_own_input() -> None:
    document = {
        **FULL,
        "schedule": {"frequency": "monthly", "month_positions": [], "timezone": "UTC"},
    }
    view = view_of(page(2, document))
    never = "the schedule never runs in the next 5 years"
    problems = [
        at(("schedule", "month_positions"), C.EMPTY),
        at(("schedule", "month_days"), C.MISSING),
        at(("schedule", "time"), C.MISSING),
        Problem(("schedule",), C.NEVER_RUNS, never),
    ]

    errors = step_errors(2, problems, document, 0)

    assert set(errors) <= input_ids(view)
    assert errors[WizardBlock.MONTH_POSITIONS] == (
        "Choose at least one day, e.g. the last weekday.\nChoose at least one day of the month."
    )
    assert errors[WizardBlock.TIME] == "Choose the time of day."
    assert errors[WizardBlock.FREQUENCY] == (
        "The schedule never runs in the next 5 years: choose other days, a shorter interval "
        "or another start date."
    )


def test_step_one_problems_go_beside_the_name_and_the_type() -> None:
    taken = Problem(("name",), C.NAME_TAKEN, "taken", "", {"name": "Deal review"})
    errors = step_errors(1, [taken, at(("object_type",), C.MISSING)], NEW, 0)

    assert errors == {
        WizardBlock.NAME: "A workflow named Deal review already exists: choose another name.",
        WizardBlock.OBJECT_TYPE: "Choose the type of records the workflow runs on.",
    }


def test_settings_and_suppression_problems_go_on_step_five_inputs() -> None:
    view = view_of(page(5, FULL))
    problems = [
        at(("settings", "pause_days", 1), C.NOT_A_DATE, value="12-32"),
        at(("settings", "pause_days", 2), C.NOT_A_DATE, value="02-30"),
        at(("settings", "summary_channel"), C.NOT_A_CHANNEL),
        at(("settings",), C.NOT_A_MAPPING),
        at(("suppression", 0, 0, "property"), C.UNKNOWN_PROPERTY, property="amont"),
    ]

    errors = step_errors(5, problems, FULL, 3)

    assert set(errors) <= input_ids(view)
    assert errors[WizardBlock.PAUSE_DAYS] == (
        "Pause day 2 (12-32) is not a day: write 12-25 for every year or 2026-11-26 for one "
        "day.\nPause day 3 (02-30) is not a day: write 12-25 for every year or 2026-11-26 for "
        "one day."
    )
    assert errors[WizardBlock.SUMMARY_CHANNEL].startswith("Choose a channel from the list.")
    assert any(block_id.startswith("suppression.") for block_id in errors)


def test_criteria_and_action_problems_go_on_the_editors_inputs() -> None:
    criteria_view = view_of(page(3, FULL))
    actions_view = view_of(page(4, FULL))

    value = at(("criteria", 0, 1, "value"), C.BAD_VALUE, property="amount", property_type=NUMBER)
    criteria = step_errors(3, [value], FULL, 3)
    actions = step_errors(4, [at(("actions", 1, "text"), C.MISSING)], FULL, 3)

    assert criteria and set(criteria) <= input_ids(criteria_view)
    assert actions and set(actions) <= input_ids(actions_view)
    assert "Write the message to send." in next(iter(actions.values()))


def test_the_review_has_no_input_to_put_problems_on() -> None:
    assert step_errors(6, [at(("name",), C.MISSING)], FULL, 0) == {}


C = ProblemCode
NUMBER = PropertyType.NUMBER


def at(location: Location, code: ProblemCode, **params: object) -> Problem:
    """A problem as the domain reports it; its file wording plays no part in the dialog."""
    return Problem(location, code, "file wording", "", params)


def test_state_from_blocks_is_slacks_shape() -> None:
    values: State = state_from_blocks(view_of(page(2, FULL))["blocks"])

    assert values[WizardBlock.TIME][WizardAction.REFRESH] == {
        "type": "timepicker",
        "selected_time": "07:00",
    }


@pytest.mark.parametrize(
    "body, version",
    [
        ({"actions": [{"action_ts": "1764579600.000100"}]}, 1_764_579_600_000_100),
        ({"actions": [{"action_ts": "1764579600.1"}]}, 1_764_579_600_100_000),
        ({"actions": [{"action_ts": "soon"}]}, None),
        ({"actions": [{"action_ts": "NaN"}]}, None),
        ({"actions": [{"action_ts": 1764579600}]}, None),
        ({"actions": []}, None),
        ({"view": {}}, None),  # a view submission
    ],
)
def test_an_inputs_version_is_when_it_was_made_in_microseconds(
    body: dict[str, Any], version: int | None
) -> None:
    assert input_version_of(body) == version
