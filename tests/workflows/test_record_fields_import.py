"""Importing records' built-in fields: created_at and updated_at columns, and property names
that belong to built-in fields."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.workflows.record_files import RecordFileError
from bot.workflows.record_import import (
    ImportOptionError,
    ImportOptions,
    ImportReport,
    import_records,
)
from storage.models import Record
from storage.object_types import ObjectTypeRepository

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TEAM = "T1"


@pytest.fixture
def run(sessions: sessionmaker[Session], tmp_path: Path) -> Any:
    """(content, now=NOW, **options) -> ImportReport, for a file named deals.csv."""
    counter = iter(range(1_000))

    def run(content: str, now: datetime = NOW, **options: Any) -> ImportReport:
        path = tmp_path / f"{next(counter)}-{options.pop('name', 'deals.csv')}"
        path.write_text(content, encoding="utf-8")
        options.setdefault("type_name", "deals")
        with sessions.begin() as session:
            ObjectTypeRepository(session).ensure_built_ins(TEAM, NOW)
            return import_records(session, TEAM, path, ImportOptions(**options), now)

    return run


def dates(sessions: sessionmaker[Session]) -> dict[str, tuple[datetime, datetime]]:
    with sessions() as session:
        return {
            r.external_id: (r.created_at, r.updated_at) for r in session.scalars(select(Record))
        }


def declared(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        repository = ObjectTypeRepository(session)
        return set(repository.property_types(repository.get(TEAM, "deals").id))


def counts(report: ImportReport) -> tuple[int, int, int, int]:
    return report.created, report.updated, report.unchanged, report.rejected


@pytest.mark.parametrize("sample_rows", [0, 1_000])
def test_a_files_created_at_and_updated_at_are_the_records_own_dates(
    run: Any, sessions: sessionmaker[Session], sample_rows: int
) -> None:
    report = run(
        "id,stage,Created At,updated_at\n"
        "1,open,2026-01-05T10:00:00+01:00,2026-02-01T08:30:00Z\n"
        "2,open,,\n",
        sample_rows=sample_rows,
    )
    assert counts(report) == (2, 0, 0, 0)
    assert dates(sessions) == {
        "1": (datetime(2026, 1, 5, 9, 0, tzinfo=UTC), datetime(2026, 2, 1, 8, 30, tzinfo=UTC)),
        # Blank: when the bot first stored the record, and when it last changed it.
        "2": (NOW, NOW),
    }
    assert declared(sessions) == {"stage"}
    assert report.new_properties == {"stage": "string"}


def test_without_date_columns_a_record_is_dated_by_the_bot(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run("id,stage\n1,open\n")
    run("id,stage\n1,won\n", now=LATER)
    assert dates(sessions)["1"] == (NOW, LATER)


def test_a_later_updated_at_alone_updates_the_record(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run("id,stage,updated_at\n1,open,2026-02-01T08:30:00Z\n")
    assert counts(run("id,stage,updated_at\n1,open,2026-02-01T08:30:00Z\n", now=LATER)) == (
        0,
        0,
        1,
        0,
    )
    report = run("id,stage,updated_at\n1,open,2026-03-01T08:30:00Z\n", now=LATER)
    assert counts(report) == (0, 1, 0, 0)
    assert dates(sessions)["1"] == (NOW, datetime(2026, 3, 1, 8, 30, tzinfo=UTC))


def test_a_changed_created_at_is_written_and_a_blank_one_keeps_the_record_date(
    run: Any, sessions: sessionmaker[Session]
) -> None:
    run("id,stage\n1,open\n2,open\n")
    report = run("id,stage,created_at\n1,open,2025-12-24T18:00:00Z\n2,won,\n", now=LATER)
    assert counts(report) == (0, 2, 0, 0)
    assert dates(sessions) == {
        "1": (datetime(2025, 12, 24, 18, 0, tzinfo=UTC), LATER),
        "2": (NOW, LATER),
    }


def test_a_date_without_an_offset_is_a_bad_row_that_says_what_to_write(run: Any) -> None:
    report = run("id,created_at\n1,2026-01-05 10:00\n")
    assert not report.written
    [problem] = report.problems
    assert problem.column == "column 'created_at'"
    assert "has no UTC offset" in problem.reason
    assert "such as 2026-03-01T09:00:00Z" in problem.reason


@pytest.mark.parametrize("column", ["name", "owner", "id"])
def test_a_column_named_like_a_built_in_field_cannot_become_a_property(
    run: Any, sessions: sessionmaker[Session], column: str
) -> None:
    options = {f"{other}_column": f"the_{other}" for other in ("id", "name", "owner")}
    with pytest.raises(RecordFileError) as raised:
        run(f"the_id,{column}\n1,x\n", **options)
    assert str(raised.value) == (
        f"the column '{column}' (first on line 2) would be a property named like the "
        f"built-in field {column} of every record; rename the column, or make it the records' "
        f"{column} with --{column}-column {column}"
    )


def test_a_property_type_cannot_be_declared_for_a_built_in_field(run: Any) -> None:
    with pytest.raises(ImportOptionError, match="'updated_at' is a built-in field"):
        run("id,updated_at\n1,2026-01-01T00:00:00Z\n", property_types={"updated_at": "date"})
