"""`sources list` reports HubSpot's daily request budget as HubSpot last reported it, also
when that was in the answer that failed the sync (the daily limit reached)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.hubspot.rate_limit import SteppedTime
from bot.workflows.clock import FixedClock
from bot.workflows.hubspot_sync import ObjectToSync
from bot.workflows.sources import (
    NewHubSpotSource,
    add_hubspot_sources,
    statuses,
    sync_source,
)
from storage.database import write_transaction
from storage.object_types import ObjectTypeRepository
from storage.record_sources import RecordSourceRepository
from storage.unit_of_work import UnitOfWork
from tests.hubspot_source.portal_fixtures import T0, client, deal_portal
from tests.hubspot_standin import DAILY_LIMIT, TOKEN

TEAM = "T1"
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_a_sync_failed_by_the_daily_limit_leaves_the_budget_it_reported(
    sessions: sessionmaker[Session],
) -> None:
    clock = FixedClock(NOW)
    time = SteppedTime()
    portal = deal_portal(time)
    portal.put("deals", "1", T0, dealname="Acme")
    with write_transaction(sessions) as session:
        ObjectTypeRepository(session).ensure_built_ins(TEAM, NOW)
        add_hubspot_sources(
            session, TEAM, NewHubSpotSource("crm", "TOKEN"), [ObjectToSync("deals", "deals")], NOW
        )
        source = RecordSourceRepository(session).find(TEAM, "crm")
        assert source is not None
        source_id = source.id

    def sync() -> str | None:
        with portal.serving() as url:
            environment = {"TOKEN": TOKEN, "HUBSPOT_API_URL": url}
            outcome = sync_source(
                sessions,
                source_id,
                "process-a",
                clock,
                environment.get,
                portals=lambda token, api: client(api or "", time, token),
            )
        return outcome.error

    assert sync() is None
    [listed] = statuses(UnitOfWork(sessions), TEAM, NOW)
    assert (listed.daily_limit, listed.daily_remaining) == (
        DAILY_LIMIT,
        DAILY_LIMIT - portal.daily_used,
    )

    clock.set(NOW + timedelta(hours=1))
    portal.failures.append(429)  # HubSpot's daily limit: none left until midnight
    error = sync()

    assert error is not None and "daily request limit" in error
    [listed] = statuses(UnitOfWork(sessions), TEAM, NOW)
    assert listed.daily_remaining == 0
    assert listed.last_error == error
