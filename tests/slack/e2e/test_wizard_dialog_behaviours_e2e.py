"""The dialog's behaviours a person meets between submissions, walked over real HTTP: two
quick changes whose views.update race (Slack refuses the stale one with hash_conflict),
presets that a new choice replaces, the live count of the criteria step, and fields the
dialog calls optional."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import select

from bot.slack.ids import WizardAction, WizardBlock
from bot.workflows.clock import FixedClock
from bot.workflows.definitions import to_document
from bot.workflows.stored import definition_of
from storage.database import transaction
from storage.models import WizardDraft
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.slack.dialog_words import file_words_in
from tests.slack.e2e.conftest import OWNER
from tests.slack.e2e.test_wizard_schedule_e2e import (
    block_labelled,
    option_shown,
    pick,
    preview,
    stored_schedule,
)
from tests.slack.harness import Bot, Modal, Slack, open_modal
from tests.slack_standin import TEAM_ID, SlackStandIn


def _tick(slack: Slack, modal: Modal, label: str, *texts: str, at: float | None = None) -> None:
    """Ticks exactly ``texts`` among the checkboxes labelled ``label``, as Slack sends the
    change at once, without waiting for the bot's page; ``at``: when the user ticked them
    (Slack's action_ts), now unless given."""
    block_id = block_labelled(modal, label)
    values = copy.deepcopy(modal.values)
    [(action_id, state)] = values[block_id].items()
    state["selected_options"] = [option_shown(modal, label, text) for text in texts]
    action: dict[str, Any] = {"type": state["type"], "action_id": action_id, **state}
    if at is not None:
        action["action_ts"] = f"{at:.6f}"
    answer = slack.click_in_view(modal.user_id, modal.view, values, block_id, action)
    assert answer.status == 200, answer


def test_an_older_tick_that_reaches_the_bot_after_a_newer_one_is_not_stored_over_it(
    slack: Slack, slack_api: SlackStandIn, schedule_step: Modal, bot: Bot
) -> None:
    """Two quick ticks whose requests reach the bot in the other order (as two web workers
    or a slow network can): Wednesday and Friday first, then Wednesday alone, ticked before.
    The older is not stored over the newer: the draft and the page keep Friday, and the
    page is not drawn again for it (it would show nothing new)."""
    modal = schedule_step
    ticked = slack.wall_clock()

    _tick(slack, modal, "On", "Monday", "Wednesday", "Friday", at=ticked + 0.2)
    slack_api.wait_for(lambda api: "Wednesday and Friday" in preview(modal))
    shown = len(slack_api.calls("views.update"))
    _tick(slack, modal, "On", "Monday", "Wednesday", at=ticked + 0.1)  # on the older page
    bot.app.listener_runner.listener_executor.shutdown(wait=True)  # its listener is done

    assert len(slack_api.calls("views.update")) == shown
    assert stored_schedule(bot)["weekdays"] == ["mon", "wed", "fri"]
    modal.refresh()
    assert "Every week on Monday, Wednesday and Friday at 09:00" in preview(modal)


def test_friday_ticked_while_wednesdays_page_is_on_its_way_shows_both(
    slack: Slack, slack_api: SlackStandIn, schedule_step: Modal
) -> None:
    modal = schedule_step
    assert "Every week on Monday at 09:00" in preview(modal)
    first = slack_api.hold("views.update", after_handling=False)
    second = slack_api.hold("views.update", after_handling=False)
    made_on = modal.view.hash

    _tick(slack, modal, "On", "Monday", "Wednesday")
    assert first.reached.wait(10)
    _tick(slack, modal, "On", "Monday", "Wednesday", "Friday")  # on the same page
    assert second.reached.wait(10)
    first.release()  # Wednesday's page lands first...
    slack_api.wait_for(lambda api: api.view(modal.view_id).hash != made_on)
    assert "Every week on Monday and Wednesday" in preview(modal)
    second.release()  # ...then Friday's, made on the older page: Slack refuses it

    def shows_friday(api: SlackStandIn) -> bool:
        return "Wednesday and Friday" in preview(modal)

    slack_api.wait_for(shows_friday)
    refused = [c for c in slack_api.calls("views.update") if c.params.get("hash") == made_on]
    assert len(refused) == 2, "both changes were made on the same page"
    modal.refresh()
    shown = preview(modal)
    assert "Every week on Monday, Wednesday and Friday at 09:00" in shown
    next_runs = [line for line in shown.splitlines() if line.startswith("•")]
    assert next_runs[:4] == [
        "• Mon 30 Nov 2026 09:00 EST",
        "• Wed 02 Dec 2026 09:00 EST",
        "• Fri 04 Dec 2026 09:00 EST",
        "• Mon 07 Dec 2026 09:00 EST",
    ]


def _choose_at_once(slack: Slack, modal: Modal, label: str, *texts: str) -> None:
    """Chooses exactly ``texts`` in the multiple choice labelled ``label`` (Slack sends the
    change at once) and waits for the bot's page."""
    before = modal.view.hash
    _tick(slack, modal, label, *texts)
    slack.slack_api.wait_for(lambda api: api.view(modal.view_id).hash != before)
    modal.refresh()


def _chosen(modal: Modal, label: str) -> list[str]:
    """The options the input labelled ``label`` shows chosen, by their texts."""
    block = next(b for b in modal.blocks if b.get("label", {}).get("text") == label)
    return [o["text"]["text"] for o in block["element"].get("initial_options", [])]


def test_a_flexible_day_picked_after_switching_is_the_only_day(schedule_step: Modal) -> None:
    modal = schedule_step
    pick(modal, "Runs", "Monthly")
    pick(modal, "Which days", "On a flexible day, e.g. the last weekday")
    assert _chosen(modal, "Days") == [], "a preset would stay beside the day picked next"

    _choose_at_once(modal.slack, modal, "Days", "last day")

    assert _chosen(modal, "Days") == ["last day"]
    assert "Every month on the last day at 09:00" in preview(modal)
    assert "first" not in preview(modal).lower()


def test_weekdays_come_back_when_weekly_is_chosen_again(schedule_step: Modal, bot: Bot) -> None:
    modal = schedule_step
    _choose_at_once(modal.slack, modal, "On", "Monday", "Thursday")
    pick(modal, "Runs", "Monthly")
    _choose_at_once(modal.slack, modal, "Days", "15")
    assert "Every month on the 15th" in preview(modal)

    pick(modal, "Runs", "Weekly")

    assert _chosen(modal, "On") == ["Monday", "Thursday"]
    assert "Every week on Monday and Thursday at 09:00" in preview(modal)
    pick(modal, "Runs", "Monthly")
    assert _chosen(modal, "Days") == ["15"]
    pick(modal, "Runs", "Weekly")
    assert modal.submit().json.get("response_action") == "update"  # to the criteria step
    assert stored_schedule(bot)["weekdays"] == ["mon", "thu"]


@pytest.fixture
def deals(bot: Bot, clock: FixedClock) -> None:
    rows = [
        deal("D1", "Acme", amount=1200),
        deal("D2", "Globex", amount=300),
        deal("D3", "Initech", stage="won", amount=700),
    ]
    import_deals(bot.sessions, rows, clock.now(), TEAM_ID)


def _count(modal: Modal) -> str:
    """The criteria step's live count, as the user reads it ("" when it is not shown)."""
    found = [b for b in modal.blocks if b.get("block_id") == WizardBlock.MATCHING]
    return str(found[0]["elements"][0]["text"]) if found else ""


def _criteria_step(slack: Slack, text: str = "create", name: str = "Calls") -> Modal:
    modal = open_modal(slack, OWNER, text, WizardBlock.NAME)
    if text == "create":
        modal.enter(WizardBlock.NAME, name)
        modal.choose(WizardBlock.OBJECT_TYPE, "deals")
    for _ in range(2):  # the name, the schedule as it is
        assert modal.submit().json.get("response_action") == "update"
    return modal


@pytest.mark.usefixtures("deals")
def test_the_count_follows_every_change_of_the_criteria_step_while_creating(
    slack: Slack,
) -> None:
    modal = _criteria_step(slack)
    assert _count(modal) == "*3* records match right now."

    modal.press(WizardAction.ADD_FILTER, '"criteria"')
    assert _count(modal) == "*3* records match right now.", "an empty row is no filter"
    modal.pick("criteria.g0.f0.property", "stage")
    assert _count(modal) == "*3* records match right now (not counting 1 unfinished filter)."
    modal.pick("criteria.g0.f0.operator", "eq", WizardAction.REFRESH)
    assert _count(modal) == "*3* records match right now (not counting 1 unfinished filter)."
    modal.type_and_enter("criteria.g0.f0.value", "contract")
    assert _count(modal) == "*2* records match right now."
    modal.press(WizardAction.ADD_FILTER, '"criteria"')  # "+ Filter": a second, empty row
    assert _count(modal) == "*2* records match right now."
    modal.pick("criteria.g0.f1.property", "name")
    assert _count(modal) == "*2* records match right now (not counting 1 unfinished filter)."
    modal.press(WizardAction.REMOVE_FILTER, '"filter": 1')
    assert _count(modal) == "*2* records match right now."


@pytest.mark.usefixtures("deals")
def test_the_count_follows_the_criteria_step_while_editing(
    slack: Slack, bot: Bot, clock: FixedClock
) -> None:
    save(bot.sessions, workflow_document(name="Calls", owner=OWNER), clock.now(), team=TEAM_ID)
    modal = _criteria_step(slack, "edit Calls")
    assert _count(modal) == "*2* records match right now."  # the deals in contract

    modal.press(WizardAction.ADD_FILTER, '"criteria"')
    assert _count(modal) == "*2* records match right now."
    modal.pick("criteria.g0.f1.property", "stage")
    modal.pick("criteria.g0.f1.operator", "neq", WizardAction.REFRESH)
    modal.type_and_enter("criteria.g0.f1.value", "contract")
    assert _count(modal) == "*0* records match right now."


@pytest.mark.usefixtures("deals")
def test_an_empty_filter_row_is_no_filter(slack: Slack, bot: Bot) -> None:
    modal = _criteria_step(slack)
    modal.press(WizardAction.ADD_FILTER, '"criteria"')
    modal.press(WizardAction.ADD_FILTER, '"group": 0')  # "+ Group (or)" would be a new group

    assert modal.submit().json.get("response_action") == "update"  # on to the actions

    assert "Step 4 of 6" in modal.text()
    modal.press(WizardAction.BACK)
    assert _count(modal) == "*3* records match right now."
    assert "No filters: every record of this type is enrolled." in modal.text()


def _stored_criteria(bot: Bot) -> dict[str, Any]:
    with transaction(bot.sessions) as session:
        [draft] = session.scalars(select(WizardDraft))
        return dict(draft.document["criteria"])


@pytest.mark.usefixtures("deals")
def test_a_filter_added_just_before_a_change_served_after_it_is_kept(
    slack: Slack, slack_api: SlackStandIn, bot: Bot
) -> None:
    """ "+ Add filter" clicked, then the operator chosen, and the two requests served in the
    other order: the click, older than the draft's input, still adds its row (to the draft
    as the operator's change left it)."""
    modal = _criteria_step(slack)
    modal.press(WizardAction.ADD_FILTER, '"criteria"')
    modal.pick("criteria.g0.f0.property", "stage")
    clicked = slack.wall_clock()
    page, values = modal.view, copy.deepcopy(modal.values)
    add_filter = next(
        (str(block.get("block_id") or "slack-made-id"), element)
        for block in modal.blocks
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]
        if element.get("action_id") == WizardAction.ADD_FILTER
        and '"criteria"' in element.get("value", "")
    )

    operator = modal.block_id("criteria.g0.f0.operator")
    modal.choose(operator, "eq", WizardAction.REFRESH)
    state = modal.values[operator][WizardAction.REFRESH]
    chosen = {"action_id": WizardAction.REFRESH, "action_ts": f"{clicked + 0.2:.6f}", **state}
    assert slack.click_in_view(modal.user_id, page, modal.values, operator, chosen).status == 200
    slack_api.wait_for(lambda api: api.view(modal.view_id).hash != page.hash)
    block_id, button = add_filter
    click = {"type": "button", "action_id": button["action_id"], "value": button["value"]}
    click["action_ts"] = f"{clicked + 0.1:.6f}"
    assert slack.click_in_view(modal.user_id, page, values, block_id, click).status == 200

    def shows_both_rows(api: SlackStandIn) -> bool:
        blocks = api.view(modal.view_id).view["blocks"]
        return any(str(b.get("block_id", "")).startswith("criteria.g0.f1.") for b in blocks)

    slack_api.wait_for(shows_both_rows)

    assert _stored_criteria(bot) == {
        "any": [{"all": [{"property": "stage", "operator": "eq"}, {}]}]
    }


def _label_block(modal: Modal, label: str) -> dict[str, Any]:
    found = [b for b in modal.blocks if b.get("label", {}).get("text") == label]
    assert len(found) == 1, f"{len(found)} inputs labelled {label!r}"
    return found[0]


@pytest.mark.usefixtures("deals")
def test_a_filters_value_is_asked_for_not_called_optional(slack: Slack) -> None:
    modal = _criteria_step(slack)
    modal.press(WizardAction.ADD_FILTER, '"criteria"')
    modal.pick("criteria.g0.f0.property", "stage")
    modal.pick("criteria.g0.f0.operator", "eq", WizardAction.REFRESH)
    assert _label_block(modal, "Value").get("optional", False) is False
    modal.pick("criteria.g0.f0.property", "amount")
    modal.pick("criteria.g0.f0.operator", "between", WizardAction.REFRESH)
    assert _label_block(modal, "From, to").get("optional", False) is False


@pytest.mark.usefixtures("deals")
def test_a_task_without_a_due_day_is_due_on_the_day_of_the_run(slack: Slack, bot: Bot) -> None:
    modal = _criteria_step(slack)
    assert modal.submit().json.get("response_action") == "update"  # every record
    modal.pick("actions.add", "create_task")
    due = _label_block(modal, "Due in (days)")
    assert due.get("optional") is True
    assert "empty or 0 is the day of the run" in due["hint"]["text"]
    modal.enter("actions.a0.title", "Call {{ name }}")

    for _ in range(2):  # the actions, the settings
        assert modal.submit().json.get("response_action") == "update", modal.text()

    assert "due on the day of the run" in modal.text()  # the review
    assert modal.submit().json.get("response_action") == "update"
    workflow = bot.stored_workflow("Calls")
    assert workflow is not None
    with transaction(bot.sessions) as session:
        stored = to_document(definition_of(session, session.merge(workflow)))
    assert stored["actions"] == [
        {"type": "create_task", "title": "Call {{ name }}", "due_in_days": 0}
    ]


@pytest.mark.usefixtures("deals")
def test_the_value_of_set_a_property_is_asked_for_not_called_optional(slack: Slack) -> None:
    modal = _criteria_step(slack)
    assert modal.submit().json.get("response_action") == "update"
    modal.pick("actions.add", "set_property")
    assert _label_block(modal, "Value").get("optional", False) is False
    assert _label_block(modal, "Property").get("optional", False) is False


def _stored_step(bot: Bot) -> int:
    with transaction(bot.sessions) as session:
        [draft] = session.scalars(select(WizardDraft))
        return draft.step


@pytest.mark.usefixtures("deals")
def test_next_on_a_page_the_draft_went_back_from_says_it_was_out_of_date(
    slack: Slack, bot: Bot
) -> None:
    """Back is stored, but its page never reaches the user (the views.update was lost): Next
    on the criteria page still shown would submit the schedule step with the criteria
    page's inputs, and what was entered there would be dropped without a word."""
    modal = _criteria_step(slack)
    shown, values = modal.view, copy.deepcopy(modal.values)
    modal.press(WizardAction.BACK)
    assert _stored_step(bot) == 2

    answer = slack.submit(OWNER, shown, values)

    assert answer.json["response_action"] == "update"
    view = answer.json["view"]
    blocks = {block.get("block_id"): block for block in view["blocks"]}
    assert blocks[WizardBlock.STEP]["elements"][0]["text"] == "Step 2 of 6 · Schedule"
    said = blocks[WizardBlock.OUTDATED]["text"]["text"]
    assert said == (
        "⚠️ The page you clicked Next on (Step 3 of 6 · Enrollment criteria) was out of date, "
        "so what you entered on it was not kept. The dialog is at Step 2 of 6 · Schedule, "
        "shown here: check it, then click Next."
    )
    assert file_words_in(said) == []
    assert _stored_step(bot) == 2, "nothing submitted"
    modal.refresh()
    assert modal.submit().json.get("response_action") == "update"
    assert _stored_step(bot) == 3
