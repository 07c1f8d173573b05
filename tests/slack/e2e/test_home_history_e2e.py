"""The App Home's buttons, run history and run details over real HTTP: clicks signed as Slack
signs them, the Home re-published after each, refusals in a modal, and a run's details
opened from the history modal, a /workflow history reply and a summary in a channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.slack.ids import HistoryAction, HomeAction
from bot.slack.views.history import details_actions
from bot.workflows.clock import FixedClock
from bot.workflows.vocabulary import RunSource, RunStatus
from storage.database import transaction
from storage.models import Run, Workflow
from tests.engine.builders import channel_message, deal, import_deals, save, workflow_document
from tests.slack.e2e.conftest import ADMIN, OTHER, OWNER
from tests.slack.harness import CHANNEL, Answer, Bot, Slack
from tests.slack_standin import TEAM_ID, SlackStandIn

NAME = "Deal review"
BLOCKED = "C0BLOCKED"
SUMMARY = "C0SUMMARY"
# The first run of a workflow saved at START (Monday noon): Tuesday 09:00 UTC.
RUN_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NOT_IN_CHANNEL = "the bot is not a member of the channel"


@pytest.fixture
def deal_review(bot: Bot, clock: FixedClock) -> str:
    """Olivia's workflow: a message per deal in contract to #deals, then one to a channel the
    bot is not in; a summary after every run."""
    import_deals(bot.sessions, [deal("D1", "Acme"), deal("D2", "Globex")], clock.now(), TEAM_ID)
    document = workflow_document(
        name=NAME,
        owner=OWNER,
        actions=[channel_message(), channel_message("{{ name }} needs a look", BLOCKED)],
        settings={"summary_channel": SUMMARY, "summary": "always"},
    )
    save(bot.sessions, document, clock.now(), team=TEAM_ID)
    return NAME


@pytest.fixture
def oscars(bot: Bot, clock: FixedClock, deal_review: str) -> str:
    save(bot.sessions, workflow_document(name="Oscar's", owner=OTHER), clock.now(), team=TEAM_ID)
    return "Oscar's"


@pytest.fixture
def scheduled_run(bot: Bot, clock: FixedClock, slack_api: SlackStandIn, deal_review: str) -> int:
    """The workflow's 09:00 run, whose second action fails for each deal: not_in_channel."""
    slack_api.fail("not_in_channel", channel=BLOCKED)
    clock.set(RUN_AT)
    bot.engine().tick()
    return _runs(bot)[-1].id


# -- Slack's side: the Home, clicks ---------------------------------------------------------


def _runs(bot: Bot) -> list[Run]:
    with transaction(bot.sessions) as session:
        runs = list(session.scalars(select(Run).order_by(Run.scheduled_at, Run.id)))
        session.expunge_all()
        return runs


def _workflow(bot: Bot, name: str = NAME) -> Workflow:
    with transaction(bot.sessions) as session:
        found = session.scalars(select(Workflow).where(Workflow.name == name)).one()
        session.expunge(found)
        return found


def _publishes(slack_api: SlackStandIn, user_id: str) -> int:
    return sum(1 for c in slack_api.calls("views.publish") if c.params.get("user_id") == user_id)


def _open_home(slack: Slack, slack_api: SlackStandIn, user_id: str) -> str:
    """The user opens the Home tab; returns what it shows once published."""
    before = _publishes(slack_api, user_id)
    event = {"type": "app_home_opened", "user": user_id, "channel": "D0HOME", "tab": "home"}
    assert slack.event(event, f"Ev{user_id}{before}").status == 200
    return _home_after(slack_api, user_id, before)


def _home_after(slack_api: SlackStandIn, user_id: str, publishes: int) -> str:
    slack_api.wait_for(lambda api: _publishes(api, user_id) > publishes)
    home = slack_api.home(user_id)
    assert home is not None
    return json.dumps(home, ensure_ascii=False)


def _send(slack: Slack, payload: dict[str, Any]) -> Answer:
    answer = slack.send(urlencode({"payload": json.dumps(payload)}))
    assert answer.status == 200, answer
    return answer


def _click_on_home(
    slack: Slack,
    slack_api: SlackStandIn,
    user_id: str,
    action_id: str,
    name: str = NAME,
    home_of: str | None = None,
) -> None:
    """``user_id`` clicks the button ``action_id`` of workflow ``name`` on the Home tab as
    last published for ``home_of`` (the user's own by default)."""
    home = slack_api.home(home_of or user_id)
    assert home is not None
    button = next(
        element
        for block in home["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id and element["value"] == name
    )
    view_id = f"VHOME{user_id}"
    _send(
        slack,
        {
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "standin"},
            "user": {"id": user_id, "team_id": TEAM_ID},
            "api_app_id": "A0WORKFLOWBOT",
            "container": {"type": "view", "view_id": view_id},
            "trigger_id": slack_api.issue_trigger(user_id),
            "view": {"id": view_id, "team_id": TEAM_ID, **home},
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "home-made-id",
                    "value": button["value"],
                    "action_ts": "1764579600.000100",
                }
            ],
        },
    )


def _click_in_channel(
    slack: Slack, slack_api: SlackStandIn, user_id: str, channel: str, message: dict[str, Any]
) -> None:
    """``user_id`` clicks the Details button of a message the bot posted in ``channel``."""
    _send(
        slack,
        {
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "standin"},
            "user": {"id": user_id, "team_id": TEAM_ID},
            "api_app_id": "A0WORKFLOWBOT",
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": slack_api.issue_trigger(user_id),
            "channel": {"id": channel, "name": "summaries"},
            "message": message,
            "response_url": slack_api.response_url("click"),
            "actions": [
                {
                    "type": "button",
                    "action_id": HistoryAction.DETAILS,
                    "block_id": "summary-made-id",
                    "value": _details_value(message),
                    "action_ts": "1764579600.000200",
                }
            ],
        },
    )


def _details_value(message: dict[str, Any]) -> str:
    return next(
        str(element["value"])
        for block in message.get("blocks") or []
        for element in block.get("elements") or []
        if element.get("action_id") == HistoryAction.DETAILS
    )


def _modal_showing(slack_api: SlackStandIn, user_id: str, text: str) -> str:
    slack_api.wait_for(
        lambda api: any(text in json.dumps(v.view, ensure_ascii=False) for v in api.views(user_id))
    )
    view = next(
        v for v in slack_api.views(user_id) if text in json.dumps(v.view, ensure_ascii=False)
    )
    return json.dumps(view.view, ensure_ascii=False)


# -- the Home tab ---------------------------------------------------------------------------


def test_the_home_shows_an_owner_their_workflows_with_the_last_run(
    slack: Slack, slack_api: SlackStandIn, oscars: str, scheduled_run: int
) -> None:
    home = _open_home(slack, slack_api, OWNER)
    assert '"text": "Workflows"' in home
    assert f"*{NAME}* · :large_green_circle: active" in home
    assert "*Oscar's* · :large_green_circle: active · deals · owner <@U0OTHER>" in home
    assert "Next run: Wed 02 Dec 2026 09:00 UTC" in home
    assert (
        "Last run: *Tue 01 Dec 2026 09:00 UTC* · scheduled · :warning: finished with failed "
        "actions · 2 enrolled · 2 ok, 2 failed"
    ) in home
    for label in ("Run now", "Pause", "Edit", "History"):
        assert f'"text": "{label}"' in home


def test_the_home_shows_an_admin_every_workflow_and_its_owner(
    slack: Slack, slack_api: SlackStandIn, oscars: str
) -> None:
    home = _open_home(slack, slack_api, ADMIN)
    assert "All workflows" in home
    assert NAME in home and "Oscar's" in home
    assert "owner <@U0OWNER>" in home and "owner <@U0OTHER>" in home
    assert "Last run: none yet" in home


def test_run_now_on_the_home_requests_a_run_and_shows_it(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    _open_home(slack, slack_api, OWNER)
    before = _publishes(slack_api, OWNER)
    _click_on_home(slack, slack_api, OWNER, HomeAction.RUN)
    home = _home_after(slack_api, OWNER, before)
    assert f"Running *{NAME}* now for every matching record" in home
    [run] = _runs(bot)
    assert (run.source, run.status, run.triggered_by) == (
        RunSource.MANUAL.value,
        RunStatus.PENDING.value,
        OWNER,
    )
    assert bot.wakes, "the scheduler was not told about the run"
    bot.engine().tick()
    assert sorted(m["text"] for m in slack_api.posted_messages("C0DEALS")) == [
        "Acme is in contract",
        "Globex is in contract",
    ]
    home = _open_home(slack, slack_api, OWNER)
    assert "manual, by <@U0OWNER> · :white_check_mark: succeeded" in home


def test_pause_and_activate_on_the_home_change_the_workflow_and_its_buttons(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str
) -> None:
    _open_home(slack, slack_api, OWNER)
    before = _publishes(slack_api, OWNER)
    _click_on_home(slack, slack_api, OWNER, HomeAction.PAUSE)
    home = _home_after(slack_api, OWNER, before)
    paused = _workflow(bot)
    assert (paused.status, paused.next_run_at) == ("paused", None)
    assert f"*{NAME}* is paused" in home and ":double_vertical_bar: paused" in home
    assert '"action_id": "home_activate"' in home and '"action_id": "home_pause"' not in home

    before = _publishes(slack_api, OWNER)
    _click_on_home(slack, slack_api, OWNER, HomeAction.ACTIVATE)
    home = _home_after(slack_api, OWNER, before)
    active = _workflow(bot)
    assert active.status == "active" and active.next_run_at == RUN_AT
    assert f"*{NAME}* is active" in home and '"action_id": "home_pause"' in home
    assert len(bot.wakes) == 2


@pytest.mark.parametrize("action_id", [HomeAction.RUN, HomeAction.PAUSE])
def test_a_click_by_someone_else_is_refused_in_a_modal_and_changes_nothing(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deal_review: str, action_id: HomeAction
) -> None:
    # Oscar clicks on a Home showing Olivia's workflow (say, one published before it was
    # transferred to her): the bot checks again.
    _open_home(slack, slack_api, OWNER)
    before = _workflow(bot)
    publishes = _publishes(slack_api, OTHER)
    _click_on_home(slack, slack_api, OTHER, action_id, home_of=OWNER)
    refusal = _modal_showing(slack_api, OTHER, "Only the owner of")
    assert f"*{NAME}* (<@U0OWNER>)" in refusal
    home = _home_after(slack_api, OTHER, publishes)  # his Home, as it is now: read-only
    assert f"*{NAME}* · :large_green_circle: active · deals · owner <@U0OWNER>" in home
    assert f'"action_id": "{action_id}"' not in home
    after = _workflow(bot)
    assert (after.status, after.revision, after.next_run_at) == (
        before.status,
        before.revision,
        before.next_run_at,
    )
    assert _runs(bot) == []
    assert not bot.wakes
    assert slack_api.posted_messages("D0OTHER") == [], "told in a modal, not a DM"


def test_edit_on_the_home_opens_the_wizard_on_the_workflow(
    slack: Slack, slack_api: SlackStandIn, deal_review: str
) -> None:
    _open_home(slack, slack_api, OWNER)
    _click_on_home(slack, slack_api, OWNER, HomeAction.EDIT)
    wizard = _modal_showing(slack_api, OWNER, "Edit workflow")
    slack_api.wait_for(lambda api: NAME in json.dumps(api.views(OWNER)[0].view))
    assert "Edit workflow" in wizard


# -- history and run details ----------------------------------------------------------------


def test_history_on_the_home_opens_a_modal_and_details_open_on_top_of_it(
    slack: Slack, slack_api: SlackStandIn, scheduled_run: int
) -> None:
    _open_home(slack, slack_api, OTHER)  # anyone may look: Oscar's Home does not list it
    _open_home(slack, slack_api, OWNER)
    _click_on_home(slack, slack_api, OTHER, HomeAction.HISTORY, home_of=OWNER)
    history = _modal_showing(slack_api, OTHER, f"History of {NAME}")
    assert (
        "*Tue 01 Dec 2026 09:00 UTC* · scheduled · :warning: finished with failed actions"
    ) in history
    assert "2 enrolled · 2 ok, 2 failed" in history
    assert "*Changes* (newest first):" in history  # who changed it, under its runs
    assert "· created (revision 1) · by cli" in history

    [modal] = slack_api.views(OTHER)
    answer = slack.click_in_view(
        OTHER,
        modal,
        {},
        "slack-made-id",
        {"type": "button", "action_id": HistoryAction.DETAILS, "value": str(scheduled_run)},
    )
    assert answer.status == 200
    details = _modal_showing(slack_api, OTHER, "Action results")
    assert [c.method for c in slack_api.calls() if c.method.startswith("views.")][-1] == (
        "views.push"
    )
    assert "• *Acme* (`D1`)" in details and "• *Globex* (`D2`)" in details
    assert f"action 2: :x: failed: {NOT_IN_CHANNEL}" in details
    assert "2 enrolled · actions: 2 ok, 2 failed, 0 skipped" in details


def test_the_history_command_lists_runs_whose_details_open_in_a_modal(
    slack: Slack, slack_api: SlackStandIn, scheduled_run: int
) -> None:
    reply = slack.reply_to(OTHER, f"history {NAME}")
    assert "*Tue 01 Dec 2026 09:00 UTC* · scheduled" in reply
    message = slack_api.responses()[-1].payload
    answer, _ = slack.click_in_message(OTHER, message, HistoryAction.DETAILS)
    assert answer.status == 200
    details = _modal_showing(slack_api, OTHER, "Action results")
    assert slack_api.calls("views.open")
    assert f"• *Acme* (`D1`) · action 2: :x: failed: {NOT_IN_CHANNEL}" in details
    assert "1. Post to <#C0DEALS>" in details and "2. Post to <#C0BLOCKED>" in details


def test_history_lists_missed_occurrences_too(
    slack: Slack, bot: Bot, clock: FixedClock, slack_api: SlackStandIn, deal_review: str
) -> None:
    # The bot was down from Monday to Thursday 09:30: Tuesday's and Wednesday's runs were
    # missed, Thursday's is within the catch-up window and runs.
    clock.set(datetime(2026, 12, 3, 9, 30, tzinfo=UTC))
    bot.engine().tick()
    assert [r.status for r in _runs(bot)] == ["missed", "missed", "succeeded"]
    reply = slack.reply_to(OWNER, f"history {NAME}")
    assert "*Tue 01 Dec 2026 09:00 UTC* · scheduled · :warning: missed" in reply
    assert "*Wed 02 Dec 2026 09:00 UTC* · scheduled · :warning: missed" in reply
    assert "the bot was not running at that time" in reply
    # A missed run enrolled nothing: only the run that ran has a Details button.
    buttons = [b["accessory"] for b in slack_api.responses()[-1].blocks if "accessory" in b]
    assert [b["value"] for b in buttons] == [str(_runs(bot)[-1].id)]


def test_a_summary_carries_a_details_button_that_anyone_may_click(
    slack: Slack, slack_api: SlackStandIn, scheduled_run: int
) -> None:
    [summary] = slack_api.posted_messages(SUMMARY)
    assert f"*{NAME}* ran for 2026-12-01 09:00" in summary["text"]
    assert _details_value(summary) == str(scheduled_run)
    _click_in_channel(slack, slack_api, OTHER, SUMMARY, summary)
    details = _modal_showing(slack_api, OTHER, "Action results")
    assert f"action 2: :x: failed: {NOT_IN_CHANNEL}" in details


def test_a_run_of_another_workspace_is_not_found(
    slack: Slack, bot: Bot, clock: FixedClock, slack_api: SlackStandIn, deal_review: str
) -> None:
    elsewhere = "T0ELSEWHERE"
    import_deals(bot.sessions, [deal("E1", "Initech")], clock.now(), elsewhere)
    save(
        bot.sessions, workflow_document(name="Theirs", owner="U0THEM"), clock.now(), team=elsewhere
    )
    clock.set(RUN_AT)
    bot.engine().tick()
    theirs = next(r for r in _runs(bot) if r.workflow_id != _workflow(bot).id)
    assert theirs.status == RunStatus.SUCCEEDED.value
    forged = {"ts": "1764579600.000300", "blocks": [details_actions(theirs.id)]}
    _click_in_channel(slack, slack_api, OWNER, CHANNEL, forged)
    refusal = _modal_showing(slack_api, OWNER, "not in this workspace")
    assert "Initech" not in refusal and "Theirs" not in refusal
