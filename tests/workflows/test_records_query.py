from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.criteria import InvalidCriteria
from bot.workflows.records import count_matching, index_criteria_properties, list_matching
from bot.workflows.vocabulary import PropertyType
from storage.models import Record
from storage.object_types import ObjectTypeRepository, UnknownObjectType
from storage.properties import folded_copy, to_stored

CREATED = datetime(2026, 3, 1, tzinfo=UTC)
TOKYO = ZoneInfo("Asia/Tokyo")
TYPES = {"close_date": PropertyType.DATE, "stage": PropertyType.ENUMERATION}
CLOSING_SOON = {
    "any": [{"all": [{"property": "close_date", "operator": "in_next_days", "value": 1}]}]
}


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions.begin() as session:
        repository = ObjectTypeRepository(session)
        repository.ensure_built_ins("T1", CREATED)
        deals = repository.get("T1", "deals").id
        repository.declare(deals, TYPES)
        for external_id, close_date in [("a", "2026-03-10"), ("b", "2026-03-11"), ("c", None)]:
            raw = {"stage": "open"} | ({"close_date": close_date} if close_date else {})
            properties = {k: to_stored(v, TYPES[k]) for k, v in raw.items()}
            session.add(
                Record(
                    object_type_id=deals,
                    external_id=external_id,
                    name=external_id.upper(),
                    owner=None,
                    properties=properties,
                    folded=folded_copy(properties, TYPES),
                    created_at=CREATED,
                    updated_at=CREATED,
                )
            )
    with sessions() as session:
        yield session
        session.rollback()  # nothing here commits; closing first lets teardown empty the tables


def test_relative_criteria_count_days_in_the_zone_of_the_instant_given(session: Session) -> None:
    # 2026-03-09 23:30 UTC is already 03-10 in Tokyo: "the next day" there reaches 03-11.
    now = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    assert count_matching(session, "T1", "deals", CLOSING_SOON, now) == 1
    assert count_matching(session, "T1", "deals", CLOSING_SOON, now.astimezone(TOKYO)) == 2


def test_list_matching_returns_records_by_name_with_their_properties(session: Session) -> None:
    now = datetime(2026, 3, 10, 9, 0, tzinfo=TOKYO)
    found = list_matching(session, "T1", "deals", CLOSING_SOON, now, limit=10)
    assert [(r.external_id, r.name) for r in found] == [("a", "A"), ("b", "B")]
    assert found[0].properties == {"stage": "open", "close_date": "2026-03-10"}


def test_an_unknown_object_type_is_reported_with_the_known_ones(session: Session) -> None:
    with pytest.raises(UnknownObjectType) as caught:
        count_matching(session, "T1", "deal", {}, CREATED)
    assert "deals" in caught.value.known


def test_criteria_are_validated_against_the_types_properties(session: Session) -> None:
    criteria = {"any": [{"all": [{"property": "stage", "operator": "gt", "value": "a"}]}]}
    with pytest.raises(InvalidCriteria, match="operator 'gt' does not apply to enumeration"):
        list_matching(session, "T1", "deals", criteria, CREATED, limit=1)


def test_indexing_criteria_creates_one_index_per_group(session: Session) -> None:
    criteria = {
        "any": [
            {
                "all": [
                    {"property": "close_date", "operator": "before", "value": "2026-04-01"},
                    {"property": "stage", "operator": "in", "value": ["won", "lost"]},
                ]
            },
            {"all": [{"property": "close_date", "operator": "is_known"}]},
        ]
    }
    names = index_criteria_properties(session, "T1", "deals", criteria)
    assert len(names) == 2
    assert all(name.startswith("ixp_") for name in names)
