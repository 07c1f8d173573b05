"""The folded record name in records.folded: written with every record, and given to the
records stored before it existed by migration 0006."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from storage.database import alembic_config, upgrade
from storage.models import Record
from storage.object_types import ObjectTypeRepository
from storage.properties import FOLDED_NAME, is_valid_property_name
from storage.records import JSONText, with_folded_name

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def test_the_folded_name_key_can_never_be_a_property_name() -> None:
    assert not is_valid_property_name(FOLDED_NAME)


@pytest.mark.parametrize(
    ("folded", "expected"),
    [
        (JSONText("{}"), '{"_name":"strasse strasse"}'),
        (JSONText('{"city":"paris"}'), '{"_name":"strasse strasse","city":"paris"}'),
        ({"city": "paris"}, {"city": "paris", "_name": "strasse strasse"}),
    ],
)
def test_a_records_folded_document_gets_its_folded_name(
    folded: dict[str, str] | JSONText, expected: object
) -> None:
    result = with_folded_name(folded, "Straße STRASSE")  # folds as the texts do
    assert result == expected
    if isinstance(result, str):
        assert json.loads(result)[FOLDED_NAME] == "strasse strasse"


@pytest.fixture
def at_0005(engine: Engine) -> Iterator[Engine]:
    """The database as migration 0005 left it; brought back to the latest at the end."""
    command.downgrade(alembic_config(engine), "0005")
    yield engine
    upgrade(engine)


def test_migration_0006_gives_existing_records_their_folded_names(
    at_0005: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        repository = ObjectTypeRepository(session)
        repository.ensure_built_ins("T1", NOW)
        deals = repository.get("T1", "deals").id
    with at_0005.begin() as connection:
        for number, name in enumerate(["Hauptstraße", "ACME", "Ünïcode ΣΊΣΥΦΟΣ"]):
            connection.execute(
                text(
                    "INSERT INTO records (object_type_id, external_id, name, properties, folded, "
                    "created_at, updated_at) VALUES (:type, :id, :name, '{}', :folded, :now, :now)"
                ),
                {
                    "type": deals,
                    "id": f"D-{number}",
                    "name": name,
                    "folded": '{"city": "paris"}',
                    "now": NOW.replace(tzinfo=None),
                },
            )
    upgrade(at_0005)
    with sessions() as session:
        folded = dict(session.execute(select(Record.external_id, Record.folded)).all())
    assert folded == {
        "D-0": {"city": "paris", "_name": "hauptstrasse"},
        "D-1": {"city": "paris", "_name": "acme"},
        "D-2": {"city": "paris", "_name": "ünïcode σίσυφοσ"},
    }
