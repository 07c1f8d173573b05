"""The syncs of one process keep the schema they read (properties, stages, owners) for an
hour: an incremental sync then asks HubSpot only for what changed, and reads the schema again
when an object holds an owner or an option it does not know, or the hour has passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.hubspot.portal import PortalPool, Timing
from bot.hubspot.rate_limit import SteppedTime
from bot.workflows.clock import FixedClock
from bot.workflows.hubspot_sync import ObjectToSync
from bot.workflows.sources import NewHubSpotSource, add_hubspot_sources, sync_source
from storage.database import transaction, write_transaction
from storage.models import Record
from storage.object_types import ObjectTypeRepository
from storage.record_sources import RecordSourceRepository
from tests.hubspot_source.portal_fixtures import T0, deal_portal
from tests.hubspot_standin import TOKEN, HubSpotStandIn

TEAM = "T1"
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
SCHEMA_PATHS = ("/crm/v3/properties/deals", "/crm/v3/pipelines/deals", "/crm/v3/owners")


def schema_reads(portal: HubSpotStandIn) -> int:
    return sum(1 for r in portal.requests if r.path in SCHEMA_PATHS)


def test_incremental_syncs_keep_the_schema_until_an_unknown_owner_or_the_hour(
    sessions: sessionmaker[Session],
) -> None:
    clock = FixedClock(NOW)
    time = SteppedTime()
    portal = deal_portal(time)
    portal.put("deals", "1", T0, dealname="Acme", hubspot_owner_id="101")
    with write_transaction(sessions) as session:
        ObjectTypeRepository(session).ensure_built_ins(TEAM, NOW)
        new = NewHubSpotSource("crm", "TOKEN")
        add_hubspot_sources(session, TEAM, new, [ObjectToSync("deals", "deals")], NOW)
        source = RecordSourceRepository(session).find(TEAM, "crm")
        assert source is not None
        source_id = source.id
    pool = PortalPool(Timing(time.monotonic, time.sleep))

    def sync_at(minutes: int) -> None:
        clock.set(NOW + timedelta(minutes=minutes))
        environment = {"TOKEN": TOKEN, "HUBSPOT_API_URL": url}
        outcome = sync_source(sessions, source_id, "process-a", clock, environment.get,
                              portals=pool)  # fmt: skip
        assert outcome.error is None

    with portal.serving() as url:
        sync_at(0)  # the first sync reads the schema
        assert schema_reads(portal) == 3
        portal.put("deals", "2", T0 + 60_000, dealname="Globex", hubspot_owner_id="102")
        sync_at(15)
        assert schema_reads(portal) == 3  # kept: only the search and the archived listing
        # An owner added in HubSpot since: the schema is read again, and the deal gets her.
        portal.owner_list.append({"id": "103", "email": "new@example.com"})
        portal.put("deals", "3", T0 + 120_000, dealname="Initech", hubspot_owner_id="103")
        sync_at(30)
        assert schema_reads(portal) == 6
        portal.put("deals", "4", T0 + 180_000, dealname="Umbrella", hubspot_owner_id="101")
        sync_at(95)  # more than an hour after it was read
        assert schema_reads(portal) == 9

    with transaction(sessions) as session:
        owners = dict(session.query(Record.external_id, Record.owner).all())
    assert owners == {
        "1": "ada@example.com",
        "2": "grace@example.com",
        "3": "new@example.com",
        "4": "ada@example.com",
    }
