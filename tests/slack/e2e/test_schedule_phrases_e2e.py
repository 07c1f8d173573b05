"""Schedules typed in plain English in Slack, over real HTTP: /workflow create TEXT presets
the schedule (or the name), and the schedule step's "Type it" fills its fields and shows the
sentence and next runs, or says what it did not understand."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.slack.ids import WizardBlock
from storage.database import transaction
from storage.models import WizardDraft
from tests.slack.e2e.conftest import OWNER
from tests.slack.harness import Bot, Modal, Slack, open_modal

NEW_YORK = "America/New_York"  # the owner's zone in the stand-in


def _draft_schedule(bot: Bot) -> dict[str, Any]:
    with transaction(bot.sessions) as session:
        [draft] = session.scalars(select(WizardDraft)).all()
        return dict(draft.document["schedule"])


def _to_schedule_step(modal: Modal, name: str = "Pipeline review") -> None:
    modal.enter(WizardBlock.NAME, name)
    modal.choose(WizardBlock.OBJECT_TYPE, "deals")
    assert modal.submit().json.get("response_action") == "update"
    assert "Step 2 of 6" in modal.text()


def _preview(modal: Modal) -> str:
    block = next(b for b in modal.blocks if b.get("block_id") == WizardBlock.SCHEDULE_PREVIEW)
    return str(block["text"]["text"])


def _typed_input(modal: Modal) -> dict[str, Any]:
    return next(
        b
        for b in modal.blocks
        if str(b.get("block_id", "")).startswith(f"{WizardBlock.SCHEDULE_TEXT}.")
    )


def test_create_with_a_schedule_presets_the_schedule_step(slack: Slack, bot: Bot) -> None:
    modal = open_modal(slack, OWNER, "create every other Tuesday at 9am", WizardBlock.NAME)
    name = next(b for b in modal.blocks if b.get("block_id") == WizardBlock.NAME)
    assert "initial_value" not in name["element"], "the schedule was taken as a name"
    _to_schedule_step(modal)
    assert _preview(modal).startswith(f"*Every 2 weeks on Tuesday at 09:00 ({NEW_YORK})*")
    assert _draft_schedule(bot) == {
        "frequency": "weekly",
        "weekdays": ["tue"],
        "interval": 2,
        "time": "09:00",
        "timezone": NEW_YORK,
    }


def test_create_with_a_schedule_says_what_it_means_with_its_next_runs(slack: Slack) -> None:
    reply = slack.reply_to(OWNER, "create the last day of the month at 5pm")
    assert reply.startswith(
        f"Schedule from your text: *Every month on the last day at 17:00 ({NEW_YORK})*. "
        "Next runs: Mon 30 Nov 2026 17:00 EST, Thu 31 Dec 2026 17:00 EST, "
        "Sun 31 Jan 2027 17:00 EST."
    )


def test_create_with_a_schedule_that_skips_months_says_so(slack: Slack) -> None:
    reply = slack.reply_to(OWNER, "create the 31st at 9am Tokyo time")
    assert "*Every month on the 31st at 09:00 (Asia/Tokyo)*" in reply
    assert "⚠️ Day 31 does not exist in February, April, June, September and November: " in reply


def test_create_with_a_quoted_schedule_is_a_name(slack: Slack) -> None:
    modal = open_modal(slack, OWNER, 'create "Every Monday"', WizardBlock.NAME)
    assert '"initial_value": "Every Monday"' in modal.text()


def test_create_with_text_that_is_not_a_schedule_is_a_name(slack: Slack) -> None:
    modal = open_modal(slack, OWNER, "create Q4 renewals", WizardBlock.NAME)
    assert '"initial_value": "Q4 renewals"' in modal.text()


def test_create_with_a_schedule_not_understood_names_the_workflow_and_says_why(
    slack: Slack,
) -> None:
    reply = slack.reply_to(OWNER, "create every blursday at 9")
    assert "“every blursday at 9” is not a schedule, so it is the workflow's name" in reply
    assert "“blursday” is not understood" in reply
    assert "“every Monday and Thursday at 9am”" in reply
    [view] = slack.slack_api.views(OWNER)
    assert '"initial_value": "every blursday at 9"' in json.dumps(view.view)


def test_help_says_how_create_reads_its_text(slack: Slack) -> None:
    reply = slack.reply_to(OWNER, "help")
    assert "/workflow create [SCHEDULE | NAME]" in reply
    assert "a name in quotes is always a name" in reply


def test_type_it_fills_the_fields_and_shows_the_sentence_and_next_runs(
    slack: Slack, bot: Bot
) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _to_schedule_step(modal)
    assert _preview(modal).startswith("*Every week on Monday at 09:00")

    modal.type_and_enter(WizardBlock.SCHEDULE_TEXT, "the 1st and 15th at 4:30pm in Paris time")

    preview = _preview(modal)
    assert preview.startswith("*Every month on the 1st and 15th at 16:30 (Europe/Paris)*")
    assert "Next runs:\n• Tue 01 Dec 2026 16:30 CET\n• Tue 15 Dec 2026 16:30 CET" in preview
    days = next(b for b in modal.blocks if b.get("block_id") == WizardBlock.MONTH_DAYS)
    assert [o["value"] for o in days["element"]["initial_options"]] == ["1", "15"]
    assert modal.values[WizardBlock.TIME]  # the time picker holds 16:30
    assert '"initial_time": "16:30"' in modal.text()
    assert "initial_value" not in _typed_input(modal)["element"], "the text was not read"

    assert modal.submit().json.get("response_action") == "update"
    assert "Step 3 of 6" in modal.text()
    assert _draft_schedule(bot) == {
        "frequency": "monthly",
        "month_days": [1, 15],
        "time": "16:30",
        "timezone": "Europe/Paris",
    }


def test_type_it_not_understood_says_what_under_it_and_changes_nothing(
    slack: Slack, bot: Bot
) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _to_schedule_step(modal)
    before = _draft_schedule(bot)

    modal.type_and_enter(WizardBlock.SCHEDULE_TEXT, "every <blursday> at 9")

    typed = _typed_input(modal)
    assert typed["element"]["initial_value"] == "every <blursday> at 9"
    after = modal.blocks[modal.blocks.index(typed) + 1]
    said = after["elements"][0]["text"]
    assert said.startswith("⚠️ “&lt;blursday&gt;” is not understood.")
    assert "“every Monday and Thursday at 9am”" in said
    assert _draft_schedule(bot) == before


def test_next_with_typed_text_reads_it_first(slack: Slack, bot: Bot) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _to_schedule_step(modal)
    modal.enter(_typed_input(modal)["block_id"], "every weekday at 8am")  # no Enter

    assert modal.submit().json.get("response_action") == "update"

    assert _draft_schedule(bot) == {
        "frequency": "weekly",
        "weekdays": ["mon", "tue", "wed", "thu", "fri"],
        "time": "08:00",
        "timezone": NEW_YORK,
    }


def test_next_with_typed_text_that_is_not_a_schedule_shows_why_beside_it(
    slack: Slack, bot: Bot
) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _to_schedule_step(modal)
    block_id = _typed_input(modal)["block_id"]
    modal.enter(block_id, "every year on February 30")

    answer = modal.submit()

    assert answer.json["response_action"] == "errors"
    assert answer.json["errors"] == {block_id: "February has no day 30: choose a day from 1 to 29."}
    assert "Step 2 of 6" in modal.text()


def test_type_it_reads_several_times_quarters_and_business_days(slack: Slack, bot: Bot) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _to_schedule_step(modal)

    modal.type_and_enter(
        WizardBlock.SCHEDULE_TEXT,
        "the last business day of each quarter at 9am and 4pm excluding US holidays",
    )

    assert _preview(modal).startswith(
        "*Every month in March, June, September and December on the last business day "
        f"(not counting public holidays in US) at 09:00 and 16:00 ({NEW_YORK})*"
    )
    assert modal.submit().json.get("response_action") == "update"
    assert _draft_schedule(bot) == {
        "frequency": "monthly",
        "month_positions": [{"ordinal": "last", "day": "business_day"}],
        "months": [3, 6, 9, 12],
        "times": ["09:00", "16:00"],
        "timezone": NEW_YORK,
        "holidays": "US",
    }


def test_type_it_keeps_a_day_of_the_month_beside_the_same_position(slack: Slack, bot: Bot) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _to_schedule_step(modal)

    modal.type_and_enter(WizardBlock.SCHEDULE_TEXT, "the 1st and the first Monday at 10am")

    assert _preview(modal).startswith(
        f"*Every month on the 1st and on the first Monday at 10:00 ({NEW_YORK})*"
    )
    # The 1st and the first Monday of each month; Mon 1 Feb 2027 is both, and runs once.
    assert _preview(modal).endswith(
        "Next runs:\n• Tue 01 Dec 2026 10:00 EST\n• Mon 07 Dec 2026 10:00 EST\n"
        "• Fri 01 Jan 2027 10:00 EST\n• Mon 04 Jan 2027 10:00 EST\n• Mon 01 Feb 2027 10:00 EST"
    )
    assert modal.submit().json.get("response_action") == "update"
    assert _draft_schedule(bot) == {
        "frequency": "monthly",
        "month_days": [1],
        "month_positions": [{"ordinal": "first", "day": "mon"}],
        "time": "10:00",
        "timezone": NEW_YORK,
    }


def test_type_it_with_a_number_that_reads_two_ways_offers_a_phrasing_for_each(
    slack: Slack, bot: Bot
) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _to_schedule_step(modal)
    before = _draft_schedule(bot)

    modal.type_and_enter(WizardBlock.SCHEDULE_TEXT, "the 1st and last Friday")

    typed = _typed_input(modal)
    said = modal.blocks[modal.blocks.index(typed) + 1]["elements"][0]["text"]
    assert said == (
        "⚠️ In “the 1st and last Friday”, “1st” can mean the 1st of the month or the first "
        "Friday: say “on the 1st and on the last Friday” or “the first and last Friday”."
    )
    assert _draft_schedule(bot) == before

    modal.type_and_enter(WizardBlock.SCHEDULE_TEXT, "on the 1st and on the last Friday")

    assert _preview(modal).startswith(
        f"*Every month on the 1st and on the last Friday at 09:00 ({NEW_YORK})*"
    )


def test_create_with_a_number_that_reads_two_ways_says_how_to_pick(slack: Slack) -> None:
    reply = slack.reply_to(OWNER, "create the 1st and last Friday")
    assert "“the 1st and last Friday” is not a schedule, so it is the workflow's name" in reply
    assert (
        "say “on the 1st and on the last Friday” or “the first and last Friday”. A name in "
        "quotes is never read as a schedule."
    ) in reply
