"""The dry run on the real databases: what a run would enroll now, and do to each record."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.preview import preview
from storage.unit_of_work import UnitOfWork
from tests.engine.builders import (
    NAME,
    TEAM,
    channel_message,
    daily,
    deal,
    import_deals,
    save,
    workflow_document,
)

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_a_dry_run_counts_the_matching_records_and_shows_them_by_name(
    sessions: sessionmaker[Session],
) -> None:
    deals = [deal("D1", "Initech"), deal("D2", "Acme"), deal("D3", "Globex", stage="lost")]
    import_deals(sessions, deals, NOW)
    save(sessions, workflow_document(), NOW)

    dry_run = preview(UnitOfWork(sessions), TEAM, NAME, NOW)

    assert dry_run.matching == 2
    assert dry_run.lines == (
        "D2 Acme",
        "  1. post to C0DEALS: Acme is in contract",
        "D1 Initech",
        "  1. post to C0DEALS: Initech is in contract",
    )


def test_a_dry_run_finds_stale_deals_and_shows_their_dates_in_the_workflows_zone(
    sessions: sessionmaker[Session],
) -> None:
    deals = [
        deal("D1", "Stale", updated_at=datetime(2026, 10, 1, 23, 30, tzinfo=UTC)),
        deal("D2", "Fresh", updated_at=datetime(2026, 10, 30, 12, 0, tzinfo=UTC)),
    ]
    import_deals(sessions, deals, NOW)
    stale = {
        "any": [
            {"all": [{"property": "updated_at", "operator": "more_than_days_ago", "value": 14}]}
        ]
    }
    message = channel_message("{{ name }} last changed {{ updated_at }}")
    schedule = daily("09:00", "Asia/Tokyo")
    save(sessions, workflow_document(criteria=stale, actions=[message], schedule=schedule), NOW)

    dry_run = preview(UnitOfWork(sessions), TEAM, NAME, NOW)

    assert dry_run.lines == (
        "D1 Stale",
        "  1. post to C0DEALS: Stale last changed 2026-10-02 08:30",
    )
