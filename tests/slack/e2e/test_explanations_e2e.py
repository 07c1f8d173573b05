"""Why a record is (not) enrolled, and forecasts, over real HTTP: /workflow why with its
record picker, the App Home's "Why (not)?" modal and /workflow forecast, read as the user
reads them, every record name escaped."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.slack.ids import HomeAction, View, WhyAction, WhyBlock, WizardBlock
from bot.workflows.clock import FixedClock
from tests.block_kit import assert_valid_blocks, assert_valid_view
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.slack.e2e.conftest import OTHER, OWNER
from tests.slack.e2e.test_wizard_e2e import _through_review as through_review
from tests.slack.harness import Bot, Modal, Slack, open_modal
from tests.slack_standin import TEAM_ID, SlackStandIn

NAME = "Deal review"
AT_LEAST_5000 = {"any": [{"all": [{"property": "amount", "operator": "gte", "value": 5000}]}]}


@pytest.fixture
def deal_review(bot: Bot, clock: FixedClock) -> str:
    import_deals(
        bot.sessions,
        [
            deal("D1", "Acme <!channel> & Co", amount=6000),
            deal("D2", "Acme Labs", amount=4000),
            deal("D3", "Globex", amount=9000),
        ],
        clock.now(),
        TEAM_ID,
    )
    document = workflow_document(name=NAME, owner=OWNER, criteria=AT_LEAST_5000)
    save(bot.sessions, document, clock.now(), team=TEAM_ID)
    return NAME


def _last_reply(slack_api: SlackStandIn) -> Any:
    reply = slack_api.responses()[-1]
    assert_valid_blocks(reply.payload.get("blocks") or [])
    return reply


def test_why_says_which_filter_fails_with_the_record_value(
    slack: Slack, slack_api: SlackStandIn, deal_review: str
) -> None:
    reply = slack.reply_to(OTHER, f"why {NAME} D2")
    assert (
        ":no_entry_sign: *Acme Labs* (D2) would not be enrolled by *Deal review* at its next "
        "run, Tue 01 Dec 2026 09:00 UTC: a filter of the criteria does not hold."
    ) in reply
    assert ":x: amount is at least 5000 · amount is `4000`" in reply
    assert "*Past runs:* none has enrolled records yet." in reply
    _last_reply(slack_api)


def test_a_quoted_name_and_a_record_name_are_told_apart_and_escaped(
    slack: Slack, slack_api: SlackStandIn, deal_review: str
) -> None:
    reply = slack.reply_to(OTHER, '"deal REVIEW" <!channel>')
    assert "is not a /workflow subcommand" in reply  # no subcommand: help, nothing leaks
    reply = slack.reply_to(OTHER, 'why "deal REVIEW" &lt;!channel&gt;')
    assert "*Acme &lt;!channel&gt; &amp; Co* (D1) would be enrolled" in reply
    assert "<!channel>" not in reply
    _last_reply(slack_api)


def test_a_quoted_name_and_a_quoted_record_name_are_both_read(
    slack: Slack, slack_api: SlackStandIn, deal_review: str
) -> None:
    # The command's own parsing takes the outer quotes off the whole text: why must read
    # what was typed, both pairs of quotes included.
    reply = slack.reply_to(OTHER, 'why "Deal review" "Acme Labs"')
    assert "*Acme Labs* (D2) would not be enrolled by *Deal review*" in reply
    _last_reply(slack_api)


def test_several_matching_records_are_offered_as_buttons_and_a_click_explains_one(
    slack: Slack, slack_api: SlackStandIn, deal_review: str
) -> None:
    reply = slack.reply_to(OTHER, f"why {NAME} acme")
    assert "2 records match *acme*: which one?" in reply
    question = _last_reply(slack_api)
    buttons = [
        element
        for block in question.payload["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert [b["text"]["text"] for b in buttons] == ["Acme <!channel> & Co (D1)", "Acme Labs (D2)"]
    # The harness clicks the first button with that action id: Acme <!channel> & Co.
    _, path = slack.click_in_message(OTHER, question.payload, WhyAction.PICK)
    slack_api.wait_for(lambda api: any(r.path == path for r in api.responses()))
    answer = next(r for r in slack_api.responses() if r.path == path)
    assert answer.payload.get("replace_original") is True
    assert "*Acme &lt;!channel&gt; &amp; Co* (D1) would be enrolled" in answer.all_text()
    assert ":white_check_mark: amount is at least 5000 · amount is `6000`" in answer.all_text()
    assert_valid_blocks(answer.payload["blocks"])


def test_why_without_a_record_says_how_to_ask(slack: Slack, deal_review: str) -> None:
    reply = slack.reply_to(OTHER, "why Deal")
    assert "Say which workflow and which record: `/workflow why NAME RECORD`" in reply


def test_why_with_a_misspelt_workflow_suggests_the_right_one(
    slack: Slack, deal_review: str
) -> None:
    reply = slack.reply_to(OTHER, "why Deal reveiw D1")
    assert "Deal review" in reply and "no workflow" in reply


def test_forecast_lists_the_next_runs_with_their_counts(
    slack: Slack, slack_api: SlackStandIn, deal_review: str
) -> None:
    reply = slack.reply_to(OTHER, f"forecast {NAME}")
    assert "*Forecast of Deal review*: records each run would enroll on today's data" in reply
    for day in ("Tue 01", "Wed 02", "Thu 03", "Fri 04", "Sat 05"):
        assert f"• {day} Dec 2026 09:00 UTC: *2* records" in reply
    _last_reply(slack_api)


def test_help_lists_why_and_forecast(slack: Slack) -> None:
    reply = slack.reply_to(OWNER, "help")
    assert "/workflow why NAME RECORD" in reply and "/workflow forecast NAME" in reply


# --- The App Home --------------------------------------------------------------------------


def _open_home(slack: Slack, slack_api: SlackStandIn, user_id: str) -> dict[str, Any]:
    event = {"type": "app_home_opened", "user": user_id, "channel": "D0HOME", "tab": "home"}
    assert slack.event(event, f"Ev{user_id}why").status == 200
    slack_api.wait_for(lambda api: api.home(user_id) is not None)
    home = slack_api.home(user_id)
    assert home is not None
    return home


def _click_why_on_home(slack: Slack, slack_api: SlackStandIn, user_id: str) -> Modal:
    home = _open_home(slack, slack_api, user_id)
    assert_valid_view(home)
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "standin"},
        "user": {"id": user_id, "team_id": TEAM_ID},
        "api_app_id": "A0WORKFLOWBOT",
        "container": {"type": "view", "view_id": f"VHOME{user_id}"},
        "trigger_id": slack_api.issue_trigger(user_id),
        "view": {"id": f"VHOME{user_id}", "team_id": TEAM_ID, **home},
        "actions": [
            {
                "type": "button",
                "action_id": HomeAction.WHY,
                "block_id": "home-made-id",
                "value": NAME,
                "action_ts": "1764579600.000100",
            }
        ],
    }
    assert slack.send(urlencode({"payload": json.dumps(payload)})).status == 200
    slack_api.wait_for(lambda api: any(v.view.get("callback_id") == View.WHY for v in api.views()))
    view = next(v for v in slack_api.views(user_id) if v.view.get("callback_id") == View.WHY)
    return Modal(slack, user_id, view.view_id)


def test_the_home_why_button_picks_a_record_and_explains_it_in_the_modal(
    slack: Slack, slack_api: SlackStandIn, deal_review: str
) -> None:
    modal = _click_why_on_home(slack, slack_api, OWNER)
    assert_valid_view(modal.view.view)
    assert "Why is a record (not) enrolled by *Deal review*?" in modal.text()
    options = slack.suggest(OWNER, modal.view, WhyBlock.RECORD, WhyAction.RECORD, "glob")
    assert [o["text"]["text"] for o in options] == ["Globex (D3)"]
    modal.values[WhyBlock.RECORD] = {
        WhyAction.RECORD: {"type": "external_select", "selected_option": options[0]}
    }
    answer = modal.submit()
    assert answer.json["response_action"] == "update"
    assert_valid_view(answer.json["view"])
    shown = json.dumps(answer.json["view"], ensure_ascii=False)
    assert "*Globex* (D3) would be enrolled by *Deal review* at its next run" in shown


def test_submitting_the_home_modal_without_a_record_asks_for_one(
    slack: Slack, slack_api: SlackStandIn, deal_review: str
) -> None:
    modal = _click_why_on_home(slack, slack_api, OWNER)
    answer = modal.submit()
    assert answer.json == {
        "response_action": "errors",
        "errors": {WhyBlock.RECORD: "Choose a record: type a part of its name, or its id."},
    }


# --- The wizard's review --------------------------------------------------------------------


def test_the_review_step_shows_the_next_runs_with_what_each_would_enroll(
    slack: Slack, deal_review: str
) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    through_review(modal)  # stage is contract, every Thursday at 07:00 in New York
    assert_valid_view(modal.view.view)
    review = modal.text()
    assert "*Next runs*, with the records each would enroll on today's data:" in review
    for day in ("03", "10", "17", "24", "31"):
        assert f"• Thu {day} Dec 2026 07:00 EST: *3* records" in review


def test_why_says_what_left_a_record_out_of_a_past_run_with_its_value_then(
    slack: Slack, slack_api: SlackStandIn, bot: Bot, clock: FixedClock, deal_review: str
) -> None:
    reply = slack.reply_to(OWNER, f"run {NAME}")
    assert "Running *Deal review* now" in reply
    bot.engine().tick()  # D2 at 4,000: left out
    clock.set(clock.now() + timedelta(hours=1))
    import_deals(bot.sessions, [deal("D2", "Acme Labs", amount=7000)], clock.now(), TEAM_ID)
    reply = slack.reply_to(OTHER, f"why {NAME} D2")
    assert ":white_check_mark: *Acme Labs* (D2) would be enrolled" in reply
    assert re.search(
        r"\*Latest 1 run:\* not in run #\d+ \(\w{3} \d\d \w{3}\)\.\\n"
        r"• #\d+ \(\w{3} \d\d \w{3}\), left out: `amount` was `4000` then "
        r"\(amount is at least 5000\)",
        reply,
    ), reply
    _last_reply(slack_api)
