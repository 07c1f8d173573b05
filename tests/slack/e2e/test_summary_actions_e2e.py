"""The buttons of a run summary over real HTTP: the workflow's owner presses Re-run failed,
Skip next run (and Undo skip) and Snooze a record under the summary the bot posted, and
reads what the bot answers; someone else is refused and told who can; a button of an older
summary says a newer run happened."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import select

from bot.slack.ids import SnoozeBlock, SummaryAction, View
from bot.workflows.clock import FixedClock
from bot.workflows.vocabulary import RunStatus
from storage.database import transaction
from storage.models import Record, Run
from tests.block_kit import assert_valid_blocks, assert_valid_view
from tests.engine.builders import channel_message, deal, import_deals, save, workflow_document
from tests.slack.e2e.conftest import ADMIN, OTHER, OWNER
from tests.slack.harness import Bot, Modal, Slack
from tests.slack_standin import TEAM_ID, SlackStandIn

NAME = "Deal review"
BLOCKED = "C0BLOCKED"
DEALS = "C0DEALS"
SUMMARY = "C0SUMMARY"
# The first run of a workflow saved at START (Monday noon): Tuesday 09:00 UTC.
RUN_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def first_run(bot: Bot, clock: FixedClock, slack_api: SlackStandIn) -> int:
    """Olivia's workflow ran at 09:00: a message per deal to #deals went out, the one to a
    channel the bot was not in failed for both deals; its summary went to #summary."""
    import_deals(
        bot.sessions, [deal("D1", "Acme renewal"), deal("D2", "Globex")], clock.now(), TEAM_ID
    )
    document = workflow_document(
        name=NAME,
        owner=OWNER,
        actions=[channel_message(), channel_message("{{ name }} needs a look", BLOCKED)],
        settings={"summary_channel": SUMMARY, "summary": "always"},
    )
    save(bot.sessions, document, clock.now(), team=TEAM_ID)
    slack_api.fail("not_in_channel", channel=BLOCKED)
    clock.set(RUN_AT)
    [(run_id, status)] = bot.engine().tick()
    assert status is RunStatus.SUCCEEDED
    slack_api.stop_failing()  # then someone invited the bot
    return run_id


def _summaries(slack_api: SlackStandIn) -> list[dict[str, Any]]:
    return slack_api.posted_messages(SUMMARY)


def _press(
    slack: Slack, slack_api: SlackStandIn, user_id: str, message: dict[str, Any], action_id: str
) -> str:
    """``user_id`` presses the button ``action_id`` of a message the bot posted to #summary;
    returns the path of the click's response_url."""
    button = next(
        element
        for block in message.get("blocks") or []
        for element in block.get("elements") or []
        if element.get("action_id") == action_id
    )
    response_url = slack_api.response_url("click")
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "standin"},
        "user": {"id": user_id, "team_id": TEAM_ID},
        "api_app_id": "A0WORKFLOWBOT",
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": SUMMARY},
        "trigger_id": slack_api.issue_trigger(user_id),
        "channel": {"id": SUMMARY, "name": "summary"},
        "message": message,
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "summary-made-id",
                "value": button["value"],
                "action_ts": "1764579600.000200",
            }
        ],
    }
    answer = slack.send(urlencode({"payload": json.dumps(payload)}))
    assert answer.status == 200, answer
    return urlsplit(response_url).path


def _reply(slack_api: SlackStandIn, path: str) -> dict[str, Any]:
    """What the bot answered at a click's response_url."""
    slack_api.wait_for(lambda api: any(r.path == path for r in api.responses()))
    return next(r for r in slack_api.responses() if r.path == path).payload


def _reply_text(slack_api: SlackStandIn, path: str) -> str:
    payload = _reply(slack_api, path)
    return str(payload.get("text")) + json.dumps(payload.get("blocks") or [], ensure_ascii=False)


def _button_ids(message: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in message.get("blocks") or []
        for element in block.get("elements") or []
        if element.get("type") == "button"
    ]


def test_a_summary_with_failures_offers_rerun_skip_and_snooze_in_valid_block_kit(
    slack_api: SlackStandIn, first_run: int
) -> None:
    [summary] = _summaries(slack_api)
    assert_valid_blocks(summary["blocks"])
    assert _button_ids(summary) == [
        "run_details",
        SummaryAction.RERUN_FAILED,
        SummaryAction.SKIP_NEXT,
        SummaryAction.SNOOZE,
    ]


def test_rerun_failed_repeats_only_the_failed_actions_and_posts_a_summary_linked_to_the_first(
    slack: Slack, slack_api: SlackStandIn, first_run: int
) -> None:
    [summary] = _summaries(slack_api)
    reply = _reply_text(
        slack_api, _press(slack, slack_api, OWNER, summary, SummaryAction.RERUN_FAILED)
    )
    assert f"Re-running 2 failed actions of run #{first_run} of *{NAME}*" in reply
    slack_api.wait_for(lambda api: len(_summaries(api)) == 2)
    rerun_summary = _summaries(slack_api)[1]
    assert f"Re-run of run #{first_run}: 2 of 2 failed actions succeeded" in rerun_summary["text"]
    assert SummaryAction.RERUN_FAILED not in _button_ids(rerun_summary), "nothing failed"
    assert len(slack_api.posted_messages(BLOCKED)) == 2
    assert len(slack_api.posted_messages(DEALS)) == 2, "the first action is not repeated"
    history = slack.reply_to(OWNER, f"history {NAME}")
    assert f"manual re-run of run #{first_run}, by <@{OWNER}>" in history
    again = _reply_text(
        slack_api, _press(slack, slack_api, OWNER, summary, SummaryAction.RERUN_FAILED)
    )
    assert f"Run #{first_run} of 'Deal review' was already re-run" in again
    assert len(slack_api.posted_messages(BLOCKED)) == 2


def test_someone_else_is_refused_and_told_who_can(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, first_run: int
) -> None:
    [summary] = _summaries(slack_api)
    for action in (SummaryAction.RERUN_FAILED, SummaryAction.SKIP_NEXT):
        reply = _reply_text(slack_api, _press(slack, slack_api, OTHER, summary, action))
        assert f"Only the owner of *{NAME}* (<@{OWNER}>) or an admin" in reply
    with transaction(bot.sessions) as session:
        assert len(session.scalars(select(Run)).all()) == 1, "no re-run"
    assert len(slack_api.posted_messages(BLOCKED)) == 0


def test_skip_next_run_says_which_run_and_undo_skip_takes_it_back(
    slack: Slack, slack_api: SlackStandIn, first_run: int
) -> None:
    [summary] = _summaries(slack_api)
    path = _press(slack, slack_api, ADMIN, summary, SummaryAction.SKIP_NEXT)
    reply = _reply(slack_api, path)
    assert "will skip its run on Wed 02 Dec 2026 09:00 (UTC), once" in reply["text"]
    assert_valid_blocks(reply["blocks"])
    details = slack.reply_to(OWNER, f"show {NAME}")
    assert f"*Skipped once:* Wed 02 Dec 2026 09:00 UTC (by <@{ADMIN}>)" in details
    assert "*Next runs:* Thu 03 Dec 2026 09:00 UTC, Fri 04 Dec" in details
    assert "next run Thu 03 Dec 2026 09:00 UTC" in slack.reply_to(OWNER, "list")
    again = _reply_text(
        slack_api, _press(slack, slack_api, OWNER, summary, SummaryAction.SKIP_NEXT)
    )
    assert f"Wed 02 Dec 2026 09:00 (UTC) was already skipped by <@{ADMIN}>" in again
    _answer, undo_path = slack.click_in_message(OWNER, reply, SummaryAction.UNDO_SKIP)
    undone = _reply(slack_api, undo_path)
    assert "Skip undone: *Deal review* runs on Wed 02 Dec 2026 09:00 (UTC)" in undone["text"]
    assert undone.get("replace_original") is True
    assert "next run Wed 02 Dec 2026 09:00 UTC" in slack.reply_to(OWNER, "list")


def test_a_skipped_run_does_not_run_and_history_says_who_skipped_it(
    slack: Slack, bot: Bot, clock: FixedClock, slack_api: SlackStandIn, first_run: int
) -> None:
    [summary] = _summaries(slack_api)
    _reply(slack_api, _press(slack, slack_api, OWNER, summary, SummaryAction.SKIP_NEXT))
    posted = len(slack_api.posted_messages(DEALS))
    clock.set(RUN_AT + timedelta(days=1, seconds=5))
    assert bot.engine().tick() == []
    assert len(slack_api.posted_messages(DEALS)) == posted
    history = slack.reply_to(OWNER, f"history {NAME}")
    assert f"scheduled, skipped by <@{OWNER}>" in history


def test_a_button_of_an_older_summary_says_a_newer_run_happened(
    slack: Slack, bot: Bot, clock: FixedClock, slack_api: SlackStandIn, first_run: int
) -> None:
    clock.set(RUN_AT + timedelta(days=1, seconds=5))
    bot.engine().tick()
    first_summary = _summaries(slack_api)[0]
    reply = _reply_text(
        slack_api, _press(slack, slack_api, OWNER, first_summary, SummaryAction.SKIP_NEXT)
    )
    assert "a newer run has happened since (Wed 02 Dec 2026 09:00 UTC): nothing was done" in reply


def _runs(bot: Bot) -> int:
    with transaction(bot.sessions) as session:
        return len(session.scalars(select(Run.id)).all())


def _newer_run(bot: Bot, clock: FixedClock, slack_api: SlackStandIn) -> dict[str, Any]:
    """Wednesday's run happened: the first summary is now an older one."""
    clock.set(RUN_AT + timedelta(days=1, seconds=5))
    bot.engine().tick()
    return _summaries(slack_api)[0]


STALE = "a newer run has happened since (Wed 02 Dec 2026 09:00 UTC): nothing was done"


def test_rerun_failed_of_an_older_summary_says_a_newer_run_happened_and_reruns_nothing(
    slack: Slack, bot: Bot, clock: FixedClock, slack_api: SlackStandIn, first_run: int
) -> None:
    first_summary = _newer_run(bot, clock, slack_api)
    runs_before = _runs(bot)
    path = _press(slack, slack_api, OWNER, first_summary, SummaryAction.RERUN_FAILED)
    reply = _reply_text(slack_api, path)
    assert f"This summary is about run #{first_run} of 'Deal review'" in reply
    assert STALE in reply
    assert _runs(bot) == runs_before and bot.engine().tick() == []


def test_snooze_of_an_older_summary_says_a_newer_run_happened_instead_of_the_dialog(
    slack: Slack, bot: Bot, clock: FixedClock, slack_api: SlackStandIn, first_run: int
) -> None:
    first_summary = _newer_run(bot, clock, slack_api)
    _press(slack, slack_api, OWNER, first_summary, SummaryAction.SNOOZE)
    slack_api.wait_for(lambda api: len(api.views(OWNER)) == 1)
    [view] = slack_api.views(OWNER)
    assert_valid_view(view.view)
    shown = json.dumps(view.view, ensure_ascii=False)
    assert view.view.get("callback_id") != View.SNOOZE  # a notice, no record picker
    assert f"This summary is about run #{first_run} of 'Deal review'" in shown
    assert STALE in shown


def _record_id(bot: Bot, external_id: str) -> int:
    with transaction(bot.sessions) as session:
        return int(
            session.scalars(select(Record.id).where(Record.external_id == external_id)).one()
        )


def _snooze_modal(slack: Slack, slack_api: SlackStandIn, user_id: str) -> Modal:
    [summary] = _summaries(slack_api)[:1]
    _press(slack, slack_api, user_id, summary, SummaryAction.SNOOZE)
    slack_api.wait_for(lambda api: len(api.views(user_id)) == 1)
    [view] = slack_api.views(user_id)
    assert_valid_view(view.view)
    return Modal(slack, user_id, view.view_id)


def test_snooze_a_record_picks_one_of_the_runs_records_and_the_next_run_leaves_it_out(
    slack: Slack, bot: Bot, clock: FixedClock, slack_api: SlackStandIn, first_run: int
) -> None:
    modal = _snooze_modal(slack, slack_api, OWNER)
    assert modal.view.view["callback_id"] == View.SNOOZE
    modal.choose(SnoozeBlock.RECORD, str(_record_id(bot, "D1")))
    modal.enter(SnoozeBlock.DAYS, "3")
    answer = modal.submit()
    assert answer.json["response_action"] == "update"
    shown = json.dumps(answer.json["view"], ensure_ascii=False)
    assert "*Acme renewal* is snoozed in *Deal review* until Fri 04 Dec 2026" in shown
    details = slack.reply_to(OWNER, f"show {NAME}")
    assert f"*Snoozed:* Acme renewal (`D1`) until Fri 04 Dec 2026 00:00 UTC (by <@{OWNER}>)" in (
        details
    )
    clock.set(RUN_AT + timedelta(days=1, seconds=5))
    bot.engine().tick()
    texts = [m["text"] for m in slack_api.posted_messages(DEALS)]
    assert texts.count("Globex is in contract") == 2
    assert texts.count("Acme renewal is in contract") == 1, "snoozed on Wednesday"


def test_snooze_days_outside_1_to_90_are_refused_beside_the_field(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, first_run: int
) -> None:
    modal = _snooze_modal(slack, slack_api, OWNER)
    modal.choose(SnoozeBlock.RECORD, str(_record_id(bot, "D2")))
    modal.enter(SnoozeBlock.DAYS, "120")
    answer = modal.submit()
    assert answer.json["response_action"] == "errors"
    assert "from 1 to 90" in answer.json["errors"][SnoozeBlock.DAYS]


def test_snooze_is_refused_to_someone_else_in_the_modal(
    slack: Slack, slack_api: SlackStandIn, first_run: int
) -> None:
    [summary] = _summaries(slack_api)
    _press(slack, slack_api, OTHER, summary, SummaryAction.SNOOZE)
    slack_api.wait_for(lambda api: len(api.views(OTHER)) == 1)
    [view] = slack_api.views(OTHER)
    assert f"Only the owner of *{NAME}* (<@{OWNER}>) or an admin" in json.dumps(view.view)


def test_a_run_of_many_records_is_searched_in_the_snooze_dialog(
    slack: Slack, bot: Bot, clock: FixedClock, slack_api: SlackStandIn
) -> None:
    deals = [deal(f"D{n:03d}", f"Deal {n:03d}") for n in range(120)]
    import_deals(bot.sessions, deals, clock.now(), TEAM_ID)
    document = workflow_document(
        name=NAME, owner=OWNER, settings={"summary_channel": SUMMARY, "summary": "always"}
    )
    save(bot.sessions, document, clock.now(), team=TEAM_ID)
    clock.set(RUN_AT)
    bot.engine().tick()
    modal = _snooze_modal(slack, slack_api, OWNER)
    [picker] = [b for b in modal.blocks if b.get("block_id") == SnoozeBlock.RECORD]
    assert picker["element"]["type"] == "external_select"
    offered = slack.suggest(OWNER, modal.view, SnoozeBlock.RECORD, "snooze_record", "deal 11")
    assert [o["text"]["text"] for o in offered] == [f"Deal {n} (D{n})" for n in range(110, 120)], (
        "by name or id, in any case"
    )
    chosen = next(o for o in offered if o["text"]["text"].startswith("Deal 115"))
    modal.values[SnoozeBlock.RECORD]["snooze_record"]["selected_option"] = chosen
    modal.enter(SnoozeBlock.DAYS, "1")
    answer = modal.submit()
    assert "*Deal 115* is snoozed in *Deal review* until Wed 02 Dec 2026" in json.dumps(
        answer.json["view"]
    )


def test_snooze_under_a_run_that_enrolled_nothing_says_there_is_nothing_to_snooze(
    slack: Slack, bot: Bot, clock: FixedClock, slack_api: SlackStandIn
) -> None:
    import_deals(bot.sessions, [deal("D1", "Acme", stage="won")], clock.now(), TEAM_ID)
    document = workflow_document(
        name=NAME, owner=OWNER, settings={"summary_channel": SUMMARY, "summary": "always"}
    )
    save(bot.sessions, document, clock.now(), team=TEAM_ID)
    clock.set(RUN_AT)
    bot.engine().tick()
    [summary] = _summaries(slack_api)
    _press(slack, slack_api, OWNER, summary, SummaryAction.SNOOZE)
    slack_api.wait_for(lambda api: len(api.views(OWNER)) == 1)
    [view] = slack_api.views(OWNER)
    assert_valid_view(view.view)
    assert "enrolled no record" in json.dumps(view.view) and "nothing to snooze" in json.dumps(
        view.view
    )
