"""A HubSpot sync stores its properties' labels and its options' labels (stages by their
label, with the pipeline's name where two share one) beside the names criteria compare,
and a label renamed in HubSpot is picked up at the next sync. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.hubspot.rate_limit import SteppedTime
from bot.workflows.hubspot_sync import HubSpotObjectSync
from storage.database import transaction, write_transaction
from storage.object_types import ObjectTypeRepository
from tests.hubspot_source.portal_fixtures import T0, client, deal_portal

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _labels(
    sessions: sessionmaker[Session], type_id: int
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    with transaction(sessions) as session:
        object_types = ObjectTypeRepository(session)
        return object_types.labels(type_id), object_types.option_labels(type_id)


def test_a_sync_stores_property_and_option_labels_and_follows_a_renamed_one(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    portal.put("deals", "1", T0, dealname="Acme", dealstage="contractsent")
    with write_transaction(sessions) as session:
        type_id = ObjectTypeRepository(session).create_custom("T0LABELS", "hs_deals", NOW).id
    with portal.serving() as url:
        sync = HubSpotObjectSync(client(url, time), sessions, type_id, "deals")
        report = sync.first(NOW)
        labels, options = _labels(sessions, type_id)
        assert labels["amount"] == "Amount"
        assert labels["dealstage"] == "Deal stage"
        assert options["dealstage"]["contractsent"] == "Contract sent (Sales pipeline)"
        assert options["dealstage"]["1234567"] == "Contract sent (Renewals)"
        assert options["dealtype"] == {
            "newbusiness": "New business",
            "existingbusiness": "Existing business",
        }
        portal.property_definitions["deals"][1]["label"] = "Deal value"
        assert report.cursor is not None
        HubSpotObjectSync(client(url, time), sessions, type_id, "deals").incremental(
            report.cursor, NOW
        )

    labels, _options = _labels(sessions, type_id)
    assert labels["amount"] == "Deal value"
