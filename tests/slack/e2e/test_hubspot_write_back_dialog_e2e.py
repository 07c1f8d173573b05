"""Saving a workflow in the dialog says which of its actions write to HubSpot, and refuses a
set_property that a SQL source's next sync would undo, in the dialog's words."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.slack.ids import WizardBlock
from bot.workflows.clock import FixedClock
from bot.workflows.hubspot_sync import ObjectToSync
from bot.workflows.sources import NewHubSpotSource, add_hubspot_sources
from bot.workflows.vocabulary import SourceKind
from storage.database import write_transaction
from storage.models import RecordSource
from storage.object_types import ObjectTypeRepository
from tests.engine.builders import deal, import_deals
from tests.slack.e2e.conftest import OWNER
from tests.slack.e2e.test_wizard_schedule_e2e import block_labelled, option_shown
from tests.slack.harness import Bot, Modal, Slack, open_modal
from tests.slack_standin import TEAM_ID

NAME = "Contract follow-up"


def _fed_by_hubspot(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    with write_transaction(sessions) as session:
        new = NewHubSpotSource("crm", "HUBSPOT_TOKEN", max_staleness=timedelta(days=1))
        add_hubspot_sources(session, TEAM_ID, new, [ObjectToSync("deals", "deals")], clock.now())


def _fed_by_sql(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    with write_transaction(sessions) as session:
        deals = ObjectTypeRepository(session).get(TEAM_ID, "deals")
        session.add(
            RecordSource(
                team_id=TEAM_ID,
                name="warehouse",
                kind=SourceKind.SQL.value,
                object_type_id=deals.id,
                url_env="WAREHOUSE_URL",
                query="SELECT id, name, stage FROM deals",
                id_column="id",
                created_at=clock.now(),
            )
        )


def _walk_to_actions(slack: Slack) -> Modal:
    modal = open_modal(slack, OWNER, "create", WizardBlock.NAME)
    modal.enter(WizardBlock.NAME, NAME)
    modal.choose(WizardBlock.OBJECT_TYPE, "deals")
    modal.submit()
    runs = block_labelled(modal, "Runs")
    modal.pick(runs, option_shown(modal, "Runs", "Daily")["value"])
    modal.submit()
    modal.submit()  # every deal: no filter
    return modal


def _save(modal: Modal) -> None:
    modal.submit()  # the actions
    modal.submit()  # the settings, as they are
    modal.submit()  # the review: Activate


def test_saving_in_the_dialog_names_the_actions_that_write_to_hubspot(
    slack: Slack, bot: Bot, clock: FixedClock
) -> None:
    import_deals(bot.sessions, [deal("11", "Acme", stage="contract")], clock.now(), TEAM_ID)
    _fed_by_hubspot(bot.sessions, clock)
    modal = _walk_to_actions(slack)
    modal.pick("actions.add", "create_task")
    modal.enter("actions.a0.title", "Call {{ name }} ({{ hubspot.link }})")
    modal.pick("actions.add", "set_property")
    modal.enter("actions.a1.property", "stage")
    modal.enter("actions.a1.value", "called")

    _save(modal)

    workflow = bot.stored_workflow(NAME)
    assert workflow is not None and workflow.status == "active", modal.text()
    assert (
        "Writes to HubSpot: action 1 (Create a task), action 2 (Set a property: stage) change "
        "HubSpot (the source 'crm') each time the workflow runs." in modal.text()
    )


def test_the_dialog_refuses_a_property_a_sql_source_would_set_back(
    slack: Slack, bot: Bot, clock: FixedClock
) -> None:
    import_deals(bot.sessions, [deal("11", "Acme", stage="contract")], clock.now(), TEAM_ID)
    _fed_by_sql(bot.sessions, clock)
    modal = _walk_to_actions(slack)
    modal.pick("actions.add", "set_property")
    modal.enter("actions.a0.property", "stage")
    modal.enter("actions.a0.value", "reviewed")

    _save(modal)

    assert bot.stored_workflow(NAME) is None
    assert (
        "action 1 (Set a property: stage) cannot be saved: deals come from the source "
        "'warehouse', a database query" in modal.text()
    )
