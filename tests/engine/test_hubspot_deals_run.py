"""A scheduled run over deals synced from HubSpot (through the real client and the HubSpot
stand-in) posts to Slack (the Slack stand-in) for the deals its criteria match: stage ids
compared, names and owners as HubSpot has them; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.hubspot.rate_limit import SteppedTime
from bot.workflows.clock import FixedClock
from bot.workflows.hubspot_sync import HubSpotObjectSync
from storage.database import write_transaction
from storage.object_types import ObjectTypeRepository
from tests.engine.builders import DEALS_CHANNEL, TEAM, channel_message, save, workflow_document
from tests.engine.conftest import Processes
from tests.hubspot_source.portal_fixtures import T0, client, deal_portal
from tests.slack_standin import SlackStandIn

RUN_TIME = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
IN_CONTRACT = {
    "any": [
        {
            "all": [
                {"property": "dealstage", "operator": "eq", "value": "contractsent"},
                {"property": "amount", "operator": "gt", "value": 1000},
            ]
        }
    ]
}


def test_a_scheduled_run_posts_for_the_hubspot_deals_its_criteria_match(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    processes: Processes,
    slack_api: SlackStandIn,
) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    portal.put(
        "deals",
        "11",
        T0,
        dealname="Acme <renewal>",
        dealstage="contractsent",
        amount="5000",
        hubspot_owner_id="101",
    )
    portal.put("deals", "12", T0, dealname="Globex", dealstage="contractsent", amount="500")
    portal.put("deals", "13", T0, dealname="Initech", dealstage="closedwon", amount="9000")
    # The Renewals pipeline's "Contract sent": the same label, another stage id.
    portal.put("deals", "14", T0, dealname="Umbrella", dealstage="1234567", amount="9000")
    with write_transaction(sessions) as session:
        object_types = ObjectTypeRepository(session)
        object_types.ensure_built_ins(TEAM, clock.now())
        deals = object_types.get(TEAM, "deals").id
    with portal.serving() as url:
        report = HubSpotObjectSync(client(url, time), sessions, deals, "deals").first(clock.now())
    assert report.added == 4

    text = "{{ name }} ({{ owner }}) is in contract"
    document = workflow_document(criteria=IN_CONTRACT, actions=[channel_message(text)])
    save(sessions, document, clock.now())
    clock.set(RUN_TIME + timedelta(seconds=5))
    [(_run_id, status)] = processes.start().tick()

    assert status is not None
    posted = [m["text"] for m in slack_api.posted_messages(DEALS_CHANNEL)]
    assert len(posted) == 1
    assert "Acme &lt;renewal&gt;" in posted[0], posted
