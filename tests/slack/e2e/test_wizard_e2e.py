"""The create/edit wizard over real HTTP: from /workflow create through every step to an
active workflow that then fires and posts; fields in error; edits; refusals; saving after
the answer to Slack; modals the user closed meanwhile."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.slack.ids import WizardAction, WizardBlock
from bot.slack.listeners.wizard import open_wizard
from bot.workflows.clock import FixedClock
from bot.workflows.vocabulary import PropertyType
from storage.database import transaction
from storage.models import WizardDraft
from storage.object_types import ObjectTypeRepository
from storage.record_search import record_index_names
from tests.engine.builders import deal, import_deals, save, workflow_document
from tests.slack.e2e.conftest import OTHER, OWNER
from tests.slack.harness import Bot, Modal, Slack, open_modal
from tests.slack_standin import TEAM_ID, SlackStandIn

NAME = "Contract reminders"


@pytest.fixture
def deals(bot: Bot, clock: FixedClock) -> None:
    import_deals(
        bot.sessions,
        [
            deal("D1", "Acme", owner=OWNER),
            deal("D2", "Globex", owner=OWNER),
            deal("D3", "Initech", stage="won"),
        ],
        clock.now(),
        TEAM_ID,
    )


def _step(modal: Modal) -> str:
    step = next(b for b in modal.blocks if b.get("block_id") == WizardBlock.STEP)
    return str(step["elements"][0]["text"])


def _fill_name(modal: Modal, name: str = NAME) -> None:
    modal.enter(WizardBlock.NAME, name)
    modal.choose(WizardBlock.OBJECT_TYPE, "deals")


def _fill_schedule(modal: Modal) -> None:
    """Every Thursday at 07:00 in the creator's zone (New York, from users.info)."""
    modal.enter(WizardBlock.WEEKDAYS, [_option(modal, WizardBlock.WEEKDAYS, "thu")])
    modal.enter(WizardBlock.TIME, "07:00")


def _option(modal: Modal, block_id: str, value: str) -> dict[str, Any]:
    block = next(b for b in modal.blocks if b.get("block_id") == block_id)
    return next(o for o in block["element"]["options"] if o["value"] == value)


def _fill_criteria(modal: Modal) -> None:
    modal.press(WizardAction.ADD_FILTER, '"criteria"')
    modal.pick("criteria.g0.f0.property", "stage")
    modal.pick("criteria.g0.f0.operator", "eq", WizardAction.REFRESH)
    modal.enter("criteria.g0.f0.value", "contract")


def _fill_actions(modal: Modal) -> None:
    modal.pick("actions.add", "send_channel_message")
    modal.enter("actions.a0.channel", "C0DEALS")
    modal.enter("actions.a0.text", "{{ name }} is still in contract")


def _problems(modal: Modal) -> str:
    found = [b for b in modal.blocks if b.get("block_id") == WizardBlock.PROBLEMS]
    return str(found[0]["text"]["text"]) if found else ""


def _drafts(bot: Bot) -> list[WizardDraft]:
    with transaction(bot.sessions) as session:
        return list(session.scalars(select(WizardDraft)))


def _save(modal: Modal, slack_api: SlackStandIn) -> str:
    """Submits the review ("Activate", "Save"...): the answer is what became
    of the workflow; returns the text of the modal then."""
    answer = modal.submit()
    assert answer.json["response_action"] == "update", answer.json
    return modal.text()


def _through_review(modal: Modal) -> None:
    for fill in (_fill_name, _fill_schedule, _fill_criteria, _fill_actions):
        fill(modal)
        answer = modal.submit()
        assert answer.json.get("response_action") == "update", answer.json
    modal.enter(WizardBlock.SUMMARY_CHANNEL, "C0SUMMARY")
    assert modal.submit().json.get("response_action") == "update"
    assert "Review" in _step(modal)


def test_a_wizard_session_creates_a_workflow_that_fires_and_posts(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, clock: FixedClock, deals: None
) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    assert "Step 1 of 6" in _step(modal)
    _through_review(modal)
    review = modal.text()
    assert "Every week on Thursday at 07:00" in review
    assert "2 records match" in review and "Acme" in review and "Initech" not in review
    assert "<#C0DEALS>" in review
    assert bot.stored_workflow(NAME) is None, "saved before the last step"

    shown = _save(modal, slack_api)  # Activate
    assert "Workflow activated" in shown
    slack_api.wait_for(lambda api: NAME in json.dumps(api.home(OWNER) or {}))
    assert f"*{NAME}* is active. Next run: Thu 03 Dec 2026 07:00 EST." in shown
    workflow = bot.stored_workflow(NAME)
    assert workflow is not None and workflow.status == "active"
    assert workflow.owner_user_id == OWNER and workflow.timezone == "America/New_York"
    # Thursday 3 December 2026, 07:00 in New York (EST) is 12:00 UTC.
    assert workflow.next_run_at == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    with transaction(bot.sessions) as session:
        assert session.scalars(select(WizardDraft)).all() == [], "the draft outlived the save"

    clock.set(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    bot.engine().tick()
    posted = sorted(m["text"] for m in slack_api.posted_messages("C0DEALS"))
    assert posted == ["Acme is still in contract", "Globex is still in contract"]
    summary = slack_api.posted_messages("C0SUMMARY")
    assert len(summary) == 1 and "2 records enrolled" in summary[0]["text"]


def test_each_invalid_input_is_shown_beside_its_field(
    slack: Slack, bot: Bot, clock: FixedClock, deals: None
) -> None:
    save(bot.sessions, workflow_document(name="Taken", owner=OWNER), clock.now(), team=TEAM_ID)
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _fill_name(modal, "Taken")
    answer = modal.submit()
    assert answer.json["response_action"] == "errors"
    assert "already" in answer.json["errors"][WizardBlock.NAME]
    _fill_name(modal)
    assert modal.submit().json["response_action"] == "update"

    modal.pick(WizardBlock.FREQUENCY, "once")  # the form changes in place
    assert WizardBlock.DATE in {b.get("block_id") for b in modal.blocks}
    modal.enter(WizardBlock.DATE, "2020-01-01")
    answer = modal.submit()
    assert answer.json["response_action"] == "errors"
    assert list(answer.json["errors"]) == [WizardBlock.DATE]
    assert bot.stored_workflow(NAME) is None


def test_back_keeps_what_was_typed(slack: Slack, deals: None) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _fill_name(modal)
    modal.submit()
    modal.enter(WizardBlock.TIME, "06:30")
    modal.press(WizardAction.BACK)
    assert "Step 1 of 6" in _step(modal)
    assert modal.values[WizardBlock.NAME]
    assert NAME in modal.text()
    modal.submit()
    assert '"initial_time": "06:30"' in modal.text()


def test_an_edit_changes_the_next_run_and_bumps_the_revision(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, clock: FixedClock, deals: None
) -> None:
    document = workflow_document(name=NAME, owner=OWNER)  # daily at 09:00 UTC
    save(bot.sessions, document, clock.now(), team=TEAM_ID)
    before = bot.stored_workflow(NAME)
    assert before is not None and before.next_run_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    modal = open_modal(slack, OWNER, f"edit {NAME}", WizardBlock.NAME)
    assert NAME in modal.text()
    modal.submit()  # name and type unchanged
    modal.enter(WizardBlock.TIME, "13:30")
    for _ in range(4):  # schedule, criteria, actions, settings
        assert modal.submit().json["response_action"] == "update"
    assert '"text": "Save"' in modal.text()
    assert "Workflow saved" in _save(modal, slack_api)
    after = bot.stored_workflow(NAME)
    assert after is not None and after.id == before.id
    assert after.revision == before.revision + 1
    assert after.next_run_at == datetime(2026, 11, 30, 13, 30, tzinfo=UTC)


def test_someone_else_cannot_edit(slack: Slack, bot: Bot, clock: FixedClock, deals: None) -> None:
    save(bot.sessions, workflow_document(name=NAME, owner=OWNER), clock.now(), team=TEAM_ID)
    modal = open_modal(slack, OTHER, f"edit {NAME}", "Only the owner")
    assert "<@U0OWNER>" in modal.text()
    with transaction(bot.sessions) as session:
        assert session.scalars(select(WizardDraft)).all() == []


def test_saving_as_a_draft_shows_saving_then_the_draft_workflow(
    slack: Slack, bot: Bot, deals: None
) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _through_review(modal)

    modal.press(WizardAction.SAVE_DRAFT)  # the action's answer is empty: "Saving…" follows

    slack.slack_api.wait_for(lambda api: "is a draft" in json.dumps(api.view(modal.view_id).view))
    workflow = bot.stored_workflow(NAME)
    assert workflow is not None and workflow.status == "draft"
    assert _drafts(bot) == []


def test_a_name_taken_while_reviewing_shows_the_review_again_and_keeps_the_draft(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, clock: FixedClock, deals: None
) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _through_review(modal)
    # Someone else takes the name between the review and the click on Activate.
    save(bot.sessions, workflow_document(name=NAME, owner=OTHER), clock.now(), team=TEAM_ID)

    _save(modal, slack_api)

    assert "Review" in _step(modal) and "Activate" in modal.text()
    assert "already exists" in _problems(modal)
    taken = bot.stored_workflow(NAME)
    assert taken is not None and taken.owner_user_id == OTHER
    assert len(_drafts(bot)) == 1, "the draft was lost"
    assert bot.wakes == []


def test_a_loading_modal_closed_before_the_wizard_is_ready_is_no_error(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deals: None
) -> None:
    slack_api.fail("not_found", method="views.update")  # what Slack says of a closed modal

    assert slack.send(urlencode(slack.command_form(OWNER, "create"))).status == 200

    slack_api.wait_for(lambda api: bool(api.calls("views.update")))
    # Every listener has finished once the pool has: an error reply would be out by then.
    bot.app.listener_runner.listener_executor.shutdown(wait=True)
    assert slack_api.calls("chat.postMessage") == []
    assert all("went wrong" not in r.all_text() for r in slack_api.responses())


def test_activating_creates_the_criteria_indexes_after_answering(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deals: None
) -> None:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _through_review(modal)
    _save(modal, slack_api)
    bot.app.listener_runner.listener_executor.shutdown(wait=True)  # the work after the answer
    with transaction(bot.sessions) as session:
        indexes = [name for name in record_index_names(session) if name.startswith("ixp_")]
    assert indexes, "the active workflow's criteria got no index"


def test_create_with_a_name_fills_it_in(slack: Slack, deals: None) -> None:
    modal = open_modal(slack, OWNER, "create Q4 deals", WizardBlock.NAME)
    assert '"initial_value": "Q4 deals"' in modal.text()


def test_a_name_given_with_create_is_on_the_first_step(
    bot: Bot, slack_api: SlackStandIn, deals: None
) -> None:
    trigger_id = slack_api.issue_trigger(OWNER)

    open_wizard(bot.app.client, bot.services, trigger_id, TEAM_ID, OWNER, None, name=" Q4 deals ")

    [view] = slack_api.views(OWNER)
    name = next(b for b in view.view["blocks"] if b.get("block_id") == WizardBlock.NAME)
    assert name["element"]["initial_value"] == "Q4 deals"


def test_a_private_channel_the_owner_is_not_in_is_refused_at_save(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deals: None
) -> None:
    """The bot is in #deal-desk, the person creating the workflow is not: the bot would
    otherwise post there in that person's name."""
    slack_api.add_channel("C0SUMMARY", "deal-desk", private=True, members=[OTHER])
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _through_review(modal)  # with C0SUMMARY as the summary channel

    _save(modal, slack_api)

    assert "Review" in _step(modal)
    assert (
        "#deal-desk is a private channel and the workflow's owner U0OWNER is not a member"
        in _problems(modal)
    )
    assert bot.stored_workflow(NAME) is None
    assert len(_drafts(bot)) == 1, "the draft was lost"


def test_a_member_of_the_private_channel_may_save(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, deals: None
) -> None:
    slack_api.add_channel("C0SUMMARY", "summaries", private=True, members=[OWNER])
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _through_review(modal)
    assert "Workflow activated" in _save(modal, slack_api)
    assert slack_api.calls("conversations.members"), "membership was not asked"


def test_a_type_with_a_thousand_properties_is_filtered_through_a_searchable_picker(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, clock: FixedClock
) -> None:
    """A HubSpot-sized object: about 1,000 properties. Every view the dialog sends stays within
    Slack's 250 KB (the stand-in refuses larger ones, as Slack does), also with ten rows."""
    # With id, name, owner, stage and amount: the 1,000 columns a record file may have.
    extra = {f"custom_field_{i:04}": str(i) for i in range(995)}
    import_deals(bot.sessions, [deal("D1", "Acme", amount="6000", **extra)], clock.now(), TEAM_ID)
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _fill_name(modal)
    assert modal.submit().json.get("response_action") == "update"
    _fill_schedule(modal)
    assert modal.submit().json.get("response_action") == "update"

    modal.press(WizardAction.ADD_FILTER, '"criteria"')
    offered = modal.search("criteria.g0.f0.property", "amou", "amount")
    assert [o["text"]["text"] for o in offered] == ["amount (number)"]
    modal.pick("criteria.g0.f0.operator", "gt", WizardAction.REFRESH)
    modal.enter("criteria.g0.f0.value", "5000")
    for row in range(1, 10):
        modal.press(WizardAction.ADD_FILTER, '"criteria"')
        modal.search(f"criteria.g0.f{row}.property", "custom_field_0", f"custom_field_{row:04}")
    assert len(json.dumps(modal.view.view)) < 60_000, len(json.dumps(modal.view.view))

    everything = slack.suggest(
        OWNER, modal.view, modal.block_id("criteria.g0.f0.property"), "wizard_pick_property"
    )
    assert len(everything) == 100  # Slack's limit; typing narrows it
    # The built-in fields first, then the type's properties by name.
    first = ["id", "name", "owner", "created_at", "updated_at", "amount", "custom_field_0000"]
    assert [o["value"] for o in everything[:7]] == first
    [draft] = _drafts(bot)
    filters = draft.document["criteria"]["any"][0]["all"]
    assert filters[0] == {"property": "amount", "operator": "gt", "value": 5000}
    assert [f["property"] for f in filters[1:]] == [f"custom_field_{r:04}" for r in range(1, 10)]


def test_overdue_deals_of_chosen_owners_are_written_with_the_dialogs_words(
    slack: Slack, bot: Bot, slack_api: SlackStandIn, clock: FixedClock
) -> None:
    """ "Close date is before today" and "owner is any of" two people, picked as a person
    would: the built-in owner field, a day word, the user picker."""
    import_deals(
        bot.sessions,
        [
            deal("D1", "Overdue, Olivia's", owner=OWNER, close_date="2026-11-01"),
            deal("D2", "Overdue, Oscar's", owner=OTHER, close_date="2026-11-15"),
            deal("D3", "Due later", owner=OWNER, close_date="2027-01-01"),
            deal("D4", "Overdue, nobody's", close_date="2026-10-01"),
        ],
        clock.now(),
        TEAM_ID,
    )
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _fill_name(modal)
    assert modal.submit().json.get("response_action") == "update"
    _fill_schedule(modal)
    assert modal.submit().json.get("response_action") == "update"

    modal.press(WizardAction.ADD_FILTER, '"criteria"')
    modal.pick("criteria.g0.f0.property", "close_date")
    modal.pick("criteria.g0.f0.operator", "before", WizardAction.REFRESH)
    day = next(b for b in modal.blocks if str(b.get("block_id")).startswith("criteria.g0.f0.value"))
    assert day["label"]["text"] == "Day" and day["hint"]["text"].startswith("Today, yesterday")
    modal.enter("criteria.g0.f0.value", "today")
    modal.press(WizardAction.ADD_FILTER, '"criteria"')
    modal.pick("criteria.g0.f1.property", "owner")
    modal.pick("criteria.g0.f1.operator", "in", WizardAction.REFRESH)
    people = next(
        b for b in modal.blocks if str(b.get("block_id")).startswith("criteria.g0.f1.value")
    )
    assert people["element"]["type"] == "multi_users_select"
    modal.enter("criteria.g0.f1.value", [OWNER, OTHER])
    assert modal.submit().json.get("response_action") == "update"

    [draft] = _drafts(bot)
    assert draft.document["criteria"] == {
        "any": [
            {
                "all": [
                    {"property": "close_date", "operator": "before", "value": "today"},
                    {"property": "owner", "operator": "in", "value": [OWNER, OTHER]},
                ]
            }
        ]
    }
    _fill_actions(modal)
    assert modal.submit().json.get("response_action") == "update"
    assert modal.submit().json.get("response_action") == "update"  # settings
    review = modal.text()
    assert "2 records match" in review
    assert "Overdue, Olivia" in review and "Due later" not in review and "nobody" not in review


def test_an_enumerations_options_are_chosen_not_typed(
    slack: Slack, bot: Bot, clock: FixedClock, deals: None
) -> None:
    """Walked by its labels: pick the property, "is any of", then the options offered."""
    with transaction(bot.sessions) as session:
        types = ObjectTypeRepository(session)
        pipelines = {"pipeline": ["Sales", "Renewals", "Partners"]}
        types.declare(
            types.get(TEAM_ID, "deals").id, {"pipeline": PropertyType.ENUMERATION}, pipelines
        )
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    _fill_name(modal)
    assert modal.submit().json.get("response_action") == "update"
    _fill_schedule(modal)
    assert modal.submit().json.get("response_action") == "update"

    modal.press(WizardAction.ADD_FILTER, '"criteria"')
    modal.pick("criteria.g0.f0.property", "pipeline")
    modal.pick("criteria.g0.f0.operator", "in", WizardAction.REFRESH)
    value = next(
        b for b in modal.blocks if str(b.get("block_id")).startswith("criteria.g0.f0.value")
    )
    assert value["label"]["text"] == "Values"
    assert value["hint"]["text"] == "Choose among the property's options."
    offered = [o["text"]["text"] for o in value["element"]["options"]]
    assert offered == ["Sales", "Renewals", "Partners"]
    options = value["element"]["options"]
    modal.enter("criteria.g0.f0.value", [options[0], options[1]])
    assert modal.submit().json.get("response_action") == "update"

    [draft] = _drafts(bot)
    assert draft.document["criteria"]["any"][0]["all"] == [
        {"property": "pipeline", "operator": "in", "value": ["Sales", "Renewals"]}
    ]
