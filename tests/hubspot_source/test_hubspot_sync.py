"""A HubSpot object synced into records through the real client and the HubSpot stand-in,
on SQLite and PostgreSQL: first sync, incremental sync across the search cap and its ties,
archived and merged objects, schema changes, rate limits and a refused token."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.hubspot.portal import ClientPortal
from bot.hubspot.rate_limit import SteppedTime
from bot.workflows.hubspot_portal import HubSpotError, HubSpotRefused, ObjectPage
from bot.workflows.hubspot_sync import HubSpotObjectSync, objects_to_sync
from bot.workflows.vocabulary import PropertyType
from storage.database import write_transaction
from storage.models import PropertyDefinition, Record, RecordVersion
from storage.object_types import ObjectTypeRepository
from storage.record_versions import RecordVersions
from tests.hubspot_source.portal_fixtures import T0, client, deal_portal

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TEAM = "T0HUBSPOT"
_names = itertools.count()


def new_type(sessions: sessionmaker[Session]) -> int:
    with write_transaction(sessions) as session:
        return ObjectTypeRepository(session).create_custom(TEAM, f"deals_{next(_names)}", NOW).id


def live(sessions: sessionmaker[Session], type_id: int) -> dict[str, Record]:
    with sessions() as session:
        query = select(Record).where(Record.object_type_id == type_id, Record.deleted_at.is_(None))
        return {record.external_id: record for record in session.scalars(query)}


def definitions(sessions: sessionmaker[Session], type_id: int) -> dict[str, PropertyDefinition]:
    with sessions() as session:
        query = select(PropertyDefinition).where(PropertyDefinition.object_type_id == type_id)
        return {d.name: d for d in session.scalars(query)}


def test_a_first_sync_stores_every_deal_with_its_name_owner_stage_and_dates(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    portal.put(
        "deals",
        "1",
        T0,
        dealname="Acme renewal",
        amount="1200.5",
        dealstage="contractsent",
        hubspot_owner_id="101",
        dealtype="newbusiness",
        is_strategic="true",
        closedate="2026-12-15T00:00:00Z",
    )
    portal.put("deals", "2", T0 + 5, dealname="Globex", dealstage="1234567", hubspot_owner_id="999")
    for number in range(3, 253):  # three list pages
        portal.put("deals", str(number), T0 + number, dealname=f"Deal {number}")
    type_id = new_type(sessions)
    with portal.serving() as url:
        report = HubSpotObjectSync(client(url, time), sessions, type_id, "deals").first(NOW)

    records = live(sessions, type_id)
    assert report.fetched == report.added == len(records) == 252
    acme = records["1"]
    assert (acme.name, acme.owner) == ("Acme renewal", "ada@example.com")
    assert acme.properties["amount"] == 1200.5
    assert acme.properties["dealstage"] == "contractsent"
    assert acme.properties["is_strategic"] is True
    assert acme.created_at == datetime.fromtimestamp(T0 / 1000, UTC)
    assert records["2"].owner is None  # an owner id the owners API does not know
    lists = [r for r in portal.requests if r.path == "/crm/v3/objects/deals"]
    assert [r.query["limit"] for r in lists] == [["100"]] * 3
    declared = definitions(sessions, type_id)
    assert declared["dealtype"].options == ["newbusiness", "existingbusiness"]
    assert "hs_internal_secret" not in declared and "hubspot_owner_id" not in declared
    # Stages are compared by id; their labels name the pipeline where two share one.
    assert report.schema is not None
    assert report.schema.stage_label("contractsent") == "Contract sent (Sales pipeline)"
    assert report.schema.stage_label("1234567") == "Contract sent (Renewals)"
    assert report.schema.stage_label("closedwon") == "Closed won"
    assert report.schema.options["dealtype"]["newbusiness"] == "New business"
    assert report.schema.labels["closedate"] == "Close date"


def test_a_first_sync_removes_records_hubspot_no_longer_has(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    portal.put("deals", "1", T0, dealname="Kept")
    portal.put("deals", "2", T0, dealname="Deleted in HubSpot")
    type_id = new_type(sessions)
    with portal.serving() as url:
        HubSpotObjectSync(client(url, time), sessions, type_id, "deals").first(NOW)
        portal.archive("deals", "2")
        report = HubSpotObjectSync(client(url, time), sessions, type_id, "deals").first(NOW)
    assert set(live(sessions, type_id)) == {"1"}
    assert (report.removed, report.unchanged) == (1, 1)


def test_an_incremental_sync_reads_only_what_changed_and_removes_archived_deals(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    for number in range(1, 301):
        portal.put("deals", str(number), T0 + number, dealname=f"Deal {number}")
    type_id = new_type(sessions)
    with portal.serving() as url:
        first = HubSpotObjectSync(client(url, time), sessions, type_id, "deals").first(NOW)
        portal.put("deals", "7", T0 + 10_000, dealname="Deal 7, renamed", dealstage="closedwon")
        portal.put("deals", "301", T0 + 10_001, dealname="New deal")
        portal.archive("deals", "9")
        portal.requests.clear()
        assert first.cursor is not None
        report = HubSpotObjectSync(client(url, time), sessions, type_id, "deals").incremental(
            first.cursor, NOW
        )
    records = live(sessions, type_id)
    assert records["7"].name == "Deal 7, renamed" and records["301"].name == "New deal"
    assert "9" not in records
    assert (report.added, report.changed, report.removed) == (1, 1, 1)
    assert report.cursor == T0 + 10_001
    searches = [r for r in portal.requests if r.path.endswith("/search")]
    (search,) = searches
    assert search.body is not None
    assert search.body["sorts"] == [
        {"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}
    ]
    assert search.body["filterGroups"][0]["filters"][0]["operator"] == "GTE"
    assert search.body["limit"] == 200


@settings(max_examples=12)
@given(
    # How many objects share each modification instant, in search order.
    ties=st.lists(st.integers(min_value=1, max_value=260), min_size=1, max_size=8),
    cap=st.sampled_from([400, 600, 1_000]),
)
def test_an_incremental_sync_crosses_the_search_cap_without_skipping_ties(
    sessions: sessionmaker[Session], ties: list[int], cap: int
) -> None:
    if max(ties) > cap - 200:
        ties = [min(t, cap - 200) for t in ties]  # one instant must fit one query
    time = SteppedTime()
    portal = deal_portal(time, search_cap=cap)
    ids = itertools.count(1)
    expected = set()
    for instant, count in enumerate(ties):
        for _ in range(count):
            object_id = str(next(ids))
            portal.put("deals", object_id, T0 + 1_000 + instant, dealname=f"Deal {object_id}")
            expected.add(object_id)
    type_id = new_type(sessions)
    with portal.serving() as url:
        sync = HubSpotObjectSync(client(url, time), sessions, type_id, "deals", search_cap=cap)
        report = sync.incremental(T0, NOW)
    assert set(live(sessions, type_id)) == expected
    assert report.fetched == len(expected)  # each object read once
    assert report.cursor == T0 + 1_000 + len(ties) - 1
    searches = [r for r in portal.requests if r.path.endswith("/search")]
    assert all(int((r.body or {}).get("after") or 0) < cap for r in searches)
    assert report.queries == 1 + sum(1 for _ in _restarts(len(expected), cap, ties))


def _restarts(total: int, cap: int, ties: list[int]) -> list[int]:
    """Where the sync must start new queries: read ``cap`` results, restart at the instant
    of the last one read, skipping those of that instant read already."""
    instants = [i for i, count in enumerate(ties) for _ in range(count)]
    restarts, position = [], 0
    while total - position > cap:
        last = instants[position + cap - 1]
        restarts.append(last)
        position = instants.index(last)  # the new query starts at this instant's first
    return restarts


def test_the_search_cap_itself_is_crossed_with_hubspot_s_10000(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time, keep_requests=False)
    for number in range(1, 10_251):
        portal.put("deals", str(number), T0 + number // 3, dealname=f"Deal {number}")
    type_id = new_type(sessions)
    with portal.serving() as url:
        report = HubSpotObjectSync(client(url, time), sessions, type_id, "deals").incremental(
            T0, NOW
        )
    assert len(live(sessions, type_id)) == report.fetched == 10_250
    assert report.queries == 2


def test_a_merged_deal_s_record_follows_it_to_the_surviving_id_or_is_removed(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    portal.put("deals", "1", T0, dealname="Acme")
    portal.put("deals", "2", T0, dealname="Acme (duplicate)")
    portal.put("deals", "3", T0, dealname="Initech")
    portal.put("deals", "4", T0, dealname="Initech (duplicate)")
    type_id = new_type(sessions)
    with portal.serving() as url:
        first = HubSpotObjectSync(client(url, time), sessions, type_id, "deals").first(NOW)
        before = live(sessions, type_id)
        portal.merge("deals", "2", into_id="1", modified_ms=T0 + 100_000)
        # A survivor new to the bot: the merged deal's record takes its id, history and all.
        portal.put("deals", "5", T0 + 100_001, dealname="Initech (merged)")
        portal.merge("deals", "4", into_id="5", modified_ms=T0 + 100_002)
        assert first.cursor is not None
        report = HubSpotObjectSync(client(url, time), sessions, type_id, "deals").incremental(
            first.cursor, NOW
        )
    after = live(sessions, type_id)
    assert set(after) == {"1", "3", "5"}
    assert report.removed == 1  # the survivor had its record: the merged one is removed
    assert report.followed == 1
    assert after["1"].id == before["1"].id
    assert (after["5"].id, after["5"].name) == (before["4"].id, "Initech (merged)")


def test_a_schema_change_in_hubspot_shows_at_the_next_sync(sessions: sessionmaker[Session]) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    portal.put("deals", "1", T0, dealname="Acme")
    type_id = new_type(sessions)
    with portal.serving() as url:
        first = HubSpotObjectSync(client(url, time), sessions, type_id, "deals").first(NOW)
        properties = portal.property_definitions["deals"]
        properties.append(
            {
                "name": "region",
                "label": "Region",
                "type": "enumeration",
                "fieldType": "select",
                "options": [{"value": "emea", "label": "EMEA"}],
            }
        )
        dealtype = next(p for p in properties if p["name"] == "dealtype")
        dealtype["options"].append({"value": "upsell", "label": "Upsell"})
        portal.put("deals", "1", T0 + 100_000, region="emea")
        assert first.cursor is not None
        report = HubSpotObjectSync(client(url, time), sessions, type_id, "deals").incremental(
            first.cursor, NOW
        )
    declared = definitions(sessions, type_id)
    assert declared["region"].options == ["emea"]
    assert declared["dealtype"].options == ["newbusiness", "existingbusiness", "upsell"]
    assert live(sessions, type_id)["1"].properties["region"] == "emea"
    assert report.schema is not None and report.schema.options["region"] == {"emea": "EMEA"}


def test_an_incremental_sync_with_a_known_schema_reads_it_again_only_for_a_new_option(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    portal.put("deals", "1", T0, dealname="Acme", dealtype="newbusiness")
    portal.put("deals", "2", T0, dealname="Globex", dealtype="newbusiness")
    type_id = new_type(sessions)
    with portal.serving() as url:
        first = HubSpotObjectSync(client(url, time), sessions, type_id, "deals").first(NOW)
        assert first.cursor is not None and first.schema is not None
        portal.put("deals", "1", T0 + 100_000, dealtype="existingbusiness")
        portal.requests.clear()
        sync = HubSpotObjectSync(client(url, time), sessions, type_id, "deals")
        quiet = sync.incremental(first.cursor, NOW, known_schema=first.schema)
        assert not [r for r in portal.requests if "/properties/" in r.path]
        dealtype = next(p for p in portal.property_definitions["deals"] if p["name"] == "dealtype")
        dealtype["options"].append({"value": "upsell", "label": "Upsell"})
        portal.put("deals", "2", T0 + 200_000, dealtype="upsell")
        assert quiet.cursor is not None
        sync = HubSpotObjectSync(client(url, time), sessions, type_id, "deals")
        report = sync.incremental(quiet.cursor, NOW, known_schema=first.schema)
    assert [r.path for r in portal.requests].count("/crm/v3/properties/deals") == 1
    assert definitions(sessions, type_id)["dealtype"].options == [
        "newbusiness",
        "existingbusiness",
        "upsell",
    ]
    assert report.schema is not None and report.schema.options["dealtype"]["upsell"] == "Upsell"
    assert live(sessions, type_id)["2"].properties["dealtype"] == "upsell"


def test_the_limiter_keeps_a_sync_under_the_rolling_window(sessions: sessionmaker[Session]) -> None:
    time = SteppedTime()
    portal = deal_portal(time, window=(10, 1.0))
    for number in range(1, 1_001):
        portal.put("deals", str(number), T0, dealname=f"Deal {number}")
    type_id = new_type(sessions)
    with portal.serving() as url:
        hubspot = client(url, time, window=(10, 1.0))
        HubSpotObjectSync(hubspot, sessions, type_id, "deals").first(NOW)
    counts = hubspot.counts()
    assert portal.throttled == counts.throttled == 0
    # 10 list pages, properties, pipelines, owners: 13 requests, 10 a second.
    assert counts.requests == 13 and time.now >= 1.0
    assert counts.daily_limit is not None and counts.daily_remaining == counts.daily_limit - 13


def test_a_429_is_waited_out_and_the_portal_s_smaller_window_kept_to(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time, window=(4, 10.0))
    for number in range(1, 501):
        portal.put("deals", str(number), T0, dealname=f"Deal {number}")
    type_id = new_type(sessions)
    with portal.serving() as url:
        # A limiter more generous than the portal: HubSpot answers 429 and is believed.
        hubspot = client(url, time, window=(100, 10.0))
        HubSpotObjectSync(hubspot, sessions, type_id, "deals").first(NOW)
    assert len(live(sessions, type_id)) == 500
    assert portal.throttled == hubspot.counts().throttled > 0
    assert time.now >= 10.0
    # The portal's X-HubSpot-RateLimit-Max is kept to from the first 429 on.
    assert hubspot.window.limit == 4
    assert portal.throttled == 1


def test_a_revoked_token_fails_with_hubspot_s_message(sessions: sessionmaker[Session]) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    portal.put("deals", "1", T0, dealname="Acme")
    type_id = new_type(sessions)
    with portal.serving() as url, pytest.raises(HubSpotRefused) as refused:
        HubSpotObjectSync(client(url, time, token="pat-revoked"), sessions, type_id, "deals").first(
            NOW
        )
    assert "Authentication credentials not found" in str(refused.value)
    assert "--token-env" in str(refused.value)
    assert refused.value.code == "refused"
    assert live(sessions, type_id) == {}


class Crash(BaseException):
    """The process dies here: not an Exception, so nothing in the sync can catch it."""


class DyingPortal:
    """The real client, in a process that dies when asked for its n-th page of objects."""

    def __init__(self, inner: ClientPortal, die_at_page: int) -> None:
        self.inner = inner
        self.die_at_page = die_at_page
        self.pages = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def _page(self) -> None:
        self.pages += 1
        if self.pages == self.die_at_page:
            raise Crash(f"died asking for page {self.pages}")

    def list_page(self, *args: Any) -> ObjectPage:
        self._page()
        return self.inner.list_page(*args)

    def search_modified_since(self, *args: Any) -> ObjectPage:
        self._page()
        return self.inner.search_modified_since(*args)


@pytest.mark.parametrize("die_at_page", [2, 11, 25])
def test_a_sync_killed_midway_loses_and_duplicates_nothing_when_run_again(
    sessions: sessionmaker[Session], die_at_page: int
) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    for number in range(1, 2_501):
        portal.put("deals", str(number), T0 + number, dealname=f"Deal {number}")
    portal.put("deals", "9999", T0, dealname="Gone from HubSpot")
    type_id = new_type(sessions)
    with portal.serving() as url:
        HubSpotObjectSync(client(url, time), sessions, type_id, "deals").first(NOW)
        portal.archive("deals", "9999")
        for number in range(1, 2_501, 2):  # half of them changed
            portal.put("deals", str(number), T0 + 10_000 + number, dealname=f"Deal {number}*")
        dying = DyingPortal(client(url, time), die_at_page)
        with pytest.raises(Crash):
            HubSpotObjectSync(dying, sessions, type_id, "deals").first(NOW)  # type: ignore[arg-type]
        # Killed before the listing ended: nothing was removed, what was written stays.
        assert "9999" in live(sessions, type_id)
        report = HubSpotObjectSync(client(url, time), sessions, type_id, "deals").first(NOW)
    records = live(sessions, type_id)
    assert len(records) == 2_500 and "9999" not in records
    assert all(
        r.name == f"Deal {r.external_id}*" for r in records.values() if int(r.external_id) % 2
    )
    assert report.removed == 1


def test_an_incremental_sync_killed_midway_is_read_again_from_the_same_cursor(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    for number in range(1, 1_001):
        portal.put("deals", str(number), T0, dealname=f"Deal {number}")
    type_id = new_type(sessions)
    with portal.serving() as url:
        first = HubSpotObjectSync(client(url, time), sessions, type_id, "deals").first(NOW)
        assert first.cursor is not None
        for number in range(1, 1_001):
            portal.put("deals", str(number), T0 + 5_000 + number // 7, dealname=f"Deal {number}*")
        dying = DyingPortal(client(url, time), die_at_page=3)
        with pytest.raises(Crash):
            HubSpotObjectSync(dying, sessions, type_id, "deals").incremental(first.cursor, NOW)  # type: ignore[arg-type]
        # The cursor moves only with a finished sync: the next one starts where this did.
        report = HubSpotObjectSync(client(url, time), sessions, type_id, "deals").incremental(
            first.cursor, NOW
        )
    records = live(sessions, type_id)
    assert len(records) == 1_000
    assert all(r.name.endswith("*") for r in records.values())
    assert report.cursor == T0 + 5_000 + 1_000 // 7


def test_more_objects_in_one_millisecond_than_a_search_can_page_through_fail_clearly(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time, search_cap=400)
    for number in range(1, 402):
        portal.put("deals", str(number), T0 + 1, dealname=f"Deal {number}")
    type_id = new_type(sessions)
    with portal.serving() as url, pytest.raises(HubSpotError) as failed:
        sync = HubSpotObjectSync(client(url, time), sessions, type_id, "deals", search_cap=400)
        sync.incremental(T0, NOW)
    assert "more than 400 deals were changed in the same millisecond" in str(failed.value)
    assert "first (full) sync" in str(failed.value)


def test_a_property_the_type_had_already_keeps_its_type(sessions: sessionmaker[Session]) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    portal.put("deals", "1", T0, dealname="Acme", closedate="2026-12-15T00:00:00.000Z")
    type_id = new_type(sessions)
    with write_transaction(sessions) as session:
        ObjectTypeRepository(session).declare(type_id, {"closedate": PropertyType.DATE})
    with portal.serving() as url:
        HubSpotObjectSync(client(url, time), sessions, type_id, "deals").first(NOW)
    assert definitions(sessions, type_id)["closedate"].type == "date"
    assert live(sessions, type_id)["1"].properties["closedate"] == "2026-12-15"


def test_a_custom_object_is_found_by_name_and_its_records_named_by_its_display_property(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    portal.schema_list = [
        {
            "id": "3444025",
            "name": "cars",
            "objectTypeId": "2-3444025",
            "fullyQualifiedName": "p1234_cars",
            "primaryDisplayProperty": "model",
            "labels": {"singular": "Car", "plural": "Cars"},
        }
    ]
    portal.define(
        "2-3444025",
        {"name": "model", "label": "Model", "type": "string", "fieldType": "text"},
        {"name": "year", "label": "Year", "type": "number", "fieldType": "number"},
    )
    portal.put("2-3444025", "1", T0, model="Model T", year="1908")
    type_id = new_type(sessions)
    with portal.serving() as url:
        hubspot = client(url, time)
        deals, cars = objects_to_sync(hubspot, ["deals", "Cars", " Deals", "cars"])
        with pytest.raises(HubSpotError) as unknown:
            objects_to_sync(hubspot, ["boats"])
        sync = HubSpotObjectSync(
            hubspot, sessions, type_id, cars.api_name, name_property=cars.name_property
        )
        sync.first(NOW)
    assert (deals.api_name, cars.api_name, cars.name_property) == ("deals", "2-3444025", "model")
    assert "no object named 'boats'" in str(unknown.value) and "cars" in str(unknown.value)
    car = live(sessions, type_id)["1"]
    assert (car.name, car.properties["year"]) == ("Model T", 1908)


def test_a_gateway_error_is_waited_out_and_the_sync_goes_on(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    for number in range(1, 251):
        portal.put("deals", str(number), T0, dealname=f"Deal {number}")
    portal.failures.extend([503, 502])
    type_id = new_type(sessions)
    with portal.serving() as url:
        HubSpotObjectSync(client(url, time), sessions, type_id, "deals").first(NOW)
    assert len(live(sessions, type_id)) == 250
    assert not portal.failures
    assert time.now >= 3.0  # 1 s, then 2 s


def test_the_daily_limit_fails_at_once_without_spending_requests(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    portal.put("deals", "1", T0, dealname="Acme")
    portal.failures.append(429)
    type_id = new_type(sessions)
    with portal.serving() as url, pytest.raises(HubSpotError) as failed:
        HubSpotObjectSync(client(url, time), sessions, type_id, "deals").first(NOW)
    assert "daily request limit" in str(failed.value)
    assert portal.request_count == 1
    assert time.now == 0.0


def test_a_sync_keeps_its_lease_alive_after_each_batch_it_writes(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    for number in range(1, 2501):
        portal.put("deals", str(number), T0, dealname=f"Deal {number}")
    type_id = new_type(sessions)
    kept_alive: list[int] = []

    def keep_alive() -> None:
        kept_alive.append(len(live(sessions, type_id)))

    with portal.serving() as url:
        sync = HubSpotObjectSync(
            client(url, time), sessions, type_id, "deals", keep_alive=keep_alive
        )
        sync.first(NOW)
    # Called once each batch is committed: the records written so far are already stored.
    assert len(kept_alive) >= 3
    assert kept_alive == sorted(kept_alive) and kept_alive[0] > 0
    assert kept_alive[-1] == 2500


class _MinuteClock:
    """Each reading a minute after the one before, as batches written minutes apart."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        self.at += timedelta(minutes=1)
        return self.at


def test_each_batch_keeps_the_values_it_replaces_until_its_own_write(
    sessions: sessionmaker[Session],
) -> None:
    time = SteppedTime()
    portal = deal_portal(time)
    for number in range(1, 1101):
        portal.put("deals", str(number), T0 + number, dealname=f"Deal {number}")
    type_id = new_type(sessions)
    with portal.serving() as url:
        first = HubSpotObjectSync(client(url, time), sessions, type_id, "deals").first(NOW)
        for number in range(1, 1101):
            portal.put("deals", str(number), T0 + 10_000 + number, dealname=f"New {number}")
        assert first.cursor is not None
        sync = HubSpotObjectSync(
            client(url, time), sessions, type_id, "deals", clock=_MinuteClock(NOW)
        )
        sync.incremental(first.cursor, NOW, archived=False)
    with sessions() as session:
        stamps = dict(
            session.execute(
                select(Record.external_id, RecordVersion.valid_until).join(
                    RecordVersion, RecordVersion.record_id == Record.id
                )
            ).all()
        )
        # Two batches of 1,000 and 100, each stamped when its own transaction wrote.
        assert stamps["1"] == NOW + timedelta(minutes=1)
        assert stamps["1100"] == NOW + timedelta(minutes=2)
        # A run enrolling between the two commits saw the second batch's old values.
        between = NOW + timedelta(minutes=1, seconds=30)
        record = live(sessions, type_id)["1100"]
        row = RecordVersions(session).as_of(record.id, between)
        assert session.scalar(select(row.c.name)) == "Deal 1100"
